"""The query path shared by the CLI, the HTTP service and the eval harness."""

from __future__ import annotations

from .answer import Answer, compose_answer
from .embed import Encoder
from .errors import QueryError, UnknownDocumentError
from .errors import IndexMissingError, IndexStaleError
from .index import Index, Progress, build_index, load_index
from .retrieve import Hit, Query, search
from .settings import AnswerSettings, RetrievalSettings, Settings


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


class Engine:
    """An index and the encoder that queries it, with the settings they were opened with."""

    def __init__(self, index: Index, encoder: Encoder, settings: Settings) -> None:
        self.index = index
        self.encoder = encoder
        self.settings = settings

    @classmethod
    def open(cls, settings: Settings, build_if_needed: bool = False, progress: Progress | None = None) -> "Engine":
        """Load the index; with build_if_needed, (re)build it first when it is missing or stale."""
        encoder = Encoder(settings.model)
        try:
            index = load_index(settings)
        except (IndexMissingError, IndexStaleError):
            if not build_if_needed:
                raise
            build_index(settings, encoder.load(), progress)
            index = load_index(settings)
        return cls(index, encoder.load(), settings)

    def query(self, text: str) -> Query:
        vector = self.encoder.encode([text])[0]
        return Query(text, vector, self.index.lexicon.terms(text))

    def search(self, text: str, k: int | None = None, doc_ids: list[str] | None = None) -> list[Hit]:
        text = check_question(text, "query", self.settings.answer)
        k = check_k(k, "k", self.settings.retrieval)
        self.check_doc_ids(doc_ids)
        return search(self.index, self.query(text), k, self.settings.retrieval, doc_ids)

    def ask(self, question: str, top_k: int | None = None, doc_ids: list[str] | None = None) -> Answer:
        question = check_question(question, "question", self.settings.answer)
        k = check_k(top_k, "top_k", self.settings.retrieval)
        self.check_doc_ids(doc_ids)
        query = self.query(question)
        hits = search(self.index, query, k, self.settings.retrieval, doc_ids)
        return compose_answer(self.index, query, hits, self.settings)

    def check_doc_ids(self, doc_ids: list[str] | None) -> None:
        unknown = [d for d in doc_ids or [] if d not in self.index.documents]
        if unknown:
            raise UnknownDocumentError(unknown)
