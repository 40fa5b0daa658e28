"""Tests for cosign.core.markdown: sanitised rendering and the unsafe-content check."""

import re
from html.parser import HTMLParser

import pytest

from cosign.core.markdown import Problem, find_unsafe_content, plain_text, render_markdown

REL = 'rel="noopener noreferrer nofollow"'

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<javascript:alert(1)>",
    "[x][r]\n\n[r]: vbscript:msgbox(1)",
    "![x](javascript:alert(1))",
    "<ScRiPt>alert(1)</ScRiPt>",
    "```\n<script>alert(1)</script>\n```",
]


class TagCollector(HTMLParser):
    """Collects the real tags and attributes of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def real_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = TagCollector()
    parser.feed(html)
    parser.close()
    return parser.tags


@pytest.mark.parametrize("source", XSS)
def test_render_neutralises_xss(source: str) -> None:
    html = render_markdown(source)
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    assert "<svg" not in html.lower()
    # Escaped source text may mention onerror or javascript:, no tag may.
    assert not re.search(r"<[^>]*(onerror|onload|javascript:|data:)", html, re.IGNORECASE)
    tags = real_tags(html)
    assert {tag for tag, _ in tags} <= {"p", "pre", "code"}
    assert all(attrs == [] for _, attrs in tags)


def test_raw_html_is_escaped_as_text() -> None:
    assert render_markdown("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )
    assert render_markdown("<img src=x onerror=alert(1)>") == (
        "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"
    )


def test_encoded_javascript_link_keeps_only_text() -> None:
    assert render_markdown("[x](java&#x09;script:alert(1))") == "<p>x</p>\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[x](http://example.org)", "<p>x</p>\n"),
        ("[x](#top)", "<p>x</p>\n"),
        ("[x](/relative/path)", "<p>x</p>\n"),
        ("<http://example.org>", "<p>http://example.org</p>\n"),
    ],
)
def test_other_links_lose_their_anchor(source: str, expected: str) -> None:
    assert render_markdown(source) == expected


def test_https_and_mailto_links_survive_with_rel() -> None:
    html = render_markdown("[link](https://example.org) and <mailto:a@example.org>")
    assert html == (
        f'<p><a href="https://example.org" {REL}>link</a> and '
        f'<a href="mailto:a@example.org" {REL}>mailto:a@example.org</a></p>\n'
    )


def test_formatting_survives() -> None:
    source = (
        "# Title\n\n## Sub\n\n**bold** *em* `code`\n\n- a\n- b\n\n3. c\n4. d\n\n> quoted\n\n---\n"
    )
    assert render_markdown(source) == (
        "<h1>Title</h1>\n<h2>Sub</h2>\n"
        "<p><strong>bold</strong> <em>em</em> <code>code</code></p>\n"
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
        '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>\n'
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n<hr>\n"
    )


def test_code_block_class_is_dropped() -> None:
    assert render_markdown("```python\nx = 1\n```") == "<pre><code>x = 1\n</code></pre>\n"


def test_images_render_as_alt_text() -> None:
    assert render_markdown("![a *logo*](https://example.org/x.png)") == "<p>a logo</p>\n"


def test_no_tables_or_strikethrough() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~")
    assert "<table" not in html
    assert "<s>" not in html and "<del>" not in html


def test_plain_text() -> None:
    source = "# Title\n\n**Bold** &amp; [link](https://example.org)\n\n- a\n- b\n\n<b>x</b>"
    assert plain_text(source) == "Title\n\nBold & link\n\na\nb\n\n<b>x</b>"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<script>alert(1)</script>", [(Problem.SCRIPT, "<script>")]),
        ("< ScRiPt src=x>", [(Problem.SCRIPT, "<script>")]),
        ("&lt;script&gt;alert(1)", [(Problem.SCRIPT, "<script>")]),
        ("<iframe src=https://example.org>", [(Problem.EMBEDDED_CONTENT, "<iframe>")]),
        ("<object>", [(Problem.EMBEDDED_CONTENT, "<object>")]),
        ("<embed>", [(Problem.EMBEDDED_CONTENT, "<embed>")]),
        ("<style>p{}</style>", [(Problem.EMBEDDED_CONTENT, "<style>")]),
        ("<img src=x onerror=alert(1)>", [(Problem.EVENT_HANDLER, "onerror")]),
        ("<svg/onload=alert(1)>", [(Problem.EVENT_HANDLER, "onload")]),
        ("[x](javascript:alert(1))", [(Problem.LINK_SCHEME, "javascript:alert(1)")]),
        ("[x](JaVaScRiPt:alert(1))", [(Problem.LINK_SCHEME, "JaVaScRiPt:alert(1)")]),
        ("[x](java&#x09;script:alert(1))", [(Problem.LINK_SCHEME, "java\tscript:alert(1)")]),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)",
         [(Problem.LINK_SCHEME, "data:text/html;base64,PHNjcmlwdD4=")]),
        ("[x](http://example.org)", [(Problem.LINK_SCHEME, "http://example.org")]),
        ("<file:///etc/passwd>", [(Problem.LINK_SCHEME, "file:///etc/passwd")]),
        ("[x][r]\n\n[r]: vbscript:msgbox(1)", [(Problem.LINK_SCHEME, "vbscript:msgbox(1)")]),
        ("[r]: javascript:unused", [(Problem.LINK_SCHEME, "javascript:unused")]),
        ('<a href="javascript:alert(1)">x</a>', [(Problem.LINK_SCHEME, "javascript:alert(1)")]),
        ("![x](http://example.org/t.png)", [(Problem.LINK_SCHEME, "http://example.org/t.png")]),
    ],
)
def test_find_unsafe_content(source: str, expected: list) -> None:
    assert find_unsafe_content(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "Plain prose, 3 < 4 and 5 > 2.",
        "[ok](https://example.org) [mail](mailto:a@example.org) <https://example.org>",
        "[top](#top) [page](/about) [rel](other.html)",
        "**bold** <b>bold</b> <em>x</em>",
        "We describe the script of the play and a description: fine.",
        "",
    ],
)
def test_find_unsafe_content_accepts_safe_text(source: str) -> None:
    assert find_unsafe_content(source) == []


def test_find_unsafe_content_order_and_deduplication() -> None:
    source = (
        "[a](http://example.org)\n\n<script>x</script>\n\n"
        "<img onerror=y>\n\n[b](http://example.org)\n\n<script>again</script>"
    )
    assert find_unsafe_content(source) == [
        (Problem.LINK_SCHEME, "http://example.org"),
        (Problem.SCRIPT, "<script>"),
        (Problem.EVENT_HANDLER, "onerror"),
    ]


def test_problem_codes() -> None:
    assert [problem.value for problem in Problem] == [
        "script", "embedded", "event-handler", "link-scheme",
    ]
