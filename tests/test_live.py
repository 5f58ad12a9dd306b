"""The real server as a subprocess on a free port, over real HTTP; and the page in a real headless Chromium."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest

from rag.testing import Server


ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def live(engine):
    with Server(engine.settings) as server:
        yield server


@pytest.fixture(scope="module")
def live_server(live):
    return live.url




def test_real_server_answers_over_http_and_logs_what_it_did(live, live_server):
    r = httpx.post(f"{live_server}/ask", json={"question": "Where is the Propel Therapeutics clinic located?"},
                   timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert body["citations"][0]["doc_id"] == "propel-neuropathic" and not body["abstained"]
    r = httpx.post(f"{live_server}/ask", json={"question": ""}, timeout=30)
    assert r.status_code == 400 and r.json()["extra"][0]["key"] == "question"
    logs = live.logs()
    assert "rag.serve: loading the index from" in logs
    assert re.search(r"rag\.serve: ready in [\d.]+ s: 5 documents", logs), logs
    # libraries speak from WARNING up: faiss's note on the CPU builds it could not load read like errors
    assert "faiss.loader" not in logs and "swigfaiss" not in logs and "Traceback" not in logs, logs


@pytest.mark.browser
def test_page_in_headless_chromium_leads_with_the_review_and_shows_disagreement(live_server, chromium):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/")
    page.fill("#question", "Is ketamine an effective treatment for chronic pain?")
    page.click("#ask-button")
    first = page.locator("#citations li").first
    expect(first).to_be_visible(timeout=30_000)
    expect(first).to_contain_text("Questioning Ketamine's Efficacy")
    expect(first.locator(".badge").first).to_contain_text("strongest evidence")
    expect(page.locator("#disagreement")).to_be_visible()
    expect(page.locator("#disagreement")).to_contain_text("disagree")
    page.screenshot(path=str(ARTIFACTS / "page-answer.png"), full_page=True)

    page.locator("#answer .marker").first.click()
    first.locator(".open-doc").click()
    expect(page.locator("#doc-text mark")).to_be_visible()
    quote = first.locator("blockquote").inner_text()
    assert page.locator("#doc-text mark").inner_text() == quote

    page.fill("#question", "What is the capital of France?")
    page.click("#ask-button")
    declined = httpx.post(f"{live_server}/ask", json={"question": "What is the capital of France?"}).json()
    assert declined["abstained"]
    # the server's sentence, once: the page adds no words of its own in front of it
    expect(page.locator("#answer")).to_have_text(declined["answer"], timeout=30_000)
    expect(page.locator("#citations li")).to_have_count(0)

    page.set_viewport_size({"width": 390, "height": 844})
    page.fill("#question", "Is ketamine safe?")
    page.click("#ask-button")
    expect(page.locator("#citations li").first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "page-phone.png"), full_page=True)
    assert errors == []


HOSTILE = """---
id: hostile-page
title: <b>Bold</b> title <script>alert('title')</script>
source_type: test page
evidence_tier: unsourced
author: null
publisher: null
published: null
url: null
---
The zebrafish clinic answers with <img src=x onerror="document.title='pwned'"> and <script>document.title='pwned'</script> in its text.
"""


@pytest.mark.slow
@pytest.mark.browser
def test_document_markup_is_shown_as_text_and_never_runs(corpus_copy, chromium):
    from playwright.sync_api import expect

    settings = corpus_copy
    (settings.corpus_dir / "hostile-page.md").write_text(HOSTILE)
    with Server(settings) as server:
        page = chromium.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(server.url + "/")
        page.fill("#question", "What does the zebrafish clinic answer with?")
        page.click("#ask-button")
        first = page.locator("#citations li").first
        expect(first).to_be_visible(timeout=30_000)
        expect(page.locator("#answer")).to_contain_text('<img src=x onerror="document.title=')
        expect(first).to_contain_text("<b>Bold</b> title <script>")
        first.locator(".open-doc").click()
        expect(page.locator("#doc-text mark")).to_contain_text("<script>document.title='pwned'</script>")
        assert page.locator("main img, main script, main b").count() == 0
        assert page.title() != "pwned" and dialogs == []
        assert "script-src 'self'" in httpx.get(server.url + "/").headers["content-security-policy"]


def rgb(colour: str) -> tuple[float, ...]:
    return tuple(float(v) for v in re.findall(r"[\d.]+", colour)[:3])


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """WCAG contrast ratio of two sRGB colours."""
    def luminance(c: tuple[float, ...]) -> float:
        lin = [(v / 255 / 12.92) if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.browser
def test_page_shows_tiers_confidence_cache_and_errors_as_a_person_reads_them(live_server, chromium, watch_requests):
    from playwright.sync_api import expect

    docs = httpx.get(f"{live_server}/documents").json()
    tiers = sorted({d["evidence_tier"]: d["evidence_rank"] for d in docs}.items(), key=lambda t: t[1])
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    problems = watch_requests(page, live_server)
    page.goto(live_server + "/")
    # the header is the corpus's, from /documents, not words written into the page
    expect(page.locator("#corpus")).to_contain_text(f"from {len(docs)} documents")
    page.fill("#question", "Is ketamine an effective treatment for chronic pain?")
    page.click("#ask-button")
    expect(page.locator("#citations li").first).to_be_visible(timeout=30_000)
    confidence = page.locator("#confidence")
    expect(confidence).to_contain_text("How well the evidence answers the question")
    expect(confidence).to_contain_text(re.compile(r"\d+%"))
    expect(page.locator("#note")).to_be_visible()  # the disagreement note stands apart from it
    assert page.locator("#confidence #note, #note #confidence").count() == 0

    page.click("#ask-button")  # the same question again comes from the cache
    expect(page.locator("#timing")).to_have_text("· cached")

    legend = page.locator("#legend-tiers .badge")
    expect(legend).to_have_count(len(tiers))
    assert [t.split(" · ")[0] for t in legend.all_inner_texts()] == [t for t, _ in tiers]
    colours = legend.evaluate_all("(els) => els.map((e) => [getComputedStyle(e).color, "
                                  "getComputedStyle(e).backgroundColor])")
    assert len({bg for _, bg in colours}) == len(tiers)  # each tier its own colour
    assert all(contrast(rgb(fg), rgb(bg)) >= 4.5 for fg, bg in colours), colours  # WCAG AA

    # A question the server refuses: its plain message, and no answer left from before under it.
    page.evaluate("document.getElementById('question').removeAttribute('maxlength')")
    page.fill("#question", "x" * 1001)
    page.click("#ask-button")
    expect(page.locator("#status")).to_contain_text("question is too long", timeout=30_000)
    expect(page.locator("#result")).to_be_hidden()
    assert "Validation failed" not in page.locator("#status").inner_text()

    for width in (320, 390):  # phones: the placeholder is read whole, not cut off
        page.set_viewport_size({"width": width, "height": 800})
        page.fill("#question", "")
        room = page.evaluate("""() => {
            const input = document.getElementById('question'), style = getComputedStyle(input);
            const context = document.createElement('canvas').getContext('2d');
            context.font = `${style.fontSize} ${style.fontFamily}`;
            const inner = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return inner - context.measureText(input.placeholder).width;
        }""")
        assert room > 0, (width, room)
    assert problems == [f"400 {live_server}/ask/stream"]  # the question refused on purpose, and nothing else


@pytest.mark.browser
def test_api_docs_render_the_openapi_schema_from_local_assets(live_server, chromium, watch_requests):
    from playwright.sync_api import expect

    page = chromium.new_page()
    problems = watch_requests(page, live_server)
    page.goto(live_server + "/schema/swagger")
    ask = page.locator(".opblock-post .opblock-summary-path", has_text=re.compile(r"^/ask$"))
    expect(ask).to_be_visible(timeout=30_000)
    paths = httpx.get(f"{live_server}/schema/openapi.json").json()["paths"]
    expect(page.locator(".opblock")).to_have_count(sum(len(methods) for methods in paths.values()))
    assert "Unable to render" not in page.content()
    assert problems == []


def build_child(server: Server, timeout: float = 60.0) -> psutil.Process:
    """The process the server builds its index in, once it has started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in psutil.Process(server.process.pid).children():
            try:
                if "spawn_main" in " ".join(child.cmdline()):
                    return child
            except (psutil.ZombieProcess, psutil.NoSuchProcess):  # a short-lived helper, already gone
                continue
        time.sleep(0.1)
    raise AssertionError("the server started no build process")


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_server_stopped_during_its_index_build_leaves_no_build_process(corpus_copy, stop):
    server = Server(corpus_copy)
    try:
        child = build_child(server)
        server.process.send_signal(stop)
        server.process.wait(30)
        # SIGTERM: the server ends its build on the way out; SIGKILL: the build notices its parent is gone.
        child.wait(10)
        assert not child.is_running()
        if stop == signal.SIGTERM:
            assert "shutting down: the index was not loaded" in server.logs()
    finally:
        server.__exit__()


