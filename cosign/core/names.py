"""Organisation and individual names as people type them.

:func:`clean_name` gives the name for display: Unicode NFKC, no bidi
controls or invisible characters, one space between words, bounded length.
:func:`name_key` gives the deduplication key (unique per statement), which
ignores case, Latin/Greek accents, Arabic and Hebrew vowel marks, Arabic
letter variants, punctuation and a leading "The". :func:`csv_safe`
neutralises values that a spreadsheet would run as formulas.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

from cosign.core.skeleton import mixed_script_word, script, skeleton

__all__ = [
    "KEY_MAX_LENGTH",
    "MAX_COMBINING_MARKS",
    "MAX_LENGTH",
    "InvalidName",
    "check_scripts",
    "clean_line",
    "clean_name",
    "clean_text",
    "csv_safe",
    "initial",
    "name_key",
    "search_text",
]

MAX_LENGTH = 200
KEY_MAX_LENGTH = 200
# Non-spacing marks kept on one base character in the display name; real
# orthographies need at most three or four, "Zalgo" text stacks dozens.
MAX_COMBINING_MARKS = 4

_ZWNJ = "\u200c"
# Invisible characters that people (or forgers) use as a space between two words:
# ZERO WIDTH SPACE, WORD JOINER, ZERO WIDTH NO-BREAK SPACE (BOM).
_INVISIBLE_SPACES = frozenset("\u200b\u2060\ufeff")
# Scripts that never need ZWNJ: there, between two letters, it hides a space.
_NO_ZWNJ_SCRIPTS = frozenset({"LATIN", "GREEK", "CYRILLIC", "ARMENIAN"})
# Unicode Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt):
# invisible whatever their general category (Hangul fillers are letters,
# variation selectors are marks).
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_SPACES = re.compile(r" {2,}")

_QUOTES = "'\"`´‘’‚‛“”„‟′″‵‶«»‹›「」『』ʼ׳״"
_KEY_FOLD = str.maketrans({
    **{quote: None for quote in _QUOTES},
    "&": " and ",
    _ZWNJ: None,
    "\u0640": None,  # ARABIC TATWEEL (kashida), a stretching stroke
    "\u0671": "\u0627",  # ALEF WASLA → ALEF (أ إ آ lose their marks in NFD)
    "\u0649": "\u064a",  # ALEF MAKSURA → YEH
    "\u06cc": "\u064a",  # FARSI YEH → ARABIC YEH
    "\u06a9": "\u0643",  # KEHEH (Persian kaf) → ARABIC KAF
})
# Scripts whose marks are optional accents or vowel points, not letters.
_MARK_FOLDED_SCRIPTS = ("LATIN", "GREEK", "ARABIC", "HEBREW")
# "U.K.", "e.V.", "U.S.A." — initials with dots become one word.
_DOTTED_INITIALS = re.compile(r"(?<![^\W\d_])(?:[^\W\d_]\.){2,}(?![^\W\d_])")
_FORMULA_STARTS = ("=", "+", "-", "@")


class InvalidName(ValueError):
    """A name that cannot be used; ``reason`` is ``"empty"``, ``"too-long"`` or
    ``"mixed-scripts"``."""

    def __init__(self, reason: str, message: str, word: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.word = word  # the word that mixes alphabets (reason "mixed-scripts")


def _is_ignorable(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _IGNORABLE_RANGES)


def _is_letter_or_mark(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def _drop_invisible(text: str) -> str:
    """Remove controls, format and ignorable characters; whitespace → space.

    ZERO WIDTH NON-JOINER is kept (once) where it sits between two letters,
    as Persian, Kurdish and Indic spelling needs it; elsewhere it goes.
    A zero-width space (or word joiner, or BOM) between two letters, and a
    ZWNJ between two Latin, Greek, Cyrillic or Armenian letters, stand for a
    space ("Amnesty\u200bInternational") and become one.
    """
    kept: list[str] = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif char in _INVISIBLE_SPACES:
            if not kept or kept[-1] != "\u200b":
                kept.append("\u200b")
        elif char == _ZWNJ:
            if kept and kept[-1] != _ZWNJ:
                kept.append(char)
        elif not (unicodedata.category(char) in ("Cc", "Cf", "Cs") or _is_ignorable(char)):
            kept.append(char)
    out: list[str] = []
    for index, char in enumerate(kept):
        if char not in ("\u200b", _ZWNJ):
            out.append(char)
            continue
        between_letters = (
            out and index < len(kept) - 1
            and unicodedata.category(kept[index + 1])[0] == "L"
        )
        if char == "\u200b":
            if between_letters and unicodedata.category(out[-1])[0] == "L":
                out.append(" ")
        elif between_letters and _is_letter_or_mark(out[-1]):
            if script(out[-1]) in _NO_ZWNJ_SCRIPTS and script(
                    kept[index + 1]) in _NO_ZWNJ_SCRIPTS:
                out.append(" ")
            else:
                out.append(char)
    return "".join(out)


def _limit_marks(text: str) -> str:
    """Keep at most :data:`MAX_COMBINING_MARKS` non-spacing marks per base."""
    kept: list[str] = []
    run = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me"):
            run += 1
            if run > MAX_COMBINING_MARKS:
                continue
        else:
            run = 0
        kept.append(char)
    return "".join(kept)


def _has_letter_or_digit(text: str) -> bool:
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def clean_name(raw: str, max_length: int = MAX_LENGTH) -> str:
    """The name for display.

    Unicode NFKC (full-width ``"ＡＢＣ"`` → ``"ABC"``); control, format (bidi
    overrides, zero-width characters, soft hyphen, BOM) and other invisible
    characters removed, except ZERO WIDTH NON-JOINER between two letters
    (a zero-width space between two letters becomes a space);
    stacked combining marks limited; whitespace runs (tabs, newlines,
    NO-BREAK SPACE, IDEOGRAPHIC SPACE) become one space; ends stripped.
    Raises :class:`InvalidName` with reason ``"empty"`` when no letter or
    digit is left, ``"too-long"`` when longer than ``max_length``.
    The function is idempotent.
    """
    text = _drop_invisible(unicodedata.normalize("NFKC", raw))
    text = unicodedata.normalize("NFKC", _limit_marks(text))
    text = _SPACES.sub(" ", text).strip(" ")
    if not _has_letter_or_digit(text):
        raise InvalidName("empty", "The name must contain at least one letter or digit.")
    if len(text) > max_length:
        raise InvalidName(
            "too-long", f"The name must be at most {max_length} characters long."
        )
    return text


def check_scripts(name: str) -> str:
    """``name`` when none of its words mixes alphabets, else :class:`InvalidName`
    (reason ``"mixed-scripts"``; the message names the word).

    A word mixing Latin and Cyrillic letters ("Internаtional" with a Cyrillic
    ``а``) is how look-alike names are forged; whole words in different
    scripts ("منظمة NGO للحقوق") are fine (see
    :func:`cosign.core.skeleton.mixed_script_word`).
    """
    word = mixed_script_word(name)
    if word is not None:
        raise InvalidName(
            "mixed-scripts",
            f"The name mixes letters of different alphabets in “{word}”.", word)
    return name


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Free text (a title, a place, a note, a comment) cleaned as names are.

    Bidi controls, zero-width and other invisible characters go (a zero-width
    space between two letters becomes a space); combining-mark stacks are
    limited. One line: Unicode NFKC, whitespace runs → one space, ends
    stripped. ``multiline``: NFC, line breaks kept (``\r\n`` → ``\n``),
    spaces and tabs inside each line collapsed, line ends stripped.
    No length limit and never an error: the caller checks what it needs.
    """
    text = value or ""
    if not multiline:
        text = unicodedata.normalize("NFKC", text)
        if text.isascii() and text.isprintable():
            return " ".join(text.split())
        return " ".join(_limit_marks(_drop_invisible(text)).split())
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [" ".join(_limit_marks(_drop_invisible(line)).split())
             for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


@lru_cache(maxsize=8192)
def _mark_kind(char: str) -> tuple[bool, bool]:
    """(is a non-spacing mark, is a letter of a script whose marks are folded)."""
    if unicodedata.category(char) == "Mn":
        return True, False
    return False, unicodedata.name(char, "").partition(" ")[0] in _MARK_FOLDED_SCRIPTS


def _fold_marks(text: str) -> str:
    """Drop the marks on Latin, Greek, Arabic and Hebrew letters (NFD, then NFC)."""
    kept: list[str] = []
    folds = False
    for char in unicodedata.normalize("NFD", text):
        mark, base_folds = _mark_kind(char)
        if mark:
            if folds:
                continue
        else:
            folds = base_folds
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _fold_char(char: str) -> str:
    """Digits of any script → ASCII; punctuation and symbols → a space."""
    category = unicodedata.category(char)
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category[0] in "PS":
        return " "
    return char


def name_key(raw: str) -> str:
    """The deduplication key of a name, at most :data:`KEY_MAX_LENGTH` characters.

    From :func:`clean_name` (without its length limit): case-folded; ZWNJ
    and tatweel removed; accents and vowel marks dropped from Latin, Greek,
    Arabic and Hebrew letters; أ إ آ ٱ → ا, ى and Persian ی → ي, Persian
    ک → ك (ة is kept); digits of any script → ASCII; dotted initials joined
    (``"U.K."`` → ``"uk"``); apostrophes and quotes removed; ``&`` → ``and``;
    other punctuation and symbols → space; then every character replaced by
    its Unicode TR39 confusable prototype (:func:`cosign.core.skeleton.skeleton`:
    Cyrillic ``а`` → Latin ``a``, ``m`` → ``rn``, ``1`` → ``l``) and case-folded
    again, so look-alike names share a key; a leading ``"the "`` removed.
    Suffixes such as ``"– UK"`` or ``"e.V."`` are kept. Raises
    :class:`InvalidName` (``"empty"``) like :func:`clean_name`.
    """
    text = _fold_marks(clean_name(raw, max_length=sys.maxsize).casefold())
    text = text.translate(_KEY_FOLD)
    text = _DOTTED_INITIALS.sub(lambda match: match.group(0).replace(".", ""), text)
    text = "".join(_fold_char(char) for char in text)
    text = unicodedata.normalize("NFC", skeleton(text)).casefold()
    text = _SPACES.sub(" ", text).strip(" ")
    if text.startswith("the "):
        text = text[4:]
    if not text:
        raise InvalidName("empty", "The name must contain at least one letter or digit.")
    return text[:KEY_MAX_LENGTH].rstrip(" ")


# Letter variants that searches and initials treat as one letter (as name_key does).
_LETTER_FOLD = str.maketrans({
    _ZWNJ: None,
    "\u0640": None,  # tatweel
    "\u0671": "\u0627",  # alef wasla → alef
    "\u0649": "\u064a",  # alef maksura → yeh
    "\u06cc": "\u064a",  # Farsi yeh → Arabic yeh
    "\u06a9": "\u0643",  # keheh → Arabic kaf
})
DIGIT_INITIAL = "#"


def search_text(text: str) -> str:
    """``text`` folded for case- and accent-insensitive substring search.

    Unicode NFKC, case-folded (``"ß"`` → ``"ss"``), accents and vowel marks
    dropped from Latin, Greek, Arabic and Hebrew letters (``"Émile"`` →
    ``"emile"``, ``"أ"`` → ``"ا"``), Arabic letter variants joined as in
    :func:`name_key`, whitespace runs → one space. Names and queries go
    through the same folding, so ``search_text(query) in search_text(name)``
    is the search. Punctuation is kept: ``"U.K."`` finds ``"U.K."`` only.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = _fold_marks(text.translate(_LETTER_FOLD))
    return " ".join(text.split())


def initial(name: str) -> str | None:
    """The letter a name is indexed under (an A–Z strip, in any script): its first
    letter without accents or marks, upper-cased (``"émile"`` → ``"E"``,
    ``"إتحاد"`` → ``"ا"``); :data:`DIGIT_INITIAL` when a digit comes first;
    leading punctuation and symbols are skipped. None when there is no letter
    or digit at all."""
    for char in unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name)):
        category = unicodedata.category(char)
        if category[0] == "N":
            return DIGIT_INITIAL
        if category[0] == "L":
            return char.translate(_LETTER_FOLD).upper()[:1]
    return None


def csv_safe(value: str) -> str:
    """``value`` made safe for a CSV/XLSX cell (OWASP CSV injection advice).

    A value starting with ``= + - @``, a tab or a carriage return — also
    after leading spaces — gets a single quote in front, so spreadsheets
    show it as text instead of evaluating it.
    """
    if value[:1] in ("\t", "\r") or value.lstrip().startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def clean_line(value: str) -> str:
    """One line of text: :func:`clean_text` (Unicode NFKC, no bidi controls, zero-width or
    other invisible characters, one space between words). Fast on ASCII text."""
    return clean_text(value)
