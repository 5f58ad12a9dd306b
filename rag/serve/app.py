"""Routes, error mapping and the app: thin handlers over the service, typed in and out."""

from __future__ import annotations

import hmac
import importlib.metadata
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, AsyncIterator, Callable, TypeVar

import anyio
import msgspec
import prometheus_client
from litestar import Litestar, Request, Response, get, post
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.logging.config import LoggingConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import JSONBody, Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.plugins.prometheus import PrometheusConfig
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_202_ACCEPTED

from .. import __version__
from ..context import Context
from ..corpus import ID_PATTERN, ID_SHAPE
from ..engine import Engine, check_k, check_question
from ..generate import Generated, Generator, Mode
from ..errors import QueryError
from ..settings import ServerSettings, Settings
from .errors import DOC_ID_RULE, PlainErrors, PlainRequest
from .memory import fewer_malloc_arenas
from .models import (FILTERED_QUERY_ERRORS, ID_SCHEMA_PATTERN, QUERY_ERRORS, AskRequest, AskResponse, ContextRequest,
                     DocumentDetail, DocumentSummary, Readiness, ReindexStatus, SearchRequest, SearchResponse,
                     StrictStructSchema, error_responses)
from .service import Service, metrics_registry, observe_generated, observe_index

STATIC = Path(__file__).parent.parent / "static"
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
# Prometheus's own type names its charset; Litestar adds one to every text/* type, so it is left to Litestar.
METRICS_TYPE = prometheus_client.CONTENT_TYPE_LATEST.replace("; charset=utf-8", "")


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
    return await run_ask(_service(state), data)


async def run_ask(service: Service, data: AskRequest) -> AskResponse:
    """POST /ask's work, shared with the MCP tool of the same name (rag/serve/tools.py)."""
    engine = service.ready_engine()
    _check_ids(data.doc_ids)
    began = time.perf_counter()
    timings: dict[str, float] = {}
    if data.mode == "generate":
        made = await _generator(service, engine, data.mode).answer(data.question, data.top_k, data.doc_ids, timings)
        observe_generated(made)
    else:
        answer = await _in_thread(service, lambda: engine.ask(data.question, data.top_k, data.doc_ids, timings))
        made = Generated(answer, "extractive")
    timings["total"] = round((time.perf_counter() - began) * 1000, 3)
    return AskResponse.of(made, timings)


@post("/ask/stream", status_code=200, responses={**FILTERED_QUERY_ERRORS, 200: ResponseSpec(
          data_container=Any, media_type="text/event-stream", generate_examples=False,
          description="Events `citations` (a list of citations), `delta` (`{\"text\"}`, one verified sentence) and "
                      "`done` (the answer object as POST /ask gives it), each `data` a JSON document")},
      summary="The answer as Server-Sent Events: citations, then each sentence once verified, then the answer object")
async def ask_stream(data: JSONBody[AskRequest], state: State) -> ServerSentEvent:
    service = _service(state)
    engine = service.ready_engine()
    _check_ids(data.doc_ids)
    # Refused here, while a 400 can still be sent: once the stream starts, the status is 200.
    question = check_question(data.question, "question", engine.settings.answer)
    check_k(data.top_k, "top_k", engine.settings.retrieval)
    engine.check_doc_ids(data.doc_ids)
    generator = _generator(service, engine, data.mode)
    began = time.perf_counter()
    timings: dict[str, float] = {}

    async def events() -> AsyncIterator[ServerSentEventMessage]:
        async for kind, payload in generator.stream(question, data.top_k, data.doc_ids, data.mode, timings):
            if isinstance(payload, Generated):
                if data.mode == "generate":
                    observe_generated(payload)
                timings["total"] = round((time.perf_counter() - began) * 1000, 3)
                payload = AskResponse.of(payload, timings)
            elif isinstance(payload, str):
                payload = {"text": payload}
            yield ServerSentEventMessage(data=msgspec.json.encode(payload).decode(), event=kind)

    return ServerSentEvent(events())


