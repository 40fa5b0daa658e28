"""Statement Markdown: rendering to sanitised HTML and checking for unsafe content.

Rendering is CommonMark (raw HTML is escaped, never passed through) followed
by nh3 with an explicit allow-list: no images, no styles, links only to
``https:`` and ``mailto:``. :func:`find_unsafe_content` tells an author why
something they typed will not survive, so a form can refuse it clearly.
"""

from __future__ import annotations

import enum
import html
import re
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = ["Problem", "find_unsafe_content", "plain_text", "render_markdown"]

ALLOWED_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "em", "strong",
     "a", "blockquote", "br", "hr", "code", "pre"}
)
ALLOWED_ATTRIBUTES = {"a": frozenset({"href"}), "ol": frozenset({"start"})}
LINK_SCHEMES = frozenset({"https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

_OPTIONS = {"html": False, "linkify": False, "typographer": False}


def _image_as_text(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Render an image as its escaped alt text: statements carry no images."""
    return escapeHtml(renderer.renderInlineAsText(tokens[idx].children, options, env))


_RENDERER = MarkdownIt("commonmark", _OPTIONS)
_RENDERER.add_render_rule("image", _image_as_text)
# The checker accepts every destination so that links markdown-it would
# silently leave as text (javascript:, data: ...) become tokens we can report.
class _AnyLink(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        return True


_CHECKER = _AnyLink("commonmark", _OPTIONS)

_DEAD_LINK = re.compile(rf'<a rel="{LINK_REL}">(.*?)</a>', re.DOTALL)
_TAG = re.compile(r"<\s*/?\s*([a-z][a-z0-9:-]*)([^<>]*)", re.IGNORECASE)
_EVENT_ATTRIBUTE = re.compile(r"(?:^|[\s/\"'])(on[a-z]+)\s*=", re.IGNORECASE)
_URL_ATTRIBUTE = re.compile(
    r"(?:^|[\s/\"'])(?:href|src|action|formaction|xlink:href)\s*=\s*"
    r"(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+))",
    re.IGNORECASE,
)
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):")
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|pre|blockquote|ul|ol)>|<hr>")
_BLOCK_BREAK = re.compile(r"\n{3,}")


class Problem(enum.Enum):
    """Kinds of unsafe content; values are stable codes for translation."""

    SCRIPT = "script"
    EMBEDDED_CONTENT = "embedded"
    EVENT_HANDLER = "event-handler"
    LINK_SCHEME = "link-scheme"


_EMBEDDING_TAGS = {
    "script": Problem.SCRIPT,
    "iframe": Problem.EMBEDDED_CONTENT,
    "object": Problem.EMBEDDED_CONTENT,
    "embed": Problem.EMBEDDED_CONTENT,
    "style": Problem.EMBEDDED_CONTENT,
}


def render_markdown(text: str) -> str:
    """Render Markdown to HTML that is safe to insert into a page.

    Disallowed tags are removed (``script`` and ``style`` with their
    content); links whose destination is not ``https:`` or ``mailto:``
    (including relative ones) lose their anchor but keep their text; the
    remaining links get ``rel="noopener noreferrer nofollow"``.
    """
    cleaned = nh3.clean(
        _RENDERER.render(text),
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(LINK_SCHEMES),
        url_relative="deny",
        link_rel=LINK_REL,
    )
    return _DEAD_LINK.sub(r"\1", cleaned)


def plain_text(text: str) -> str:
    """The text of rendered Markdown without markup, for previews and diffs.

    Blocks are separated by a blank line, list items and line breaks by a
    newline. The result is plain text, not HTML: escape it before output.
    """
    marked = _BLOCK_END.sub("\n", render_markdown(text))  # plus the "\n" after it
    stripped = html.unescape(nh3.clean(marked, tags=set()))
    lines = "\n".join(line.strip() for line in stripped.split("\n"))
    return _BLOCK_BREAK.sub("\n\n", lines).strip()


def _link_scheme(url: str) -> str | None:
    """The lower-cased scheme a browser would see in ``url``, if any."""
    decoded = _URL_NOISE.sub("", html.unescape(unquote(url)))
    match = _SCHEME.match(decoded.lower())
    return match.group(1) if match else None


def _unsafe_url(url: str) -> bool:
    scheme = _link_scheme(url)
    return scheme is not None and scheme not in LINK_SCHEMES


def _scan_tags(source: str) -> list[tuple[int, Problem, str]]:
    """Find embedding tags and event-handler attributes in raw HTML-ish text."""
    found: list[tuple[int, Problem, str]] = []
    for match in _TAG.finditer(source):
        name = match.group(1).lower()
        if name in _EMBEDDING_TAGS:
            found.append((match.start(), _EMBEDDING_TAGS[name], f"<{name}>"))
        for event in _EVENT_ATTRIBUTE.finditer(match.group(2)):
            found.append((match.start(2) + event.start(1), Problem.EVENT_HANDLER,
                          event.group(1).lower()))
        for attribute in _URL_ATTRIBUTE.finditer(match.group(2)):
            url = next(value for value in attribute.groups() if value is not None)
            if _unsafe_url(url):
                found.append((match.start(2) + attribute.start(), Problem.LINK_SCHEME,
                              html.unescape(url)))
    return found


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for index, char in enumerate(text):
        if char == "\n":
            offsets.append(index + 1)
    return offsets


def _scan_links(text: str) -> list[tuple[int, Problem, str]]:
    """Find links, autolinks, images and reference definitions with bad schemes."""
    env: EnvType = {}
    tokens = _CHECKER.parse(text, env)
    offsets = _line_offsets(text)
    found: list[tuple[int, Problem, str]] = []

    def report(url: str, line: int) -> None:
        if _unsafe_url(url):
            start = offsets[min(line, len(offsets) - 1)]
            found.append((max(start, text.find(url, start)), Problem.LINK_SCHEME,
                          unquote(url)))

    for block in tokens:
        line = block.map[0] if block.map else 0
        children: list[Token] = block.children or []
        for token in children:
            for attr in ("href", "src"):
                url = token.attrGet(attr)
                if isinstance(url, str):
                    report(url, line)
    for reference in env.get("references", {}).values():
        report(reference.get("href", ""), 0)
    return found


def find_unsafe_content(text: str) -> list[tuple[Problem, str]]:
    """List what in ``text`` is unsafe, as ``(problem, detail)`` pairs.

    Detects ``<script``, ``<iframe``, ``<object``, ``<embed`` and ``<style``
    tags (any case, spaces after ``<``, HTML-entity-encoded ``<``),
    ``on...=`` event attributes inside a tag, and links, autolinks, images,
    reference definitions and raw-HTML ``href``/``src`` attributes whose
    scheme is not ``https`` or ``mailto``
    (relative links are allowed: they are dropped when rendering). The
    detail is the tag, attribute or URL concerned. Pairs are deduplicated
    and ordered by first occurrence.
    """
    found = _scan_tags(text) + _scan_links(text)
    decoded = html.unescape(text)
    if decoded != text:
        # Positions in the decoded text only approximate those in ``text``.
        found += _scan_tags(decoded)
    result: list[tuple[Problem, str]] = []
    for _, problem, detail in sorted(found, key=lambda item: item[0]):
        if (problem, detail) not in result:
            result.append((problem, detail))
    return result
