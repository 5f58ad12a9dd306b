"""HTTP service: a Litestar app over the engine, with a page, metrics, OpenAPI and background reindexing."""

from __future__ import annotations

import datetime as dt
import gc
import hmac
import platform
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, AsyncIterator, Callable, TypeVar

import anyio
import msgspec
import prometheus_client
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.config.cors import CORSConfig
from litestar.exceptions import HTTPException, NotFoundException, TooManyRequestsException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import OpenAPIType, Schema
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin
from litestar.plugins.prometheus import PrometheusConfig
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_202_ACCEPTED

from . import __version__
from .answer import Answer
from .context import Context
from .embed import Batcher
from .engine import Engine, Passage
from .errors import BuildError, QueryError, RagError, UnknownDocumentError
from .index import build_apart, load_index
from .corpus import ID_PATTERN, ID_SHAPE, Metadata
from .settings import ServerSettings, Settings

STATIC = Path(__file__).parent / "static"
T = TypeVar("T")
# Document text is data, never markup: the page builds DOM nodes with textContent, and this policy
# forbids inline script and any origin but our own.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# ---------------------------------------------------------------- request and response models


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


class SearchRequest(msgspec.Struct, forbid_unknown_fields=True):
    query: Question
    k: TopK | None = None
    doc_ids: DocIds | None = None


class ContextRequest(msgspec.Struct, forbid_unknown_fields=True):
    question: Question
    max_tokens: Annotated[int, msgspec.Meta(ge=64, le=32_000)] = 1500


@dataclass(frozen=True)
class AskResponse(Answer):
    """The answer object plus how long each stage took."""
    timings_ms: dict[str, float] = field(default_factory=dict)


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
class Readiness:
    status: str
    built_at: str | None = None
    model: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    reindex: ReindexStatus = field(default_factory=lambda: ReindexStatus("idle"))


@dataclass(frozen=True)
class ErrorBody:
    """Every error, whatever its status: what went wrong and, for bad input, which field."""
    status_code: int
    detail: str
    extra: list[dict[str, Any]] | dict[str, Any] | None = None


def _errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error responses a route can give, declared so clients and contract tests know them."""
    meaning = {400: "Bad input; `extra` names the field", 401: "Missing or wrong bearer token",
               403: "Admin routes are disabled", 404: "No document with that id", 409: "A reindex is already running",
               413: "Request body too large", 429: "Rate limit reached; see Retry-After",
               503: "Index not loaded yet, or the request timed out"}
    return {c: ResponseSpec(ErrorBody, description=meaning[c], generate_examples=False) for c in codes}


QUERY_ERRORS = _errors(400, 413, 429, 503)
FILTERED_QUERY_ERRORS = _errors(400, 404, 413, 429, 503)


class StrictStructSchema(StructSchemaPlugin):
    """Request models refuse unknown fields; say so in the schema (`additionalProperties: false`).

    Litestar's own struct plugin (which this extends, as it exports no public one) leaves that out.
    """

    def to_openapi_schema(self, field_definition, schema_creator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        if msgspec.inspect.type_info(field_definition.type_).forbid_unknown_fields:
            schema_creator.schema_registry.get_schema_for_field_definition(field_definition).additional_properties = False
        return schema


# ---------------------------------------------------------------- service state


class Service:
    """The live engine and the reindex job. Swapping `engine` is one assignment, so a request sees one index."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine.batched() if engine else None
        self.load_error: str | None = None
        self.reindex = ReindexStatus("idle")
        self._lock = threading.Lock()
        self.query_threads = anyio.CapacityLimiter(settings.server.query_threads)

    def start_loading(self) -> None:
        if self.engine is None:
            threading.Thread(target=self._load, name="rag-load", daemon=True).start()

    def _load(self) -> None:
        try:
            engine = Engine.open(self.settings, build_if_needed=True, apart=True).batched()
            engine.ask("warm-up question about ketamine")  # first call pays one-off costs (threads, caches)
            self.engine = engine
            _observe_index(engine)
        except RagError as err:
            self.load_error = str(err)

    def ready_engine(self) -> Engine:
        if self.engine is None:
            detail = f"index failed to load: {self.load_error}" if self.load_error else "index is still loading"
            raise HTTPException(status_code=503, detail=detail)
        return self.engine

    def start_reindex(self) -> bool:
        """Start a background rebuild; False when one is already running."""
        with self._lock:
            if self.reindex.state == "running":
                return False
            self.reindex = ReindexStatus("running", started_at=_now())
        threading.Thread(target=self._reindex, name="rag-reindex", daemon=True).start()
        return True

    def _reindex(self) -> None:
        started, began = self.reindex.started_at, time.perf_counter()
        try:
            build_apart(self.settings)
            fresh = Engine.over(load_index(self.settings), self.settings).batched()
            self.engine = fresh
            self.load_error = None
            _observe_index(fresh, time.perf_counter() - began)
            self.reindex = ReindexStatus("succeeded", started, _now())
            # Once requests in flight and the old encoder's batch thread have let go of the old engine.
            threading.Timer(Batcher.IDLE_S + 1.0, _give_back_memory).start()
        except Exception as err:  # the old engine keeps serving; the failure is reported, not raised
            _metrics()["reindex_failures"].inc()
            reason = str(err) if isinstance(err, BuildError) else f"{err.__class__.__name__}: {err}"
            self.reindex = ReindexStatus("failed", started, _now(), reason)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@lru_cache(maxsize=1)
