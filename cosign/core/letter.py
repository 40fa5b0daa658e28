"""Reading an existing letter: a draft statement proposed from pasted or converted text.

Coalitions rarely start from an empty page: the text exists in a Word file, an e-mail or
on a web page, often ending with the organisations that have agreed. :func:`propose`
turns such a text into a :class:`Proposal` for the coordinator to review, and never
decides anything itself:

* the **title** (a line announcing a statement, else the first short line), the **date**
  (a date standing on its own line, at the top or the end) and the **body** as Markdown,
  paragraphs, headings and lists kept;
* the **signatories**, only when the text ends with a list of organisations: bulleted or
  numbered lines, or one name a line after "We, the undersigned" or "Signatories". A
  text with no such list gets none: a report about a statement is not a list of its
  signatories;
* what was **dropped**, each line with the reason: leftovers of a web page ("Skip to main
  content", "Log in", share buttons, "Contact us" and the addresses after the end),
  link marks (``[text](#)`` keeps its text);
* what looks **damaged**, as :class:`Flag`: a name cut off at the end of the text, a
  phrase repeated by a copy-and-paste accident, a stray letter doubled.

Pure Python: no Flask, no database, no network.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Dropped", "Flag", "Listed", "Proposal", "listed", "propose", "script_language"]

MAX_TITLE = 200
MAX_NAME = 150


@dataclass(frozen=True)
class Dropped:
    """A line (or mark) left out of the draft, and why."""

    text: str
    reason: str  # "web page", "link mark", "after the end", "date"


@dataclass(frozen=True)
class Flag:
    """Something that looks damaged, for the coordinator to check."""

    # "cut-off", "repeated" (a phrase), "repeated-name", "doubled-letter", "possible-signer"
    kind: str
    text: str  # the words concerned
    message: str


@dataclass(frozen=True)
class Proposal:
    title: str
    date: dt.date | None
    body: str  # Markdown
    signatories: tuple[str, ...] = ()
    dropped: tuple[Dropped, ...] = ()
    flags: tuple[Flag, ...] = ()
    list_heading: str = ""  # the line that introduced the list ("We, the undersigned"), if any


# --- web-page leftovers -------------------------------------------------------------------

_DEBRIS = re.compile(
    r"^(?:skip to (?:main )?content|skip navigation|jump to (?:navigation|content)|"
    r"log ?in|log ?out|sign ?in|sign ?up|register|my account|menu|main menu|search|"
    r"search for:?|home|back to top|print(?: this page)?|e-?mail(?: this)?|share|share this|"
    r"share (?:on|via) \w+|tweet|facebook|twitter|x|linkedin|whatsapp|telegram|"
    r"(?:accept|reject)(?: all)? cookies|cookie (?:settings|policy)|we use cookies.*|"
    r"subscribe(?: to (?:our )?newsletter)?|read more|continue reading|related (?:posts|"
    r"articles|news)|you may also like|leave a (?:comment|reply)|\d+ comments?|"
    r"posted (?:in|by) .{0,80}|tags?:.{0,200}|categor(?:y|ies):.{0,200}|"
    r"previous (?:post|article)|next (?:post|article)|"
    r"(?:copyright|©).{0,120}|all rights reserved\.?|powered by .{0,60}|"
    r"privacy policy|terms (?:of use|and conditions)|donate(?: now)?|"
    r"https?://\S+|www\.\S+)$", re.IGNORECASE)
# after these, nothing belongs to the letter (a site's contact block, a footer)
_END = re.compile(r"^(?:contact us|contact|get in touch|our address(?:es)?|the main address|"
                  r"follow us(?: on .*)?|footer|about us|newsletter|useful links|"
                  r"اتصل بنا|تواصل معنا)\s*:?$", re.IGNORECASE)
_LINK = re.compile(r"\[([^\]\n]{1,300})\]\((?:#|javascript:[^)]*|)\)")

# --- the list -----------------------------------------------------------------------------

_DEMANDS = re.compile(r"\b(?:demands?|calls?|urges?|asks?|requests?|recommendations?|"
                      r"we call|exigeons|demandons|revendications|مطالب|نطالب|ندعو)\b",
                      re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣●○■□–—]|\(?\d{1,4}[.)])\s+(.+)$")
_TRIGGER = re.compile(
    r"^(?:we,? the undersigned(?: organi[sz]ations?)?|the undersigned(?: organi[sz]ations?)?|"
    r"signed(?: by)?|signatories|signatory organi[sz]ations|undersigned organi[sz]ations|"
    r"co-?signed(?: by)?|list of signatories|endorsed by|supported by|"
    r"الموقعون|الموقّعون|المنظمات الموقعة|الجهات الموقعة|signataires|"
    r"organisations signataires)\b",
    re.IGNORECASE)

# --- dates ----------------------------------------------------------------------------------

_MONTHS = {name: number for number, names in enumerate([
    ("january", "jan", "janvier"), ("february", "feb", "février", "fevrier"),
    ("march", "mar", "mars"), ("april", "apr", "avril"), ("may", "mai"),
    ("june", "jun", "juin"), ("july", "jul", "juillet"), ("august", "aug", "août", "aout"),
    ("september", "sep", "sept", "septembre"), ("october", "oct", "octobre"),
    ("november", "nov", "novembre"), ("december", "dec", "décembre", "decembre")], 1)
    for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
# each pattern with the (year, month, day) of its match
_DATE_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], tuple[int, int, int]]]] = [
    (re.compile(r"(\d{1,2})(?:st|nd|rd|th|er)?\.?\s+(" + _MONTH + r")\.?,?\s+(\d{4})", re.I),
     lambda m: (int(m[3]), _MONTHS[m[2].lower()], int(m[1]))),
    (re.compile(r"(" + _MONTH + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.I),
     lambda m: (int(m[3]), _MONTHS[m[1].lower()], int(m[2]))),
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), lambda m: (int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})"),  # day first, as outside the US
     lambda m: (int(m[3]), int(m[2]), int(m[1]))),
]
_DATE_LABEL = re.compile(r"^(?:date|dated|le|تاريخ|التاريخ)\s*:?\s*", re.IGNORECASE)


def _parse_date(line: str) -> dt.date | None:
    """The date a line consists of (with at most a label and a place): else None."""
    text = _DATE_LABEL.sub("", line.strip()).strip(" .,")
    if len(text) > 40:
        return None
    for pattern, parts in _DATE_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        rest = (text[:match.start()] + text[match.end():]).strip(" ,.-–")
        if len(rest.split()) > 3:  # "London, 1 March 2021" is a date line; a sentence is not
            return None
        try:
            return dt.date(*parts(match))
        except ValueError:
            return None
    return None


# --- the proposal ---------------------------------------------------------------------------


@dataclass
class _Lines:
    lines: list[str]
    dropped: list[Dropped] = field(default_factory=list)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\ufeff", "")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc",))


def _strip_debris(lines: list[str]) -> _Lines:
    out = _Lines([])
    ended = False
    for line in lines:
        stripped = line.strip()
        if ended:
            if stripped:
                out.dropped.append(Dropped(stripped, "after the end"))
            continue
        if _END.match(stripped):
            ended = True
            out.dropped.append(Dropped(stripped, "after the end"))
            continue
        if stripped and _DEBRIS.match(stripped):
            out.dropped.append(Dropped(stripped, "web page"))
            continue
        def unlink(match: re.Match[str]) -> str:
            out.dropped.append(Dropped(match[0], "link mark"))
            return match[1]
        out.lines.append(_LINK.sub(unlink, line.rstrip()))
    return out


def _looks_like_name(text: str) -> bool:
    """Shaped like an organisation's name: short, not a sentence."""
    words = text.split()
    if not words or len(text) > MAX_NAME or len(words) > 16 \
            or not any(c.isalpha() for c in text):
        return False
    return not (text[-1] in ".;!?" and not _ABBREVIATION_END.search(text))


