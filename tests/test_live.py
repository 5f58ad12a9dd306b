"""The real server as a subprocess on a free port, over real HTTP; and the page in a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(engine):
    port = free_port()
    env = {**os.environ, "RAG_CORPUS_DIR": str(engine.settings.corpus_dir),
           "RAG_INDEX_DIR": str(engine.settings.index_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


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
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
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