def _generator(service: Service, engine: Engine, mode: Mode) -> Generator:
    """The service's generator; asking it to generate where no model is configured is the request's mistake."""
    if mode == "generate" and service.llm is None:
        raise QueryError("mode", "is generate, but this server has no language model configured (RAG_LLM_URL); "
                                 "use mode extractive")
    return service.generator(engine, lambda work: _in_thread(service, work))


@post("/search", status_code=200, responses=FILTERED_QUERY_ERRORS, summary="Ranked passages with their score breakdown")
async def search(data: JSONBody[SearchRequest], state: State) -> SearchResponse:
    return await run_search(_service(state), data)


async def run_search(service: Service, data: SearchRequest) -> SearchResponse:
    engine = service.ready_engine()
    _check_ids(data.doc_ids)
    hits = await _in_thread(service, lambda: engine.passages(engine.search(data.query, data.k, data.doc_ids)))
    return SearchResponse(data.query, hits)


@post("/context", status_code=200, responses=QUERY_ERRORS, summary="Retrieved evidence packed into a cited context block for an LLM")
async def context(data: JSONBody[ContextRequest], state: State) -> Context:
    return await run_context(_service(state), data)


async def run_context(service: Service, data: ContextRequest) -> Context:
    engine = service.ready_engine()
    return await _in_thread(service, lambda: engine.context(data.question, data.max_tokens))


def _check_ids(doc_ids: list[str] | None) -> None:
    """Ids are names, never paths: anything but the corpus id shape is refused before it is looked up."""
    for doc_id in doc_ids or []:
        _check_id("doc_ids", doc_id)


def _check_id(name: str, doc_id: str) -> None:
    # fullmatch, because Python's `$` also matches before a trailing newline.
    if not ID_PATTERN.fullmatch(doc_id):
        raise QueryError(name, f"is not a document id; it must be {DOC_ID_RULE}")


def _summary(doc, engine: Engine) -> dict[str, Any]:
    rank = engine.settings.retrieval.tier_rank(doc.evidence_tier)
    return {**doc.metadata(), "evidence_rank": rank, "chars": len(doc.text)}


@get("/documents", responses=error_responses(429, 503), summary="Metadata of every document")
async def documents(state: State) -> list[DocumentSummary]:
    engine = _service(state).ready_engine()
    return [DocumentSummary(**_summary(d, engine)) for d in engine.index.documents.values()]


@get("/documents/{doc_id:str}", responses=error_responses(400, 404, 429, 503), summary="One document with its clean text, against which citations can be checked")
async def document(doc_id: Annotated[str, Parameter(pattern=ID_SCHEMA_PATTERN,
                                                    description=ID_SHAPE.capitalize())],
                   state: State) -> DocumentDetail:
    return run_document(_service(state), doc_id)


def run_document(service: Service, doc_id: str) -> DocumentDetail:
    # Ids are names, never paths: the pattern refuses anything else with a 400 before any lookup, and the
    # same check runs again here, because the pattern's `$` lets a trailing newline through.
    _check_id("doc_id", doc_id)
    engine = service.ready_engine()
    doc = engine.index.documents.get(doc_id)
    if doc is None:
        raise NotFoundException(detail=f"no document has the id {doc_id!r}; GET /documents lists the ids there are")
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
        return Response(Readiness(status, reindex=service.reindex, progress=service.progress,
                                  error=service.load_error), status_code=503)
    m = service.engine.index.manifest
    status = "degraded" if service.reindex.state == "failed" else "ready"
    return Response(Readiness(status, m["built_at"], m["model"]["name"], m["counts"], service.reindex,
                              build_id=m.get("build_id") or service.engine.index.path.name,
                              generate=service.llm is not None))


@post("/admin/reindex", status_code=HTTP_202_ACCEPTED, responses=error_responses(401, 403, 409, 429), summary="Rebuild from corpus/ in the background and swap")
async def reindex(request: Request, state: State) -> ReindexStatus:
    service = _service(state)
    _authorise(request, service.settings.server.admin_token)
    if not service.start_reindex():
        raise HTTPException(status_code=409, detail="a reindex is already running")
    return service.reindex


