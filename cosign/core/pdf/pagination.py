"""Planning the pages of the signatory list before WeasyPrint lays them out.

WeasyPrint's multi-column layout costs more per page the longer the document
(see NOTES.md), so long lists are laid out in page-sized chunks, in parallel
worker processes, and joined. For the joined PDF to be the one a single
render would give, every page break is decided here, the way WeasyPrint
decides it:

* :func:`measure` gives each list item's height with WeasyPrint's own line
  breaking (``split_first_line``) and its line-box rule (text box and strut,
  ``line-height`` fixed), from computed styles taken from a small sample
  document (runs in a worker process, where WeasyPrint is loaded);
* :func:`plan` fills pages column by column like ``columns_layout`` does on
  a page the list overflows (greedy, items never split), recognises the last
  page (everything left fits) and simulates the column balancing there to
  know whether the press contact after the list still fits; if it does not,
  the list's last row goes onto the next page with it (the closing section
  never stands alone on a page);
* :func:`split_chunks` cuts the pages into chunks of about equal page count,
  and :func:`chunk_blocks` writes each chunk's pages as the template's blocks:
  two or three floated single-column lists per page (cheap to lay out), CSS
  columns on the list's first page (filled in order) and last page (balanced).

Each chunk's page count is checked after rendering; a mismatch makes the
caller fall back to a single render, so a planning error costs time, never a
wrong PDF. :func:`read_layout` and :class:`Measurer` need WeasyPrint (worker
processes); the planning functions are pure Python.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from math import inf
from types import SimpleNamespace
from typing import TYPE_CHECKING, NotRequired, TypedDict

if TYPE_CHECKING:  # WeasyPrint is untyped: these names stand for Any to mypy
    from weasyprint import Document
    from weasyprint.css import ComputedStyle
    from weasyprint.formatting_structure.boxes import Box
    from weasyprint.text.line_break import Layout as PangoLayout

__all__ = ["Block", "Geometry", "Item", "Measurer", "Page", "Plan", "ProbeLayout", "chunk_blocks",
           "first_item_fits", "measure", "plan", "read_layout", "split_chunks"]

_FUDGE = 1 + 1e-9  # WeasyPrint's LayoutContext.overflows()

# A list item as the template prints it: ``(group heading, its direction, name, its
# direction, detail line, its direction, withheld)`` (the heading only on a group's first
# item, else ``""``; directions ``"ltr"``, ``"rtl"`` or ``""``).
Item = tuple[str, str, str, str, str, str, bool]


class Block(TypedDict):
    """A part of the list as the template lays it out: explicit float ``columns`` of
    items, or (``columns`` None) its ``entries`` in CSS columns."""

    columns: list[Sequence[Item]] | None
    next: bool                          # begins a new page
    entries: NotRequired[Sequence[Item]]
    fill: NotRequired[bool]             # columns filled in order, not balanced
    ending: NotRequired[bool]           # goes with the closing section onto the last page


@dataclass(frozen=True)
class Geometry:
    """Positions in CSS px, as WeasyPrint computes them for this document."""

    columns: int
    first_top: float       # y where the list's columns start on its first page
    front_pages: int       # pages before the one where the list starts
    top: float             # y of the page area's top on the following pages
    bottom: float          # y of the page area's bottom (every page)
    press_gap: float = 0.0     # collapsed margin between the list and the press contact
    press_height: float = 0.0  # border-box height of the press contact (0: none)


@dataclass(frozen=True)
class Page:
    """One page of the list: ``columns`` of item ranges (explicit columns) or,
    for the last page, ``balanced`` = the remaining ``(start, end)``, laid out
    by WeasyPrint's balanced CSS columns."""

    columns: tuple[tuple[int, int], ...] = ()
    balanced: tuple[int, int] | None = None

    @property
    def start(self) -> int:
        return self.balanced[0] if self.balanced else self.columns[0][0]

    @property
    def end(self) -> int:
        return self.balanced[1] if self.balanced else self.columns[-1][1]


