"""The coalition's logo: PNG or JPEG only, checked, re-encoded, stored under its hash.

The uploaded bytes are never stored: Pillow decodes the image (after checking
its declared size, so a decompression bomb is refused before any pixel is
decoded) and encodes a new file from the pixels alone. Metadata (EXIF with
GPS positions, text chunks, ICC profiles, comments) and anything hidden after
the image data (polyglot files) are dropped. The stored file is named after
the SHA-256 of the new bytes: the client's file name is never used.

SVG is refused: it can carry scripts and references to other files or hosts.
"""
from __future__ import annotations

import hashlib
import io
import re
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from cosign import audit, clock, dispatch
from cosign.errors import N_, UserError
from cosign.models import Statement

MAX_BYTES = 1024 * 1024
MAX_SIDE = 2000
FORMATS = {"PNG": ".png", "JPEG": ".jpg"}
STORED_NAME = re.compile(r"[0-9a-f]{64}\.(png|jpg)")


class LogoError(UserError):
    pass


def _too_big() -> LogoError:
    return LogoError(N_("The logo may be at most %(max)d pixels wide and high."), "logo",
                     max=MAX_SIDE)


def _damaged() -> LogoError:
    return LogoError(N_("The logo file is damaged or not an image."), "logo")


def reencode(data: bytes) -> tuple[bytes, str]:
    """(new image bytes, file extension) for a valid logo; LogoError otherwise."""
    if len(data) > MAX_BYTES:
        raise LogoError(N_("The logo may be at most 1 MB."), "logo")
    try:
        with warnings.catch_warnings(), _strict_decoding():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # only the formats we accept: Pillow does not even try the others
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                width, height = image.size
                if max(width, height) > MAX_SIDE:
                    raise _too_big()
                if min(width, height) < 1:
                    raise _damaged()
                kind = image.format  # one of FORMATS: Pillow tried no other
                if kind is None or kind not in FORMATS:
                    raise _damaged()
                image.load()
                pixels = ImageOps.exif_transpose(image)  # keep the orientation, drop the EXIF
    except LogoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_big() from exc  # Pillow's own guard, when the header is read
    except UnidentifiedImageError as exc:
        raise LogoError(N_("The logo must be a PNG or JPEG image."), "logo") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise _damaged() from exc
    return _encode(pixels, kind), FORMATS[kind]


_decoding = threading.Lock()


@contextmanager
def _strict_decoding():
    """A truncated file is an error while we decode, whatever the process set: WeasyPrint,
    once imported, sets Pillow's LOAD_TRUNCATED_IMAGES, which pads a cut-off image."""
    with _decoding:
        saved, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _encode(image: Image.Image, kind: str) -> bytes:
    """The pixels of ``image`` in a new file with no metadata."""
    if kind == "JPEG":
        mode = "L" if image.mode == "L" else "RGB"
    else:
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        mode = "RGBA" if transparent else ("L" if image.mode in ("1", "L") else "RGB")
    converted = image.convert(mode)
    # a fresh image holds pixels only: no info dict, no EXIF, no ICC profile, no text
    clean = Image.frombytes(mode, converted.size, converted.tobytes())
    out = io.BytesIO()
    if kind == "JPEG":
        clean.save(out, "JPEG", quality=90, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    return out.getvalue()


def directory(storage: str | Path) -> Path:
    path = Path(storage) / "logos"
    path.mkdir(parents=True, exist_ok=True)
    return path


def set_logo(session: Session, statement: Statement, actor_id: int, data: bytes | None,
             storage: str | Path) -> Statement:
    """Store and use ``data`` (re-encoded) as the logo, or remove the logo (``None``)."""
    if data is None:
        name = ""
    else:
        clean, extension = reencode(data)
        name = hashlib.sha256(clean).hexdigest() + extension
        target = directory(storage) / name
        if not target.exists():
            temporary = target.with_name(f"{name}.{hashlib.sha256(data).hexdigest()[:8]}.tmp")
            temporary.write_bytes(clean)
            temporary.replace(target)
    if name != statement.logo_file:
        statement.logo_file = name
        statement.updated_at, statement.updated_by_id = clock.now(), actor_id
        dispatch.listing_changed(session, statement.id)
        audit.record(session, statement.id, actor_id, "logo", removed=not name)
    session.commit()
    return statement


def read(statement: Statement, storage: str | Path) -> bytes | None:
    if not statement.logo_file or not STORED_NAME.fullmatch(statement.logo_file):
        return None
    try:
        return (directory(storage) / statement.logo_file).read_bytes()
    except FileNotFoundError:
        return None