_ABBREVIATION_END = re.compile(r"\b(?:Inc|Ltd|Co|e\.V|asbl|a\.s\.b\.l|Assn|Org)\.$")
_SMALL_WORDS = {"of", "for", "the", "and", "in", "on", "at", "to", "a", "an", "de", "la", "le",
                "les", "du", "des", "et", "pour", "al", "el", "für", "und", "der", "die", "das",
                "y", "del", "di", "e", "&"}


def _proper(text: str) -> bool:
    """Most of its words capitalised (a proper name), or in a script without case."""
    words = [w.strip("()[]{}\"“”'’‘,«»") for w in text.split()]
    content = [w for w in words if w and w[0].isalpha() and w.lower() not in _SMALL_WORDS]
    if not content:
        return False
    cased = [w for w in content if not w[0].islower()]
    return len(cased) / len(content) > 0.5


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines."""
    blocks, current = [], []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _is_trigger(line: str) -> bool:
    """A line that introduces a list of signatories ("We, the undersigned:")."""
    line = line.strip()
    return bool(_TRIGGER.match(line)) and (line.endswith(":") or len(line.split()) <= 8)


def _bulleted_names(block: list[str]) -> list[str] | None:
    """The items of a bulleted or numbered block, if they are names: none a sentence, and
    three in four or more proper names (a list typed in a hurry has a lower-case one)."""
    items = []
    for line in block:
        match = _BULLET.match(line.strip())
        if match is None:
            return None
        items.append(match[1].strip())
    if all(_looks_like_name(item) for item in items) \
            and sum(map(_proper, items)) >= 0.75 * len(items):
        return items
    return None


def _plain_names(block: list[str], *, introduced: bool = False) -> list[str] | None:
    """Plain lines, one name each: after a line such as "Signatories:" any name-shaped
    line; otherwise only proper names."""
    lines = [line.strip() for line in block]
    if all(_looks_like_name(line) and (introduced or _proper(line)) for line in lines):
        return lines
    return None


def _signatory_list(blocks: list[list[str]]) -> tuple[int, list[str], str, bool]:
    """The list the text ends with: ``(index of its first block, names, the line that
    introduced it, whether a last name stood apart after the bulleted list)``; no names
    when the text does not end with a list. Bulleted or numbered lines make a list by
    themselves; plain lines, one name each, only after a line such as "Signatories:"."""
    end = len(blocks)
    names: list[str] = []
    apart = False
    # a name or two on their own after a bulleted list (often cut off in copies)
    if end >= 2 and len(blocks[-1]) <= 2 and _plain_names(blocks[-1]) \
            and _bulleted_names(blocks[-2]) and not _is_trigger(blocks[-1][0]):
        names = _plain_names(blocks[-1]) or []
        end -= 1
        apart = True
    start = end
    while start > 0 and (found := _bulleted_names(blocks[start - 1])) is not None:
        names = found + names
        start -= 1
    intro = blocks[start - 1][-1].strip() if 0 < start < end else ""
    if intro and _DEMANDS.search(intro) and intro[-1] not in ".!?" and not _is_trigger(intro):
        return len(blocks), [], "", False  # "We demand:", "Our demands": not signatories
    if start < end:  # a bulleted list: with the line that introduced it, if any
        heading = ""
        if start > 0 and len(blocks[start - 1]) == 1 and _is_trigger(blocks[start - 1][0]):
            start -= 1
            heading = blocks[start][0].strip()
        elif start > 0 and _is_trigger(blocks[start - 1][-1]):
            heading = blocks[start - 1][-1].strip()
        return start, names, heading, apart
    if apart:  # no bulleted list after all
        return len(blocks), [], "", False
    last = blocks[-1] if blocks else []
    if len(last) >= 3 and _is_trigger(last[0]) and _plain_names(last[1:], introduced=True):
        return len(blocks) - 1, [line.strip() for line in last[1:]], last[0].strip(), False
    if len(blocks) >= 2 and len(last) >= 2 and _plain_names(last, introduced=True) \
            and _is_trigger(blocks[-2][-1]):
        index = len(blocks) - 2 if len(blocks[-2]) == 1 else len(blocks) - 1
        return index, [line.strip() for line in last], blocks[-2][-1].strip(), False
    return len(blocks), [], "", False


def _markdown(blocks: list[list[str]]) -> str:
    paragraphs = []
    for block in blocks:
        stripped = [line.strip() for line in block]
        bulleted = [m for m in (_BULLET.match(line) for line in stripped) if m is not None]
        if len(bulleted) == len(stripped):  # every line a list item
            numbered = all(re.match(r"^\(?\d", line) for line in stripped)
            paragraphs.append("\n".join(
                (f"{n}. " if numbered else "- ") + m[1].strip()
                for n, m in enumerate(bulleted, 1)))
        elif stripped[0].startswith("#"):
            paragraphs.append("\n".join(stripped))
        elif len(stripped) == 1 and _is_heading(stripped[0]):
            paragraphs.append("## " + stripped[0])
        else:
            paragraphs.append(" ".join(stripped))
    return "\n\n".join(paragraphs) + ("\n" if paragraphs else "")


def _is_heading(line: str) -> bool:
    words = line.split()
    return (0 < len(words) <= 10 and line[-1] not in ".,;:!?\"”’)" and line[0].isupper()
            and not _TRIGGER.match(line))


def _title(blocks: list[list[str]]) -> tuple[str, int | None]:
    """The title and the index of its block (None: no line could be one)."""
    for index, block in enumerate(blocks[:6]):
        line = block[0].strip()
        if len(block) == 1 and re.match(r"^(?:joint |public |open )?(?:statement|letter|"
                                         r"declaration|appeal|call)\b", line, re.I) \
                and len(line) <= MAX_TITLE:
            return line, index
    for index, block in enumerate(blocks[:3]):
        line = block[0].strip()
        if len(block) == 1 and len(line) <= MAX_TITLE and len(line.split()) >= 3:
            return line, index
    return "", None


def _repetitions(body: str) -> list[Flag]:
    """Phrases repeated by accident: six words or more said twice in a row, and a lone
    letter doubling the start of the next word ("injured d by")."""
    flags = []
    words = re.findall(r"\S+", body)
    seen_at: dict[tuple[str, ...], int] = {}
    size = 6
    reported_until = -1
    for position in range(len(words) - size + 1):
        key = tuple(w.lower().strip(".,;:!?\"“”'’()") for w in words[position:position + size])
        earlier = seen_at.get(key)
        if earlier is not None and position - earlier <= 3 * size and position > reported_until:
            phrase = " ".join(words[position:position + size])
            flags.append(Flag("repeated", phrase, "This phrase appears twice in a row: a "
                                                  "copy-and-paste accident?"))
            reported_until = position + size
        seen_at.setdefault(key, position)
    for match in re.finditer(r"\b(\w{3,}) (\w) (\w+)", body):
        before, letter, after = match.groups()
        if letter.isalpha() and letter.islower() and letter not in ("a", "i", "y", "o", "à",
                                                                     "é", "e", "u", "و") \
                and (before.lower().endswith(letter.lower())
                     or after.lower().startswith(letter.lower())):
            flags.append(Flag("doubled-letter", match[0],
                              f"A stray “{letter}” here: a typing or copying slip?"))
    return flags


def _cut_off(name: str, apart: bool, others: list[str]) -> Flag | None:
    """Whether the list's last name looks cut off mid-word."""
    last = name.split()[-1]
    opened = name.count("(") > name.count(")") or name.count("“") > name.count("”")
    short_tail = len(last) <= 2 and last[0].isupper() and last not in ("UK", "US", "EU", "UN")
    if opened or name.endswith(("-", "–", ",", "&")) or short_tail or (
            apart and others and len(name) < 0.5 * max(len(o) for o in others)):
        return Flag("cut-off", name, "The list's last name looks cut off: check it against "
                                     "the original before importing it.")
    return None


