"""Word-level diff of the largest allowed statement, against a naive word diff.

The history page diffs two revisions on every view, so the word diff of a
100,000-character text must stay interactive. cosign aligns paragraphs first
and word-diffs only changed paragraphs; the baseline runs one SequenceMatcher
over every word of the text. Prints both timings and the ratio.
"""
from __future__ import annotations

import random
import statistics
import time

from cosign.core.diff import paragraph_diff, word_diff

WORDS = ("we the undersigned organisations condemn killing of peaceful protesters security forces "
         "call on authorities release detained investigation justice accountability rights").split()


def statement(rng: random.Random, size: int) -> str:
    paragraphs, length = [], 0
    while length < size:
        paragraph = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 120))) + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:size]


def edited(rng: random.Random, text: str, changes: int) -> str:
    words = text.split(" ")
    for _ in range(changes):
        i = rng.randrange(len(words))
        words[i] = rng.choice(WORDS) if rng.random() < 0.7 else ""
    return " ".join(w for w in words if w)


def timed(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> int:
    rng = random.Random(7)
    old = statement(rng, 100_000)
    new = edited(rng, old, 300)
    word = timed(lambda: paragraph_diff(old, new))
    naive = timed(lambda: word_diff(old, new), repeat=3)
    ratio = word / naive
    print(f"text: {len(old):,} characters, {len(old.split()):,} words, 300 word edits")
    print(f"word diff (cosign.core.diff.paragraph_diff): {word * 1000:8.1f} ms (median of 5)")
    print(f"naive whole-text word diff (baseline):       {naive * 1000:8.1f} ms (median of 3)")
    print(f"ratio: {ratio:.1f}x")
    ok = word < 0.5 and ratio <= 1.0
    print("target (under 0.5 s and no slower than the naive diff):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
