"""Near-duplicate signatories: is a new sign-on "possibly the same" as an existing one?

:func:`best_match` compares a new entry with a statement's existing ones and returns
the most likely one with the reason, checked in this order (the first found wins):

``website``       the same registrable website domain (pages on shared hosts such as
                  facebook.com do not count);
``translation``   the same, and the names are written in different scripts
                  ("منظمة العفو الدولية" and "Amnesty International" with amnesty.org):
                  a known translation of the name is caught through the website only;
``look-alike``    the names look the same in capitals ("РАХ" in Cyrillic and "PAX"),
                  which the case-folded key cannot tell (Cyrillic "т" is not "t");
``abbreviation``  one name abbreviates the other word by word ("Amnesty Intl",
                  "Assoc. of Iraqi Jurists") or is its acronym ("HRW" / "Human Rights
                  Watch", "MSF" / "Médecins Sans Frontières");
``spelling``      a small edit distance between the keys (rapidfuzz Levenshtein: one
                  edit for keys up to 12 characters, two up to 30, three beyond);
``email-domain``  the same registrable e-mail domain, webmail (gmail.com ...) excepted.

What it cannot catch: a translation with no website (or different websites), an
acronym with its expansion in another language, names that share nothing but the
organisation. Entries with the very same key are not "similar": they are the same
name (unique key). Names are compared after :func:`cosign.core.names.search_text`
folding; per-name work is cached, so 10,000 candidates cost milliseconds.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, NamedTuple, Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cosign.core.domain import is_shared_host, is_webmail
from cosign.core.names import search_text
from cosign.core.skeleton import script, skeleton

__all__ = ["REASONS", "Entry", "Match", "best_match"]

REASONS = ("website", "translation", "look-alike", "abbreviation", "spelling", "email-domain")
_NOT_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")
# Small words that acronyms usually skip (English, French, Spanish, German, Arabic article).
_SKIPPED = frozenset({
    "of", "the", "for", "and", "in", "on", "a", "an", "to", "de", "du", "des", "la", "le",
    "les", "et", "pour", "en", "el", "y", "del", "der", "die", "das", "und", "fur", "al",
})


class Entry(NamedTuple):
    """A signatory as compared: id, display name, name key, registrable domains. Anything
    with these attributes will do (database rows labelled so, for instance)."""

    id: int
    name: str
    key: str
    website: str | None = None
    email: str | None = None


class Match(NamedTuple):
    id: int
    reason: str


@lru_cache(maxsize=65536)
def _words(name: str) -> tuple[str, ...]:
    words = _NOT_WORD.sub(" ", search_text(name)).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return tuple(words)


@lru_cache(maxsize=65536)
def _acronyms(name: str) -> frozenset[str]:
    words = _words(name)
    if len(words) < 2:
        return frozenset()
    every = "".join(word[0] for word in words)
    main = "".join(word[0] for word in words if word not in _SKIPPED)
    return frozenset(a for a in (every, main) if len(a) >= 2)


@lru_cache(maxsize=65536)
def _caps(name: str) -> str:
    """The name's TR39 skeleton in capitals, spaces and punctuation dropped."""
    return skeleton("".join(_NOT_WORD.sub(" ", search_text(name)).split()).upper())


@lru_cache(maxsize=65536)
def _main_script(name: str) -> str:
    counts: dict[str, int] = {}
    for char in name:
        if char.isalpha():
            counts[script(char)] = counts.get(script(char), 0) + 1
    return max(counts, key=counts.__getitem__) if counts else ""


def _abbreviates(short: str, long: str) -> bool:
    """"intl" of "international", "assoc" of "association": same first letter, the
    short word's letters in order in the long one, clearly shorter."""
    if len(short) < 2 or len(short) > len(long) - 2 or short[0] != long[0]:
        return False
    rest = iter(long[1:])
    return all(char in rest for char in short[1:])


def _abbreviation_of(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    if len(first) != len(second) or first == second:
        return False
    shortened = False
    for a, b in zip(first, second):
        if a == b:
            continue
        if _abbreviates(a, b) or _abbreviates(b, a):
            shortened = True
            continue
        return False
    return shortened and (len(first) > 1 or min(len(first[0]), len(second[0])) >= 3)


def _abbreviated(name: str, others: Sequence[Entry]) -> Entry | None:
    """The first other name that abbreviates ``name`` word by word, is its acronym, or
    has it as acronym. One pass with cheap tests first (10,000 names in a few ms)."""
    words = _words(name)
    if not words:
        return None
    count, first = len(words), words[0][0]
    acronym = words[0] if count == 1 and 2 <= len(words[0]) <= 10 else None
    expansions = _acronyms(name)
    for other in others:
        theirs = _words(other.name)
        if not theirs:
            continue
        if len(theirs) == count:
            if (theirs[0][0] == first and count > 1 or count == 1) and _abbreviation_of(
                    words, theirs):
                return other
            if count == 1 and expansions and theirs[0] in expansions:
                return other
        elif len(theirs) == 1:
            if theirs[0] in expansions:
                return other
        elif acronym is not None and acronym in _acronyms(other.name):
            return other
    return None


def _max_edits(key: str) -> int:
    if len(key) < 6:
        return 0
    return 1 if len(key) <= 12 else 2 if len(key) <= 30 else 3


def best_match(new: Entry, candidates: Iterable[Entry]) -> Match | None:
    """The existing entry most likely the same organisation as ``new``, and why; or None."""
    others = [c for c in candidates if c.id != new.id and c.key != new.key]
    if not others:
        return None
    if new.website and not is_shared_host(new.website):
        for other in others:
            if other.website == new.website:
                different = _main_script(new.name) != _main_script(other.name)
                return Match(other.id, "translation" if different else "website")
    # (one str.isascii over all names joined: a loop over 10,000 names costs more)
    if not (new.name.isascii() and "".join([other.name for other in others]).isascii()):
        caps = _caps(new.name)
        for other in others:
            if caps and _caps(other.name) == caps:
                return Match(other.id, "look-alike")
    found = _abbreviated(new.name, others)
    if found is not None:
        return Match(found.id, "abbreviation")
    found = _closest(new.name, new.key, others)
    if found is not None:
        return Match(found.id, "spelling")
    if new.email and not is_webmail(new.email) and not is_shared_host(new.email):
        for other in others:
            if other.email == new.email:
                return Match(other.id, "email-domain")
    return None


@lru_cache(maxsize=65536)
def _numbers(name: str) -> tuple[str, ...]:
    return tuple(_DIGITS.findall(search_text(name)))


def _closest(name: str, key: str, others: Sequence[Entry]) -> Entry | None:
    """The nearest key within the allowed edits, numbers apart ("Group 12" is not
    "Group 13")."""
    edits = _max_edits(key)
    if not edits:
        return None
    numbers = _numbers(name)
    for _key, _distance, index in process.extract(
            key, [other.key for other in others], scorer=Levenshtein.distance,
            score_cutoff=edits, limit=5):
        if _numbers(others[index].name) == numbers:
            return others[index]
    return None