def propose(text: str) -> Proposal:
    """A draft proposed from ``text`` (plain text, or what a ``.docx`` converts to)."""
    raw = _clean(text).split("\n")
    cleaned = _strip_debris(raw)
    dropped = list(cleaned.dropped)
    blocks = _blocks(cleaned.lines)

    date = None
    for position in ([0, 1] if len(blocks) > 1 else [0]) + [-1, -2]:
        if -len(blocks) <= position < len(blocks) and len(blocks[position]) == 1:
            found = _parse_date(blocks[position][0])
            if found is not None:
                date = found
                dropped.append(Dropped(blocks[position][0].strip(), "date"))
                del blocks[position]
                break

    start, names, heading, apart = _signatory_list(blocks)
    flags: list[Flag] = []
    if names:
        body_blocks = blocks[:start]
        cut = _cut_off(names[-1], apart, names[:-1])
        if cut is not None:
            flags.append(cut)
    else:
        body_blocks = blocks
        last = blocks[-1][0].strip() if blocks and len(blocks[-1]) == 1 else ""
        if last and _looks_like_name(last) and _proper(last) and len(blocks) > 2:
            flags.append(Flag("possible-signer", last,
                              "The text ends with a name but no list of signatories: add it "
                              "as a signatory yourself if it signs."))

    title, title_index = _title(body_blocks)
    if title_index is not None:
        del body_blocks[title_index]
    seen: set[str] = set()
    unique = []
    for name in names:
        key = " ".join(name.casefold().split())
        if key not in seen:
            seen.add(key)
            unique.append(name)
        else:
            flags.append(Flag("repeated-name", name,
                              "This name is listed twice; it is proposed once."))
    body = _markdown(body_blocks)
    flags[:0] = _repetitions(body)
    return Proposal(title=title, date=date, body=body, signatories=tuple(unique),
                    dropped=tuple(dropped), flags=tuple(flags), list_heading=heading)


