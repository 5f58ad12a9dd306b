"""An encoder's vectors for short texts that recur, kept for reuse."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import Encoder

MAX_CACHED = 50_000


@dataclass
class CachedVectors:
    """Vectors of short texts met again and again (words, say), kept; bounded, and safe to share between threads
    (a race at worst encodes a text twice)."""

    encoder: Encoder
    cache: dict[str, np.ndarray] = field(default_factory=dict)

    def of(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        keys = [t.lower() for t in texts]
        # Read once into a local map, so a clear by another thread cannot lose a vector between lookups.
        known: dict[str, np.ndarray] = {k: v for k in dict.fromkeys(keys) if (v := self.cache.get(k)) is not None}
        new = [k for k in dict.fromkeys(keys) if k not in known]
        if new:
            if len(self.cache) + len(new) > MAX_CACHED:  # a long-lived server meets endless new texts
                self.cache.clear()
            for k, v in zip(new, self.encoder.encode(new)):
                known[k] = self.cache[k] = v
        return np.stack([known[k] for k in keys])