def _metrics() -> dict[str, Any]:
    """Our own gauges and counters, registered once per process beside Litestar's request metrics."""
    Counter, Gauge = prometheus_client.Counter, prometheus_client.Gauge
    return {
        "chunks": Gauge("rag_index_chunks", "Chunks in the live index"),
        "documents": Gauge("rag_index_documents", "Documents in the live index"),
        "build_seconds": Gauge("rag_index_build_seconds", "Wall time of the last reindex through the API"),
        "reindex_failures": Counter("rag_reindex_failures", "Reindex attempts that failed and kept the old index"),
        "admin_denied": Counter("rag_admin_denied", "Admin requests refused for a missing or wrong token"),
    }


def _observe_index(engine: Engine, build_seconds: float | None = None) -> None:
    m = _metrics()
    m["chunks"].set(len(engine.index.chunks))
    m["documents"].set(len(engine.index.documents))
    if build_seconds is not None:
        m["build_seconds"].set(build_seconds)


# ---------------------------------------------------------------- handlers


def _service(state: State) -> Service:
    return state.service


async def _in_thread(service: Service, work: Callable[[], T]) -> T:
    """Run blocking query work off the event loop, answering 503 if it outlasts the request timeout."""
    limit = service.settings.server.request_timeout_s
    try:
        with anyio.fail_after(limit):
            return await anyio.to_thread.run_sync(work, abandon_on_cancel=True, limiter=service.query_threads)
    except TimeoutError:
        raise HTTPException(status_code=503, detail=f"the request took longer than {limit:g} s",
                            headers={"Retry-After": "1"}) from None


@post("/ask", status_code=200, responses=FILTERED_QUERY_ERRORS, summary="Answer a question with verbatim, cited quotes")
async def ask(data: JSONBody[AskRequest], state: State) -> AskResponse:
    service = _service(state)
    engine = service.ready_engine()
    _check_ids(data.doc_ids)
    began = time.perf_counter()
    timings: dict[str, float] = {}
    answer = await _in_thread(service, lambda: engine.ask(data.question, data.top_k, data.doc_ids, timings))
    timings["total"] = round((time.perf_counter() - began) * 1000, 3)
    return AskResponse(**{f.name: getattr(answer, f.name) for f in fields(Answer)}, timings_ms=timings)


@post("/search", status_code=200, responses=FILTERED_QUERY_ERRORS, summary="Ranked passages with their score breakdown")
async def search(data: JSONBody[SearchRequest], state: State) -> SearchResponse:
    service = _service(state)
    engine = service.ready_engine()
    _check_ids(data.doc_ids)
    hits = await _in_thread(service, lambda: engine.passages(engine.search(data.query, data.k, data.doc_ids)))
    return SearchResponse(data.query, hits)


