"""Shared fixtures: one real index, built once per session from a copy of the real corpus, and copies of it for
tests that change files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.build import build_index
from rag.corpus import load_corpus
from rag.embed import TorchEncoder
from rag.engine import Engine
from rag.index import load_index
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

WriteDocument = Callable[..., Path]


@pytest.fixture(scope="session")
def encoder() -> TorchEncoder:
    return TorchEncoder(Settings().model).load()


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding corpus/ (a copy of the real one) and index/ (built from it)."""
    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree(CORPUS, root / "corpus")
    return root


@pytest.fixture(scope="session")
def settings(workspace: Path) -> Settings:
    return Settings(corpus_dir=workspace / "corpus", index_dir=workspace / "index")


@pytest.fixture(scope="session")
def engine(settings: Settings, encoder: TorchEncoder) -> Engine:
    build_index(settings, encoder)
    return Engine.over(load_index(settings), settings, encoder)


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Settings:
    """Settings over a private copy of the corpus and no index yet, for tests that change files."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


@pytest.fixture()
def built(corpus_copy: Settings, engine: Engine) -> Settings:
    """A private copy of the corpus with a copy of the session's index over it: built once, changed freely."""
    shutil.copytree(engine.settings.index_dir, corpus_copy.index_dir, symlinks=True)
    return corpus_copy


def page_tiers(corpus_dir: Path) -> dict[str, str]:
    """Each page's evidence tier, by document id, as its front matter gives it."""
    return {d.id: d.evidence_tier for d in load_corpus(corpus_dir, Settings().retrieval.tiers)}


def document(doc_id: str, body: str, tier: str = "unsourced", title: str | None = None,
             publisher: str | None = None) -> str:
    """A corpus file's text: complete front matter, then the body."""
    return (f"---\nid: {doc_id}\ntitle: {title or doc_id.replace('-', ' ').capitalize()}\nsource_type: test page\n"
            f"evidence_tier: {tier}\nauthor: null\npublisher: {publisher or 'null'}\npublished: null\nurl: null\n"
            f"---\n{body}\n")


@pytest.fixture()
def write_document() -> WriteDocument:
    """Write `<id>.md` with full front matter into a corpus folder; returns its path."""
    def write(corpus_dir: Path, doc_id: str, body: str, tier: str = "unsourced", title: str | None = None,
              publisher: str | None = None) -> Path:
        path = corpus_dir / f"{doc_id}.md"
        path.write_text(document(doc_id, body, tier, title, publisher), encoding="utf-8")
        return path

    return write


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are skipped, saying why, where no Chromium is installed."""
    if CHROMIUM is None:
        skip = pytest.mark.skip(reason="no Chromium here: install Debian's chromium package to run the browser tests")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture()
def chromium():
    """A headless Chromium (the system's, not a downloaded one), closed after the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def _watch_requests(page, origin: str) -> list[str]:
    """Every request that failed (4xx/5xx) or left the server's origin, and every script error or console
    error besides the browser's own note on a failed request: the page must make none."""
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: problems.append(f"elsewhere: {r.url}")
            if not r.url.startswith((origin, "data:")) else None)
    page.on("pageerror", lambda e: problems.append(f"script: {e}"))
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    return problems


@pytest.fixture()
def watch_requests() -> Callable[..., list[str]]:
    """watch_requests(page, origin): the list that fills with whatever the page should never do."""
    return _watch_requests
