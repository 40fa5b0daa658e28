"""Tests for cosign.core.diff: word and paragraph diffs."""

import itertools

import pytest

from cosign.core.diff import Segment, diff_stats, paragraph_diff, tokenize, word_diff

EQ, INS, DEL = "equal", "insert", "delete"


def side(segments: list[Segment], op: str) -> str:
    return "".join(s.text for s in segments if s.op in (EQ, op))


PAIRS = [
    ("", ""),
    ("", "new text"),
    ("old text", ""),
    ("same", "same"),
    ("the quick brown fox", "a slow red fox"),
    ("We call for peace.", "We call for a lasting peace!"),
    ("One, two, three.", "One two three"),
    ("a b c d e f", "a x c y e z"),
    ("  leading and trailing  ", "leading and trailing"),
    ("line one\nline two", "line one\n\nline 2"),
    ("نحن ندعو إلى السلام", "نحن ندعو إلى العدالة والسلام"),
    ("كَتَبَ الطالبُ", "كتب الطالبُ"),
    ("Café crème", "Cafe creme"),
    ("repeat repeat repeat", "repeat, repeat; repeat"),
    ("x" * 50 + " y", "y " + "x" * 50),
]


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_word_diff_reconstructs_both_sides(old: str, new: str) -> None:
    segments = word_diff(old, new)
    assert side(segments, DEL) == old
    assert side(segments, INS) == new


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_word_diff_merges_and_orders_segments(old: str, new: str) -> None:
    segments = word_diff(old, new)
    assert all(s.text for s in segments)
    for first, second in itertools.pairwise(segments):
        assert first.op != second.op
        assert (first.op, second.op) != (INS, DEL)


def test_replacement_reads_as_one_delete_and_one_insert() -> None:
    assert word_diff("the quick brown fox", "a slow red fox") == [
        Segment(DEL, "the quick brown"),
        Segment(INS, "a slow red"),
        Segment(EQ, " fox"),
    ]


def test_insertion_and_punctuation() -> None:
    assert word_diff("We call for peace.", "We call for a lasting peace!") == [
        Segment(EQ, "We call for "),
        Segment(INS, "a lasting "),
        Segment(EQ, "peace"),
        Segment(DEL, "."),
        Segment(INS, "!"),
    ]


def test_arabic_word_diff() -> None:
    assert word_diff("نحن ندعو إلى السلام", "نحن ندعو إلى العدالة") == [
        Segment(EQ, "نحن ندعو إلى "),
        Segment(DEL, "السلام"),
        Segment(INS, "العدالة"),
    ]


def test_tokenize_keeps_marks_and_joiners_in_words() -> None:
    assert tokenize("كَتَبَ، نمی\u200cخواهم") == ["كَتَبَ", "،", " ", "نمی\u200cخواهم"]
    assert tokenize("Hello, world!") == ["Hello", ",", " ", "world", "!"]


def test_diff_stats() -> None:
    segments = word_diff("the quick brown fox", "a slow red fox jumps")
    assert diff_stats(segments) == (4, 3)
    assert diff_stats(word_diff("same", "same")) == (0, 0)
    assert diff_stats([Segment(INS, ", ; !")]) == (0, 0)


def test_paragraph_diff() -> None:
    old = "Intro stays.\n\nWe call for peace.\n\nRemoved paragraph."
    new = "New first paragraph.\n\nIntro stays.\n\nWe call for justice."
    assert paragraph_diff(old, new) == [
        [Segment(INS, "New first paragraph.")],
        [Segment(EQ, "Intro stays.")],
        [Segment(EQ, "We call for "), Segment(DEL, "peace"), Segment(INS, "justice"),
         Segment(EQ, ".")],
        [Segment(DEL, "Removed paragraph.")],
    ]


def test_paragraph_diff_ignores_whitespace_noise() -> None:
    assert paragraph_diff("A  b.\r\n\r\n\r\nC.", "A b.\n\nC.  ") == [
        [Segment(EQ, "A b.")],
        [Segment(EQ, "C.")],
    ]


def test_paragraph_diff_stats_when_flattened() -> None:
    result = paragraph_diff("One two.\n\nGone here.", "One three.")
    assert diff_stats(itertools.chain.from_iterable(result)) == (1, 3)


def test_paragraph_diff_of_empty_bodies() -> None:
    assert paragraph_diff("", "") == []
    assert paragraph_diff("", "New.") == [[Segment(INS, "New.")]]
