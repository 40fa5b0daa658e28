"""Server-side SVG bar charts: sign-ons per day for the moderation page.

The chart is an inline ``<svg>`` fragment with no JavaScript, no links and
no inline styles (the site's CSP forbids them): styling hooks are ``class``
attributes (``chart-bar``, ``chart-grid``, ``chart-label``, ``chart-axis``)
with ``fill``/``stroke`` presentation attributes as defaults. Every text is
XML-escaped. Charts read left to right even on RTL pages.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from datetime import date
from xml.sax.saxutils import escape

__all__ = ["MAX_X_LABELS", "nice_ticks", "timeline_svg"]

MAX_X_LABELS = 6
BAR_FILL = "#1d4e5f"
GRID_STROKE = "#d8d4cc"
TEXT_FILL = "#57606a"
FONT_SIZE = 11
_CHAR_WIDTH = FONT_SIZE * 0.62  # rough advance of one character
_MIN_WIDTH, _MIN_HEIGHT = 120, 60
_MARGIN_TOP, _MARGIN_RIGHT, _MARGIN_BOTTOM = 8, 8, 20
_LABEL_GAP = 12
# Characters that XML 1.0 does not allow at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def _num(value: float) -> str:
    """Format a coordinate compactly (at most two decimals)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def nice_ticks(maximum: int) -> list[int]:
    """Gridline values above zero: 3–5 equal steps of 1, 2 or 5 × 10ⁿ.

    The last value is at least ``maximum``; steps are whole numbers, so small
    maxima get ``[1, 2, 3]``.
    """
    if maximum < 0:
        raise ValueError("maximum must not be negative")
    step = 1
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if math.ceil(maximum / step) <= 5:
                count = max(3, math.ceil(maximum / step))
                return [step * i for i in range(1, count + 1)]
        magnitude *= 10


def _label_indices(count: int, room: float, label_width: float) -> list[int]:
    """Indices of the days to label: first, last and evenly spaced between."""
    # First and last labels are anchored at their edges, the others centred,
    # so adjacent labels need about 1.5 label widths between their anchors.
    fits = 1 + int(room // (1.5 * label_width + _LABEL_GAP)) if label_width else MAX_X_LABELS
    labels = max(1, min(MAX_X_LABELS, count, fits))
    if labels == 1:
        return [0]
    return sorted({round(i * (count - 1) / (labels - 1)) for i in range(labels)})


def timeline_svg(
    days: Sequence[tuple[date, int]],
    *,
    title: str,
    label_total: str,
    width: int = 640,
    height: int = 200,
    locale_format: Callable[[date], str] | None = None,
) -> str:
    """Draw sign-ons per day as an inline SVG bar chart.

    ``days`` is one ``(date, count)`` pair per slot, in date order as given
    (the caller includes the days with no sign-ons; they keep an empty
    slot). ``title`` becomes the chart's ``<title>``; ``label_total`` (already
    translated, e.g. "123 sign-ons in 14 days") starts its ``<desc>``, which
    adds the busiest day as "date: count". Dates are shown with
    ``locale_format`` or as ISO ``YYYY-MM-DD``. Returns ``""`` for no days.
    """
    if not days:
        return ""
    if width < _MIN_WIDTH or height < _MIN_HEIGHT:
        raise ValueError(f"chart must be at least {_MIN_WIDTH}×{_MIN_HEIGHT}")
    if any(count < 0 for _, count in days):
        raise ValueError("counts must not be negative")
    fmt = locale_format or date.isoformat

    maximum = max(count for _, count in days)
    ticks = nice_ticks(maximum)
    top = ticks[-1]
    margin_left = math.ceil(len(str(top)) * _CHAR_WIDTH) + 8
    plot_x, plot_y = margin_left, _MARGIN_TOP
    plot_w = width - margin_left - _MARGIN_RIGHT
    plot_h = height - _MARGIN_TOP - _MARGIN_BOTTOM
    baseline = plot_y + plot_h
    slot = plot_w / len(days)
    bar_w = max(1.0, min(slot * 0.8, 36.0))  # a few days must not become wide blocks

    digest = hashlib.sha256(
        repr((title, label_total, width, height, list(days))).encode()
    ).hexdigest()[:10]
    title_id, desc_id = f"chart-{digest}-title", f"chart-{digest}-desc"
    desc = label_total
    if maximum > 0:
        busiest = next(day for day, count in days if count == maximum)
        desc = f"{label_total} — {fmt(busiest)}: {maximum}"

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="100%" role="img" aria-labelledby="{title_id} {desc_id}"'
        f' direction="ltr" class="chart">',
        f'<title id="{title_id}">{_text(title)}</title>',
        f'<desc id="{desc_id}">{_text(desc)}</desc>',
    ]
    text_attrs = f'fill="{TEXT_FILL}" font-size="{FONT_SIZE}"'

    out.append('<g class="chart-grid-lines">')
    for value in ticks:
        y = _num(baseline - value / top * plot_h)
        out.append(
            f'<line class="chart-grid" x1="{plot_x}" x2="{plot_x + plot_w}"'
            f' y1="{y}" y2="{y}" stroke="{GRID_STROKE}"/>'
        )
    out.append("</g>")

    out.append('<g class="chart-bars">')
    for i, (day, count) in enumerate(days):
        if count <= 0:
            continue
        bar_h = max(1.0, count / top * plot_h)
        x = plot_x + i * slot + (slot - bar_w) / 2
        out.append(
            f'<rect class="chart-bar" x="{_num(x)}" y="{_num(baseline - bar_h)}"'
            f' width="{_num(bar_w)}" height="{_num(bar_h)}" fill="{BAR_FILL}">'
            f"<title>{_text(f'{fmt(day)}: {count}')}</title></rect>"
        )
    out.append("</g>")

    out.append(
        f'<line class="chart-axis" x1="{plot_x}" x2="{plot_x + plot_w}"'
        f' y1="{baseline}" y2="{baseline}" stroke="{TEXT_FILL}"/>'
    )

    out.append('<g class="chart-y-labels">')
    for value in [0, *ticks]:
        y = _num(baseline - value / top * plot_h + FONT_SIZE * 0.35)
        out.append(
            f'<text class="chart-label" x="{plot_x - 4}" y="{y}"'
            f' text-anchor="end" {text_attrs}>{value}</text>'
        )
    out.append("</g>")

    labels = [fmt(day) for day, _ in days]
    widest = max(len(label) for label in labels) * _CHAR_WIDTH
    indices = _label_indices(len(days), plot_w, widest)
    out.append('<g class="chart-x-labels">')
    for i in indices:
        x = plot_x + (i + 0.5) * slot
        if len(days) == 1:
            anchor = "middle"
        elif i == 0:
            anchor, x = "start", plot_x
        elif i == len(days) - 1:
            anchor, x = "end", plot_x + plot_w
        else:
            anchor = "middle"
        out.append(
            f'<text class="chart-label" x="{_num(x)}" y="{height - 6}"'
            f' text-anchor="{anchor}" {text_attrs}>{_text(labels[i])}</text>'
        )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
