"""Tests for cosign.core.chart."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from typing import Any

import pytest

from cosign.core.chart import MAX_X_LABELS, nice_ticks, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"


def _days(counts: list[int], start: date = date(2024, 3, 1)) -> list[tuple[date, int]]:
    return [(start + timedelta(days=i), count) for i, count in enumerate(counts)]


def _chart(counts: list[int], **kwargs: object) -> ET.Element:
    kwargs.setdefault("title", "Sign-ons per day")
    kwargs.setdefault("label_total", f"{sum(counts)} sign-ons in {len(counts)} days")
    return ET.fromstring(timeline_svg(_days(counts), **kwargs))  # type: ignore[arg-type]


def _with_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [el for el in root.iter(SVG + tag) if cls in el.get("class", "").split()]


def _bar_heights(root: ET.Element) -> list[float]:
    return [float(bar.get("height", "0")) for bar in _with_class(root, "rect", "chart-bar")]


def _x_labels(root: ET.Element) -> list[str]:
    group = next(g for g in root.iter(SVG + "g") if g.get("class") == "chart-x-labels")
    return [t.text or "" for t in group.iter(SVG + "text")]


def test_empty_input_gives_empty_string() -> None:
    assert timeline_svg([], title="t", label_total="0") == ""


def test_root_attributes_and_accessible_name() -> None:
    root = _chart([3, 0, 5, 1], title="Sign-ons", label_total="9 sign-ons in 4 days")
    assert root.tag == SVG + "svg"
    assert root.get("viewBox") == "0 0 640 200"
    assert root.get("width") == "100%"
    assert root.get("role") == "img"
    assert root.get("direction") == "ltr"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    title = root.find(SVG + "title")
    desc = root.find(SVG + "desc")
    assert title is not None and title.get("id") == title_id and title.text == "Sign-ons"
    assert desc is not None and desc.get("id") == desc_id
    assert desc.text is not None
    assert desc.text.startswith("9 sign-ons in 4 days")
    assert "2024-03-03: 5" in desc.text  # the busiest day


def test_one_bar_per_nonzero_day_with_tooltip() -> None:
    root = _chart([2, 0, 0, 7, 1, 0])
    bars = _with_class(root, "rect", "chart-bar")
    assert len(bars) == 3
    tips = [bar.findtext(SVG + "title") for bar in bars]
    assert tips == ["2024-03-01: 2", "2024-03-04: 7", "2024-03-05: 1"]
    assert all(bar.get("fill") == "#1d4e5f" for bar in bars)
    # Zero days keep their slot: bars sit at slots 0, 3 and 4.
    xs = [float(bar.get("x", "0")) for bar in bars]
    slot = xs[2] - xs[1]
    assert xs[1] - xs[0] == pytest.approx(3 * slot, abs=0.05)


def test_bar_heights_are_proportional() -> None:
    root = _chart([10, 20, 5, 40])
    h10, h20, h5, h40 = _bar_heights(root)
    assert h20 == pytest.approx(2 * h10, abs=1)
    assert h10 == pytest.approx(2 * h5, abs=1)
    assert h40 == pytest.approx(4 * h10, abs=1)


def test_big_counts() -> None:
    root = _chart([10_000, 5_000, 1, 0])
    h_big, h_half, h_one = _bar_heights(root)
    assert h_big == pytest.approx(2 * h_half, abs=1)
    assert h_one >= 1  # tiny counts stay visible
    labels = [t.text for t in _with_class(root, "text", "chart-label")]
    assert "10000" in labels


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        (0, [1, 2, 3]),
        (1, [1, 2, 3]),
        (3, [1, 2, 3]),
        (5, [1, 2, 3, 4, 5]),
        (6, [2, 4, 6]),
        (7, [2, 4, 6, 8]),
        (11, [5, 10, 15]),
        (40, [10, 20, 30, 40]),
        (123, [50, 100, 150]),
        (10_000, [2000, 4000, 6000, 8000, 10000]),
    ],
)
def test_nice_ticks(maximum: int, expected: list[int]) -> None:
    assert nice_ticks(maximum) == expected


@pytest.mark.parametrize("maximum", [0, 1, 2, 3, 4, 7, 9, 13, 99, 101, 999, 12_345, 10**7])
def test_gridlines_are_three_to_five_nice_values(maximum: int) -> None:
    ticks = nice_ticks(maximum)
    assert 3 <= len(ticks) <= 5
    assert ticks[-1] >= maximum
    step = ticks[0]
    assert ticks == [step * i for i in range(1, len(ticks) + 1)]
    assert int(str(step).rstrip("0") or "0") in (1, 2, 5)
    root = _chart([maximum, 0])
    assert len(_with_class(root, "line", "chart-grid")) == len(ticks)
    assert all(line.get("stroke") == "#d8d4cc" for line in _with_class(root, "line", "chart-grid"))
    assert len(_with_class(root, "line", "chart-axis")) == 1


def test_x_labels_first_last_and_between() -> None:
    root = _chart(list(range(14)))
    labels = _x_labels(root)
    assert 2 <= len(labels) <= MAX_X_LABELS
    assert labels[0] == "2024-03-01"
    assert labels[-1] == "2024-03-14"
    assert labels == sorted(labels)


def test_single_day() -> None:
    root = _chart([4])
    assert len(_with_class(root, "rect", "chart-bar")) == 1
    assert _x_labels(root) == ["2024-03-01"]


def test_all_zero_days() -> None:
    root = _chart([0, 0, 0], label_total="0 sign-ons")
    assert _with_class(root, "rect", "chart-bar") == []
    assert root.findtext(SVG + "desc") == "0 sign-ons"


def test_a_year_of_days() -> None:
    counts = [(i * 37) % 50 for i in range(365)]
    root = _chart(counts)
    bars = _with_class(root, "rect", "chart-bar")
    assert len(bars) == sum(1 for c in counts if c)
    assert all(float(bar.get("width", "0")) >= 1 for bar in bars)
    labels = _x_labels(root)
    assert 2 <= len(labels) <= MAX_X_LABELS
    assert labels[0] == "2024-03-01" and labels[-1] == "2025-02-28"


def test_locale_format_and_narrow_chart() -> None:
    def long_format(day: date) -> str:
        return f"{day.day}. {'März' if day.month == 3 else 'April'} {day.year}"

    root = _chart([1] * 60, locale_format=long_format, width=240)
    labels = _x_labels(root)
    assert 1 <= len(labels) < MAX_X_LABELS
    assert labels[0] == "1. März 2024"
    bars = _with_class(root, "rect", "chart-bar")
    assert bars[0].findtext(SVG + "title") == "1. März 2024: 1"


def test_text_is_escaped() -> None:
    out = timeline_svg(
        _days([1, 2]),
        title="<script>",
        label_total='"quoted" & <b>',
        locale_format=lambda day: f"<{day.day}>",
    )
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    root = ET.fromstring(out)
    assert root.findtext(SVG + "title") == "<script>"
    assert (root.findtext(SVG + "desc") or "").startswith('"quoted" & <b>')
    assert _x_labels(root)[0] == "<1>"


def test_control_characters_do_not_break_xml() -> None:
    out = timeline_svg(_days([1]), title="a\x00b\x1fc", label_total="x")
    assert ET.fromstring(out).findtext(SVG + "title") == "abc"


def test_no_script_style_or_links() -> None:
    out = timeline_svg(
        _days([3, 0, 9, 10_000]), title="javascript:alert(1)", label_total="style"
    )
    assert not out.startswith("<?xml")
    assert out.startswith("<svg") and out.endswith("</svg>")
    lowered = out.lower()
    assert "<script" not in lowered
    assert "style=" not in lowered
    assert "href" not in lowered


def test_text_styling_attributes() -> None:
    root = _chart([1, 2, 3])
    texts = list(root.iter(SVG + "text"))
    assert texts
    assert all("chart-label" in t.get("class", "") for t in texts)
    assert all(t.get("fill") == "#57606a" and t.get("font-size") == "11" for t in texts)


def test_output_is_deterministic() -> None:
    days = _days([1, 2, 3])
    assert timeline_svg(days, title="t", label_total="6") == timeline_svg(
        days, title="t", label_total="6"
    )


@pytest.mark.parametrize(
    "kwargs", [{"width": 50}, {"height": 10}],
)
def test_rejects_tiny_charts(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        timeline_svg(_days([1]), title="t", label_total="1", **kwargs)


def test_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        timeline_svg(_days([1, -1]), title="t", label_total="0")
