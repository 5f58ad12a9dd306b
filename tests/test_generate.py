"""Generated answers over real HTTP: the service talks to a scripted OpenAI-compatible server in its own process,
exactly as it would to vLLM or Ollama, and only sentences their cited quotes support come back."""

import json

import httpx
import pytest
from httpx_sse import connect_sse

from rag.generate import draft, split_sentences
from rag.testing import ScriptedLlm, Server, free_port

QUESTION = "Is ketamine an effective treatment for chronic pain?"
INVENTED = "In trials, 87% of patients were cured within two weeks"
KEY = "sk-test-do-not-leak-4242"
RULES = [
    {"when": "Question: Is ketamine an effective", "reply": f"{{quote:1}} [1] {INVENTED} [2]. {{quote:2}} [2]"},
    {"when": "Question: What are the side effects", "reply": "Side effects were reported. {quote:1} [9]"},
    {"when": "Question: Is ketamine safe", "status": 500},
    {"when": "Question: How is ketamine administered", "raw": "{this is not json"},
    {"when": "Question: How long does", "delay_s": 5, "reply": "{quote:1} [1]"},
]


@pytest.fixture(scope="module")
def llm():
    with ScriptedLlm(RULES) as scripted:
        yield scripted


@pytest.fixture(scope="module")
def server(engine, llm):
    env = {"RAG_LLM_URL": llm.base_url, "RAG_LLM_MODEL": "scripted", "RAG_LLM_API_KEY": KEY, "RAG_LLM_TIMEOUT": "2"}
    with Server(engine.settings, env) as running:
        yield running


def ask(server, question, **extra):
    return httpx.post(server.url + "/ask", json={"question": question, "mode": "generate", **extra}, timeout=30)


def assert_verbatim(server, citations):
    for c in citations:
        text = httpx.get(f"{server.url}/documents/{c['doc_id']}").json()["text"]
        assert text[c["char_start"]:c["char_end"]] == c["quote"]


def test_sentences_split_after_their_markers_and_keep_decimals():
    text = "Doses of 0.5 mg/kg were used [1]. It may help [2][3]. Evidence is weak. [4] Done"
    assert split_sentences(text) == ["Doses of 0.5 mg/kg were used [1].", "It may help [2][3].",
                                     "Evidence is weak. [4]", "Done"]
    assert draft("It may help [2, 3].").cites == (2, 3)
    assert draft("It may help [2, 3].").text == "It may help."


def test_an_invented_figure_is_dropped_and_the_rest_is_cited_verbatim(server, llm):
    r = ask(server, QUESTION)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "generate" and body["fallback_reason"] is None and not body["abstained"]
    assert "87%" not in body["answer"]
    assert [d["sentence"] for d in body["verification"]["dropped"]] == [INVENTED + "."]
    assert "87%" in body["verification"]["dropped"][0]["reason"]
    assert body["verification"]["kept"] == 2
    assert body["citations"] and all(f"[{c['n']}]" in body["answer"] for c in body["citations"])
    assert_verbatim(server, body["citations"])
    sent = llm.requests()[-1]
    assert sent["authorization"] == f"Bearer {KEY}"
    prompt = sent["body"]["messages"][-1]["content"]
    # The evidence is numbered with its tier named, strongest first, and the disagreement is put to the model.
    assert prompt.index("[1] ") < prompt.index("[2] ") and "systematic-review" in prompt.split("[2] ")[0]
    assert "The sources disagree" in prompt and prompt.endswith(f"Question: {QUESTION}")


def test_a_contested_generated_answer_keeps_the_disagreement(server):
    body = ask(server, QUESTION).json()
    assert body["disagreement"] and body["disagreement"]["note"] in body["answer"]
    cited = {c["n"] for c in body["citations"]}
    assert set(body["disagreement"]["stronger"] + body["disagreement"]["weaker"]) <= cited


def test_sentences_without_a_valid_marker_are_dropped(server):
    body = ask(server, "What are the side effects of ketamine?").json()
    reasons = [d["reason"] for d in body["verification"]["dropped"]]
    assert "it cites no evidence" in reasons
    assert any("[9], which is not among" in r for r in reasons)
    # Nothing survived, so the extractive answer stands, saying why.
    assert body["mode"] == "extractive" and "no generated sentence" in body["fallback_reason"]
    assert body["citations"]


@pytest.mark.parametrize("question, words", [("Is ketamine safe?", "HTTP 500"),
                                             ("How is ketamine administered?", "not a chat completion"),
                                             ("How long does ketamine pain relief last?", "within 2 s")])
