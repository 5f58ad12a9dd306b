import numpy as np
import pytest

import threading
import time

from rag.embed import ONNX_FILE, Batcher, OnnxEncoder, query_encoder
from rag.embed.export import export_onnx
from rag.settings import ModelSettings

TEXTS = ["Does ketamine relieve chronic pain?", "ketamine", "What did the systematic review conclude about "
         "NMDA receptor antagonists for neuropathic pain, and how certain was the evidence?",
         "Ünïcode, numbers 3.5 mg/kg and (brackets) — dashes"]


def test_exported_encoder_gives_the_models_vectors(engine, encoder):
    onnx = engine.encoder
    assert isinstance(onnx, OnnxEncoder) and onnx.onnx_path == engine.index.path / ONNX_FILE
    ref, got = encoder.encode(TEXTS), onnx.encode(TEXTS)
    assert got.shape == ref.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (ref * got).sum(1).min() > 0.9999
    # A batch pads the short texts; padding must not change any text's vector.
    alone = np.vstack([onnx.encode([t]) for t in TEXTS])
    assert np.allclose(alone, got, atol=1e-5)


def test_token_vectors_pool_to_the_text_vector_under_every_encoder(engine, encoder):
    """One run of the model gives the question's vector and its token vectors; the ONNX graph, the torch model
    and the batcher agree on both, and each token knows the characters it stands for."""
    batcher = Batcher(engine.encoder, max_batch=8)
    vectors = encoder.encode(TEXTS)
    spans = [t.spans.tolist() for t in engine.encoder.encode_tokens(TEXTS)]
    for member in (engine.encoder, encoder, batcher):
        tokens = member.encode_tokens(TEXTS)
        assert (np.vstack([t.pooled() for t in tokens]) * vectors).sum(1).min() > 0.9999
        assert [t.spans.tolist() for t in tokens] == spans and all(len(t.vectors) == len(t.spans) for t in tokens)
    # Word pieces, each with its characters; the model's own markers stand for none.
    pieces = [TEXTS[0][a:b] for a, b in spans[0]]
    assert pieces[0] == pieces[-1] == "" and "".join(pieces) == TEXTS[0].replace(" ", "")


def test_leaving_words_out_moves_the_vector_by_what_they_meant():
    from rag.embed import Tokens

    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    tokens = Tokens(vectors, np.array([[0, 0], [0, 3], [4, 7], [0, 0]]))
    assert np.allclose(tokens.pooled(), [2 ** -0.5, 2 ** -0.5])
    assert np.allclose(tokens.pooled_without([(4, 7)]), Tokens(vectors[[0, 1, 3]], tokens.spans[[0, 1, 3]]).pooled())
    assert np.allclose(tokens.pooled_without([(0, 7)]), [1.0, 0.0])  # the markers stay
    assert np.allclose(tokens.pooled_without([]), tokens.pooled())


def test_int8_export_stays_close_and_is_smaller(tmp_path, encoder, engine):
    dest = tmp_path / ONNX_FILE
    export_onnx(encoder, dest, quantize=True)
    assert dest.stat().st_size < (engine.index.path / ONNX_FILE).stat().st_size / 3
    assert not list(tmp_path.glob("*.fp32.onnx"))
    got = OnnxEncoder(dest, ModelSettings(backend="onnx-int8")).encode(TEXTS)
    assert (encoder.encode(TEXTS) * got).sum(1).min() > 0.97


def test_torch_backend_queries_with_the_model_itself(encoder, tmp_path):
    assert query_encoder(ModelSettings(backend="torch"), tmp_path, encoder) is encoder


def test_missing_export_names_the_rebuild(tmp_path):
    with pytest.raises(Exception, match="rag build"):
        query_encoder(ModelSettings(backend="onnx"), tmp_path)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        ModelSettings(backend="tensorrt")


def test_concurrent_callers_share_batches_and_each_gets_its_own_vector(engine):
    batcher = Batcher(engine.encoder, max_batch=8)
    texts = [f"{TEXTS[i % len(TEXTS)]} #{i}" for i in range(24)]
    expected = engine.encoder.encode(texts)
    got: dict[int, np.ndarray] = {}
    start = threading.Barrier(len(texts))

    def call(i):
        start.wait()
        got[i] = batcher.encode([texts[i]])[0]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.allclose(np.vstack([got[i] for i in range(len(texts))]), expected, atol=1e-5)
    assert sum(size * runs for size, runs in batcher.batches.items()) == len(texts)
    assert max(batcher.batches) > 1 and max(batcher.batches) <= 8  # shared runs, never past the cap


def test_a_failed_batch_reaches_every_caller_and_the_worker_stops_when_idle(engine, monkeypatch):
    monkeypatch.setattr(Batcher, "IDLE_S", 0.05)
    batcher = Batcher(engine.encoder, max_batch=8)
    with pytest.raises(TypeError):
        batcher.encode([None])  # the tokenizer refuses it inside the worker; the caller hears why
    assert batcher.encode(["still working"]).shape == (1, 384)
    time.sleep(0.5)
    assert not batcher._running  # an engine dropped on reindex leaves no thread behind
    assert batcher.encode(["and back"]).shape == (1, 384)
