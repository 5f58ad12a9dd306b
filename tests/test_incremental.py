"""A living corpus: incremental builds equal full ones, documents go in and out by CLI and HTTP all or nothing,
and a running server serves whatever index is published, without failing a request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from litestar.testing import TestClient

from rag import store
from rag.engine import Engine
from rag.index import load_index
from rag.serve import create_app
from rag.settings import ServerSettings, Settings
from rag.testing import Server

from conftest import document

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
QUESTIONS = ["Is ketamine an effective treatment for chronic pain?", "Is ketamine safe?",
             "Where is the Propel Therapeutics clinic located?", "When does the zebrafish clinic open?"]
NOTE = document("zebrafish-note", "The zebrafish clinic opens on Tuesdays and closes at noon.\n\n"
                                  "Its staff answer questions about appointments by telephone.")


def rag(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_CORPUS_DIR": str(settings.corpus_dir), "RAG_INDEX_DIR": str(settings.index_dir)}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def state(settings: Settings) -> tuple[dict[str, bytes], Path | None]:
    """The corpus folder's files and where `current` points: what a refused change must leave as it was."""
    files = {p.name: p.read_bytes() for p in sorted(settings.corpus_dir.iterdir())}
    return files, store.current_build(settings.index_dir)


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------- incremental builds


@pytest.mark.slow
def test_an_incremental_build_equals_a_full_build_and_says_what_it_reused(built, tmp_path):
    path = built.corpus_dir / "role-of-ketamine.md"
    path.write_text(path.read_text() + "\nA follow-up visit after four weeks checks how the pain has changed.\n")
    before = store.current_build(built.index_dir)

    out = rag(built, "build")
    assert out.returncode == 0, out.stderr
    incremental = load_index(built)
    used = incremental.manifest["embedding"]
    assert 0 < used["embedded"] < 40 and used["reused"] > 150 and used["reused_from"] == before.name
    assert f"reused {used['reused']:,} of {used['vectors']:,} vectors; embedded {used['embedded']:,}" in out.stdout

    full_settings = built.with_(index_dir=tmp_path / "full-index")
    out = rag(full_settings, "build", "--full")
    assert out.returncode == 0, out.stderr
    assert f"reused 0 of {used['vectors']:,} vectors" in out.stdout
    full = load_index(full_settings)

    a, b = incremental.path, full.path
    for name in (store.DOCUMENTS, store.CHUNKS, store.SENTENCES):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in (store.CHUNK_VECTORS, store.SENTENCE_VECTORS):
        np.testing.assert_allclose(np.load(a / name), np.load(b / name), atol=1e-5, err_msg=name)
    assert full.manifest["counts"] == incremental.manifest["counts"]
    for question in QUESTIONS:
        assert (Engine.over(incremental, built).ask(question).to_dict()
                == Engine.over(full, full_settings).ask(question).to_dict()), question


def test_a_build_with_nothing_changed_reuses_every_vector_and_shares_the_export(built):
    before = store.current_build(built.index_dir)
    out = rag(built, "build")
    assert out.returncode == 0, out.stderr
    index = load_index(built)
    used = index.manifest["embedding"]
    assert used["embedded"] == 0 and used["reused"] == used["vectors"]
    assert index.path != before and (index.path / "encoder.onnx").samefile(before / "encoder.onnx")
    assert f"reused {used['vectors']:,} of {used['vectors']:,} vectors; embedded 0" in out.stdout


# ---------------------------------------------------------------- rag add / rag remove


def test_rag_add_then_remove_publish_each_change(built, tmp_path):
    incoming = tmp_path / "zebrafish-note.md"
    incoming.write_text(NOTE)
    out = rag(built, "add", str(incoming))
    assert out.returncode == 0, out.stderr
    assert "added zebrafish-note" in out.stdout and "reused " in out.stdout
    assert (built.corpus_dir / "zebrafish-note.md").read_text() == NOTE
    index = load_index(built)  # fresh: the corpus and the index agree
    assert "zebrafish-note" in index.documents and index.manifest["embedding"]["embedded"] < 20
    answer = Engine.over(index, built).ask("When does the zebrafish clinic open?")
    assert answer.citations[0].doc_id == "zebrafish-note"

    out = rag(built, "remove", "zebrafish-note")
    assert out.returncode == 0, out.stderr
    assert "removed zebrafish-note" in out.stdout
    assert not (built.corpus_dir / "zebrafish-note.md").exists()
    index = load_index(built)
    assert "zebrafish-note" not in index.documents and index.manifest["embedding"]["embedded"] == 0
    assert not [p for p in built.corpus_dir.iterdir() if p.name.startswith(".")]  # nothing set aside is left


