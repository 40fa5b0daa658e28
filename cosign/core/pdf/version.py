"""What a printed statement looks like depends on, and :data:`TEMPLATE_VERSION`, its hash.

The template (``templates/pdf/statement.html``), the stylesheet
(``static/css/print.css``), the catalogue entries the PDF uses and the WeasyPrint
version: :data:`TEMPLATE_VERSION` is part of the cache key of a rendered PDF (with
the text revision, the ordered list and the :class:`RenderOptions`).
"""
from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "cosign" / "translations"
# Changes with the template and the stylesheet by itself; bump the number when this
# package's output changes.
_LAYOUT_REVISION = 3  # 2: labels in the document's language and digits, translations;
# 3: PDF/A-3a with PDF/UA-1, the signatory list tagged as a list
# Catalogue entries whose location mentions one of these are the PDF's: the package's
# modules (and cosign/core/pdf.py, the single module it was before catalogues are
# extracted again) and the template.
_PDF_SOURCES = ("templates/pdf/", "cosign/core/pdf/", "cosign/core/pdf.py")


def _template_version() -> str:
    digest = hashlib.sha256()
    for path in (TEMPLATES / "pdf" / "statement.html", ROOT / "static" / "css" / "print.css"):
        digest.update(path.read_bytes())
    # the PDF's labels come from the catalogues: a changed label is a changed PDF (the
    # entries used by the PDF only, so other new strings cause no re-render)
    for path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        for entry in path.read_text(encoding="utf-8").split("\n\n"):
            if any(source in entry for source in _PDF_SOURCES):
                digest.update(entry.encode())
    try:
        digest.update(f"weasyprint {version('weasyprint')}".encode())
    except PackageNotFoundError:  # pragma: no cover
        pass
    return f"pdf-{_LAYOUT_REVISION}-{digest.hexdigest()[:12]}"


TEMPLATE_VERSION = _template_version()