@get("/admin/reindex", responses=error_responses(401, 403, 429), summary="State of the last reindex")
async def reindex_status(request: Request, state: State) -> ReindexStatus:
    service = _service(state)
    _authorise(request, service.settings.server.admin_token)
    return service.reindex


def _authorise(request: Request, token: str | None) -> None:
    if not token:
        metrics_registry()["admin_denied"].inc()
        raise HTTPException(status_code=403, detail="admin routes are disabled: no RAG_ADMIN_TOKEN is configured")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        metrics_registry()["admin_denied"].inc()
        raise HTTPException(status_code=401, detail="missing or wrong bearer token",
                            headers={"WWW-Authenticate": "Bearer"})


@get("/metrics", media_type=METRICS_TYPE,
     summary="Prometheus metrics: requests, latency, index size, reindex failures, refused admin attempts")
async def metrics() -> bytes:
    return prometheus_client.generate_latest()


@get("/", include_in_schema=False)
async def page() -> Response[bytes]:
    return Response((STATIC / "index.html").read_bytes(), media_type="text/html; charset=utf-8",
                    headers=PAGE_HEADERS)


@get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response[bytes]:
    # Browsers and tools ask for it at the root whatever the page links; the icon is ours, from static/.
    return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                    headers={"Cache-Control": "max-age=86400"})


def swagger_ui_assets() -> Path:
    """Swagger UI 5 (the first that reads OpenAPI 3.1) as swagger-ui-bundle-v2 ships it. Found through the
    distribution's own file list: the older swagger-ui-bundle (Swagger UI 4) installs the same module name."""
    dist = importlib.metadata.distribution("swagger-ui-bundle-v2")
    bundle = next(f for f in dist.files or [] if f.name == "swagger-ui-bundle.js")
    return Path(str(dist.locate_file(bundle))).parent


def _swagger() -> SwaggerRenderPlugin:
    return SwaggerRenderPlugin(js_url="/static/swagger/swagger-ui-bundle.js", css_url="/static/swagger/swagger-ui.css",
                               standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
                               favicon="<link rel='icon' type='image/svg+xml' href='/static/favicon.svg'>")


def _logging() -> LoggingConfig:
    """Our own progress and failures at INFO; libraries' chatter only from WARNING up (faiss, for one, says at
    INFO which CPU build it could not load, which reads like an error but is not one)."""
    return LoggingConfig(root={"level": "WARNING", "handlers": ["queue_listener"]},
                         formatters={"standard": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
                         loggers={"rag": {"level": "INFO", "propagate": True}},
                         log_exceptions="never")


# ---------------------------------------------------------------- app


def create_app(settings: Settings, engine: Engine | None = None) -> Litestar:
    """The app; with `engine` given it serves that engine at once instead of loading one in the background."""
    from .admin import document_routes  # here: the admin routes reuse this module's checks

    service = Service(settings, engine)
    if engine is not None:
        observe_index(engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        service.start_loading()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(service.stop)
            if service.llm:
                await service.llm.close()

    from .tools import http_tools  # here, not at the top: tools builds on this module's route bodies

    mcp_endpoint, mcp_running = http_tools(service)
    return Litestar(
        route_handlers=[ask, ask_stream, search, context, documents, document, health, ready, reindex, reindex_status, page,
                        metrics, favicon, mcp_endpoint, *document_routes,
                        create_static_files_router("/static/swagger", [swagger_ui_assets()],
                                                   include_in_schema=False),
                        create_static_files_router("/static", [STATIC], include_in_schema=False,
                                                   name="static")],
        state=State({"service": service}),
        lifespan=[lifespan, mcp_running],
        exception_handlers=PlainErrors(settings).handlers(),
        request_class=PlainRequest,
        logging_config=_logging(),
        middleware=_middleware(settings.server),
        cors_config=CORSConfig(allow_origins=list(settings.server.cors_origins)) if settings.server.cors_origins
        else None,
        openapi_config=OpenAPIConfig(title="rag", version=__version__, path="/schema",
                                     description="Evidence-weighted answers quoted verbatim from the corpus. "
                                                 "Not medical advice.",
                                     render_plugins=[_swagger()]),
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

    fewer_malloc_arenas()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)

