"""URL slugs for statements, made from their titles.

Slugs are words of lower-case letters and digits joined by single dashes.
Latin letters are folded to ASCII (é → e, ß → ss). A title written mostly in
another script keeps its words in that script, so an Arabic title gives a
readable Arabic address (``بيان-مشترك-حول-حرية-الصحافة``, percent-encoded in
raw URLs, shown as such by browsers), without vowel marks or tatweel; digits
become ASCII. Titles without any letter get ``statement``, which the caller
makes unique.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FALLBACK_SLUG", "MAX_LENGTH", "MIN_LENGTH", "is_valid_slug", "slugify"]

FALLBACK_SLUG = "statement"
MIN_LENGTH = 3
MAX_LENGTH = 80
SCRIPT_MAX_LENGTH = 50  # a slug in another script than Latin

_VALID = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
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


def _is_latin(char: str) -> bool:
    return "LATIN" in unicodedata.name(char, "")


def _slug_char(char: str) -> bool:
    """A character a slug may hold: a-z, 0-9, or a lower-case (or caseless) letter of a
    script other than Latin."""
    if char.isascii():
        return char.islower() or char.isdigit()
    return (unicodedata.category(char) in ("Ll", "Lo") and not _is_latin(char)
            and char.lower() == char)


def _script_slug(title: str) -> str:
    """Words in their own script: marks (harakat) and tatweel dropped, digits made ASCII,
    Latin words folded to ASCII."""
    text = unicodedata.normalize("NFKC", title).replace("\u0640", "")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    words = []
    for word in re.findall(r"[^\W_]+", text):
        chars = []
        for char in word:
            if char.isdigit():
                chars.append(str(unicodedata.digit(char, 0)))
            elif _is_latin(char):
                chars.append(_ascii_fold(char).lower())
            elif _slug_char(char.lower()):
                chars.append(char.lower())
        if "".join(chars):
            words.append("".join(chars))
    return "-".join(words)


def slugify(title: str, max_length: int = MAX_LENGTH) -> str:
    """Make a valid slug from ``title``.

    Titles with no Latin letter give ``"statement"``; slugs shorter than
    three characters are prefixed (``"AI"`` → ``"statement-ai"``).
    """
    if max_length < MIN_LENGTH:
        raise ValueError(f"max_length must be at least {MIN_LENGTH}")
    letters = [c for c in unicodedata.normalize("NFKC", title) if c.isalpha()]
    latin = sum(1 for c in letters if _is_latin(c))
    if letters and latin * 2 <= len(letters):  # mostly another script: keep it
        slug = _script_slug(title)
        if len(slug) < MIN_LENGTH:
            slug = f"{FALLBACK_SLUG}-{slug}" if slug else FALLBACK_SLUG
        # percent-encoded, each Arabic letter takes six characters of a raw address
        return _cut(slug, min(max_length, SCRIPT_MAX_LENGTH))
    slug = _SEPARATORS.sub("-", _ascii_fold(title).lower()).strip("-")
    if not re.search(r"[a-z]", slug):
        return FALLBACK_SLUG[:max_length]
    if len(slug) < MIN_LENGTH:
        slug = f"{FALLBACK_SLUG}-{slug}"
    return _cut(slug, max_length)


def is_valid_slug(slug: str) -> bool:
    """Whether ``slug`` is 3–80 characters of words joined by dashes, each of ``a-z0-9`` or
    lower-case letters of scripts other than Latin (see :func:`_slug_char`)."""
    return (MIN_LENGTH <= len(slug) <= MAX_LENGTH and _VALID.fullmatch(slug) is not None
            and all(c == "-" or _slug_char(c) for c in slug))
