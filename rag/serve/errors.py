"""Error responses in plain words: every 4xx says what was wrong and what is allowed, naming the field; every
5xx is logged with its traceback and counted.

Litestar and msgspec describe bad input for developers (a regular expression, "Input data was truncated",
the key `data` for a missing field); the handlers here restate it for the person who sent the request.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import ClientException, HTTPException, TooManyRequestsException, ValidationException

from ..corpus import ID_SHAPE
from ..errors import BuildBusyError, BuildError, CorpusError, QueryError, UnknownDocumentError
from ..settings import Settings
from .service import metrics_registry

log = logging.getLogger("rag.serve")


@dataclass(frozen=True)
class Rule:
    """What a field allows, and how to say that a value does not match its pattern."""
    allowed: str
    mismatch: str = "is not in the allowed form"


DOC_ID_RULE = f"{ID_SHAPE}, starting with a letter or digit, at most 128 characters (GET /documents lists the ids)"


def field_rules(settings: Settings) -> dict[str, Rule]:
    """The rule of every request field, in words, with the limits this server applies."""
    text = Rule(f"text of 1 to {settings.answer.max_question_chars} characters, not only spaces",
                "has nothing but spaces or line breaks")
    count = Rule(f"a whole number from 1 to {settings.retrieval.max_top_k}")
    low, high = settings.answer.context_tokens_range
    doc_id = Rule(DOC_ID_RULE, "is not a document id")
    return {"question": text, "query": text, "top_k": count, "k": count, "doc_id": doc_id, "doc_ids[]": doc_id,
            "doc_ids": Rule("a list of document ids (GET /documents lists them)"),
            "max_tokens": Rule(f"a whole number from {low} to {high}")}


# msgspec's names for what it found, as a person would say them.
_KINDS = {"str": "text", "int": "a whole number", "float": "a decimal number", "bool": "true or false",
          "null": "null", "array": "a list", "object": "an object"}
_MISSING = re.compile(r"missing required field `(?P<field>[^`]+)`")
_UNKNOWN = re.compile(r"unknown field `(?P<field>[^`]*)`")
_GOT = re.compile(r"got `(?P<kind>\w+)`")
_ITEM = re.compile(r"^(?P<field>\w+)\[\d+\]$")


class PlainErrors:
    """The exception handlers, bound to the limits of one app."""

    def __init__(self, settings: Settings) -> None:
        self.rules = field_rules(settings)
        self.max_body_bytes = settings.server.max_body_bytes

    def handlers(self) -> dict[Any, Any]:
        return {QueryError: self.query_error, UnknownDocumentError: self.unknown_document,
                CorpusError: self.corpus_error, BuildBusyError: self.build_busy, BuildError: self.build_failed,
                TooManyRequestsException: self.too_many, HTTPException: self.http_error, Exception: self.unexpected}

    # ------------------------------------------------------------ our own errors

    def query_error(self, request: Request, err: QueryError) -> Response:
        return error(400, f"{err.field} {err.problem}", err.field)

    def corpus_error(self, request: Request, err: CorpusError) -> Response:
        """A document sent to be added that the corpus's rules refuse: the message names the field."""
        return error(400, f"the document was refused: {err}", err.field or "body")

    def build_busy(self, request: Request, err: BuildBusyError) -> Response:
        return error(409, str(err), headers={"Retry-After": "5"})

    def build_failed(self, request: Request, err: BuildError) -> Response:
        log.error("%s %s: the rebuild failed and the change was undone: %s", request.method,
                  _shown(request.url.path), err)
        return error(500, f"the rebuild failed, so nothing was changed and the previous index still serves: {err}")

    def unknown_document(self, request: Request, err: UnknownDocumentError) -> Response:
        # Well-formed ids that name no document: the request is sound, what it points at is missing.
        return error(404, f"doc_ids holds ids that name no document: {err.listing}; GET /documents lists the ids "
                          "there are", "doc_ids")

    def too_many(self, request: Request, err: TooManyRequestsException) -> Response:
        """429 with Retry-After, which clients and proxies honour, beside the draft RateLimit-* headers."""
        headers = dict(err.headers or {})
        headers["Retry-After"] = str(max(1, int(headers.get("RateLimit-Reset", "1"))))
        return error(429, "too many requests from this client; retry after the number of seconds in Retry-After",
                     headers=headers)

    # ------------------------------------------------------------ Litestar's

    def http_error(self, request: Request, err: HTTPException) -> Response:
        if err.status_code == 500:  # Litestar's own word for a failure inside the server
            return self.unexpected(request, err)
        detail, field = self._explain(request, err)
        return error(err.status_code, detail, field, headers=err.headers, source=_source(err))

    def _explain(self, request: Request, err: HTTPException) -> tuple[str, str | None]:
        if isinstance(err, ValidationException) and isinstance(err.extra, list) and err.extra:
            return self._invalid(request, err.extra[0])
        if isinstance(err, BodyError):
            return err.detail, err.field
        if err.status_code == 400 and (unreadable := self._unreadable(request, err.detail)):
            return unreadable, "body"
        if err.status_code == 413:
            return (f"the request body is larger than this server accepts: at most {self.max_body_bytes // 1024} KiB "
                    f"({self.max_body_bytes:,} bytes)"), "body"
        if err.status_code == 404 and err.detail == "Not Found":
            return (f"there is no {request.method} {_shown(request.url.path)}; GET /schema/openapi.json lists the "
                    "routes"), None
        if err.status_code == 405:
            allowed = (err.headers or {}).get("allow", "another method")
            return f"{request.method} is not allowed on {_shown(request.url.path)}; use {allowed}", None
        return err.detail, None

    def _invalid(self, request: Request, problem: dict[str, Any]) -> tuple[str, str]:
        """One msgspec validation message, as (sentence, field)."""
        message, key = str(problem.get("message", "")), str(problem.get("key", ""))
        if found := _UNKNOWN.search(message):
            field = _shown(found["field"], 80)
            return f"{field} is not a field of this request; {_takes(request)}", field
        if found := _MISSING.search(message):
            key, what = found["field"], "is missing"
        else:
            what = self._mismatch(key, message)
        if key in ("data", ""):
            if request.headers.get("content-length", "0") == "0":
                what = "is empty"
            return f"the body {what}; it must be a JSON object: {_takes(request)}", "body"
        return self._must_be(key, what), key

    def field_problem(self, key: str, message: str) -> str:
        """msgspec's complaint about one field, in the words a request's 400 uses; for callers with no HTTP
        request around the fields (the MCP tools)."""
        return self._must_be(key, self._mismatch(key, message))

    def _must_be(self, key: str, what: str) -> str:
        return f"{key} {what}; it must be {self._rule(key).allowed}"

    def _mismatch(self, key: str, message: str) -> str:
        if found := _GOT.search(message):
            return f"is {_KINDS.get(found['kind'], found['kind'])}"
        if "matching regex" in message:
            return self._rule(key).mismatch
        if "length >=" in message:
            return "is empty"
        if "length <=" in message:
            return "is too long"
        if ">=" in message or "<=" in message:
            return "is out of range"
        return "is not valid"

    def _rule(self, key: str) -> Rule:
        item = _ITEM.match(key)
        return self.rules.get(f"{item['field']}[]" if item else key) or Rule("as GET /schema/openapi.json describes")

    @staticmethod
    def _unreadable(request: Request, detail: str) -> str | None:
        """msgspec's word on a body it could not decode, restated; None for any other 400."""
        if "truncated" in detail:  # msgspec's word for an unpaired surrogate escape too
            what = "is not complete JSON (it ends too soon, or a string in it holds half a surrogate pair)"
        elif "UTF-8" in detail:
            what = "is not UTF-8 text"
        elif "out of range" in detail:
            what = "holds a number too large to read"
        elif detail.startswith("JSON is malformed: "):
            what = f"is not valid JSON ({detail.removeprefix('JSON is malformed: ')})"
        else:
            return None
        return f"the body {what}; it must be one JSON object: {_takes(request)}"

    # ------------------------------------------------------------ ours, unforeseen

    def unexpected(self, request: Request, err: Exception) -> Response:
        """A failure inside the server: logged with its traceback, counted, and answered without internals."""
        path = request.scope.get("path_template") or "unrouted"
        metrics_registry()["server_errors"].labels(path).inc()
        log.error("%s %s failed", request.method, _shown(request.url.path), exc_info=err)
        return error(500, "the server failed while answering this request; the failure is in its log")


