"""Each term of the corpus as the model reads it in the sentences that use it, so that a question's word can meet
the pages' word for the same thing when the two share no letters: "money back" and "refund", "shipping" and
"delivery", "pensioners" and "older adults"."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .embed import Tokens, normalised
from .features import word_terms, word_terms_of

TERMS, VECTORS = "term_list.json", "term_vectors.npy"
# Enough uses of a term to read its common sense; a build encodes only the sentences needed to reach it for every
# term, so a large corpus costs a pass over a small share of its sentences.
USES_PER_TERM = 8


@dataclass(frozen=True)
class TermVectors:
    terms: tuple[str, ...]
    vectors: np.ndarray  # (terms, dimension), L2-normalised
    row: dict[str, int] = field(init=False, repr=False, compare=False)
    kept: dict[frozenset[str], np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "row", {t: i for i, t in enumerate(self.terms)})

    def rows_of(self, terms: frozenset[str]) -> np.ndarray:
        """The rows of the terms (-1 alone for a set with none), kept per set: a question's candidates are the
        index's cached sentence term sets, met again by the next question."""
        found = self.kept.get(terms)
        if found is None:
            found = self.kept[terms] = np.array([self.row[t] for t in terms if t in self.row] or [-1])
        return found

    def save(self, folder: Path) -> None:
        (folder / TERMS).write_text(json.dumps(list(self.terms)), encoding="utf-8")
        np.save(folder / VECTORS, self.vectors.astype(np.float16))

    @staticmethod
    def load(folder: Path) -> TermVectors:
        return TermVectors(tuple(json.loads((folder / TERMS).read_text(encoding="utf-8"))),
                           np.load(folder / VECTORS).astype(np.float32))


Words = tuple[tuple[tuple[int, int], tuple[str, ...]], ...]


def word_vectors(words: Words, tokens: Tokens) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """Each word (`word_terms_of`) with its terms and the mean of the token vectors it is made of."""
    inside = tokens.inside([span for span, _ in words])
    return [(terms, tokens.vectors[inside[:, i]].mean(0)) for i, (_, terms) in enumerate(words)
            if terms and inside[:, i].any()]


def needed(sentences: Sequence[str], uses: int = USES_PER_TERM) -> list[int]:
    """The sentences to read terms from: in order, each one that holds a term not yet seen `uses` times."""
    seen: dict[str, int] = {}
    chosen = []
    for i, text in enumerate(sentences):
        terms = {t for _, ts in word_terms_of(text) for t in ts}
        if any(seen.get(t, 0) < uses for t in terms):
            chosen.append(i)
            for t in terms:
                seen[t] = seen.get(t, 0) + 1
    return chosen


def build_term_vectors(sentences: Sequence[str], encode_tokens: Callable[[Sequence[str]], list[Tokens]],
                       batch: int, read: Callable[[int], None] | None = None) -> TermVectors:
    """Each term's vector: the normalised mean, over `sentences` (those `needed` picks), of the words that give
    it; `read` hears how many sentences have been read so far."""
    sums: dict[str, np.ndarray] = {}
    for start in range(0, len(sentences), batch):
        texts = sentences[start:start + batch]
        for text, tokens in zip(texts, encode_tokens(texts)):
            for terms, vector in word_vectors(word_terms_of(text), tokens):
                for t in terms:
                    sums[t] = sums[t] + vector if t in sums else vector.astype(np.float64)
        if read:
            read(start + len(texts))
    terms = tuple(sorted(sums))
    if not terms:
        return TermVectors((), np.zeros((0, 0), dtype=np.float32))
    return TermVectors(terms, normalised(np.vstack([sums[t] for t in terms])))


def question_vectors(question: str, tokens: Tokens | None, terms: Sequence[str]) -> np.ndarray | None:
    """One vector per question term, in `terms` order (zeros for a term no word gives); None without tokens."""
    if tokens is None or not terms:
        return None
    found: dict[str, list[np.ndarray]] = {}
    for given, vector in word_vectors(word_terms(question), tokens):
        for t in given:
            found.setdefault(t, []).append(vector)
    dimension = tokens.vectors.shape[1]
    return normalised(np.vstack([np.mean(found[t], 0) if t in found else np.zeros(dimension) for t in terms]))


def resemblance(table: TermVectors, terms: Sequence[str], vectors: np.ndarray | None,
                sets: Sequence[frozenset[str]]) -> np.ndarray:
    """For each set of terms and each question term, 1 when the set holds the term, else its best cosine with a
    term of the set (0 at worst): shape (sets, terms)."""
    if vectors is None or not sets or not len(terms) or not len(table.terms):
        return np.zeros((len(sets), len(terms)))
    held = [table.rows_of(s) for s in sets]
    starts = np.cumsum([0] + [len(h) for h in held[:-1]])
    rows = np.concatenate(held)
    # Each distinct term once: the sets share most of their terms, and gathering a vector per mention would copy
    # megabytes a question.
    distinct, mention = np.unique(rows, return_inverse=True)
    # Summed in numpy's own loops, not BLAS: its threads would spin on after the product, taking the cores the
    # next question's encoding needs (a few hundred terms by a few question terms is no work for them anyway).
    cosines = np.einsum("ij,kj->ik", table.vectors[np.maximum(distinct, 0)], vectors)
    cosines[distinct < 0] = 0.0
    asked = np.array([table.row.get(t, -2) for t in terms])
    cosines[distinct[:, None] == asked[None, :]] = 1.0  # a term the set holds counts whole
    return np.clip(np.maximum.reduceat(cosines[mention], starts, axis=0), 0.0, 1.0)


def nearest(table: TermVectors, vectors: np.ndarray) -> np.ndarray:
    """Each vector's best cosine with any term of the table (0 with none)."""
    if not len(table.terms) or not len(vectors):
        return np.zeros(len(vectors))
    # In the table's precision: a float64 product would copy the whole table first.
    return np.clip(np.einsum("ij,kj->ik", vectors.astype(table.vectors.dtype), table.vectors).max(axis=1), 0.0, 1.0)
