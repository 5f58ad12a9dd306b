"""The MCP tools through the SDK's own client: over stdio, with `rag mcp` as the client's child process, and over
streamable HTTP at /mcp on a real `rag serve`."""

from typing import Any

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp_types import CallToolResult, TextContent

from rag.engine import Engine
from rag.serve.service import Service
from rag.serve.tools import build_tools
from rag.testing import Server, child_env, rag_command

QUESTION = "Is ketamine an effective treatment for chronic pain?"
TOOLS = {"ask", "search", "context", "get_document"}


def _stdio(engine: Engine) -> Client:
    command, *args = rag_command()
    return Client(StdioServerParameters(command=command, args=[*args, "mcp"], env=child_env(engine.settings)),
                  read_timeout_seconds=60)


def _text(result: CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


def _body(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, _text(result)
    assert result.structured_content is not None
    return result.structured_content


def _check_quotes(answer: dict[str, Any], engine: Engine) -> None:
    assert not answer["abstained"] and answer["citations"]
    for c in answer["citations"]:
        assert engine.index.documents[c["doc_id"]].text[c["char_start"]:c["char_end"]] == c["quote"]


@pytest.fixture(scope="module")
def stdio_calls(engine: Engine) -> dict[str, Any]:
    """One `rag mcp` child, asked everything the stdio tests check: starting it (and loading the index) is the
    slow part."""
    async def run() -> dict[str, Any]:
        async with _stdio(engine) as client:
            return {"tools": (await client.list_tools()).tools,
                    "ask": await client.call_tool("ask", {"question": QUESTION}),
                    "blank": await client.call_tool("ask", {"question": "   "}),
                    "empty": await client.call_tool("search", {"query": ""}),
                    "top_k": await client.call_tool("ask", {"question": QUESTION, "top_k": 0}),
                    "unknown": await client.call_tool("ask", {"question": QUESTION, "doc_ids": ["no-such-doc"]}),
                    "not_an_id": await client.call_tool("get_document", {"doc_id": "../etc/passwd"}),
                    "budget": await client.call_tool("context", {"question": QUESTION, "max_tokens": 5})}

    return anyio.run(run)


def test_stdio_lists_the_four_tools_with_typed_inputs(stdio_calls: dict[str, Any]) -> None:
    tools = {t.name: t for t in stdio_calls["tools"]}
    assert set(tools) == TOOLS
    assert tools["ask"].input_schema["required"] == ["question"]
    assert set(tools["ask"].input_schema["properties"]) == {"question", "top_k", "doc_ids"}
    assert set(tools["search"].input_schema["properties"]) == {"query", "k", "doc_ids"}
    assert set(tools["context"].input_schema["properties"]) == {"question", "max_tokens"}
    assert tools["get_document"].input_schema["required"] == ["doc_id"]
    for tool in tools.values():
        assert tool.output_schema and tool.annotations and tool.annotations.read_only_hint
    assert "not medical advice" in (tools["ask"].description or "").lower()


def test_stdio_ask_cites_verbatim_quotes_at_their_spans(stdio_calls: dict[str, Any], engine: Engine) -> None:
    answer = _body(stdio_calls["ask"])
    assert answer["question"] == QUESTION and "timings_ms" in answer
    _check_quotes(answer, engine)


@pytest.mark.parametrize("call, words", [
    ("blank", "question has nothing but spaces or line breaks; it must be text of 1 to"),
    ("empty", "query is empty; it must be text of 1 to"),
    ("top_k", "top_k is out of range; it must be a whole number from 1 to"),
    ("unknown", "doc_ids holds ids that name no document: no-such-doc"),
    ("not_an_id", "doc_id is not a document id; it must be lower-case letters, digits and hyphens"),
    ("budget", "max_tokens is out of range; it must be a whole number from 64 to"),
])
def test_stdio_bad_input_is_a_tool_error_in_plain_words(stdio_calls: dict[str, Any], call: str, words: str) -> None:
    result = stdio_calls[call]
    assert result.is_error
    assert words in _text(result)


def test_streamable_http_at_mcp_on_the_running_server(engine: Engine) -> None:
    async def run(url: str) -> dict[str, CallToolResult]:
        async with Client(url, read_timeout_seconds=60) as client:
            answer = await client.call_tool("ask", {"question": QUESTION})
            doc_id = _body(answer)["citations"][0]["doc_id"]
            return {"ask": answer, "document": await client.call_tool("get_document", {"doc_id": doc_id}),
                    "missing": await client.call_tool("get_document", {"doc_id": "no-such-doc"})}

    with Server(engine.settings) as server:
        calls = anyio.run(run, server.url + "/mcp")
        page = httpx.get(server.url + "/")
    answer, document = _body(calls["ask"]), _body(calls["document"])
    _check_quotes(answer, engine)
    first = answer["citations"][0]
    assert document["id"] == first["doc_id"] and document["evidence_tier"] == first["evidence_tier"]
    assert document["text"][first["char_start"]:first["char_end"]] == first["quote"]
    assert calls["missing"].is_error and "no document has the id 'no-such-doc'" in _text(calls["missing"])
    # The page keeps its own headers beside the mount.
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]


def test_before_the_index_is_loaded_a_tool_says_so(engine: Engine) -> None:
    async def run() -> CallToolResult:
        async with Client(build_tools(Service(engine.settings))) as client:
            return await client.call_tool("ask", {"question": QUESTION})

    result = anyio.run(run)
    assert result.is_error and "the index is loading; retry in a few seconds" in _text(result)
