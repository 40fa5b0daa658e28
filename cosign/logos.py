"""The coalition's logo on the letterhead: PNG or JPEG only, checked, stored by its hash.

SVG is refused: it can carry scripts and references to other files or hosts.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from cosign import audit, clock
from cosign.errors import N_, UserError
from cosign.models import Statement

MAX_BYTES = 512 * 1024
MAX_SIDE = 4000
KINDS = {b"\x89PNG\r\n\x1a\n": ("PNG", ".png"), b"\xff\xd8\xff": ("JPEG", ".jpg")}


class LogoError(UserError):
    pass


def _kind(data: bytes) -> tuple[str, str] | None:
    for magic, kind in KINDS.items():
        if data.startswith(magic):
            return kind
    return None


def check(data: bytes) -> str:
    """The file extension for a valid logo; LogoError otherwise."""
    if len(data) > MAX_BYTES:
        raise LogoError(N_("The logo may be at most 512 KB."), "logo")
    kind = _kind(data)
    if kind is None:
        raise LogoError(N_("The logo must be a PNG or JPEG image."), "logo")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != kind[0]:
                raise LogoError(N_("The logo must be a PNG or JPEG image."), "logo")
            if max(image.size) > MAX_SIDE:
                raise LogoError(N_("The logo may be at most 4000 pixels wide and high."), "logo")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise LogoError(N_("The logo file is damaged or not an image."), "logo") from exc
    return kind[1]


def directory(storage: str | Path) -> Path:
    path = Path(storage) / "logos"
    path.mkdir(parents=True, exist_ok=True)
    return path


def set_logo(session: Session, statement: Statement, actor_id: int, data: bytes | None,
             storage: str | Path) -> Statement:
    """Store and use ``data`` as the logo, or remove the logo (``None``)."""
    if data is None:
        name = ""
    else:
        name = hashlib.sha256(data).hexdigest() + check(data)
        target = directory(storage) / name
        if not target.exists():
            target.write_bytes(data)
    if name != statement.logo_file:
        statement.logo_file = name
        statement.updated_at, statement.updated_by_id = clock.now(), actor_id
        audit.record(session, statement.id, actor_id, "logo", removed=not name)
    session.commit()
    return statement


def read(statement: Statement, storage: str | Path) -> bytes | None:
    if not statement.logo_file:
        return None
    try:
        return (directory(storage) / statement.logo_file).read_bytes()
    except FileNotFoundError:
        return None
