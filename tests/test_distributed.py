"""`rag build --ray`: embedding on a local Ray cluster gives the index the build in one process gives, reuses
what it can without sending it to Ray, and a cluster that cannot be reached changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag import store
from rag.engine import Engine
from rag.settings import Settings
from rag.testing import child_env

from conftest import ROOT

pytest.importorskip("ray")

QUESTIONS = ["Is ketamine an effective treatment for chronic pain?", "Is ketamine safe?",
             "Where is the Propel Therapeutics clinic located?"]


def rag(settings: Settings, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """`rag ARGS` in a child over the settings' corpus and index, importing this checkout's package; and its time."""
    env = child_env(settings)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env,
                         timeout=600)
    return out, time.perf_counter() - start


def manifest(folder: Path) -> dict:
    return json.loads((folder / store.MANIFEST).read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_ray_build_equals_the_build_in_one_process_and_reuses_without_ray(corpus_copy, engine):
    out, seconds = rag(corpus_copy, "build", "--ray")
    assert out.returncode == 0, out.stderr
    assert "encoder actor(s)" in out.stderr
    print(f"ray build: {seconds:.1f} s")
    ray_folder, plain_folder = store.current_build(corpus_copy.index_dir), engine.index.path
    assert ray_folder is not None

    for name in (store.DOCUMENTS, store.CHUNKS, store.SENTENCES):
        assert (ray_folder / name).read_bytes() == (plain_folder / name).read_bytes(), name
    assert np.array_equal(np.load(ray_folder / store.TEXT_KEYS), np.load(plain_folder / store.TEXT_KEYS))
    for name in (store.CHUNK_VECTORS, store.SENTENCE_VECTORS):
        np.testing.assert_allclose(np.load(ray_folder / name), np.load(plain_folder / name), atol=1e-5, err_msg=name)
    ray_manifest, plain_manifest = manifest(ray_folder), manifest(plain_folder)
    assert ray_manifest["counts"] == plain_manifest["counts"]
    assert ray_manifest["embedding"]["fingerprint"] == plain_manifest["embedding"]["fingerprint"]
    on_ray = Engine.open(corpus_copy)
    for question in QUESTIONS:
        assert on_ray.ask(question).answer == engine.ask(question).answer, question

    # One changed document: only its new texts go to the cluster, the rest is taken from the published index.
    path = corpus_copy.corpus_dir / "role-of-ketamine.md"
    path.write_text(path.read_text() + "\nA follow-up visit after four weeks checks how the pain has changed.\n")
    out, _ = rag(corpus_copy, "build", "--ray")
    assert out.returncode == 0, out.stderr
    used = manifest(store.current_build(corpus_copy.index_dir))["embedding"]  # type: ignore[arg-type]
    assert 0 < used["embedded"] < 10 and used["reused"] > 150 and used["reused_from"] == ray_folder.name


def test_an_unreachable_cluster_is_one_line_and_changes_nothing(built):
    before = store.current_build(built.index_dir)
    listing = sorted(p.name for p in (built.index_dir / store.BUILDS).iterdir())

    out, seconds = rag(built, "build", "--ray", "127.0.0.1:1")
    assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr, out.stderr
    assert out.stderr == "error: cannot reach a Ray cluster at 127.0.0.1:1: Connection refused\n"
    assert seconds < 30  # refused at once, not after Ray's own minutes of retrying

    out, _ = rag(built, "build", "--ray", "no-port-here")
    assert out.returncode == 2 and out.stderr == "error: Ray address 'no-port-here' is not HOST:PORT\n"
    assert store.current_build(built.index_dir) == before
    assert sorted(p.name for p in (built.index_dir / store.BUILDS).iterdir()) == listing  # no partial folder
