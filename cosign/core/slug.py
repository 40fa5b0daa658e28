"""URL slugs for statements, made from their titles.

Slugs are lower-case ASCII letters and digits joined by single dashes.
Latin letters are folded to ASCII (é → e, ß → ss); titles without any Latin
letter (e.g. in Arabic) get the slug ``statement``, which the caller makes
unique.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FALLBACK_SLUG", "MAX_LENGTH", "MIN_LENGTH", "is_valid_slug", "slugify"]

FALLBACK_SLUG = "statement"
MIN_LENGTH = 3
MAX_LENGTH = 80

_VALID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
# Latin letters that NFKD does not decompose into ASCII plus marks.
_FOLD = str.maketrans({
    "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
    "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
    "þ": "th", "Þ": "th", "ł": "l", "Ł": "l", "ı": "i", "ħ": "h", "Ħ": "h",
})


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _cut(slug: str, max_length: int) -> str:
    """Shorten ``slug`` to ``max_length``, at a dash when there is one."""
    if len(slug) <= max_length:
        return slug
    if slug[max_length] == "-":
        return slug[:max_length]
    head = slug[:max_length]
    boundary = head.rfind("-")
    return head[:boundary] if boundary > 0 else head


def slugify(title: str, max_length: int = MAX_LENGTH) -> str:
    """Make a valid slug from ``title``.

    Titles with no Latin letter give ``"statement"``; slugs shorter than
    three characters are prefixed (``"AI"`` → ``"statement-ai"``).
    """
    if max_length < MIN_LENGTH:
        raise ValueError(f"max_length must be at least {MIN_LENGTH}")
    slug = _SEPARATORS.sub("-", _ascii_fold(title).lower()).strip("-")
    if not re.search(r"[a-z]", slug):
        return FALLBACK_SLUG[:max_length]
    if len(slug) < MIN_LENGTH:
        slug = f"{FALLBACK_SLUG}-{slug}"
    return _cut(slug, max_length)


def is_valid_slug(slug: str) -> bool:
    """Whether ``slug`` is 3–80 characters of ``a-z0-9`` words joined by dashes."""
    return MIN_LENGTH <= len(slug) <= MAX_LENGTH and _VALID.fullmatch(slug) is not None