@dataclass
class Plan:
    pages: list[Page] = field(default_factory=list)
    front_pages: int = 0
    press_on_new_page: bool = False

    @property
    def total_pages(self) -> int:
        return self.front_pages + len(self.pages) + (1 if self.press_on_new_page else 0)


def _column(heights: Sequence[float], margins: Sequence[float], start: int, top: float,
            limit: float, place_first: bool) -> tuple[int, float]:
    """Fill one column from item ``start``: ``(end, used)`` where ``used`` is the
    height down to the last item's bottom margin (0 if nothing fits).

    A column establishes a formatting context, so its children's bottom margins
    do not collapse through it: an item fits if its bottom *margin* edge does.
    """
    position = top
    index = start
    count = len(heights)
    while index < count:
        bottom = position + heights[index]
        if bottom > (limit - margins[index]) * _FUDGE and not (place_first and index == start):
            break
        position = bottom + margins[index]
        index += 1
    return index, position - top


def _fill(heights: Sequence[float], margins: Sequence[float], start: int, top: float,
          limit: float, columns: int, place_first: bool) -> list[tuple[int, int, float]]:
    """Greedy fill of ``columns`` columns: list of ``(start, end, used)``."""
    result = []
    index = start
    for _ in range(columns):
        end, used = _column(heights, margins, index, top, limit, place_first)
        if end == index:
            break
        result.append((index, end, used))
        index = end
        if index == len(heights):
            break
    return result


def balanced_height(heights: Sequence[float], margins: Sequence[float], start: int,
                    top: float, bottom: float, columns: int) -> float:
    """Height of the multi-column box holding items ``start:`` on their last page,
    balanced as WeasyPrint's ``columns_layout`` balances them."""
    count = len(heights)
    max_height = bottom - top
    height = max_height
    lost_space = inf
    balancing = False
    while True:
        index = start
        consumed: list[float] = []
        finished = False
        for _ in range(columns):
            end, used = _column(heights, margins, index, top, top + height, not balancing)
            if end == index:
                finished = False
                break
            empty_space = height - used
            consumed.append(used - margins[end - 1])
            next_height = heights[end] + margins[end] if end < count else 0
            if next_height - empty_space > 1:
                lost_space = min(lost_space, next_height - empty_space)
            index = end
            if index == count:
                finished = True
                break
        if balancing:
            if finished:
                break
            height += 1 if lost_space == inf else lost_space
            if height > max_height:
                height = max_height
                break
        else:
            if finished and max(consumed) <= max_height:
                balancing = True
                height = sum(consumed) / columns
            else:
                raise ValueError("the items do not fit on one page")
    column_heights = [col_used for _, _, col_used in
                      _fill(heights, margins, start, top, top + height, columns, True)]
    return min(max_height, max(column_heights))


def plan(heights: Sequence[float], margins: Sequence[float], geometry: Geometry) -> Plan:
    """The pages of the list (see the module docstring)."""
    count = len(heights)
    result = Plan(front_pages=geometry.front_pages)
    index = 0
    top = geometry.first_top
    columns = geometry.columns
    while index < count:
        filled = _fill(heights, margins, index, top, geometry.bottom, columns, True)
        end = filled[-1][1]
        max_height = geometry.bottom - top
        if end == count and max(used - margins[e - 1] for _, e, used in filled) <= max_height:
            last = [Page(balanced=(index, count))]
            if geometry.press_height and not _press_fits(heights, margins, index, top, geometry):
                # the closing section would stand alone on a page: the list's last row
                # goes with it, if that row and the section fit on one page
                cut = count - columns
                if index < cut and _press_fits(heights, margins, cut, geometry.top, geometry):
                    last = [Page(balanced=(index, cut)), Page(balanced=(cut, count))]
                else:
                    result.press_on_new_page = True
            result.pages.extend(last)
            return result
        result.pages.append(Page(columns=tuple((s, e) for s, e, _ in filled)))
        index = end
        top = geometry.top
    return result


def _press_fits(heights: Sequence[float], margins: Sequence[float], start: int, top: float,
                geometry: Geometry) -> bool:
    """Whether items ``start:`` balanced from ``top`` leave room for the press contact."""
    height = balanced_height(heights, margins, start, top, geometry.bottom, geometry.columns)
    return top + height + geometry.press_gap + geometry.press_height <= geometry.bottom * _FUDGE


