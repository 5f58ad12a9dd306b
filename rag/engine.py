"""The query path shared by the CLI, the HTTP service and the eval harness."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from collections.abc import Callable
from typing import TypeVar

import numpy as np
from cachetools import LRUCache

from .answer import Answer, compose_answer, pointed_documents, weigh_evidence
from .clock import Clock
from .context import Context, evidence_chunks, pack_context
from .build import Progress, build_apart, build_index
from .embed import Batcher, Encoder, Tokens, TorchEncoder, query_encoder
from .errors import QueryError, UnknownDocumentError
from .errors import IndexMissingError, IndexStaleError
from .index import Index, load_index
from .lexical import plain_chat
from .retrieve import Hit, Query, Scores, search, search_further, search_pointed
from .scorer import Scorer, load_scorer
from .settings import AnswerSettings, RetrievalSettings, Settings

T = TypeVar("T")


def check_question(text: object, field: str, rules: AnswerSettings) -> str:
    """The question stripped, or QueryError naming the field."""
    if not isinstance(text, str) or not text.strip():
        raise QueryError(field, "must be a non-empty string")
    if len(text) > rules.max_question_chars:
        raise QueryError(field, f"is {len(text)} characters long; the limit is {rules.max_question_chars}")
    return text.strip()


def check_k(k: object, field: str, rules: RetrievalSettings) -> int:
    if k is None:
        return rules.top_k
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= rules.max_top_k:
        raise QueryError(field, f"must be an integer from 1 to {rules.max_top_k}")
    return k


@dataclass(frozen=True, kw_only=True)
class Passage(Scores):
    """A search hit as clients see it: where it is, what it says, and how its score was made."""
    rank: int
    chunk_id: str
    doc_id: str
    title: str
    evidence_tier: str
    char_start: int
    char_end: int
    text: str


class Engine:
    """An index and the encoder that queries it, with the settings they were opened with."""

    def __init__(self, index: Index, encoder: Encoder, settings: Settings, scorer: Scorer | None = None) -> None:
        self.index = index
        self.encoder = encoder
        self.settings = settings
        self._scorer = scorer
        # Per engine, so a reindex (which makes a new engine) can never serve an answer from the old index.
        size = max(settings.cache_size, 1)
        self._vectors: LRUCache = LRUCache(size)
        self._answers: LRUCache = LRUCache(size)
        self._cache_lock = threading.Lock()

    @property
    def scorer(self) -> Scorer:
        """The fitted scorer, loaded on first use, so fitting a new one never needs an old one."""
        if self._scorer is None:
            self._scorer = load_scorer(self.settings.answer.scorer)
        return self._scorer

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._vectors.clear()
            self._answers.clear()

    def _cached(self, cache: LRUCache, key: object, make: Callable[[], T]) -> T:
        if self.settings.cache_size <= 0:
            return make()
        with self._cache_lock:
            found = cache.get(key)
        if found is None:
            found = make()
            with self._cache_lock:
                cache[key] = found
        return found

    @classmethod
    def over(cls, index: Index, settings: Settings, model: TorchEncoder | None = None) -> "Engine":
        """An engine for a loaded index, querying through the backend the settings name."""
        return cls(index, query_encoder(settings.model, index.path, model), settings)

    @classmethod
    def open(cls, settings: Settings, build_if_needed: bool = False, progress: Progress | None = None,
             apart: bool = False) -> "Engine":
        """Load the index; with build_if_needed, (re)build it first when it is missing or stale.

        The torch model is loaded only to build, or to query when it is the configured backend; `apart`
        builds in another process, so a long-lived caller never holds the model at all.
        """
        model = None
        try:
            index = load_index(settings)
        except (IndexMissingError, IndexStaleError):
            if not build_if_needed:
                raise
            if apart:
                build_apart(settings)
            else:
                model = TorchEncoder(settings.model).load()
                build_index(settings, model, progress)
            index = load_index(settings)
        return cls.over(index, settings, model)

    def batched(self) -> "Engine":
        """The same index and encoder with concurrent callers' questions encoded in shared batches."""
        return Engine(self.index, Batcher(self.encoder, self.settings.model.batch_size), self.settings, self._scorer)

    def query(self, question: str) -> Query:
        """The question as retrieval and the scorer read it: chat spellings written out ("a 30 yr old")."""
        text = plain_chat(question)
        tokens, vector = self._cached(self._vectors, text, lambda: self._embed(text))
        return Query(text, vector, self.index.lexicon.query_terms(text), *pointed_documents(self.index, text),
                     tokens=tokens)

    def _embed(self, text: str) -> tuple[Tokens, np.ndarray]:
        tokens = self.encoder.encode_tokens([text])[0]
        vector = tokens.pooled()
        for shared in (vector, tokens.vectors, tokens.spans):  # by every later caller of the cache
            shared.setflags(write=False)
        return tokens, vector

    def search(self, text: str, k: int | None = None, doc_ids: list[str] | None = None) -> list[Hit]:
        text = check_question(text, "query", self.settings.answer)
        k = check_k(k, "k", self.settings.retrieval)
        self.check_doc_ids(doc_ids)
        return search_pointed(self.index, self.query(text), k, self.settings.retrieval, doc_ids)[:k]

    def passages(self, hits: list[Hit]) -> list[Passage]:
        out = []
        for rank, h in enumerate(hits, start=1):
            chunk = self.index.chunks[h.chunk]
            doc = self.index.documents[chunk.doc_id]
            out.append(Passage(rank=rank, chunk_id=chunk.id, doc_id=doc.id, title=doc.title,
                               evidence_tier=doc.evidence_tier, char_start=chunk.char_start, char_end=chunk.char_end,
                               text=self.index.chunk_text(chunk), **h.rounded()))
        return out

    def ask(self, question: str, top_k: int | None = None, doc_ids: list[str] | None = None,
            timings: dict[str, float] | None = None) -> Answer:
        """Answer the question; when given, `timings` receives milliseconds per stage."""
        question = check_question(question, "question", self.settings.answer)
        k = check_k(top_k, "top_k", self.settings.retrieval)
        self.check_doc_ids(doc_ids)
        clock = Clock(timings)
        key = (question, k, tuple(doc_ids or ()))
        answer = self._cached(self._answers, key, lambda: self._compose(question, k, doc_ids, clock))
        if not clock.taken:
            clock.lap("cache")
        return answer

    def _compose(self, question: str, k: int, doc_ids: list[str] | None, clock: Clock) -> Answer:
        query = self.query(question)
        clock.lap("encode")
        hits, further = search_further(self.index, query, k, self.settings.retrieval, doc_ids, clock)
        answer = compose_answer(self.index, query, hits, self.settings, self.scorer, self.threshold, further)
        clock.lap("compose")
        return replace(answer, question=question)

    def context(self, question: str, max_tokens: int) -> Context:
        question = check_question(question, "question", self.settings.answer)
        low, high = self.settings.answer.context_tokens_range
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not low <= max_tokens <= high:
            raise QueryError("max_tokens", f"must be an integer from {low} to {high}")
        query = self.query(question)
        # Enough passages to fill the budget, if they are relevant enough to be packed.
        rules = self.settings.retrieval
        k = min(rules.max_top_k, max(rules.top_k, max_tokens // self.settings.chunking.max_tokens))
        hits = search_pointed(self.index, query, k, rules)
        evidence = weigh_evidence(self.index, query, hits, self.settings, self.scorer)
        chunks = evidence_chunks(self.index, query, evidence, self.settings, self.scorer.stance)
        return pack_context(self.index, question, chunks, round(evidence.confidence, 4),
                            evidence.confidence >= self.threshold, max_tokens, self.settings.chunking.encoding)

    @property
    def threshold(self) -> float:
        """P(answered) below which answers abstain: the configured one, else the scorer's fitted one."""
        configured = self.settings.answer.min_confidence
        return self.scorer.threshold if configured is None else configured

    def check_doc_ids(self, doc_ids: list[str] | None) -> None:
        unknown = [d for d in doc_ids or [] if d not in self.index.documents]
        if unknown:
            raise UnknownDocumentError(unknown)
