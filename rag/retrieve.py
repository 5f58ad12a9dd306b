"""Hybrid retrieval: dense (FAISS) and BM25 candidates, fused, then weighted by evidence tier."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .clock import Clock
from .dense import search_params
from .embed import Tokens
from .index import Index
from .settings import RetrievalSettings
from .stance import question_topics


@dataclass(frozen=True)
class Scores:
    """How a passage's score was made: dense cosine, raw and normalised BM25, their fusion, tier weight, product."""
    dense: float
    bm25: float
    lexical: float
    fused: float
    weight: float
    final: float

    def rounded(self) -> dict[str, float]:
        return {"dense": round(self.dense, 4), "bm25": round(self.bm25, 4), "lexical": round(self.lexical, 4),
                "fused": round(self.fused, 4), "weight": self.weight, "final": round(self.final, 4)}


@dataclass(frozen=True)
class Hit(Scores):
    chunk: int


@dataclass(frozen=True)
class Query:
    text: str
    vector: np.ndarray
    terms: list[str]
    # The documents the question points at by name or by what they are ("the leaflet"): found once, asked for by
    # retrieval, the features and the ordering; and the question's terms that point at them.
    pointed: frozenset[str]
    pointing: frozenset[str] = frozenset()
    tokens: Tokens | None = None  # the question's token vectors, for the features that leave words out


def search(index: Index, query: Query, k: int, settings: RetrievalSettings, doc_ids: list[str] | None = None,
           clock: Clock | None = None) -> list[Hit]:
    """The k best chunks for the query, best first, each with its score breakdown (stage times on `clock`)."""
    clock = clock or Clock()
    mask = index.chunk_mask(doc_ids)
    n = len(index.chunks) if mask is None else int(mask.sum())
    if n == 0:
        return []
    depth = min(max(settings.candidates, k), n)
    dense_ids = _dense_candidates(index, query.vector, depth, mask) if settings.mode != "bm25" else []
    clock.lap("dense")
    lexical_terms = query.terms if settings.mode != "dense" else []
    bm25_ids = index.lexicon.matches(lexical_terms, mask).top(depth)
    clock.lap("bm25")
    candidates = list(dict.fromkeys(dense_ids + bm25_ids))
    if not candidates:
        return []
    bm25 = index.lexicon.scores_at(lexical_terms, candidates)
    dense = _cosines(index, query.vector, candidates)
    ceiling = index.lexicon.ceiling(query.terms)
    lexical = np.clip(bm25 / ceiling, 0.0, 1.0) if ceiling > 0 else np.zeros(len(candidates))
    fused = fuse(dense, lexical, settings)
    weights = np.array([settings.weight(tier) for tier in index.tiers_of(candidates)])
    final = fused * weights
    order = np.argsort(-final, kind="stable")[:k]
    # The weight orders the evidence but does not shut out the passage that matches best: asked who should not
    # have a treatment, the leaflet's section saying so is the closest match, and eight of the review's passages
    # on the treatment in general outweigh it. It takes the last place, so the weighted best still leads.
    best = int(np.argmax(fused))
    if best not in order and len(order) > 1:
        order = np.append(order[:-1], best)
    clock.lap("fusion")
    return [Hit(dense=float(dense[i]), bm25=float(bm25[i]), lexical=float(lexical[i]), fused=float(fused[i]),
                weight=float(weights[i]), final=float(final[i]), chunk=candidates[i]) for i in order]


def search_pointed(index: Index, query: Query, k: int, settings: RetrievalSettings, doc_ids: list[str] | None = None,
                   clock: Clock | None = None) -> list[Hit]:
    """The best few passages of the documents the question points at, then `search`'s hits not among them: "what
    does the leaflet say about X" is answered from the leaflet, however closely other pages echo X."""
    return _with_pointed(index, query, search(index, query, k, settings, doc_ids, clock), settings, doc_ids)


def search_further(index: Index, query: Query, k: int, settings: RetrievalSettings,
                   doc_ids: list[str] | None = None, clock: Clock | None = None) -> tuple[list[Hit], list[Hit]]:
    """`search_pointed`'s hits, and the passages ranked after them up to `settings.quote_k` (from one search):
    those the question is judged on, and those that may be quoted besides."""
    ranked = search(index, query, max(k, settings.quote_k), settings, doc_ids, clock)
    hits = _with_pointed(index, query, ranked[:k], settings, doc_ids)
    held = {h.chunk for h in hits}
    return hits, [h for h in ranked[k:] if h.chunk not in held]


