"""Contract fuzzing with schemathesis against the live OpenAPI schema of a real server over HTTP.

`make test` runs a short pass; `make fuzz` sets FUZZ_EXAMPLES higher and prints how many cases were tried.
Every route, generated and mutated bodies, headers and query strings: no 5xx, and every response must match
the status codes, content types, headers and body schema the API declares.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from rag.bench import Server

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
TRIED = {"cases": 0, "5xx": 0}


@pytest.fixture(scope="module")
def api(engine):
    with Server(engine.settings) as server:
        yield schemathesis.openapi.from_url(server.url + "/schema/openapi.json")
    print(f"\nfuzz: {TRIED['cases']} cases over every operation, {TRIED['5xx']} server errors")


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_honours_its_contract(case):
    TRIED["cases"] += 1
    response = case.call(timeout=30)
    TRIED["5xx"] += response.status_code >= 500
    case.validate_response(response)