def split_chunks(plan_: Plan, workers: int, pages_per_chunk: int = 16) -> list[tuple[int, int]]:
    """``(first, last + 1)`` list-page ranges of about ``pages_per_chunk`` pages (the
    front pages count for the first chunk), a multiple of ``workers`` chunks; the
    last ``workers`` chunks are half as long, so that the workers finish together."""
    pages = len(plan_.pages)
    total = pages + plan_.front_pages
    rounds = max(1, round(total / (pages_per_chunk * workers)))
    chunks = min(pages, max(1, rounds * workers))
    weights = [1.0] * chunks
    if chunks > workers:
        weights[-workers:] = [0.5] * workers
    scale = total / sum(weights)
    bounds = []
    start = 0
    done = 0.0
    for number, weight in enumerate(weights, start=1):
        done += weight * scale
        end = pages if number == chunks else max(
            start + 1, min(pages - (chunks - number), round(done) - plan_.front_pages))
        bounds.append((start, end))
        start = end
    return bounds


# --- measurement (in a worker process: needs WeasyPrint) -------------------------

@dataclass
class TextStyle:
    """What measuring needs of one kind of block: computed styles from a sample."""

    text: ComputedStyle  # the TextBox's computed style
    line: ComputedStyle  # the LineBox's computed style (its strut)
    extra: float = 0.0  # vertical padding and borders of the block


class Measurer:
    """Heights of list items, from the styles of a laid-out sample document.

    ``styles`` maps ``(kind, direction)`` to :class:`TextStyle`, kind being
    ``"g"`` (group heading), ``"n"`` (name), ``"w"`` (withheld) or ``"c"``
    (country line); ``width`` is the column width in px.

    A text is split into lines by WeasyPrint's own ``split_first_line``, line
    after line, as the layout does. Text that clearly fits on one line takes a
    shortcut: one reused Pango layout without a width gives the same line
    metrics, about five times faster.
    """

    def __init__(self, styles: dict[tuple[str, str], TextStyle], width: float):
        # deferred: WeasyPrint takes ~1 s to import; only the render workers measure
        from weasyprint.formatting_structure.text import transform
        from weasyprint.text.ffi import FROM_UNITS, TO_UNITS, pango
        from weasyprint.text.line_break import Layout, line_size, split_first_line, strut

        self._split = split_first_line
        self._strut = strut
        self._transform = transform
        self._layout_class = Layout
        self._line_size = line_size
        self._pango = pango
        self._from_units = FROM_UNITS
        self._context = SimpleNamespace(dictionaries={})
        self.styles = styles
        self.width = width
        # a one-line text fits if its width is below Pango's wrapping width (in
        # Pango units, as WeasyPrint sets it), with one unit to spare
        self._one_line_limit = (int(width * TO_UNITS) - 1) / TO_UNITS
        self._layouts: dict[tuple[str, str], PangoLayout] = {}
        self._cache: dict[tuple[str, str, str], float] = {}
        self._strut_cache: dict[tuple[str, str], tuple[float, float, float]] = {}

    def _struts(self, kind: str, direction: str, style: TextStyle) -> tuple[float, float, float]:
        """``(line-height of the text, line box's strut height, its baseline)``."""
        key = (kind, direction)
        struts = self._strut_cache.get(key)
        if struts is None:
            struts = self._strut_cache[key] = (self._strut(style.text)[0],
                                               *self._strut(style.line))
        return struts

    @staticmethod
    def _line(struts: tuple[float, float, float], text_height: float, baseline: float) -> float:
        """A line box's height: the union of its strut and its text box (WeasyPrint's
        ``line_box_verticality`` for a line holding one text box)."""
        line_height, strut_height, strut_baseline = struts
        line_top = -strut_baseline
        text_top = -(baseline + (line_height - text_height) / 2)
        return max(text_top + line_height, line_top + strut_height) - min(text_top, line_top)

    def _one_line(self, key: tuple[str, str], style: TextStyle, text: str
                  ) -> tuple[float, float] | None:
        """``(height, baseline)`` of ``text`` if it clearly fits on one line, else None."""
        layout = self._layouts.get(key)
        if layout is None:
            layout = self._layouts[key] = self._layout_class(style.text)
        layout.set_text(text)
        line, following = layout.get_first_line()
        if following is not None:
            return None
        width, height = self._line_size(line, style.text)
        if width > self._one_line_limit:
            return None
        return height, self._pango.pango_layout_get_baseline(layout.layout) * self._from_units

    def block(self, kind: str, direction: str, text: str) -> float:
        style = self.styles[(kind, direction)]
        struts = self._struts(kind, direction, style)
        transform = style.text["text_transform"]
        if transform != "none":
            language = (style.text["lang"] or "").split("-")[0].lower()
            text = self._transform(transform, text, language)
        if style.text["letter_spacing"] == "normal" and style.text["word_spacing"] == 0:
            metrics = self._one_line((kind, direction), style, text)
            if metrics is not None:
                return style.extra + self._line(struts, *metrics)
        total = style.extra
        rest = text
        while rest:
            _, _, resume, _, height, baseline = self._split(
                rest, style.text, self._context, self.width, 0, is_line_start=True)
            total += self._line(struts, height, baseline)
            if resume is None:
                break
            rest = rest.encode()[resume:].decode()
        return total

    def cached_block(self, kind: str, direction: str, text: str) -> float:
        key = (kind, direction, text)
        height = self._cache.get(key)
        if height is None:
            height = self._cache[key] = self.block(kind, direction, text)
        return height


