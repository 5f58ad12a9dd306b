"""The `rag` console script, run as a real subprocess against the session's index."""

import json
import os
import subprocess
import sys

import pytest


def rag(settings, *args):
    env = {**os.environ, "RAG_CORPUS_DIR": str(settings.corpus_dir), "RAG_INDEX_DIR": str(settings.index_dir)}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_ask_json_prints_exactly_the_answer_object(engine):
    out = rag(engine.settings, "ask", "--json", "Is ketamine an effective treatment for chronic pain?")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert set(answer) == {"question", "answer", "abstained", "confidence", "citations", "disagreement"}
    assert answer["citations"][0]["doc_id"] == "nmda-review-2025" and answer["disagreement"]
    assert set(answer["citations"][0]) == {"n", "doc_id", "title", "source_type", "evidence_tier", "chunk_id",
                                           "quote", "char_start", "char_end"}


def test_ask_abstains_and_search_ranks_with_breakdown(engine):
    out = rag(engine.settings, "ask", "--json", "What is the capital of France?")
    assert json.loads(out.stdout)["abstained"] is True
    out = rag(engine.settings, "search", "--json", "-k", "3", "Propel Therapeutics clinic address")
    hits = json.loads(out.stdout)
    assert len(hits) == 3 and hits[0]["chunk_id"].startswith("propel-neuropathic")
    assert {"dense", "bm25", "fused", "weight", "final"} <= set(hits[0])


@pytest.mark.parametrize("args, words", [
    (["ask", ""], "question: must be a non-empty string"),
    (["search", "pain", "-k", "0"], "-k: must be an integer"),
    (["ask", "pain", "--doc", "nope"], "unknown document id(s): nope"),
])
def test_user_mistakes_are_one_line_and_a_non_zero_exit(engine, args, words):
    out = rag(engine.settings, *args)
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: {words}" or (words in out.stderr and out.stderr.count("\n") == 1)
    assert "Traceback" not in out.stderr


def test_build_shows_progress_and_reports_counts(corpus_copy):
    settings = corpus_copy
    out = rag(settings, "build")
    assert out.returncode == 0, out.stderr
    assert "built " in out.stdout and "5 documents" in out.stdout
    assert "embedding" in out.stderr and "100%" in out.stderr


def test_bad_corpus_names_the_file_and_builds_nothing(corpus_copy):
    settings = corpus_copy
    (settings.corpus_dir / "nmda-review-2025.md").write_bytes(b"---\nid: x\n\xff\n---\nbody")
    out = rag(settings, "build")
    assert out.returncode == 2 and "nmda-review-2025.md: not valid UTF-8" in out.stderr
    assert not (settings.index_dir / "current").exists()


@pytest.mark.parametrize("name, value, words", [("RAG_BACKEND", "gpu", "RAG_BACKEND must be 'torch', 'onnx' or"),
                                                ("RAG_THREADS", "many", "RAG_THREADS must be a whole number"),
                                                ("RAG_RATE_LIMIT", "lots", "RAG_RATE_LIMIT must look like"),
                                                ("RAG_RATE_LIMIT", "5/week", "RAG_RATE_LIMIT must be N/unit"),
                                                ("RAG_REQUEST_TIMEOUT", "-1", "RAG_REQUEST_TIMEOUT must be positive"),
                                                ("RAG_QUERY_THREADS", "0", "RAG_QUERY_THREADS")])
def test_bad_settings_in_the_environment_are_one_line_errors_naming_the_variable(engine, name, value, words):
    env = {**os.environ, name: value}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "pain"], capture_output=True, text=True, env=env)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and out.stderr.startswith(f"error: {words}")


@pytest.mark.slow
def test_ask_says_on_one_line_before_it_rebuilds_a_stale_index(built):
    path = built.corpus_dir / "nmda-review-2025.md"
    path.write_text(path.read_text() + "\nOne more sentence, so the index no longer matches.\n")
    out = rag(built, "ask", "--json", "Is ketamine safe?")
    assert out.returncode == 0, out.stderr
    notice = out.stderr.splitlines()[0]
    assert notice == ("index is stale: nmda-review-2025.md changed; building it now, before answering "
                      "(this takes a while)")
    assert json.loads(out.stdout)["citations"]
    again = rag(built, "ask", "--json", "Is ketamine safe?")
    assert again.returncode == 0 and again.stderr == ""  # built once, quiet after
