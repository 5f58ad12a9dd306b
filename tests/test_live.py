"""The real server as a subprocess on a free port, over real HTTP; and the page in a real headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from rag.testing import Server


ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def live_server(engine):
    with Server(engine.settings) as server:
        yield server.url


def launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])


def test_real_server_answers_over_http(live_server):
    r = httpx.post(f"{live_server}/ask", json={"question": "Where is the Propel Therapeutics clinic located?"},
                   timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert body["citations"][0]["doc_id"] == "propel-neuropathic" and not body["abstained"]
    r = httpx.post(f"{live_server}/ask", json={"question": ""}, timeout=30)
    assert r.status_code == 400 and r.json()["extra"][0]["key"] == "question"


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here: install Debian's chromium package to run the browser test")
def test_page_in_headless_chromium_leads_with_the_review_and_shows_disagreement(live_server):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
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
            expect(page.locator("#answer")).to_contain_text("don't answer", timeout=30_000)
            expect(page.locator("#citations li")).to_have_count(0)

            page.set_viewport_size({"width": 390, "height": 844})
            page.fill("#question", "Is ketamine safe?")
            page.click("#ask-button")
            expect(page.locator("#citations li").first).to_be_visible(timeout=30_000)
            page.screenshot(path=str(ARTIFACTS / "page-phone.png"), full_page=True)
            assert errors == []
        finally:
            browser.close()


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
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here: install Debian's chromium package to run the browser test")
def test_document_markup_is_shown_as_text_and_never_runs(corpus_copy):
    from playwright.sync_api import expect, sync_playwright

    settings = corpus_copy
    (settings.corpus_dir / "hostile-page.md").write_text(HOSTILE)
    with Server(settings) as server, sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
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
        finally:
            browser.close()
