"""Look-alike letters: Unicode TR39 confusable skeletons and mixed-script words.

The data is Unicode's ``confusables.txt`` as shipped by the maintained
``confusable-homoglyphs`` package (``confusables.json``). That file stores the
relation both ways (each source lists its prototype, each prototype lists its
sources), so the TR39 mapping "source → prototype" is rebuilt from it: every
connected group of the relation is one prototype with its sources (a star);
the prototype is the group's multi-character sequence if it has one (sources
are single code points), else the member linked to all the others. For the
few two-member groups the direction cannot be told, and one member is chosen
for both (ASCII first, else the lower code point): skeletons stay equal
exactly when TR39's are. Nothing is fetched: the package's file is read once.

:func:`skeleton` is TR39's ``skeleton(X)``: NFD, each character replaced by
its prototype, NFD again. :func:`mixed_script_word` finds a word whose letters
come from more than one script (``"Internаtional"`` with a Cyrillic ``а``),
allowing the combinations TR39's "highly restrictive" profile allows
(Latin with Han, Hiragana and Katakana; with Han and Bopomofo; with Han and
Hangul).
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from functools import lru_cache

__all__ = ["mixed_script_word", "script", "skeleton"]

_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")
_NEUTRAL_SCRIPTS = frozenset({"COMMON", "INHERITED", "Unknown"})
# TR39 5.2 "Highly Restrictive": one script, or Latin with one of these sets
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """{single character: its prototype}, for characters that are not their own."""
    # deferred: its import parses a 900 kB JSON file (~10 ms, ~6 MB); on first use only
    from confusable_homoglyphs.confusables import confusables_data

    linked: dict[str, set[str]] = defaultdict(set)
    for source, entries in confusables_data.items():
        first = source.translate(_DIRECTION_MARKS)
        for entry in entries:
            second = entry["c"].translate(_DIRECTION_MARKS)
            if first and second and first != second:
                linked[first].add(second)
                linked[second].add(first)
    mapping: dict[str, str] = {}
    seen: set[str] = set()
    for start in sorted(linked):
        if start in seen:
            continue
        group, stack = set(), [start]
        while stack:
            member = stack.pop()
            if member not in group:
                group.add(member)
                stack.extend(linked[member] - group)
        seen |= group
        prototype = _prototype_of(group, linked)
        for member in group:
            if len(member) == 1 and member != prototype:
                mapping[member] = prototype
    return mapping


def _prototype_of(group: set[str], linked: dict[str, set[str]]) -> str:
    sequences = sorted(member for member in group if len(member) > 1)
    if sequences:
        return sequences[0]
    hubs = sorted(member for member in group if len(linked[member]) == len(group) - 1)
    if len(group) > 2 and hubs:
        return hubs[0]
    return min(group, key=lambda member: (not member.isascii(), member))


def skeleton(text: str) -> str:
    """TR39 ``skeleton``: NFD, every character mapped to its prototype, NFD again."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFD", "".join(prototypes.get(char, char) for char in decomposed))


@lru_cache(maxsize=16384)
def script(char: str) -> str:
    """The Unicode script of ``char`` (``"LATIN"``, ``"CYRILLIC"``, ``"COMMON"`` ...)."""
    # deferred: its import pulls in urllib.request and a JSON table (~30 ms); on first use only
    from confusable_homoglyphs.categories import alias

    name: str = alias(char)  # the package is untyped
    return name


def _word_scripts(word: str) -> frozenset[str]:
    return frozenset(script(char) for char in word) - _NEUTRAL_SCRIPTS


def mixed_script_word(text: str) -> str | None:
    """The first word of ``text`` whose letters come from scripts that may not mix, or None.

    Words are runs of letters and marks (digits, spaces and punctuation end a
    word), so an Arabic name with a Latin acronym ("منظمة NGO للحقوق") is fine,
    while "Internаtional" with a Cyrillic ``а`` is not.
    """
    word: list[str] = []
    for char in text + " ":
        if unicodedata.category(char)[0] in "LM":
            word.append(char)
            continue
        if word:
            scripts = _word_scripts("".join(word))
            if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES):
                return "".join(word)
            word = []
    return None
