"""`rag bench --scale`: a synthetic index written straight to disk loads like a built one and is served whole."""

import json

import numpy as np
import pytest

from rag.bench.scale import ScalePlan, build_synthetic, scale_server
from rag.index import load_index, stale_reasons
from rag.settings import DenseSettings, Settings


def test_a_synthetic_index_loads_fresh_over_an_empty_corpus_and_its_records_slice_its_texts(tmp_path):
    settings = Settings(dense=DenseSettings(exact_limit=1_000, compress_limit=2_000, pq_bytes=16))
    folder = build_synthetic(ScalePlan(3_000, vocabulary=2_000, chunks_per_document=700, batch=1_000), settings,
                             tmp_path, None)
    served = settings.with_(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    index = load_index(served)
    assert index.manifest["dense_index"]["kind"] == "ivf-pq" and len(index.chunks) == index.dense.ntotal == 3_000
    assert (folder / "dense_vectors.npy").stat().st_ino == (folder / "sentence_vectors.npy").stat().st_ino
    for i in (0, 699, 700, 2_999):
        chunk = index.chunks[i]
        assert chunk.doc_id == f"synthetic-{i // 700}" and index.sentences[i].chunk == i
        text = index.chunk_text(chunk)
        assert text.endswith(".") and " " in text and index.sentence_text(i) == text
        assert set(index.chunk_terms(i)) <= set(index.lexicon.bm25.vocab_dict)
    assert index.doc_of_chunk[2_999] == sorted(index.documents).index("synthetic-4")
    # It matches only an empty corpus folder.
    (tmp_path / "corpus" / "one.md").write_text("---\n---\n")
    assert stale_reasons(index.manifest, served) == ["one.md was added"]


@pytest.mark.slow
def test_bench_scale_serves_a_synthetic_index_and_reports_a_row(tmp_path, engine):
    row = scale_server(engine.settings, 20_000, tmp_path / "scale", ScalePlan(20_000, requests=30, recall_queries=50))
    assert row["chunks"] == 20_000 and row["index"]["kind"] == "flat-ip" and row["recall_at_10"] == 1.0
    assert 0 < row["search_p50_ms"] <= row["search_p99_ms"] and 0 < row["ask_p50_ms"] <= row["ask_p99_ms"]
    assert row["rss_mb"] > 0 and row["ready_s"] > 0 and row["disk_mb"] > 0
    from rag.bench.report import write_scale

    write_scale(row, tmp_path / "out")
    assert json.loads((tmp_path / "out" / "bench.json").read_text())["scale_server"]["20000"] == row
    # Measuring again over the kept folder serves the same build rather than writing another.
    built = sorted(p.name for p in (tmp_path / "scale" / "index" / "builds").iterdir())
    again = scale_server(engine.settings, 20_000, tmp_path / "scale", ScalePlan(20_000, requests=5, recall_queries=5))
    assert again["build_s"] == row["build_s"]
    assert sorted(p.name for p in (tmp_path / "scale" / "index" / "builds").iterdir()) == built