def one_line(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2 and out.stdout == "" and out.stderr.count("\n") == 1, out.stderr
    assert "Traceback" not in out.stderr
    return out.stderr.strip()


def test_rag_add_and_remove_refuse_bad_input_with_one_line_and_change_nothing(built, tmp_path):
    before = state(built)
    bad = tmp_path / "bad-note.md"
    bad.write_text(NOTE.replace("id: zebrafish-note", "id: bad-note").replace("evidence_tier: unsourced\n", ""))
    assert one_line(rag(built, "add", str(bad))) == f"error: {bad}: field 'evidence_tier': missing"
    renamed = tmp_path / "other-name.md"
    renamed.write_text(NOTE)
    assert "does not match the file name (expected zebrafish-note.md)" in one_line(rag(built, "add", str(renamed)))
    assert one_line(rag(built, "add", str(tmp_path / "absent.md"))).endswith("absent.md: no such file")
    twin = tmp_path / "twin" / "zebrafish-note.md"
    twin.parent.mkdir()
    twin.write_text(NOTE)
    good = tmp_path / "zebrafish-note.md"
    good.write_text(NOTE)
    assert "duplicate id 'zebrafish-note'" in one_line(rag(built, "add", str(good), str(twin)))
    assert one_line(rag(built, "remove", "no-such-doc")) == "error: unknown document id(s): no-such-doc"
    assert one_line(rag(built, "remove", "../corpus")) == "error: unknown document id(s): ../corpus"
    assert state(built) == before


def test_rag_add_undoes_the_copy_when_the_build_fails_or_another_build_runs(built, tmp_path):
    good = tmp_path / "zebrafish-note.md"
    good.write_text(NOTE)
    with store.BuildLock(built.index_dir):  # another build, as far as anyone can tell
        before = state(built)
        assert "another build of" in one_line(rag(built, "add", str(good)))
        assert "another build of" in one_line(rag(built, "remove", "role-of-ketamine"))
        assert state(built) == before
    (built.corpus_dir / "broken.md").write_text("---\nid: broken\n---\nbody\n")
    before = state(built)
    assert "broken.md" in one_line(rag(built, "add", str(good)))  # the build refuses the corpus: all undone
    assert "broken.md" in one_line(rag(built, "remove", "role-of-ketamine"))
    assert state(built) == before


# ---------------------------------------------------------------- HTTP refusals


@pytest.fixture()
def admin(built, encoder):
    settings = built.with_(server=ServerSettings(admin_token=TOKEN, max_body_bytes=4096))
    with TestClient(create_app(settings, Engine.over(load_index(settings), settings, encoder))) as client:
        yield client, settings


def put(client, doc_id: str, body: str, content_type: str = "text/markdown", headers=AUTH):
    return client.put(f"/admin/documents/{doc_id}", content=body.encode(),
                      headers={**headers, "Content-Type": content_type})


def refused(response, status: int, words: str, field: str | None = None) -> None:
    body = response.json()
    assert response.status_code == status and body["status_code"] == status, body
    assert words in body["detail"], body
    if field:
        assert body["extra"][0]["key"] == field, body


def test_document_routes_refuse_bad_requests_in_plain_words_and_change_nothing(admin):
    client, settings = admin
    before = state(settings)
    assert put(client, "zebrafish-note", NOTE, headers={}).status_code == 401
    assert client.delete("/admin/documents/role-of-ketamine").status_code == 401
    refused(put(client, "zebrafish-note", NOTE.replace("title: Zebrafish note\n", "")), 400,
            "field 'title': missing", "title")
    refused(put(client, "zebrafish-note", "no front matter here"), 400, "no YAML front matter", "body")
    refused(put(client, "other-note", NOTE), 400, "'zebrafish-note' differs from the id in the path, 'other-note'",
            "id")
    refused(put(client, "zebrafish-note", NOTE, "application/json"), 415, "text/markdown or text/plain")
    refused(put(client, "zebrafish-note", NOTE + "word " * 1000), 413, "at most 4 KiB")
    refused(client.delete("/admin/documents/no-such-doc", headers=AUTH), 404, "no document with the id 'no-such-doc'")
    with store.BuildLock(settings.index_dir):
        refused(put(client, "zebrafish-note", NOTE), 409, "another build of")
        refused(client.delete("/admin/documents/role-of-ketamine", headers=AUTH), 409, "another build of")
        assert client.post("/admin/reindex", headers=AUTH).status_code == 409
    assert state(settings) == before
    assert client.get("/ready").json()["build_id"] == before[1].name


# ---------------------------------------------------------------- a running server


class Asker(threading.Thread):
    """Asks one question over and over until stopped, keeping every answer, and every failure."""

    def __init__(self, url: str, question: str) -> None:
        super().__init__(daemon=True)
        self.url, self.question = url, question
        self.answers: list[dict] = []
        self.failures: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.halt.is_set():
                try:
                    r = client.post(self.url + "/ask", json={"question": self.question})
                except httpx.HTTPError as err:
                    self.failures.append(repr(err))
                    continue
                if r.status_code != 200:
                    self.failures.append(f"{r.status_code} {r.text[:200]}")
                    continue
                body = r.json()
                body.pop("timings_ms")
                self.answers.append(body)

    def stop(self) -> None:
        self.halt.set()
        self.join(60)


def ask(url: str, question: str) -> dict:
    body = httpx.post(url + "/ask", json={"question": question}, timeout=30).json()
    body.pop("timings_ms")
    return body


def phases(answers: list[dict], *expected: dict) -> list[int]:
    """Which expected answer each answer is, collapsed into runs: every answer must be one of them, whole."""
    runs: list[int] = []
    for a in answers:
        assert a in expected, a
        n = expected.index(a)
        if not runs or runs[-1] != n:
            runs.append(n)
    return runs


@pytest.mark.slow
def test_put_and_delete_on_a_running_server_answer_once_served_and_fail_no_question(built):
    question = "When does the zebrafish clinic open?"
    with Server(built, {"RAG_ADMIN_TOKEN": TOKEN}) as server:
        old = ask(server.url, question)
        first = httpx.get(server.url + "/ready").json()["build_id"]
        asker = Asker(server.url, question)
        asker.start()
        try:
            r = httpx.put(server.url + "/admin/documents/zebrafish-note", content=NOTE.encode(),
                          headers={**AUTH, "Content-Type": "text/markdown; charset=utf-8"}, timeout=300)
            assert r.status_code == 200, r.text
            added = r.json()
            assert added["action"] == "created" and added["document"]["id"] == "zebrafish-note"
            assert added["embedding"]["embedded"] < 20 and added["embedding"]["reused"] > 150
            # answered once the new index serves: the very next question sees it
            assert httpx.get(server.url + "/ready").json()["build_id"] == added["build_id"] != first
            new = ask(server.url, question)
            assert new["citations"][0]["doc_id"] == "zebrafish-note"
            time.sleep(1)
            r = httpx.delete(server.url + "/admin/documents/zebrafish-note", headers=AUTH, timeout=300)
            assert r.status_code == 200, r.text
            assert r.json()["action"] == "removed" and r.json()["embedding"]["embedded"] == 0
            assert ask(server.url, question) == old
            time.sleep(1)
        finally:
            asker.stop()
        assert asker.failures == []
        assert phases(asker.answers, old, new) == [0, 1, 0], [a["answer"][:60] for a in asker.answers]
        assert not (built.corpus_dir / "zebrafish-note.md").exists()
        assert "Traceback" not in server.logs()


@pytest.mark.slow
def test_a_running_server_serves_an_index_built_by_another_process(built):
    question = "When does the zebrafish clinic open?"
    with Server(built) as server:
        old = ask(server.url, question)
        first = httpx.get(server.url + "/ready").json()["build_id"]
        asker = Asker(server.url, question)
        asker.start()
        try:
            (built.corpus_dir / "zebrafish-note.md").write_text(NOTE)
            out = rag(built, "build")
            assert out.returncode == 0, out.stderr
            built_id = store.current_build(built.index_dir).name
            deadline = time.monotonic() + 10
            while httpx.get(server.url + "/ready").json()["build_id"] != built_id:
                assert time.monotonic() < deadline, "the server did not pick up the new index"
                time.sleep(0.2)
            new = ask(server.url, question)
            time.sleep(1)
        finally:
            asker.stop()
        assert first != built_id and new["citations"][0]["doc_id"] == "zebrafish-note"
        assert asker.failures == []
        assert phases(asker.answers, old, new) == [0, 1]
        assert f"serving build {built_id}, published by another process" in server.logs()