def measure(measurer: Measurer, items: Sequence[Item]) -> list[float]:
    """Border-box heights of list items ``(group, gdir, name, ndir, detail, cdir,
    withheld)`` as the template lays them out."""
    heights = []
    for group, group_dir, name, name_dir, detail, detail_dir, withheld in items:
        height = (measurer.cached_block("w", name_dir, name) if withheld
                  else measurer.block("n", name_dir, name))
        if detail:
            height += measurer.cached_block("c", detail_dir, detail)
        if group:
            height += measurer.cached_block("g", group_dir, group)
        heights.append(height)
    return heights


# --- reading a laid-out probe document (in a worker process) ---------------------

def _boxes(box: Box) -> Iterator[Box]:
    yield box
    for child in getattr(box, "children", ()) or ():
        yield from _boxes(child)


def _classes(box: Box) -> set[str]:
    element = getattr(box, "element", None)
    if element is None:
        return set()
    return set((element.get("class") or "").split())


def _first_line(block: Box) -> Box | None:
    """The first line box of ``block``'s own text (an entry's name, not its country)."""
    # deferred: WeasyPrint takes ~1 s to import; only the render workers read layouts
    from weasyprint.formatting_structure import boxes as wb

    for child in block.children:
        if isinstance(child, wb.LineBox):
            return child
        if isinstance(child, wb.BlockBox) and child.element is block.element:
            return _first_line(child)  # the anonymous block around the name
    return None


class ProbeLayout(TypedDict):
    """What :func:`read_layout` reads from a laid-out probe of the template."""

    top: float                      # y of the page area's top
    bottom: float                   # y of the page area's bottom
    width: float                    # of a column of the list
    gap: float                      # between the list's columns
    margin: float                   # the items' bottom margin
    styles: dict[tuple[str, str], TextStyle]
    measurer: Measurer
    document: Document              # the probe: keeps the styles' font configuration alive
    list_start: NotRequired[tuple[int, float]]  # (page index, y) where the list begins
    press: NotRequired[tuple[float, float]]     # the press contact's (margin-top, height)


@dataclass
class _Samples:
    """What the ``.probe-samples`` section gives (:func:`_read_samples`)."""

    styles: dict[tuple[str, str], TextStyle] = field(default_factory=dict)
    margin: float = 0.0
    width: float | None = None
    gap: float | None = None


