"""The public list of a statement as an immutable snapshot, kept in memory between requests.

A :class:`Listing` is everything the public may see of a statement's approved
signatories (never flagged ones, never contact data: a name, or None when the
organisation asked to be withheld, country, type, city, website, kind and
signed version), in the public order of the stored collation keys
(:func:`cosign.signatories.public_order`), with what the readers need
prebuilt: pages, the initials strip and country counts of the statement page,
a search over folded names, and, made on first use, the public CSV files and
the API's JSON of the list.

Snapshots are keyed by ``(statement id, listing_version)``.
``Statement.listing_version`` is bumped in the same transaction as every
change of the public list (:func:`cosign.dispatch.listing_changed`), so a
reader that sees a change also sees the new version and finds no snapshot for
it: a snapshot is never stale once the commit that changed the list is
visible. A request reads the version from the statement row it has loaded
anyway and gets the snapshot from memory; only a new version costs one query
(:func:`build`), which only reads (a public GET request's transaction is
deferred, so on SQLite it never takes the write lock). The query reads the
version together with the list, so a snapshot is filed under the version its
data really has, even when a commit lands between loading the statement row
and building.

The :class:`Cache` is per process: every web worker keeps its own few
snapshots (LRU, :data:`CACHE_SIZE` of them) and nothing is shared or
invalidated across processes or hosts; the version in the database is the
only coordination. The web layer keeps one cache per application
(:func:`cache_in`), so two applications in one process (tests) never share
snapshots of different databases. (A database swapped under running
processes, e.g. restored from a backup, needs them restarted.) A transaction
that has changed the list itself and not yet committed gets a snapshot of
its own, never kept.

Printed = signed: the list of text version N (``entries``, ``total``, pages, search,
the API's ``signatory_count``) holds only the approved signatories whose signature is
bound to version N (``Signature.revision``, the version they signed or re-confirmed).
Those approved for an earlier version who have not re-confirmed are kept apart in
``earlier`` (one :class:`Earlier` group per version, with that version's SHA-256),
or left out altogether when the coordinators chose so (``Statement.earlier_signers``
``'omit'``); they are never counted as signatories of version N.

What readers derive from one version of the list (a rendered page of names,
the API's answer) can be kept with the snapshot too (:meth:`Listing.memo`),
so it dies with the version it was made from.
"""
from __future__ import annotations

import bisect
import csv
import io
import json
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from cosign.core.countries import country_choices, country_name
from cosign.core.names import DIGIT_INITIAL, csv_safe, initial, search_text
from cosign.core.paging import Page
from cosign.dispatch import LISTING as LISTING_CHANGED
from cosign.models import Revision, Signature, Statement
from cosign.signatories import public_order

__all__ = ["API_CSV_COLUMNS", "CACHE_SIZE", "Cache", "EXPORT_COLUMNS", "Earlier", "Entry",
           "Listing",
           "PER_PAGE", "WITHHELD", "build", "cache_in"]

PER_PAGE = 100
CACHE_SIZE = 16
MAX_QUERY = 200  # characters of a search
MEMO_SIZE = 64  # answers kept with each snapshot (see Listing.memo)
API_CSV_COLUMNS = ("name", "country", "country_code", "city", "type", "website", "signed_version")
EXPORT_COLUMNS = ("name", "country", "country_code", "city", "type", "signed_version")
WITHHELD = "An organisation in {country} (name withheld)"
_JSON_HTML_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))
_REGISTRY_KEY = "cosign.listing"


@dataclass(frozen=True, slots=True)
class Entry:
    """One approved signatory as anyone may see it. No contact data, ever."""

    name: str | None  # None when the organisation asked to be withheld
    country: str
    org_type: str
    city: str  # "" when withheld
    website: str  # "" when withheld
    kind: str
    revision: int

    @property
    def withheld(self) -> bool:
        return self.name is None


