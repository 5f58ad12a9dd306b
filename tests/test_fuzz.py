"""Contract fuzzing with schemathesis against the live OpenAPI schema of a real server over HTTP.

`make test` runs a short pass; `make fuzz` sets FUZZ_EXAMPLES higher and prints how many cases were tried.
Every operation gets schema-conforming and mutated (negative) requests — bodies, headers, query strings
and path parameters: no 5xx, and every response must match the status codes, content types, headers and
body schema the API declares.

The operations are driven through schemathesis' strategies under plain hypothesis rather than its pytest
plugin, so the test does not depend on pytest internals the plugin reaches into.
"""

import os

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from rag.testing import ScriptedLlm, Server

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def live(engine):
    # With a (scripted) model configured, `mode: generate` is a valid request and its path is fuzzed too.
    with ScriptedLlm([]) as llm, Server(engine.settings, {"RAG_LLM_URL": llm.base_url}) as server:
        yield server, schemathesis.openapi.from_url(server.url + "/schema/openapi.json")


def test_every_operation_honours_its_contract(live):
    server, schema = live
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8, [op.label for op in operations]
    tried = {"cases": 0, "5xx": 0}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                      database=None)
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case):
                note(f"{operation.label} ({mode})")
                tried["cases"] += 1
                response = case.call(base_url=server.url, timeout=30)
                tried["5xx"] += response.status_code >= 500
                case.validate_response(response)

            try:
                check()
            except Unsatisfiable:
                # An operation without parameters or body has no request that breaks its schema.
                assert mode is GenerationMode.NEGATIVE, operation.label
    print(f"\nfuzz: {tried['cases']} cases over {len(operations)} operations, {tried['5xx']} server errors")
    assert tried["5xx"] == 0


FIELDS = {"/ask": ["question", "top_k", "doc_ids"], "/search": ["query", "k", "doc_ids"],
          "/context": ["question", "max_tokens"]}


@st.composite
def deep_bodies(draw) -> tuple[str, str, bytes]:
    """A body nesting lists or objects far deeper than any field takes, yet well inside the 64 KiB limit:
    as one field's value, beside a sound question, or as the whole body."""
    path = draw(st.sampled_from(sorted(FIELDS)))
    field = draw(st.sampled_from([*FIELDS[path], "body"]))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ("[1,", "]")]))
    depth = draw(st.integers(500, 60_000 // (len(opening) + len(closing))))
    value = opening * depth + "0" + closing * depth
    text_field = FIELDS[path][0]
    if field == "body":  # a body of nested objects is named by its one key
        return path, "a" if opening.startswith("{") else "the body", value.encode()
    sound = {text_field: '"pain"'} if field != text_field else {}
    members = [f'"{k}": {v}' for k, v in {**sound, field: value}.items()]
    return path, field, ("{" + ", ".join(members) + "}").encode()


def test_deeply_nested_bodies_get_a_4xx_that_names_the_field(live):
    server, _ = live

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=deep_bodies())
    def check(case):
        path, field, body = case
        note(f"{path} {field} {len(body)} bytes")
        r = httpx.post(server.url + path, content=body, headers={"content-type": "application/json"}, timeout=30)
        assert 400 <= r.status_code < 500, r.text
        detail = r.json()["detail"]
        assert detail.startswith(field), detail

    check()
    assert "Traceback" not in server.logs()
    assert "rag_server_errors_total{" not in httpx.get(server.url + "/metrics").text