def _with_pointed(index: Index, query: Query, hits: list[Hit], settings: RetrievalSettings,
                  doc_ids: list[str] | None) -> list[Hit]:
    """The hits with the strongest tier's and the pointed pages' best passages, unless the search was confined."""
    if not doc_ids:
        hits = with_strongest_tier(index, query, hits, settings)
    if doc_ids or not query.pointed:
        return hits
    pointed = search(index, within_pointed(query), settings.pointed_hits, settings, sorted(query.pointed))
    lead = settings.pointed_lead
    return _joined(_joined(pointed[:lead], hits), pointed[lead:])


def _joined(first: list[Hit], then: list[Hit]) -> list[Hit]:
    """`first`, then the hits of `then` whose passages are not among them."""
    held = {h.chunk for h in first}
    return first + [h for h in then if h.chunk not in held]


def with_strongest_tier(index: Index, query: Query, hits: list[Hit], settings: RetrievalSettings) -> list[Hit]:
    """On whether it works, is safe or is well supported, the hits plus the strongest tier's best passages when one
    page holds most of the hits and the strongest tier none: "do kegels actually do anything?" matches a listicle's
    every "Kegels" better than a review that calls them pelvic floor muscle training, and the review must still be
    heard. Whether its passages answer is the scorer's to say, so a review that does not speak to the question is
    not quoted."""
    if not settings.weighting or not hits or not question_topics(query.text):
        return hits
    # Through document positions and tiers, as `Index.tiers_of` reads them: no chunk record is built.
    chunks = [h.chunk for h in hits]
    if max(Counter(index.doc_of_chunk[chunks].tolist()).values()) * 2 <= len(hits):
        return hits
    rank = {d: settings.tier_rank(doc.evidence_tier) for d, doc in index.documents.items()}
    strongest = min(rank.values())
    if any(settings.tier_rank(t) == strongest for t in index.tiers_of(chunks)):
        return hits
    return hits + search(index, query, settings.pointed_hits, settings, sorted(d for d in rank if rank[d] == strongest))


def within_pointed(query: Query) -> Query:
    """The question as put to the pages it points at, its terms without the words that point ("according to the
    hospital leaflet"): inside those pages they match the page's masthead and contact details, not the answer. The
    question's vector stays whole: pooled without those words as well, it found a key phrase or two more but
    declined a near miss or two fewer over the evaluation corpora, no gain for the extra step."""
    terms = unpointed(query.terms, query.pointing)
    return query if terms == query.terms else replace(query, terms=terms)


def unpointed(terms: Sequence[str], pointing: frozenset[str]) -> list[str]:
    """The terms less the words that point at a source ("the Acme blog", "the leaflet"), which say where to look,
    not what is asked; all of them when nothing else is asked."""
    return [t for t in terms if t not in pointing] or list(terms)


def fuse(dense: np.ndarray, lexical: np.ndarray, settings: RetrievalSettings) -> np.ndarray:
    """Combine per-candidate dense cosines and normalised BM25 into one score in [0, 1]."""
    if settings.mode == "dense":
        return np.clip(dense, 0.0, 1.0)
    if settings.mode == "bm25":
        return lexical
    if settings.fusion == "rrf":
        return reciprocal_rank(dense, settings.rrf_k) + reciprocal_rank(lexical, settings.rrf_k)
    return settings.dense_share * np.clip(dense, 0.0, 1.0) + (1 - settings.dense_share) * lexical


def reciprocal_rank(scores: np.ndarray, k: int) -> np.ndarray:
    """1/(k + rank) per item, scaled so rank 1 scores 0.5 and two first places sum to 1."""
    ranks = np.empty(len(scores))
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return (k + 1) / (2 * (k + ranks))


def _dense_candidates(index: Index, vector: np.ndarray, depth: int, mask: np.ndarray | None) -> list[int]:
    _one_faiss_thread()
    params = search_params(index.dense, None if mask is None else np.flatnonzero(mask))
    _, ids = index.dense.search(vector.reshape(1, -1), depth, params=params)
    return [int(i) for i in ids[0] if i >= 0]


_searching = threading.local()


def _one_faiss_thread() -> None:
    """A query searches on one FAISS thread; queries run side by side on the server's threads. OpenMP's workers
    would otherwise spin against the encoder's for the cores: a 10M search took 18 ms instead of 4. OpenMP
    keeps the setting per thread, so each thread that answers sets it once."""
    if not getattr(_searching, "single", False):
        import faiss

        faiss.omp_set_num_threads(1)
        _searching.single = True


def _cosines(index: Index, vector: np.ndarray, ids: list[int]) -> np.ndarray:
    vectors = index.dense.reconstruct_batch(np.asarray(ids, dtype=np.int64))
    return vectors @ vector
