"""The query routes as Model Context Protocol tools for LLM agents: over stdio (`rag mcp`) and at /mcp on the
HTTP server. Each tool fills the route's own request model and runs the route's own body, so limits, checks,
answer objects and error words are the HTTP API's."""

# No `from __future__ import annotations`: the tools' parameter descriptions carry this server's limits, so
# they are built at run time inside `build_tools`, where string annotations could not be resolved.

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Annotated, TypeVar, cast

import anyio
import msgspec
from litestar import Litestar, Request
from litestar.exceptions import HTTPException
from litestar.handlers import ASGIRouteHandler, asgi
from litestar.types import Receive, Scope, Send
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import Field, SkipValidation

from .. import __version__
from ..context import Context
from ..engine import Engine
from ..errors import QueryError, UnknownDocumentError
from ..settings import Settings
from .app import run_ask, run_context, run_document, run_search
from .errors import PlainErrors, error, field_rules
from .models import AskRequest, AskResponse, ContextRequest, DocumentDetail, SearchRequest, SearchResponse
from .service import Service

MCP_PATH = "/mcp"
R = TypeVar("R", bound=msgspec.Struct)
# Typed for the schema, and left unchecked by the SDK: msgspec checks them against the route's request model,
# so bad input is refused in the HTTP API's words rather than pydantic's.
Text = SkipValidation[str]
Count = SkipValidation[int | None]
Ids = SkipValidation[list[str] | None]
# Every tool only reads the index, and asking twice gives the same result.
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def instructions(settings: Settings) -> str:
    tiers = ", ".join(settings.retrieval.tiers)
    return ("Evidence-weighted answers quoted verbatim from a fixed corpus of medical documents. Answers are "
            "extractive: sentences quoted from the documents, never written by a model, each cited to a document "
            "and a character span of its text. Sources are ranked by evidence tier, strongest first: "
            f"{tiers}; the strongest tier leads an answer, and where weaker sources contradict it the answer says "
            "so. Pass quotes on with their citations. Not medical advice.")


ASK = ("Answer a question with verbatim quotes from the corpus. `answer` is extractive text, the strongest evidence "
       "tier first; each of `citations` gives doc_id, title, evidence_tier, the verbatim `quote` and its span "
       "char_start/char_end in the document's text (get_document returns that text). `abstained` is true, with no "
       "citations, when the evidence is too weak to answer; `confidence` is the probability that the quoted evidence "
       "answers the question; `disagreement`, when set, names what weaker sources contradict. Not medical advice.")
SEARCH = ("Ranked passages for a query, each with its doc_id, title, evidence tier, character span in the document "
          "and how its score was made (dense, bm25, fused, tier weight, final). For exploring what the corpus holds "
          "and finding document ids; use ask for an answer.")
CONTEXT = ("The evidence for a question packed into one cited context block of at most max_tokens tokens, for you "
           "to reason over: numbered passages quoted from the documents, their citations, `confidence`, and "
           "`answerable` (false where ask would abstain). Not medical advice.")
GET_DOCUMENT = ("One document's clean text and metadata (title, source type, evidence tier and its rank, 0 being "
                "the strongest, author, publisher, date, url). Citations' char_start/char_end index this text: "
                "text[char_start:char_end] is the quote.")