@pytest.mark.slow
@pytest.mark.browser
def test_page_opened_while_the_index_builds_waits_shows_progress_and_answers_once_ready(corpus_copy, chromium, watch_requests):
    from playwright.sync_api import expect

    server = Server(corpus_copy)
    try:
        page = chromium.new_page()
        problems = watch_requests(page, server.url)
        for _ in range(100):  # the HTTP side is up at once; the index takes its time
            try:
                httpx.get(server.url + "/health")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        page.goto(server.url + "/")
        expect(page.locator("#status")).to_contain_text("Building the index")
        page.fill("#question", "Is ketamine an effective treatment for chronic pain?")
        page.click("#ask-button")
        expect(page.locator("#status")).to_contain_text("will be asked as soon as it is ready")
        expect(page.locator("#status progress")).to_be_visible(timeout=90_000)
        # no reload: the page retries by itself, then fetches the tiers it could not have at first
        first = page.locator("#citations li").first
        expect(first).to_be_visible(timeout=120_000)
        expect(first.locator(".badge").first).to_contain_text("strongest evidence")
        expect(page.locator("#corpus")).to_contain_text("from 5 documents")
        expect(page.locator("#status")).to_be_empty()
        # Some requests were refused with a 503 while the index built: that is the point.
        assert [p for p in problems if not p.startswith("503 ")] == []
        logs = server.logs()
        for step in ("no index in", "building it from", "texts embedded (100%)", "index built in",
                     "ready in", "5 documents, "):
            assert step in logs, logs
        assert "faiss.loader" not in logs and "swigfaiss" not in logs and "Traceback" not in logs, logs
    finally:
        server.__exit__()
