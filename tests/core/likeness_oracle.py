"""The linear best_match that cosign.core.likeness.Index replaced, kept as the oracle its
property test compares with (same rules, one pass over every candidate per reason)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cosign.core.domain import is_shared_host, is_webmail
from cosign.core.likeness import (
    Entry,
    Match,
    _abbreviation_of,
    _acronyms,
    _caps,
    _main_script,
    _max_edits,
    _numbers,
    _words,
)


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


def linear_best_match(new: Entry, candidates: Iterable[Entry]) -> Match | None:
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
