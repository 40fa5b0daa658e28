"""The order in which signatories are printed and listed.

Names are compared with the Unicode Collation Algorithm (``pyuca``, the
default DUCET table): Latin names ignore case and accents at the first level
("Émile" sorts with "Emile", before "Emilia"), Arabic names sort among
themselves in Arabic alphabetical order, after Latin ones. Withheld
signatories always come after the named ones, sorted by country name and
type only, so that their position says nothing about who they are or when
they signed; this holds for the "as-given" order too (sign-on time or a
coordinator's manual order, which is otherwise kept as the caller gives it).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pyuca

from cosign.core.countries import country_name
from cosign.core.signatory import ORG_TYPES, Signatory

__all__ = ["GROUPINGS", "ORDERS", "TYPE_ORDER", "collation_key", "group_signatories",
           "order_signatories", "sort_key"]

ORDERS = ("alphabetical", "as-given")
GROUPINGS = ("none", "country", "type")
# Groups by type: the organisation types in a fixed order, "other" last.
TYPE_ORDER = tuple(t for t in ORG_TYPES if t != "other") + ("other",)

# The sort key of a text: its UCA key (the weights, level by level), then the NFC text.
CollationKey = tuple[tuple[int, ...], str]


@lru_cache(maxsize=1)
def _collator() -> pyuca.Collator:
    return pyuca.Collator()  # loads the DUCET table (~0.3 s): on first use


@lru_cache(maxsize=65536)
def _word_elements(word: str) -> tuple[Sequence[int], ...]:
    """The collation elements of ``word``: ``(primary, secondary, tertiary)`` weights each."""
    return tuple(_collator().collation_elements(word))


def _uca_key(text: str) -> tuple[int, ...]:
    """``pyuca.Collator().sort_key(text)``, computed word by word with the words'
    collation elements cached: organisation names share most of their words. DUCET
    has no contraction across a space, so only a word starting with a combining
    mark (a space before it: ``" \u0301"``) needs the whole string at once."""
    collator = _collator()
    words = unicodedata.normalize("NFD", text).split(" ")
    key: tuple[int, ...]  # pyuca is untyped
    if any(word and unicodedata.combining(word[0]) for word in words[1:]):
        key = collator.sort_key(text)
        return key
    elements: list[Sequence[int]] = []
    for index, word in enumerate(words):
        if index:
            elements.extend(_word_elements(" "))
        if word:
            elements.extend(_word_elements(word))
    key = collator.sort_key_from_collation_elements(elements)
    return key


def collation_key(text: str) -> CollationKey:
    """The sort key of ``text``: UCA, then the NFC text itself to break ties."""
    text = unicodedata.normalize("NFC", text)
    return (_uca_key(text), text)


@lru_cache(maxsize=2048)
def _country_key(code: str, locale: str) -> CollationKey:
    return collation_key(country_name(code, locale))


def _withheld_key(signatory: Signatory, locale: str) -> tuple[CollationKey, int, str]:
    return (_country_key(signatory.country, locale), TYPE_ORDER.index(signatory.org_type)
            if signatory.org_type in TYPE_ORDER else len(TYPE_ORDER), signatory.country)


def _hex(weights: tuple[int, ...]) -> str:
    # DUCET weights are 16-bit: four hex digits each keep string order = tuple order
    return "".join(f"{min(w, 0xFFFF):04x}" for w in weights)


def sort_key(name: str, *, withheld: bool, country: str, org_type: str,
             locale: str = "en") -> str:
    """A text whose plain (binary, ``COLLATE "C"``) order is the public order of
    :func:`order_signatories` (alphabetical): named entries by UCA key then NFC
    text, then withheld ones by country name in ``locale`` and type. Stored with
    each signature, so lists are ordered without collating on every read.

    A space (below every hex digit) ends the UCA part, so a key that is a prefix
    of another sorts first, as tuples do.
    """
    if withheld:
        uca, _text = _country_key(country, locale)
        rank = TYPE_ORDER.index(org_type) if org_type in TYPE_ORDER else len(TYPE_ORDER)
        return f"1{_hex(uca)} {rank:02d}{country}"
    uca, text = collation_key(name)
    return f"0{_hex(uca)} {text}"


def order_signatories(signatories: Iterable[Signatory], order: str = "alphabetical",
                      locale: str = "en") -> list[Signatory]:
    """Named signatories (collated, or in the caller's order for ``"as-given"``),
    then the withheld ones by country name (in ``locale``) and type."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; use one of {', '.join(ORDERS)}")
    people = list(signatories)
    named = [s for s in people if not s.withheld]
    withheld = [s for s in people if s.withheld]
    if order == "alphabetical":
        named.sort(key=lambda s: (collation_key(s.name), _country_key(s.country, locale)))
    withheld.sort(key=lambda s: _withheld_key(s, locale))
    return named + withheld


def group_signatories(signatories: Iterable[Signatory], grouping: str = "none",
                      order: str = "alphabetical", locale: str = "en",
                      ) -> list[tuple[str, list[Signatory]]]:
    """``[(key, signatories), ...]`` in print order.

    ``grouping`` ``"none"`` gives one group with the key ``""``; ``"country"``
    groups by country code, the groups in collated order of their names in
    ``locale``; ``"type"`` groups by organisation type in :data:`TYPE_ORDER`.
    Each group is ordered by :func:`order_signatories`.
    """
    if grouping not in GROUPINGS:
        raise ValueError(f"unknown grouping {grouping!r}; use one of {', '.join(GROUPINGS)}")
    people = list(signatories)
    if grouping == "none":
        return [("", order_signatories(people, order, locale))] if people else []
    groups: dict[str, list[Signatory]] = {}
    for signatory in people:
        key = signatory.country if grouping == "country" else signatory.org_type
        groups.setdefault(key, []).append(signatory)
    if grouping == "country":
        keys = sorted(groups, key=lambda code: (_country_key(code, locale), code))
    else:
        keys = sorted(groups, key=lambda t: (TYPE_ORDER.index(t) if t in TYPE_ORDER
                                             else len(TYPE_ORDER), t))
    return [(key, order_signatories(groups[key], order, locale)) for key in keys]
