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
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cosign.core.domain import is_shared_host, is_webmail
from cosign.core.names import search_text
from cosign.core.skeleton import script, skeleton

__all__ = ["REASONS", "Entry", "Index", "Match", "best_match"]

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
    for a, b in zip(first, second, strict=True):
        if a == b:
            continue
        if _abbreviates(a, b) or _abbreviates(b, a):
            shortened = True
            continue
        return False
    return shortened and (len(first) > 1 or min(len(first[0]), len(second[0])) >= 3)


def _max_edits(key: str) -> int:
    if len(key) < 6:
        return 0
    return 1 if len(key) <= 12 else 2 if len(key) <= 30 else 3


class Index:
    """Existing entries arranged for :func:`best_match`: each reason is a dictionary look-up
    or one small bucket, and the spelling check one rapidfuzz call over all keys, so a new
    entry is compared with 10,000 in about a millisecond. Entries keep the order they were
    added in: of two that match for the same reason, the earlier wins. ``extend`` adds
    entries; an index is not safe to use from two threads while it is extended."""

    def __init__(self, entries: Iterable[Entry] = ()):
        self.entries: list[Entry] = []
        self._keys: list[str] = []
        self._website: dict[str, list[int]] = {}
        self._email: dict[str, list[int]] = {}
        self._caps: dict[str, list[int]] = {}
        self._not_ascii: list[int] = []
        self._by_shape: dict[tuple[int, str], list[int]] = {}  # (word count, first letter)
        self._one_word: dict[str, list[int]] = {}  # one-word names by the word
        self._acronym: dict[str, list[int]] = {}  # longer names by each of their acronyms
        self.extend(entries)

    def __len__(self) -> int:
        return len(self.entries)

    def extend(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            position = len(self.entries)
            self.entries.append(entry)
            self._keys.append(entry.key)
            if entry.website:
                self._website.setdefault(entry.website, []).append(position)
            if entry.email:
                self._email.setdefault(entry.email, []).append(position)
            if not entry.name.isascii():
                self._not_ascii.append(position)
            caps = _caps(entry.name)
            if caps:
                self._caps.setdefault(caps, []).append(position)
            words = _words(entry.name)
            if not words:
                continue
            self._by_shape.setdefault((len(words), words[0][0]), []).append(position)
            if len(words) == 1:
                self._one_word.setdefault(words[0], []).append(position)
            for acronym in _acronyms(entry.name):
                self._acronym.setdefault(acronym, []).append(position)

    def _other(self, position: int, new: Entry) -> bool:
        """Whether the entry at ``position`` is compared with ``new`` (not itself, not the
        very same name)."""
        entry = self.entries[position]
        return entry.id != new.id and entry.key != new.key

    def _first_position(self, positions: Iterable[int], new: Entry) -> int | None:
        return next((position for position in positions if self._other(position, new)), None)

    def _first(self, positions: Iterable[int], new: Entry) -> Entry | None:
        position = self._first_position(positions, new)
        return None if position is None else self.entries[position]

    def best(self, new: Entry) -> Match | None:
        """The existing entry most likely the same organisation as ``new``, and why."""
        if new.website and not is_shared_host(new.website):
            other = self._first(self._website.get(new.website, ()), new)
            if other is not None:
                different = _main_script(new.name) != _main_script(other.name)
                return Match(other.id, "translation" if different else "website")
        if not (new.name.isascii() and
                not any(self._other(position, new) for position in self._not_ascii)):
            caps = _caps(new.name)
            other = self._first(self._caps.get(caps, ()), new) if caps else None
            if other is not None:
                return Match(other.id, "look-alike")
        found = self._abbreviated(new)
        if found is not None:
            return Match(found.id, "abbreviation")
        found = self._closest(new)
        if found is not None:
            return Match(found.id, "spelling")
        if new.email and not is_webmail(new.email) and not is_shared_host(new.email):
            other = self._first(self._email.get(new.email, ()), new)
            if other is not None:
                return Match(other.id, "email-domain")
        return None

    def _abbreviated(self, new: Entry) -> Entry | None:
        """The earliest other name that abbreviates ``new``'s word by word (same number of
        words, same first letter), is its acronym (a one-word name), or has it as acronym."""
        words = _words(new.name)
        if not words:
            return None
        count = len(words)
        found: list[int] = []
        for position in self._by_shape.get((count, words[0][0]), ()):
            if self._other(position, new) and _abbreviation_of(
                    words, _words(self.entries[position].name)):
                found.append(position)
                break
        if count > 1:  # a one-word name that is an acronym of the new one
            for acronym in _acronyms(new.name):
                first = self._first_position(self._one_word.get(acronym, ()), new)
                if first is not None:
                    found.append(first)
        elif 2 <= len(words[0]) <= 10:  # a longer name whose acronym the new one is
            first = self._first_position(self._acronym.get(words[0], ()), new)
            if first is not None:
                found.append(first)
        return self.entries[min(found)] if found else None

    def _closest(self, new: Entry) -> Entry | None:
        """The nearest key within the allowed edits, numbers apart ("Group 12" is not
        "Group 13")."""
        edits = _max_edits(new.key)
        if not edits:
            return None
        numbers = _numbers(new.name)
        near = [index for _key, _distance, index in process.extract(
            new.key, self._keys, scorer=Levenshtein.distance, score_cutoff=edits, limit=None)
            if self._other(index, new)][:5]
        for index in near:
            if _numbers(self.entries[index].name) == numbers:
                return self.entries[index]
        return None


def best_match(new: Entry, candidates: Iterable[Entry] | Index) -> Match | None:
    """The existing entry most likely the same organisation as ``new``, and why; or None.
    ``candidates`` in order (the earlier wins a tie), or an :class:`Index` of them."""
    index = candidates if isinstance(candidates, Index) else Index(candidates)
    return index.best(new)


@lru_cache(maxsize=65536)
def _numbers(name: str) -> tuple[str, ...]:
    return tuple(_DIGITS.findall(search_text(name)))