# --- the coordinator's list, after the preview ----------------------------------------------

_COUNTRY_SUFFIX = re.compile(r"^(.*\S)\s*\|\s*([A-Za-z]{2})\s*$")


@dataclass(frozen=True)
class Listed:
    """One line of the signatories as the coordinator left them on the preview."""

    line: int  # its number in the box, for messages
    name: str
    country: str  # upper-case ISO code given after "|" on the line; "": the list's country


def listed(text: str) -> list[Listed]:
    """The non-empty lines of ``text``, one organisation each. A line may end with ``| IQ``
    (a country code); bullets and numbers pasted back are dropped, and lines without a
    letter or digit are skipped."""
    out = []
    for number, raw in enumerate(_clean(text).split("\n"), 1):
        line = raw.strip()
        bullet = _BULLET.match(line)
        if bullet:
            line = bullet[1].strip()
        if not any(c.isalnum() for c in line):  # empty, or a bullet left alone
            continue
        suffix = _COUNTRY_SUFFIX.match(line)
        if suffix:
            out.append(Listed(number, suffix[1].strip(), suffix[2].upper()))
        else:
            out.append(Listed(number, line, ""))
    return out


def script_language(text: str) -> str:
    """"ar" when most letters of ``text`` are Arabic, else "" (nothing to say)."""
    letters = [c for c in text if c.isalpha()]
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f")
    return "ar" if letters and arabic * 2 > len(letters) else ""