class BodyError(ClientException):
    """A body refused before it reaches the request model, with the field it concerns."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail=detail)
        self.field = field


class PlainRequest(Request):
    """A request whose JSON body the decoder gives up on without a message of its own (nested too deeply, or
    not UTF-8) is refused with a 400 naming the problem, rather than failing as a 500."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise self._too_deep(await self.body()) from None
        except UnicodeDecodeError as err:
            raise BodyError(f"the body is not UTF-8 text (byte {err.start} is not); it must be one JSON object in "
                            f"UTF-8: {_takes(self)}", "body") from None

    def _too_deep(self, body: bytes) -> BodyError:
        field, depth = deepest_field(body)
        depth -= field != "body"  # counted from inside the body's own braces
        where = "the body" if field == "body" else field
        return BodyError(f"{where} nests lists or objects {depth:,} levels deep; no field of this API takes nested "
                         f"lists or objects ({_takes(self)})", field)


def deepest_field(body: bytes) -> tuple[str, int]:
    """The top-level field under which the body nests deepest ("body" when the body itself is a list),
    and how deep: a scan of the text, since the body is too deep for a parser that recurses."""
    text = body.decode("utf-8", "replace")
    keyed = text.lstrip().startswith("{")
    depth = deepest = 0
    key = where = "body"
    in_string = escaped = False
    start = 0
    for i, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1:  # at the top level the last string before a nested value is its key
                    key = text[start:i]
        elif char == '"':
            in_string, start = True, i + 1
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, key if depth > 1 and keyed else "body"
        elif char in "]}":
            depth -= 1
    return _shown(where, 80), deepest


def _source(err: HTTPException) -> str:
    """Where the field is: body, path or query."""
    if isinstance(err, ValidationException) and isinstance(err.extra, list) and err.extra:
        return str(err.extra[0].get("source") or "body")
    return "body"


def _takes(request: Request) -> str:
    """The fields the route's body takes, e.g. "POST /ask takes question, top_k and doc_ids"."""
    handler = request.scope.get("route_handler")
    data = handler.parsed_fn_signature.parameters.get("data") if handler else None
    model = data.annotation if data is not None else None
    if not (isinstance(model, type) and issubclass(model, msgspec.Struct)):
        return "see GET /schema/openapi.json"
    names = [f.name for f in msgspec.structs.fields(model)]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{request.method} {request.url.path} takes {listed}"


def _shown(text: str, limit: int = 120) -> str:
    """Client text quoted back in a message, cut short: a message is no place to echo a whole body."""
    return text if len(text) <= limit else text[:limit] + "…"


def error(status: int, detail: str, field: str | None = None, headers: dict[str, str] | None = None,
          source: str = "body") -> Response:
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if field:
        body["extra"] = [{"key": field, "message": detail, "source": source}]
    return Response(body, status_code=status, headers=headers)
