"""Previews: the first page of an issued PDF as a small PNG, stored next to the PDF.

The publication summary shows coordinators what the press will receive. Turning a page
into an image takes a process (poppler's ``pdftoppm``) and a fraction of a second, so it
is done by the worker when it issues the PDF (:func:`cosign.pdfs.issue`), never by a
request: a request only reads the stored file (:func:`path`). No database here.
"""
from __future__ import annotations

import logging
import secrets
import subprocess
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

RESOLUTION = 50  # dots per inch: an A4 page is about 413 × 585 pixels
TIMEOUT = 60  # seconds


def path(directory: Path, cache_key: str) -> Path:
    """Where the preview of the PDF issued under ``cache_key`` is stored: ``<key>.png`` in
    the PDFs' directory (the PDF's own name changes when an archive timestamp is added)."""
    return directory / f"{cache_key}.png"


def make(pdf_path: Path, target: Path, config: Mapping | None = None) -> Path | None:
    """Make ``target``, the preview of ``pdf_path``, unless it exists; its path, or None when
    poppler failed (logged: the PDF itself is fine, the summary says there is no image)."""
    if target.exists():
        return target
    resolution = int((config or {}).get("COSIGN_PREVIEW_DPI") or RESOLUTION)
    prefix = target.with_name(f"{target.stem}.{secrets.token_hex(4)}.tmp")
    made = prefix.with_name(prefix.name + ".png")  # -singlefile: no page number in the name
    try:
        subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", "1", "-l", "1",
                        "-singlefile", str(pdf_path), str(prefix)],
                       check=True, capture_output=True, timeout=TIMEOUT)
        made.replace(target)
    except (OSError, subprocess.SubprocessError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        log.warning("no preview of %s: %s %s", pdf_path.name, exc,
                    stderr.decode(errors="replace").strip()[:200])
        made.unlink(missing_ok=True)
        return None
    return target