def read_layout(document: Document, columns: int) -> ProbeLayout:
    """Geometry and measuring styles from a laid-out probe of the template.

    Keys: ``top`` and ``bottom`` of the page area; ``list_start`` = ``(page index,
    y)`` where the first ``.names`` columns begin (front-matter probes);
    ``press`` = ``(margin-top, border height)`` of the press contact; ``width``
    and ``gap`` of the columns, the items' bottom ``margin`` and a
    :class:`Measurer`, all from the ``.probe-samples`` section.
    """
    # deferred: WeasyPrint takes ~1 s to import; only the render workers read layouts
    from weasyprint.formatting_structure import boxes as wb

    samples = _Samples()
    area: tuple[float, float] | None = None  # (top, bottom), of the first page
    list_start: tuple[int, float] | None = None
    press: tuple[float, float] | None = None
    in_samples = False
    for number, page in enumerate(document.pages):
        page_box = page._page_box
        if area is None:
            area = (page_box.content_box_y(), page_box.content_box_y() + page_box.height)
        for box in _boxes(page_box):
            classes = _classes(box)
            if not classes or not isinstance(box, wb.BlockBox):
                continue
            if "names" in classes and list_start is None and not in_samples:
                column = next((c for c in box.children if getattr(c, "is_column", False)), None)
                if column is not None:
                    list_start = (number, column.position_y)
            elif "press" in classes:
                press = (box.style["margin_top"].value, box.border_height())
            elif "probe-samples" in classes:
                in_samples = True
                _read_samples(box, columns, samples)
    if area is None or samples.width is None or samples.gap is None:
        raise ValueError("the probe document has no page or no sample list")
    layout = ProbeLayout(top=area[0], bottom=area[1], width=samples.width, gap=samples.gap,
                         margin=samples.margin, styles=samples.styles,
                         measurer=Measurer(samples.styles, samples.width), document=document)
    if list_start is not None:
        layout["list_start"] = list_start
    if press is not None:
        layout["press"] = press
    return layout


def _read_samples(section: Box, columns: int, samples: _Samples) -> None:
    # deferred: WeasyPrint takes ~1 s to import; only the render workers read layouts
    from weasyprint.formatting_structure import boxes as wb

    for box in _boxes(section):
        if "names" in _classes(box) and isinstance(box, wb.BlockBox) \
                and not getattr(box, "is_column", False):
            gap = box.style["column_gap"]
            gap = box.style["font_size"] if gap == "normal" else gap.value
            samples.width = max(0, box.width - (columns - 1) * gap) / columns  # as columns_layout
            samples.gap = gap
            break
    for block in _boxes(section):
        found = _classes(block) & {"g", "c", "e", "k"}
        if not found or not isinstance(block, wb.BlockBox):
            continue
        if found & {"e", "k"}:
            samples.margin = max(samples.margin, block.style["margin_bottom"].value)
        if "k" in found:
            continue
        kind = "g" if "g" in found else "c" if "c" in found else \
            "w" if "w" in _classes(block) else "n"
        line = _first_line(block)
        if line is None:
            continue
        text = next((b for b in _boxes(line) if isinstance(b, wb.TextBox)), None)
        if text is None:
            continue
        extra = (block.padding_top + block.padding_bottom + block.border_top_width
                 + block.border_bottom_width)
        samples.styles.setdefault((kind, line.style["direction"]),
                                  TextStyle(text.style, line.style, extra))


def first_item_fits(geometry: Geometry, height: float, margin: float) -> bool:
    """Whether the list's first item fits where the probe found the list to start."""
    return geometry.first_top + height <= (geometry.bottom - margin) * _FUDGE


def chunk_blocks(plan_: Plan, items: Sequence[Item], start: int, end: int) -> list[Block]:
    """The template's ``blocks`` for list pages ``start:end``: explicit float columns,
    except the list's first page (CSS columns filled in order, so that it is painted
    after the text above it) and its last page (balanced CSS columns)."""
    blocks: list[Block] = []
    for index in range(start, end):
        page = plan_.pages[index]
        following = index > start
        if page.balanced or index == 0:
            blocks.append({"columns": None, "entries": items[page.start:page.end],
                           "next": following, "fill": not page.balanced})
        else:
            blocks.append({"columns": [items[s:e] for s, e in page.columns],
                           "next": following})
    return blocks
