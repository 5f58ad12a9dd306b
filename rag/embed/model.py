"""The sentence-transformers model under torch, loaded from a local folder only: what builds embed with."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ModelError
from ..settings import ModelSettings
from . import PACKAGED_MODEL, Advance, Tokens, in_batches, model_path


class TorchEncoder:
    """`load()` does the slow part, so construction is free; `model` is the loaded SentenceTransformer."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self.model: Any = None

    @property
    def name(self) -> str:
        return self.settings.path or PACKAGED_MODEL

    def load(self) -> "TorchEncoder":
        if self.model is not None:
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

        device = self.device()
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
        if device.startswith("cuda"):
            model.half()
        self.model = model
        return self

    def device(self) -> str:
        """Where the model runs (or will, once loaded); on a GPU it runs in half precision."""
        if self.settings.device:
            return self.settings.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def precision(self) -> str:
        """Device and number format, which a vector depends on as much as on the weights: known without loading."""
        device = self.device()
        return f"{device}:{'fp16' if device.startswith('cuda') else 'fp32'}"

    @property
    def dimension(self) -> int:
        return int(self.load().model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], progress: Advance | None = None) -> np.ndarray:
        model = self.load().model
        batch = self.settings.batch_size
        return in_batches(texts, batch, lambda part: model.encode(part, batch_size=batch, normalize_embeddings=True,
                                                                   convert_to_numpy=True, show_progress_bar=False),
                          lambda: self.dimension, progress)

    def encode_tokens(self, texts: Sequence[str]) -> list[Tokens]:
        model = self.load().model
        vectors = model.encode(list(texts), output_value="token_embeddings", convert_to_numpy=False,
                               show_progress_bar=False)
        spans = model.tokenizer(list(texts), truncation=True, max_length=model.max_seq_length,
                                return_offsets_mapping=True)["offset_mapping"]
        return [Tokens(v.float().cpu().numpy(), np.array(s, dtype=np.int64).reshape(-1, 2))
                for v, s in zip(vectors, spans)]