def build_tools(service: Service) -> MCPServer:
    """The four tools over the service's engine; before it is loaded, each says so as its error."""
    settings = service.settings
    rules = field_rules(settings)
    errors = PlainErrors(settings)
    server: MCPServer = MCPServer("rag", title="Evidence-weighted medical answers", version=__version__,
                                  instructions=instructions(settings), log_level="WARNING")
    asked = Field(description=f"The question: plain text, {rules['question'].allowed}")
    only = Field(description=f"Only use these documents: ids, each {rules['doc_ids[]'].allowed}")
    top = Field(description=f"Passages to quote from: {rules['top_k'].allowed}")
    budget = Field(description=f"Token budget of the block: {rules['max_tokens'].allowed}")

    async def ask(question: Annotated[Text, asked],
                  top_k: Annotated[Count, top] = None,
                  doc_ids: Annotated[Ids, only] = None) -> AskResponse:
        with _plain_errors():
            request = _request(AskRequest, errors, question=question, top_k=top_k, doc_ids=doc_ids)
            return await run_ask(service, request)

    async def search(query: Annotated[Text, Field(description=f"What to look for: plain text, "
                                                              f"{rules['query'].allowed}")],
                     k: Annotated[Count, Field(description=f"How many passages: {rules['k'].allowed}")] = None,
                     doc_ids: Annotated[Ids, only] = None) -> SearchResponse:
        with _plain_errors():
            return await run_search(service, _request(SearchRequest, errors, query=query, k=k, doc_ids=doc_ids))

    async def context(question: Annotated[Text, asked],
                      max_tokens: Annotated[Count, budget] = None) -> Context:
        with _plain_errors():
            return await run_context(service, _request(ContextRequest, errors, question=question,
                                                       max_tokens=max_tokens))

    async def get_document(doc_id: Annotated[Text, Field(description=f"The id: {rules['doc_id'].allowed}")],
                           ) -> DocumentDetail:
        with _plain_errors():
            return run_document(service, doc_id)

    for tool, description in ((ask, ASK), (search, SEARCH), (context, CONTEXT), (get_document, GET_DOCUMENT)):
        server.add_tool(tool, description=description, annotations=READ_ONLY)
    return server


def _request(model: type[R], errors: PlainErrors, **arguments: object) -> R:
    """The arguments as the route's request model, checked as a request body is; None means left out, so the
    model's own defaults apply."""
    try:
        # Not strict, as Litestar decodes a body: "3" is taken for 3 there, so here too.
        return msgspec.convert({k: v for k, v in arguments.items() if v is not None}, model, strict=False)
    except msgspec.ValidationError as err:
        # msgspec says e.g. "Expected `int` >= 1 - at `$.top_k`"; the field's path is the key the 400s use.
        problem, _, path = str(err).partition(" - at `$.")
        raise ToolError(errors.field_problem(path.rstrip("`"), problem)) from None


@contextlib.contextmanager
def _plain_errors() -> Iterator[None]:
    """The errors the routes answer with a 4xx or 503, as tool errors in the same words (the SDK would report
    any other exception only as "Error executing tool", keeping the traceback in the server's log)."""
    try:
        yield
    except QueryError as err:
        raise ToolError(f"{err.field} {err.problem}") from None
    except UnknownDocumentError as err:
        # The route points to GET /documents, which an agent on stdio does not have; search hits carry the ids.
        raise ToolError(f"doc_ids holds ids that name no document: {err.listing}; the doc_id of any search hit "
                        "is one that exists") from None
    except HTTPException as err:  # the index still loading, a request past its time limit, no such document
        raise ToolError(err.detail) from None


def serve_stdio(engine: Engine) -> None:
    """Serve the tools over this process's stdin and stdout until the client closes stdin."""
    anyio.run(build_tools(Service(engine.settings, engine)).run_stdio_async)


def http_tools(service: Service) -> tuple[ASGIRouteHandler, Callable[[Litestar], AbstractAsyncContextManager[None]]]:
    """The tools at /mcp over streamable HTTP, and the lifespan their session manager has to run in."""
    tools = build_tools(service)
    # Stateless, with plain JSON replies: the tools keep nothing between calls, so no session or stream is held
    # open, any replica can answer, and shutting down waits for no one. Host and Origin are left unchecked, as
    # on every other route; the body limit is the server's.
    tools.streamable_http_app(stateless_http=True, json_response=True,
                              max_request_body_size=service.settings.server.max_body_bytes,
                              transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
    manager = tools.session_manager
    # The SDK types ASGI messages as plain mappings, Litestar as typed dicts: the same values either way.
    handle = cast(Callable[[Scope, Receive, Send], Awaitable[None]], manager.handle_request)

    @asgi(MCP_PATH, is_mount=True, copy_scope=True)
    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") == "GET":
            # The stream a GET would open carries only what a server sends unasked, and these tools never do; the
            # spec's answer for that is 405, where an open stream would hold up every shutdown.
            refusal = error(405, f"GET is not allowed on {MCP_PATH}; use POST", headers={"Allow": "POST"})
            await refusal.to_asgi_response(None, Request(scope))(scope, receive, send)
            return
        await handle(scope, receive, send)

    @contextlib.asynccontextmanager
    async def running(app: Litestar) -> AsyncIterator[None]:
        async with manager.run():
            yield

    return endpoint, running