@dataclass(frozen=True, slots=True)
class Earlier:
    """The approved signatories bound to an earlier text ``version`` (SHA-256 ``sha256``)
    who have not re-confirmed the current one: printed apart, never counted."""

    version: int
    sha256: str
    entries: tuple[Entry, ...]

    @property
    def total(self) -> int:
        return len(self.entries)


@lru_cache(maxsize=32768)
def _name_index(name: str) -> tuple[str | None, str]:
    """(initial, folded text) of a name: the same names come back in every new version."""
    return initial(name), search_text(name)


def _letters_in_order(first_direct: dict[str, int], first_any: dict[str, int]) -> list[str]:
    """The initials in collation order, without collating: the list is in collation order,
    so a name that begins with its initial (no punctuation before it) places that letter,
    the digits first. A letter found only after punctuation ("(Kurdish) ...") goes before
    the first placed letter with a higher code point."""
    placed = sorted(first_direct, key=first_direct.__getitem__)
    for letter in sorted(set(first_any) - set(first_direct)):
        at = next((i for i, other in enumerate(placed)
                   if other != DIGIT_INITIAL and other > letter), len(placed))
        placed.insert(at, letter)
    return placed


class Listing:
    """The public list of one statement at one ``version``; immutable, shared by threads."""

    def __init__(self, statement_id: int, version: int, entries: Sequence[Entry], *,
                 revision: int | None = None, sha256: str = "",
                 earlier: Sequence[Earlier] = ()) -> None:
        """``entries``: the signatories of text version ``revision`` (SHA-256 ``sha256``);
        ``earlier``: those of earlier versions shown apart (newest version first)."""
        self.statement_id = statement_id
        self.version = version
        self.revision = revision
        self.sha256 = sha256
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.earlier: tuple[Earlier, ...] = tuple(earlier)
        # the printed order: the list of this version, then each earlier section
        self.printed: tuple[Entry, ...] = self.entries + tuple(
            e for group in self.earlier for e in group.entries)
        by_letter: dict[str, list[int]] = {}
        by_country: dict[str, list[int]] = {}
        first_direct: dict[str, int] = {}  # first name that begins with the letter itself
        texts: list[str] = []
        self._starts: list[int] = []  # offset of each named entry's text in the haystack
        self._owners: list[int] = []  # its index in entries
        offset = 0
        for index, entry in enumerate(self.entries):
            by_country.setdefault(entry.country, []).append(index)
            if entry.name is None:
                continue  # a withheld name is never indexed or searched
            letter, text = _name_index(entry.name)
            if letter:
                by_letter.setdefault(letter, []).append(index)
                if letter not in first_direct and unicodedata.category(entry.name[0])[0] in "LN":
                    first_direct[letter] = index
            self._starts.append(offset)
            self._owners.append(index)
            texts.append(text)
            offset += len(text) + 1
        # one string, names separated by "\n" (never in a folded query): a search is str.find
        self._haystack = "\n".join(texts)
        self._by_letter = {k: tuple(v) for k, v in by_letter.items()}
        self._by_country = {k: tuple(v) for k, v in by_country.items()}
        self.letters: tuple[tuple[str, int], ...] = tuple(
            (letter, len(self._by_letter[letter])) for letter in _letters_in_order(
                first_direct, {k: v[0] for k, v in self._by_letter.items()}))
        self.country_counts: dict[str, int] = {k: len(v) for k, v in self._by_country.items()}
        self._lock = threading.Lock()
        self._made: dict[Any, Any] = {}
        self._memo: OrderedDict[Any, Any] = OrderedDict()

    @property
    def total(self) -> int:
        """Signatories of the current text version: the only ones counted."""
        return len(self.entries)

    @property
    def earlier_total(self) -> int:
        """Shown apart as signatories of an earlier version (0 when left out)."""
        return len(self.printed) - len(self.entries)

    def sections(self, start: int, stop: int) -> list[tuple[Earlier | None, int, list[Entry]]]:
        """The printed entries ``start:stop`` cut where a section begins: ``(the earlier
        group, or None for the current list; number of the first in its section; entries)``."""
        cuts: list[tuple[Earlier | None, int]] = [(None, 0)]
        offset = len(self.entries)
        for earlier in self.earlier:
            cuts.append((earlier, offset))
            offset += earlier.total
        out: list[tuple[Earlier | None, int, list[Entry]]] = []
        for index, (group, begin) in enumerate(cuts):
            end = cuts[index + 1][1] if index + 1 < len(cuts) else len(self.printed)
            low, high = max(start, begin), min(stop, end)
            if low < high:
                out.append((group, low - begin + 1, list(self.printed[low:high])))
        return out

    @property
    def key(self) -> tuple[int, int]:
        return (self.statement_id, self.version)

    # --- the statement page --------------------------------------------------------------

    def find(self, query: str = "", letter: str = "", country: str = "") -> Sequence[int]:
        """Indexes (in list order) of the entries matching every filter given: ``query`` a
        case- and accent-insensitive substring of the name, ``letter`` the initial
        (:func:`cosign.core.names.initial`), ``country`` a code. Withheld entries
        match no query and no letter. Unknown values match nothing."""
        found: Sequence[int] | None = None
        if letter:
            found = self._by_letter.get(letter, ())
        if country:
            in_country = self._by_country.get(country, ())
            found = in_country if found is None else _intersect(found, in_country)
        folded = search_text(query)[:MAX_QUERY] if query else ""
        if folded:
            hits = self._search(folded)
            found = hits if found is None else _intersect(found, hits)
        return range(len(self.entries)) if found is None else found

    def _search(self, folded: str) -> list[int]:
        haystack, starts, owners = self._haystack, self._starts, self._owners
        hits: list[int] = []
        position = haystack.find(folded)
        while position != -1:
            segment = bisect.bisect_right(starts, position) - 1
            hits.append(owners[segment])
            following = segment + 1
            if following == len(starts):
                break
            position = haystack.find(folded, starts[following])
        return hits

    def page(self, number: int, per_page: int = PER_PAGE, *, query: str = "", letter: str = "",
             country: str = "") -> Page[Entry]:
        """Page ``number`` (from 1) of the entries matching the filters (see :meth:`find`);
        a number past the last page gives an empty page."""
        found = self.find(query, letter, country)
        start = (number - 1) * per_page
        items = [self.entries[i] for i in found[start:start + per_page]] if start >= 0 else []
        return Page(items=items, total=len(found), page=number, per_page=per_page)

    def has_letter(self, letter: str) -> bool:
        return letter in self._by_letter

    def countries(self, locale: str) -> tuple[tuple[str, str, int], ...]:
        """``(code, name in locale, count)`` of the countries present, in the order of the
        sign-on form's country choices (by name in ``locale``)."""
        key = ("countries", locale)
        made = self._made.get(key)
        if made is None:
            counts = self.country_counts
            listed = [(code, name, counts[code]) for code, name in country_choices(locale)
                      if code in counts]
            known = {code for code, _name, _n in listed}
            made = tuple(listed + [(code, country_name(code, locale), counts[code])
                                   for code in sorted(counts) if code not in known])
            self._made[key] = made  # a race makes the same tuple twice: harmless
        return made

    # --- made on first use: files, the API's JSON, what readers derive from this version -------

    def memo(self, key: Any, make) -> Any:
        """What ``make()`` returns, kept with this snapshot under ``key`` (the last
        :data:`MEMO_SIZE` keys): for answers that are a function of this version of the
        list and of ``key`` alone (a rendered page of the list in one language, the
        API's answer for one state of the statement)."""
        with self._lock:
            found = self._memo.get(key)
            if found is not None:
                self._memo.move_to_end(key)
                return found
        made = make()  # outside the lock: two readers may make it once each, never wrongly
        with self._lock:
            self._memo[key] = made
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return made

    def _once(self, key: str, make) -> Any:
        made = self._made.get(key)
        if made is None:
            with self._lock:
                made = self._made.get(key)
                if made is None:
                    made = make()
                    self._made[key] = made
        return made

    def api_csv(self) -> bytes:
        """The API's CSV (UTF-8, header row, no BOM); spreadsheet formulas neutralised;
        made once per snapshot."""
        return self._once("api_csv", lambda: _csv([API_CSV_COLUMNS, *(
            [csv_safe(v) for v in (name, country, code, e.city, e.org_type, e.website,
                                   str(e.revision))]
            for e, name, country, code in self._named_rows())]).encode("utf-8"))

    def export_rows(self) -> list[tuple[str, ...]]:
        """The public export (:data:`EXPORT_COLUMNS`, header first), cells made safe. Made
        from the snapshot on each call (no query; not kept: coordinators download it
        now and then, the public API's files are kept)."""
        return [EXPORT_COLUMNS] + [
            tuple(csv_safe(v) for v in (name, country, code, e.city, e.org_type, str(e.revision)))
            for e, name, country, code in self._named_rows()]

    def export_csv(self) -> str:
        """The public export as CSV text, with a BOM (spreadsheets then read UTF-8)."""
        return "\ufeff" + _csv(self.export_rows())

    def api_items(self) -> list[dict]:
        """The API's list of signatories, JSON-ready: those of the current version, then
        those shown apart for an earlier one; each with the version it signed."""
        return [_api_item(e) for e in self.printed]

    def api_earlier(self) -> list[dict]:
        """The earlier versions shown apart: version, its text's SHA-256 and the count."""
        return [{"version": g.version, "text_sha256": g.sha256, "signatory_count": g.total}
                for g in self.earlier]

    def api_json(self) -> bytes:
        """:meth:`api_items` as JSON (UTF-8) with ``< > &`` escaped (safe inside HTML);
        made once per snapshot."""
        def make() -> bytes:
            text = json.dumps(self.api_items(), ensure_ascii=False, separators=(",", ":"),
                              sort_keys=True)
            for char, escaped in _JSON_HTML_ESCAPES:
                text = text.replace(char, escaped)
            return text.encode("utf-8")
        return self._once("api_json", make)

    def _named_rows(self) -> Iterator[tuple[Entry, str, str, str]]:
        for e in self.printed:
            country = country_name(e.country)
            name = e.name if e.name is not None else WITHHELD.format(country=country)  # withheld
            yield e, name, country, e.country


