import faiss
import numpy as np
import pytest

from rag.testing import synthetic_vectors
from rag.dense import build_dense, exact_neighbours, recall_at, search_params, tune_nprobe
from rag.engine import Engine
from rag.build import build_index
from rag.index import load_index
from rag.settings import DenseSettings



def test_small_collections_get_exact_search():
    vectors = synthetic_vectors(500, 32, seed=1)
    index, info = build_dense(vectors, DenseSettings(exact_limit=500))
    assert isinstance(index, faiss.IndexFlatIP) and info.kind == "flat-ip" and info.recall_at_10 == 1.0


def test_large_collections_get_ivf_tuned_to_the_recall_target_on_fresh_queries():
    vectors = synthetic_vectors(20_000, 64, seed=2)
    settings = DenseSettings(exact_limit=5_000, target_recall=0.95)
    index, info = build_dense(vectors, settings)
    assert info.kind == "ivf-fp16" and info.nlist == int(4 * np.sqrt(20_000)) and info.recall_at_10 >= 0.96
    assert 1 <= info.nprobe < info.nlist  # approximate: it must not have fallen back to scanning every list
    queries = synthetic_vectors(200, 64, seed=3)
    _, found = index.search(queries, 10)
    assert recall_at(found, exact_neighbours(vectors, queries, 10)) >= 0.9


def test_tuning_picks_the_fewest_lists_that_reach_the_target():
    vectors = synthetic_vectors(8_000, 32, seed=5)
    quantizer = faiss.IndexFlatIP(32)
    index = faiss.IndexIVFFlat(quantizer, 32, 200, faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    index.add(vectors)
    probes = synthetic_vectors(100, 32, seed=6)
    truth = exact_neighbours(vectors, probes, 10)
    nprobe, recall = tune_nprobe(index, probes, truth, target=0.9)

    def measured(n):
        index.nprobe = n
        return recall_at(index.search(probes, 10)[1], truth)

    assert index.nprobe == nprobe and recall == measured(nprobe) >= 0.9
    assert nprobe > 2 and measured(nprobe - 1) < 0.9  # the fewest: one list fewer misses the target


def test_filtered_ivf_search_returns_only_allowed_ids():
    vectors = synthetic_vectors(4_000, 32, seed=4)
    index, _ = build_dense(vectors, DenseSettings(exact_limit=1_000))
    allowed = np.arange(0, 4_000, 7)
    _, ids = index.search(vectors[:5], 10, params=search_params(index, allowed))
    assert set(ids[ids >= 0].tolist()) <= set(allowed.tolist()) and (ids >= 0).any()


def test_recall_counts_shared_neighbours():
    assert recall_at(np.array([[1, 2, -1]]), np.array([[2, 3, 1]])) == pytest.approx(2 / 3)


def test_an_ivf_index_is_recorded_loaded_and_answers(corpus_copy, encoder):
    settings = corpus_copy
    settings = settings.with_(dense=DenseSettings(exact_limit=10, train_per_list=40))
    build_index(settings, encoder)
    index = load_index(settings)
    info = index.manifest["dense_index"]
    assert info["kind"] == "ivf-fp16" and isinstance(index.dense, faiss.IndexIVFScalarQuantizer)
    assert index.dense.nprobe == info["nprobe"]
    engine = Engine.over(index, settings, encoder)
    hits = engine.search("Does ketamine relieve chronic pain?", 5, ["nmda-review-2025"])
    assert hits and {index.chunks[h.chunk].doc_id for h in hits} == {"nmda-review-2025"}


def test_beyond_the_compress_limit_ivf_pq_reranked_exactly_keeps_the_recall_target(tmp_path):
    from rag.dense import Reranked, RowFile, load_dense, save_dense

    vectors = synthetic_vectors(20_000, 64, seed=7)
    settings = DenseSettings(exact_limit=1_000, compress_limit=5_000, pq_bytes=16, add_batch=3_000)
    index, info = build_dense(vectors, settings)
    assert isinstance(index, Reranked) and info.kind == "ivf-pq" and info.pq_bytes == 16
    assert info.rerank == settings.rerank
    assert info.recall_at_10 >= 0.96 and 1 <= info.nprobe < info.nlist
    queries = synthetic_vectors(200, 64, seed=8)
    scores, found = index.search(queries, 10)
    assert recall_at(found, exact_neighbours(vectors, queries, 10)) >= 0.9
    # Scores are exact inner products with the fp16 vectors, best first.
    np.testing.assert_allclose(scores[0], vectors[found[0]].astype(np.float16).astype(np.float32) @ queries[0],
                               rtol=1e-5)
    assert (np.diff(scores, axis=1) <= 0).all()
    allowed = np.arange(0, 20_000, 5)
    _, ids = index.search(queries[:3], 10, params=search_params(index, allowed))
    assert set(ids[ids >= 0].tolist()) <= set(allowed.tolist())
    save_dense(index, tmp_path / "dense.faiss", tmp_path / "dense_vectors.npy")
    loaded = load_dense(tmp_path / "dense.faiss", tmp_path / "dense_vectors.npy",
                        {"kind": "ivf-pq", "nprobe": info.nprobe, "rerank": info.rerank})
    assert isinstance(loaded.vectors, RowFile) and loaded.nprobe == info.nprobe
    np.testing.assert_array_equal(loaded.vectors[np.array([7, 3, 19_999])], vectors[[7, 3, 19_999]].astype(np.float16))
    np.testing.assert_array_equal(loaded.search(queries, 10)[1], found)


def test_a_shortlist_too_short_for_the_target_is_lengthened_at_build_time():
    vectors = synthetic_vectors(20_000, 64, seed=7)
    # Eight bytes a vector: ten rows from such coarse codes rarely hold the ten true neighbours.
    settings = DenseSettings(exact_limit=1_000, compress_limit=5_000, pq_bytes=8, rerank=10, max_rerank=1_280)
    index, info = build_dense(vectors, settings)
    assert info.rerank > 10 and info.recall_at_10 >= settings.target_recall + settings.recall_headroom
    assert info.nprobe < info.nlist


def test_exact_neighbours_block_by_block_agree_with_one_scan():
    vectors = synthetic_vectors(3_000, 32, seed=9)
    queries = synthetic_vectors(20, 32, seed=10)
    np.testing.assert_array_equal(exact_neighbours(vectors, queries, 10, block=700),
                                  exact_neighbours(vectors, queries, 10))
