"""How alike two Chinese texts are: jieba word segmentation, word shingles, Jaccard and containment,
and an index that finds the texts alike to a given one without comparing every pair.

Rules:
- texts are normalised first (NFKC: full-width letters and digits become half-width); every run of
  digits (dates, percentages, counts, amounts) becomes one placeholder, so that a copy with new dates
  and figures is still a copy; punctuation, spaces and a few function words (的、了、和…) are dropped;
- shingles are runs of `SHINGLE` (3) consecutive words within one clause (a clause shorter than that is
  one shingle), so clauses and sentences in another order keep their shingles; texts of fewer than
  `MIN_WORDS` words are too short to judge and never match;
- two texts are alike when the Jaccard index of their shingle sets reaches `JACCARD` or the
  containment (shared shingles over the smaller set) reaches `CONTAINMENT` — the latter catches a copy
  with a sentence added or removed.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

SHINGLE = 3
MIN_WORDS = 8
JACCARD = 0.6
CONTAINMENT = 0.8
EXCERPT = 80

NUMBER = "X"
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*|[零〇一二三四五六七八九十百千万两]+(?=[年月日号个家项处座条台户人元吨米%％])")
_DROP_RE = re.compile(r"[\s\W_]+", re.UNICODE)
STOP_WORDS = frozenset("的 了 和 与 及 以及 等 在 对 已 将 并 是 为 于 把 被 也 均 都 已经 正在 进行 开展 工作".split())


@lru_cache(maxsize=1)
def _jieba() -> object:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return _NUMBER_RE.sub(f" {NUMBER} ", text)


def clauses(text: str) -> list[list[str]]:
    """The words of each clause (text between punctuation marks) after normalising: no spaces, no
    function words."""
    jieba = _jieba()
    out: list[list[str]] = [[]]
    for token in jieba.lcut(normalise(text)):  # type: ignore[attr-defined]
        word = _DROP_RE.sub("", token)
        if not word:
            if token.strip() and out[-1]:
                out.append([])  # punctuation ends a clause (a space does not)
            continue
        if word not in STOP_WORDS:
            out[-1].append(word)
    return [clause for clause in out if clause]


def words(text: str) -> list[str]:
    """The words of a text after normalising: no punctuation, no spaces, no function words."""
    return [word for clause in clauses(text) for word in clause]


def shingles(text: str, n: int = SHINGLE) -> frozenset[int]:
    """The set of n-word shingles of a text, each within one clause (so that clauses and sentences in
    another order keep their shingles), each as a stable 32-bit number (CRC-32 of its words: stable
    across processes, unlike Python's `hash` of strings)."""
    return shingles_of_clauses(clauses(text), n)


def shingles_of_clauses(parts: list[list[str]], n: int = SHINGLE) -> frozenset[int]:
    found: set[int] = set()
    for ws in parts:
        if len(ws) < n:
            found.add(zlib.crc32(" ".join(ws).encode()))
        else:
            found.update(zlib.crc32(" ".join(ws[i:i + n]).encode()) for i in range(len(ws) - n + 1))
    return frozenset(found)


def shingles_of_words(ws: list[str], n: int = SHINGLE) -> frozenset[int]:
    """Shingles of one run of words (one clause)."""
    return shingles_of_clauses([ws] if ws else [], n)


@dataclass(frozen=True)
class Similarity:
    jaccard: float
    containment: float

    @property
    def alike(self) -> bool:
        return self.jaccard >= JACCARD or self.containment >= CONTAINMENT

    @property
    def score(self) -> float:
        return max(self.jaccard, self.containment)


def similarity(a: frozenset[int], b: frozenset[int]) -> Similarity:
    """Jaccard and containment of two shingle sets."""
    if not a or not b:
        return Similarity(0.0, 0.0)
    shared = len(a & b)
    return Similarity(shared / len(a | b), shared / min(len(a), len(b)))


@dataclass(frozen=True)
class Prepared:
    """A text ready for comparison."""

    shingles: frozenset[int]
    word_count: int

    @property
    def judgeable(self) -> bool:
        return self.word_count >= MIN_WORDS


def prepare(text: str) -> Prepared:
    parts = clauses(text)
    return Prepared(shingles_of_clauses(parts), sum(len(ws) for ws in parts))


def texts_alike(a: str, b: str) -> Similarity | None:
    """The similarity of two texts when they are alike (see the module's rules), else None."""
    pa, pb = prepare(a), prepare(b)
    if not (pa.judgeable and pb.judgeable):
        return None
    result = similarity(pa.shingles, pb.shingles)
    return result if result.alike else None


def excerpt(text: str, length: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[:length] + "…"


class ShingleIndex:
    """Texts filed under their shingles, to find the texts alike to one without comparing all pairs.

    A shingle found in more than `max_postings` texts (template phrases every unit writes) is not used
    to find candidates — two copies share plenty of rarer shingles — but still counts in the final
    comparison, which is exact."""

    def __init__(self, *, max_postings: int = 200) -> None:
        self.max_postings = max_postings
        self.texts: dict[Hashable, Prepared] = {}
        self.postings: dict[int, list[Hashable]] = defaultdict(list)

    def add(self, key: Hashable, prepared: Prepared) -> None:
        if not prepared.judgeable or key in self.texts:
            return
        self.texts[key] = prepared
        for shingle in prepared.shingles:
            self.postings[shingle].append(key)

    def alike(self, prepared: Prepared, *, exclude: Iterable[Hashable] = ()) -> Iterator[tuple[Hashable, Similarity]]:
        """The filed texts alike to `prepared`, best first."""
        if not prepared.judgeable:
            return
        skip = set(exclude)
        counts: Counter[Hashable] = Counter()
        rare = 0
        for shingle in prepared.shingles:
            keys = self.postings.get(shingle)
            if not keys or len(keys) > self.max_postings:
                continue
            rare += 1
            counts.update(keys)
        # one shared rare shingle is chance (a place name, a project); a copy shares many
        floor = 2 if rare >= 4 else 1
        found = []
        for key, shared in counts.items():
            if shared < floor or key in skip:
                continue
            result = similarity(prepared.shingles, self.texts[key].shingles)
            if result.alike:
                found.append((key, result))
        found.sort(key=lambda item: -item[1].score)
        yield from found
