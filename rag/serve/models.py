"""Request and response models of the HTTP API, and the schema details Litestar leaves out."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Annotated, Any

import msgspec
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Schema

from ..answer import Answer
from ..corpus import ID_PATTERN, Metadata
from ..engine import Passage
from ..generate import Generated, Mode, Verification
from ..settings import Settings



# The schema states the default limits so clients and contract tests know them; the engine applies the
# configured ones, and says which field broke which rule.
_DEFAULTS = Settings()
# Not only whitespace: the class spells out what Python's str.strip removes and other regex dialects'
# \s leaves out, so schema and server agree.
Question = Annotated[str, msgspec.Meta(min_length=1, max_length=_DEFAULTS.answer.max_question_chars,
                                       pattern=r"[^\s\x1c-\x1f\x85]",
                                       description="Plain text; surrounding whitespace is ignored")]
TopK = Annotated[int, msgspec.Meta(ge=1, le=_DEFAULTS.retrieval.max_top_k)]
# Anchored for JSON Schema, where a pattern may match anywhere in the string.
ID_SCHEMA_PATTERN = f"^{ID_PATTERN.pattern}$"
DocId = Annotated[str, msgspec.Meta(pattern=ID_SCHEMA_PATTERN)]
# Litestar drops constraints on list items from the schema, so the item schema is stated again for it.
DocIds = Annotated[list[DocId], msgspec.Meta(extra_json_schema={
    "description": "Restrict retrieval to these documents",
    "extra": {"items": Schema(type=OpenAPIType.STRING, pattern=ID_SCHEMA_PATTERN)}})]


class AskRequest(msgspec.Struct, forbid_unknown_fields=True):
    question: Question
    top_k: TopK | None = None
    doc_ids: DocIds | None = None
    # generate: a language model writes from the evidence, and only sentences its cited quotes support are kept.
    mode: Mode = "extractive"


class SearchRequest(msgspec.Struct, forbid_unknown_fields=True):
    query: Question
    k: TopK | None = None
    doc_ids: DocIds | None = None


class ContextRequest(msgspec.Struct, forbid_unknown_fields=True):
    question: Question
    max_tokens: Annotated[int, msgspec.Meta(ge=_DEFAULTS.answer.context_tokens_range[0],
                                            le=_DEFAULTS.answer.context_tokens_range[1])] = _DEFAULTS.answer.context_tokens


@dataclass(frozen=True)
class AskResponse(Answer):
    """The answer object, how it was made, and how long each stage took."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    # What actually answered: a generate request that falls back is answered extractively, saying why.
    mode: Mode = "extractive"
    fallback_reason: str | None = None
    # Generated sentences kept, and those dropped with the reason (null for extractive requests).
    verification: Verification | None = None

    @classmethod
    def of(cls, made: Generated, timings_ms: dict[str, float]) -> "AskResponse":
        return cls(**{f.name: getattr(made.answer, f.name) for f in fields(Answer)}, timings_ms=timings_ms,
                   mode=made.mode, fallback_reason=made.fallback_reason, verification=made.verification)


@dataclass(frozen=True)
class SearchResponse:
    query: str
    hits: list[Passage]


@dataclass(frozen=True)
class DocumentSummary(Metadata):
    # 0 is the strongest evidence tier in the configured table.
    evidence_rank: int
    chars: int


@dataclass(frozen=True)
class DocumentDetail(DocumentSummary):
    text: str = ""


@dataclass(frozen=True)
class ReindexStatus:
    state: str  # idle | running | succeeded | failed
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class LoadProgress:
    """Where loading the index has got to, so a client can say more than "loading"."""
    step: str  # loading | building | warming-up
    # While building: texts embedded so far, of how many.
    done: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class Readiness:
    status: str  # loading | failed | ready | degraded
    built_at: str | None = None
    model: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    reindex: ReindexStatus = field(default_factory=lambda: ReindexStatus("idle"))
    progress: LoadProgress | None = None
    # Why the index could not be loaded, when status is failed.
    error: str | None = None
    # The build being served (its folder under index/builds/); it changes when a new index is swapped in.
    build_id: str | None = None
    # Whether `mode: generate` can be asked for (a language model is configured); never which one, nor its key.
    generate: bool = False


@dataclass(frozen=True)
class Embedding:
    """How much of a build's embedding was taken over from the index before it."""
    vectors: int
    reused: int
    embedded: int


@dataclass(frozen=True)
class DocumentChanged:
    """What PUT or DELETE /admin/documents/{id} did, answered once the new index serves."""
    action: str  # created | replaced | removed
    id: str
    build_id: str
    embedding: Embedding | None = None
    # The document as now served; absent after a removal.
    document: DocumentSummary | None = None


@dataclass(frozen=True)
class ErrorBody:
    """Every error, whatever its status: what went wrong and, for bad input, which field."""
    status_code: int
    detail: str
    extra: list[dict[str, Any]] | dict[str, Any] | None = None


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """The error responses a route can give, declared so clients and contract tests know them."""
    meaning = {400: "Bad input; `extra` names the field", 401: "Missing or wrong bearer token",
               403: "Admin routes are disabled", 404: "No document with that id", 409: "A build is already running",
               413: "Request body too large", 415: "Body is not text/markdown or text/plain",
               429: "Rate limit reached; see Retry-After", 500: "The rebuild failed; nothing was changed",
               503: "Index not loaded yet, or the request timed out"}
    return {c: ResponseSpec(ErrorBody, description=meaning[c], generate_examples=False) for c in codes}


QUERY_ERRORS = error_responses(400, 413, 429, 503)
FILTERED_QUERY_ERRORS = error_responses(400, 404, 413, 429, 503)


class StrictStructSchema(StructSchemaPlugin):
    """Request models refuse unknown fields; say so in the schema (`additionalProperties: false`).

    Litestar's own struct plugin (which this extends, as it exports no public one) leaves that out.
    """

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if getattr(info, "forbid_unknown_fields", False):
            schema_creator.schema_registry.get_schema_for_field_definition(field_definition).additional_properties = False
        return schema

