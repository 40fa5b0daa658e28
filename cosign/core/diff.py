"""Word-level diffs of statement text that read well as prose.

Text is split into word, whitespace and punctuation tokens (Unicode-aware,
so Arabic and Persian words with diacritics or ZWNJ stay whole), diffed with
:class:`difflib.SequenceMatcher`, and each run of changes is shown as one
deletion followed by one insertion. The equal and deleted segments always
concatenate to the old text, the equal and inserted ones to the new text.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from cosign.core.document import paragraphs

__all__ = ["Segment", "diff_stats", "paragraph_diff", "tokenize", "word_diff"]

EQUAL = "equal"
INSERT = "insert"
DELETE = "delete"

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
_JOINERS = frozenset("\u200c\u200d")


@dataclass(frozen=True)
class Segment:
    """A piece of text that is unchanged, inserted or deleted."""

    op: str  # "equal" | "insert" | "delete"
    text: str


def _is_word(token: str) -> bool:
    return bool(_WORD.match(token))


def _is_joining(token: str) -> bool:
    """Combining marks and zero-width joiners belong to the word around them."""
    return all(ch in _JOINERS or unicodedata.category(ch).startswith("M") for ch in token)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into word, whitespace and single punctuation tokens."""
    tokens: list[str] = []
    glued = False  # the last token ends with a mark or joiner
    for token in _TOKEN.findall(text):
        if tokens and _is_word(tokens[-1]) and (_is_joining(token) or (glued and _is_word(token))):
            tokens[-1] += token
            glued = _is_joining(token)
        else:
            tokens.append(token)
            glued = False
    return tokens


def _words(text: str) -> list[str]:
    """The word tokens of ``text``."""
    return [token for token in tokenize(text) if _is_word(token)]


def _raw_segments(old: list[str], new: list[str]) -> list[Segment]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == EQUAL:
            segments.append(Segment(EQUAL, "".join(old[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment(DELETE, "".join(old[i1:i2])))
        if j2 > j1:
            segments.append(Segment(INSERT, "".join(new[j1:j2])))
    return segments


def _absorbed(segments: list[Segment], index: int) -> bool:
    """Whether an equal whitespace-only segment sits between two changes."""
    segment = segments[index]
    return (
        segment.op == EQUAL
        and segment.text.isspace()
        and 0 < index < len(segments) - 1
        and segments[index - 1].op != EQUAL
        and segments[index + 1].op != EQUAL
    )


def _group_changes(segments: list[Segment]) -> list[Segment]:
    """Turn each run of changes into one deletion then one insertion."""
    result: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            result.append(Segment(DELETE, "".join(deleted)))
        if inserted:
            result.append(Segment(INSERT, "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for index, segment in enumerate(segments):
        if segment.op == EQUAL and not _absorbed(segments, index):
            flush()
            result.append(segment)
            continue
        if segment.op != INSERT:
            deleted.append(segment.text)
        if segment.op != DELETE:
            inserted.append(segment.text)
    flush()
    return result


def word_diff(old: str, new: str) -> list[Segment]:
    """Diff two texts word by word.

    Whitespace between two changes is absorbed into them, so that
    ``"the quick brown"`` → ``"a slow red"`` is one deletion and one
    insertion rather than interleaved fragments.
    """
    return _group_changes(_raw_segments(tokenize(old), tokenize(new)))


def _paragraph_pairs(old: list[str], new: list[str]) -> list[list[Segment]]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    result: list[list[Segment]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == EQUAL:
            result.extend([Segment(EQUAL, text)] for text in old[i1:i2])
            continue
        paired = min(i2 - i1, j2 - j1)
        for offset in range(paired):
            result.append(word_diff(old[i1 + offset], new[j1 + offset]))
        result.extend([Segment(DELETE, text)] for text in old[i1 + paired:i2])
        result.extend([Segment(INSERT, text)] for text in new[j1 + paired:j2])
    return result


def paragraph_diff(old_body: str, new_body: str) -> list[list[Segment]]:
    """Diff two Markdown bodies paragraph by paragraph.

    Paragraphs (see :func:`cosign.core.document.paragraphs`) are aligned
    first; unchanged ones are a single equal segment, wholly added or
    removed ones a single insert or delete segment, and changed ones are
    word-diffed (paired in order within a changed run).
    """
    return _paragraph_pairs(paragraphs(old_body), paragraphs(new_body))


def diff_stats(segments: Iterable[Segment]) -> tuple[int, int]:
    """Count ``(words inserted, words deleted)`` in a list of segments.

    For :func:`paragraph_diff` output, flatten first, e.g. with
    ``itertools.chain.from_iterable``.
    """
    inserted = deleted = 0
    for segment in segments:
        words = len(_words(segment.text)) if segment.op != EQUAL else 0
        if segment.op == INSERT:
            inserted += words
        elif segment.op == DELETE:
            deleted += words
    return inserted, deleted