def test_a_failing_model_falls_back_to_the_extractive_answer(server, question, words):
    r = ask(server, question)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "extractive" and words in body["fallback_reason"]
    assert body["answer"]


def test_an_unreachable_model_falls_back_and_the_key_is_never_logged(engine):
    env = {"RAG_LLM_URL": f"http://127.0.0.1:{free_port()}/v1", "RAG_LLM_API_KEY": KEY}
    with Server(engine.settings, env) as server:
        r = ask(server, QUESTION)
        ready = httpx.get(server.url + "/ready").text
        logs = server.logs()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "extractive" and "could not be reached" in body["fallback_reason"]
    assert body["citations"] and not body["abstained"]
    assert KEY not in logs and KEY not in ready and KEY not in r.text


def test_generate_without_a_model_is_a_400_naming_the_mode(client_without_llm):
    r = client_without_llm.post("/ask", json={"question": QUESTION, "mode": "generate"})
    assert r.status_code == 400
    assert r.json()["extra"][0]["key"] == "mode" and "RAG_LLM_URL" in r.json()["detail"]
    assert client_without_llm.post("/ask", json={"question": QUESTION, "mode": "poetry"}).status_code == 400


@pytest.fixture()
def client_without_llm(engine):
    from litestar.testing import TestClient

    from rag.serve.app import create_app

    with TestClient(create_app(engine.settings, engine)) as client:
        yield client


def events(server, body):
    with httpx.Client(timeout=30) as client, connect_sse(client, "POST", server.url + "/ask/stream", json=body) as sse:
        assert sse.response.status_code == 200
        return [(e.event, json.loads(e.data)) for e in sse.iter_sse()]


@pytest.mark.parametrize("mode", ["generate", "extractive"])
def test_the_stream_sends_citations_then_verified_sentences_then_the_answer(server, mode):
    got = events(server, {"question": QUESTION, "mode": mode})
    kinds = [k for k, _ in got]
    assert kinds[0] == "citations" and kinds[-1] == "done" and set(kinds[1:-1]) == {"delta"}
    done = got[-1][1]
    assert done["mode"] == mode
    deltas = " ".join(d["text"] for k, d in got if k == "delta")
    assert "87%" not in deltas
    assert all(quote in deltas for quote in (c["quote"] for c in done["citations"][:1])) or mode == "generate"
    assert_verbatim(server, done["citations"])


def test_the_stream_refuses_bad_input_before_it_starts(server):
    r = httpx.post(server.url + "/ask/stream", json={"question": "   "})
    assert r.status_code == 400 and r.json()["extra"][0]["key"] == "question"


@pytest.mark.browser
def test_the_page_streams_a_generated_answer_and_says_which_mode_answered(server, chromium, watch_requests):
    from playwright.sync_api import expect

    page = chromium.new_page()
    problems = watch_requests(page, server.url)
    page.goto(server.url + "/")
    option = page.locator("#generate-option")
    expect(option).to_be_visible(timeout=30_000)  # offered because this server has a model configured
    page.check("#generate")
    page.fill("#question", QUESTION)
    page.click("#ask-button")
    expect(page.locator("#mode")).to_contain_text("Written by a language model", timeout=30_000)
    expect(page.locator("#mode")).to_contain_text("1 unsupported sentence left out")
    expect(page.locator("#answer .marker").first).to_be_visible()
    assert "87%" not in page.locator("#answer").inner_text()
    expect(page.locator("#note")).to_be_visible()
    assert page.locator("#citations li").count() >= 2
    page.uncheck("#generate")
    page.click("#ask-button")
    expect(page.locator("#mode")).to_have_text("Quoted word for word from the documents.", timeout=30_000)
    assert problems == []


def test_rag_ask_generate_from_the_command_line(server, llm, engine):
    import subprocess

    from rag.testing import child_env, rag_command

    env = {**child_env(engine.settings), "RAG_LLM_URL": llm.base_url, "RAG_LLM_MODEL": "scripted"}
    out = subprocess.run([*rag_command(), "ask", "--generate", "--json", QUESTION], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["mode"] == "generate" and "87%" not in body["answer"] and body["verification"]["dropped"]
    bare = {k: v for k, v in env.items() if not k.startswith("RAG_LLM")}
    out = subprocess.run([*rag_command(), "ask", "--generate", QUESTION], capture_output=True, text=True, env=bare,
                         timeout=120)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "RAG_LLM_URL" in out.stderr