def _intersect(first: Sequence[int], second: Sequence[int]) -> list[int]:
    small, large = (first, second) if len(first) <= len(second) else (second, first)
    keep = set(small)
    return [i for i in large if i in keep]


def _csv(rows) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _api_item(e: Entry) -> dict:
    if e.withheld:
        return {"withheld": True, "country": e.country, "type": e.org_type,
                "signed_version": e.revision}
    return {"name": e.name, "country": e.country, "type": e.org_type, "city": e.city,
            "website": e.website, "signed_version": e.revision}


def build(session: Session, statement_id: int) -> Listing:
    """The statement's public list as it is in the database now, in one query (a read; run
    as a plain statement on the session's connection: rows, no ORM work)."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # as the ORM's autoflush would (a plain statement does not flush)
    approved = and_(Signature.statement_id == Statement.id, Signature.status == "approved",
                    Signature.flagged.is_(False))
    rows = session.connection().execute(
        select(Statement.listing_version, Statement.signed_revision, Statement.signed_sha256,
               Statement.earlier_signers, Signature.id, Signature.public_name, Signature.display,
               Signature.country, Signature.org_type, Signature.city, Signature.website,
               Signature.kind, Signature.revision)
        .select_from(Statement).outerjoin(Signature, approved)
        .where(Statement.id == statement_id)
        .order_by(*public_order())
    ).all()
    if not rows:
        return Listing(statement_id, 0, [])
    version, signed, sha256, policy = rows[0][:4]  # the signed text version and its hash
    entries = [
        Entry(name=None, country=country, org_type=org_type, city="", website="", kind=kind,
              revision=revision)
        if display == "withheld" else
        Entry(name=name, country=country, org_type=org_type, city=city or "",
              website=website or "", kind=kind, revision=revision)
        for _v, _r, _h, _p, sid, name, display, country, org_type, city, website, kind,
        revision in rows
        if sid is not None
    ]
    if signed is None:  # a draft: nothing is bound to a signed text yet
        return Listing(statement_id, version, entries)
    current = [e for e in entries if e.revision == signed]
    earlier: list[Earlier] = []
    if policy != "omit" and len(current) < len(entries):
        by_version: dict[int, list[Entry]] = {}
        for e in entries:
            if e.revision != signed:
                by_version.setdefault(e.revision, []).append(e)
        hashes = dict(session.connection().execute(
            select(Revision.number, Revision.sha256).where(
                Revision.statement_id == statement_id,
                Revision.number.in_(sorted(by_version)))).all())
        earlier = [Earlier(number, hashes.get(number) or "", tuple(by_version[number]))
                   for number in sorted(by_version, reverse=True)]
    return Listing(statement_id, version, current, revision=signed, sha256=sha256 or "",
                   earlier=earlier)


class Versioned(Protocol):
    """A statement as far as its list's snapshot is concerned (a :class:`Statement`, or
    the columns read by :func:`cosign.catalogue.published_state`)."""

    id: int
    listing_version: int


class Cache:
    """Snapshots by ``(statement id, version)``, the last :attr:`size` used, in this process."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._listings: OrderedDict[tuple[int, int], Listing] = OrderedDict()
        self._building: dict[int, threading.Lock] = {}

    def get(self, session: Session, statement: Versioned) -> Listing:
        """The snapshot for the statement's ``listing_version`` as loaded in ``session``;
        built with one query when this process has none. (If a commit lands between
        loading the row and building, the snapshot is the newer list, filed under
        its own version.)"""
        if statement.id in session.info.get(LISTING_CHANGED, ()):
            return build(session, statement.id)  # changed in this transaction: not for others
        key = (statement.id, statement.listing_version)
        found = self._hit(key)
        if found is not None:
            return found
        with self._lock:
            building = self._building.setdefault(statement.id, threading.Lock())
        with building:  # one build per statement at a time; the others wait, then read it
            found = self._hit(key)
            if found is None:
                found = build(session, statement.id)
                self._keep(found)
        return found

    def _hit(self, key: tuple[int, int]) -> Listing | None:
        with self._lock:
            found = self._listings.get(key)
            if found is not None:
                self._listings.move_to_end(key)
            return found

    def _keep(self, listing: Listing) -> None:
        with self._lock:
            # earlier versions are wanted only by transactions that began before the change
            for key in [k for k in self._listings
                        if k[0] == listing.statement_id and k[1] < listing.version]:
                del self._listings[key]
            self._listings[listing.key] = listing
            self._listings.move_to_end(listing.key)
            while len(self._listings) > self.size:
                (dropped, _version), _listing = self._listings.popitem(last=False)
                if not any(k[0] == dropped for k in self._listings):
                    self._building.pop(dropped, None)

    def clear(self) -> None:
        with self._lock:
            self._listings.clear()


def cache_in(registry: MutableMapping[str, Any]) -> Cache:
    """The cache kept in ``registry`` (a Flask application's ``extensions``), made on first use."""
    cache = registry.get(_REGISTRY_KEY)
    if cache is None:
        cache = registry.setdefault(_REGISTRY_KEY, Cache())
    return cache