@post("/context", status_code=200, responses=QUERY_ERRORS, summary="Retrieved evidence packed into a cited context block for an LLM")
async def context(data: JSONBody[ContextRequest], state: State) -> Context:
    service = _service(state)
    engine = service.ready_engine()
    return await _in_thread(service, lambda: engine.context(data.question, data.max_tokens))


def _check_ids(doc_ids: list[str] | None) -> None:
    """Ids are names, never paths: anything but the corpus id shape is refused before it is looked up."""
    for doc_id in doc_ids or []:
        _check_id("doc_ids", doc_id)


def _check_id(name: str, doc_id: str) -> None:
    # fullmatch, because Python's `$` also matches before a trailing newline.
    if not ID_PATTERN.fullmatch(doc_id):
        raise QueryError(name, f"not a document id: {doc_id[:80]!r} ({ID_SHAPE})")


def _summary(doc, engine: Engine) -> dict[str, Any]:
    rank = engine.settings.retrieval.tiers.index(doc.evidence_tier)
    return {**doc.metadata(), "evidence_rank": rank, "chars": len(doc.text)}


@get("/documents", responses=_errors(429, 503), summary="Metadata of every document")
async def documents(state: State) -> list[DocumentSummary]:
    engine = _service(state).ready_engine()
    return [DocumentSummary(**_summary(d, engine)) for d in engine.index.documents.values()]


@get("/documents/{doc_id:str}", responses=_errors(400, 404, 429, 503), summary="One document with its clean text, against which citations can be checked")
async def document(doc_id: Annotated[str, Parameter(pattern=ID_SCHEMA_PATTERN,
                                                    description=ID_SHAPE.capitalize())],
                   state: State) -> DocumentDetail:
    # Ids are names, never paths: the pattern refuses anything else with a 400 before any lookup, and the
    # same check runs again here, because the pattern's `$` lets a trailing newline through.
    _check_id("doc_id", doc_id)
    engine = _service(state).ready_engine()
    doc = engine.index.documents.get(doc_id)
    if doc is None:
        raise NotFoundException(detail=f"no document with id {doc_id!r}")
    return DocumentDetail(**_summary(doc, engine), text=doc.text)


@get("/health", summary="Liveness")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", responses={503: ResponseSpec(Readiness, description="Loading, or the load failed",
                                             generate_examples=False)}, summary="200 once the index is loaded, with its manifest summary; 503 before")
async def ready(state: State) -> Response[Readiness]:
    service = _service(state)
    if service.engine is None:
        status = "failed" if service.load_error else "loading"
        return Response(Readiness(status, reindex=service.reindex), status_code=503)
    m = service.engine.index.manifest
    status = "degraded" if service.reindex.state == "failed" else "ready"
    return Response(Readiness(status, m["built_at"], m["model"]["name"], m["counts"], service.reindex))


@post("/admin/reindex", status_code=HTTP_202_ACCEPTED, responses=_errors(401, 403, 409, 429), summary="Rebuild from corpus/ in the background and swap")
async def reindex(request: Request, state: State) -> ReindexStatus:
    service = _service(state)
    _authorise(request, service.settings.server.admin_token)
    if not service.start_reindex():
        raise HTTPException(status_code=409, detail="a reindex is already running")
    return service.reindex


@get("/admin/reindex", responses=_errors(401, 403, 429), summary="State of the last reindex")
async def reindex_status(request: Request, state: State) -> ReindexStatus:
    service = _service(state)
    _authorise(request, service.settings.server.admin_token)
    return service.reindex


def _authorise(request: Request, token: str | None) -> None:
    if not token:
        raise HTTPException(status_code=403, detail="admin routes are disabled: no RAG_ADMIN_TOKEN is configured")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        _metrics()["admin_denied"].inc()
        raise HTTPException(status_code=401, detail="missing or wrong bearer token",
                            headers={"WWW-Authenticate": "Bearer"})


@get("/metrics", media_type=prometheus_client.CONTENT_TYPE_LATEST,
     summary="Prometheus metrics: requests, latency, index size, reindex failures, refused admin attempts")
