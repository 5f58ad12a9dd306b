"""The same model run by onnxruntime: no torch to import, and a fraction of the latency for short queries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError
from ..settings import ModelSettings
from . import PACKAGED_MODEL, Advance, Tokens, in_batches, model_path


class OnnxEncoder:
    def __init__(self, onnx_path: Path, settings: ModelSettings) -> None:
        self.onnx_path = onnx_path
        self.settings = settings
        self.session: Any = None
        self.tokenizer: Any = None

    @property
    def name(self) -> str:
        return f"{self.settings.path or PACKAGED_MODEL} ({self.settings.backend})"

    def load(self) -> "OnnxEncoder":
        if self.session is not None:
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
        session = onnxruntime.InferenceSession(str(self.onnx_path), options, providers=["CPUExecutionProvider"])
        if "tokens" not in {o.name for o in session.get_outputs()}:
            raise ModelError(f"the encoder at {self.onnx_path} gives no token vectors (rebuild with `rag build`)")
        self.session, self.tokenizer = session, tokenizer
        return self

    @property
    def dimension(self) -> int:
        return int(self.load().session.get_outputs()[0].shape[1])

    def encode(self, texts: Sequence[str], progress: Advance | None = None) -> np.ndarray:
        self.load()
        return in_batches(texts, self.settings.batch_size, self._run, lambda: self.dimension, progress)

    def encode_tokens(self, texts: Sequence[str]) -> list[Tokens]:
        self.load()
        encoded = self.tokenizer.encode_batch(list(texts))
        hidden = self._feed(encoded, ["tokens"])[0]
        lengths = [sum(e.attention_mask) for e in encoded]  # padding dropped
        return [Tokens(hidden[i, :n].astype(np.float32), np.array(e.offsets[:n], dtype=np.int64).reshape(-1, 2))
                for i, (e, n) in enumerate(zip(encoded, lengths))]

    def _run(self, texts: list[str]) -> np.ndarray:
        return self._feed(self.tokenizer.encode_batch(texts), ["embedding"])[0]

    def _feed(self, encoded: list[Any], outputs: list[str]) -> list[np.ndarray]:
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self.session.run(outputs, feeds)


def _max_seq_length(folder: Path) -> int:
    config = folder / "sentence_bert_config.json"
    return int(json.loads(config.read_text())["max_seq_length"]) if config.is_file() else 512