async def metrics() -> bytes:
    return prometheus_client.generate_latest()


@get("/", include_in_schema=False)
async def page() -> Response[bytes]:
    return Response((STATIC / "index.html").read_bytes(), media_type="text/html; charset=utf-8",
                    headers=PAGE_HEADERS)


# ---------------------------------------------------------------- errors


def _error(status: int, detail: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if field:
        body["extra"] = [{"key": field, "message": detail, "source": "body"}]
    return Response(body, status_code=status)


def _query_error(request: Request, err: QueryError) -> Response:
    return _error(400, str(err), err.field)


def _unknown_document(request: Request, err: UnknownDocumentError) -> Response:
    # Well-formed ids that name no document: the request is sound, what it points at is missing.
    return _error(404, str(err), "doc_ids")


def _too_many(request: Request, err: TooManyRequestsException) -> Response:
    """429 with Retry-After, which clients and proxies honour, beside the draft RateLimit-* headers."""
    headers = dict(err.headers or {})
    headers["Retry-After"] = str(max(1, int(headers.get("RateLimit-Reset", "1"))))
    return Response({"status_code": 429, "detail": "too many requests from this client; retry later"},
                    status_code=429, headers=headers)


# ---------------------------------------------------------------- app


def create_app(settings: Settings, engine: Engine | None = None) -> Litestar:
    """The app; with `engine` given it serves that engine at once instead of loading one in the background."""
    service = Service(settings, engine)
    if engine is not None:
        _observe_index(engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        service.start_loading()
        yield

    import swagger_ui_bundle

    swagger = SwaggerRenderPlugin(js_url="/static/swagger/swagger-ui-bundle.js",
                                  css_url="/static/swagger/swagger-ui.css",
                                  standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js")
    return Litestar(
        route_handlers=[ask, search, context, documents, document, health, ready, reindex, reindex_status, page,
                        metrics,
                        create_static_files_router("/static/swagger", [swagger_ui_bundle.swagger_ui_path],
                                                   include_in_schema=False),
                        create_static_files_router("/static", [STATIC], include_in_schema=False,
                                                   name="static")],
        state=State({"service": service}),
        lifespan=[lifespan],
        exception_handlers={QueryError: _query_error, UnknownDocumentError: _unknown_document,
                            TooManyRequestsException: _too_many},
        middleware=_middleware(settings.server),
        cors_config=CORSConfig(allow_origins=list(settings.server.cors_origins)) if settings.server.cors_origins
        else None,
        openapi_config=OpenAPIConfig(title="rag", version=__version__, path="/schema",
                                     description="Evidence-weighted answers quoted verbatim from the corpus. "
                                                 "Not medical advice.",
                                     render_plugins=[swagger]),
        request_max_body_size=settings.server.max_body_bytes,
        plugins=[StrictStructSchema()],
    )


def _middleware(server: ServerSettings) -> list:
    middleware = [PrometheusConfig(app_name="rag", prefix="rag", group_path=True,
                                   exclude=["/metrics", "/static"]).middleware]
    if server.rate_limit:
        count, unit = server.rate_limit
        # Probes and scrapers are never throttled: a limited /ready would make an orchestrator kill a healthy pod.
        middleware.append(RateLimitConfig(rate_limit=(unit, count), exclude=["/health", "/ready", "/metrics"]).middleware)
    return middleware


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    _fewer_malloc_arenas()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)


@lru_cache(maxsize=1)
def _glibc():
    """The C library when it is glibc, whose allocator the two helpers below tune; None elsewhere."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name and platform.libc_ver()[0] == "glibc" else None


def _fewer_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas. By default each busy thread can get its own, up to eight per core, and
    memory freed in one is not reused by the others, so a long-running threaded server creeps upwards."""
    if libc := _glibc():
        M_ARENA_MAX = -8
        libc.mallopt(M_ARENA_MAX, arenas)


def _give_back_memory() -> None:
    """Collect dropped engines and hand their freed pages back to the system: a reindex frees a whole
    encoder session and index, which glibc would otherwise keep for itself."""
    gc.collect()
    if libc := _glibc():
        libc.malloc_trim(0)
