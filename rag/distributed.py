"""Embedding on a Ray cluster, for `rag build --ray`: a build's new texts go through a Ray Data pipeline to a pool
of encoder actors (one per GPU, or one per CPU where the cluster has no GPU), and come back to the driver, which
does everything else exactly as a build in one process does.

Imported only for `--ray`, so nothing else pays for importing Ray.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from .embed import Advance, TorchEncoder
from .errors import BuildError, ClusterError
from .reuse import model_fingerprint
from .settings import ModelSettings

# A local cluster only holds the texts in flight and their vectors: a small store starts faster and leaves the
# memory to the encoders.
OBJECT_STORE_BYTES = 512 * 2**20
# Ray itself waits minutes on an address where nothing answers; a plain connect tells at once.
CONNECT_TIMEOUT_S = 5.0


@contextmanager
def ray_cluster(address: str | None) -> Iterator[str]:
    """Connected to the Ray cluster at `address`, or to a local one started for the build when None; yields
    where that is, in words. Ray is shut down (a local cluster stopped) on the way out."""
    try:
        import ray
    except ImportError:
        raise ClusterError("--ray needs Ray, which is not installed: pip install '.[ray]'") from None
    if address:
        _check_reachable(address)
        options: dict[str, object] = {"address": address}
    else:
        options = {"object_store_memory": OBJECT_STORE_BYTES, "include_dashboard": False}
    try:
        ray.init(**options, logging_level=logging.ERROR, log_to_driver=False)  # type: ignore[arg-type]
    except Exception as err:  # Ray raises ConnectionError, RuntimeError or ValueError, depending on the step
        where = f"connect to a Ray cluster at {address}" if address else "start a local Ray cluster"
        raise ClusterError(f"cannot {where}: {_reason(err)}") from None
    try:
        _quiet_data()
        yield f"Ray cluster at {address}" if address else "a local Ray cluster"
    finally:
        ray.shutdown()


def _check_reachable(address: str) -> None:
    if address == "auto":  # Ray finds the cluster started on this machine by itself
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ClusterError(f"Ray address {address!r} is not HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise ClusterError(f"cannot reach a Ray cluster at {address}: {err.strerror or err}") from None


def _quiet_data() -> None:
    """The CLI draws its own progress bar; Ray Data's bars and start-up notes would interleave with it."""
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)


class RayEmbedder:
    """A build's `Embedder` on the connected cluster: texts sorted by length, so each batch pads little, embedded
    by a fixed pool of actors that load the model once each, and put back in their order."""

    def __init__(self, settings: ModelSettings) -> None:
        import ray

        resources = ray.cluster_resources()
        self.gpus = int(resources.get("GPU", 0))
        self.cpus = int(resources.get("CPU", 0))
        # Fixed here rather than left to each worker, because the vectors' reuse keys name the device.
        self.settings = replace(settings, device=settings.device or ("cuda" if self.gpus else "cpu"))
        self.actors = self.gpus or max(1, self.cpus)

    def precision(self) -> str:
        return TorchEncoder(self.settings).precision()

    def describe(self) -> str:
        if self.gpus:
            return f"{self.actors} encoder actor(s), one per GPU"
        return f"{self.actors} encoder actor(s) on CPU (the cluster has no GPU)"

    def encode(self, texts: Sequence[str], progress: Advance | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        try:
            return self._encode(texts, progress)
        except BuildError:
            raise
        except Exception as err:  # a worker's failure reaches here wrapped in Ray's own exception types
            raise BuildError(f"embedding on the Ray cluster failed: {_reason(err)}") from None

    def _encode(self, texts: Sequence[str], progress: Advance | None) -> np.ndarray:
        import ray.data

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        rows = ray.data.from_items([{"slot": i, "text": texts[i]} for i in order])
        # GPU actors hold a GPU each; CPU actors a core each, so the pool fills the cluster without crowding it.
        embedded = rows.map_batches(EncodeBatch, fn_constructor_kwargs={"settings": self.settings},
                                    batch_size=self.settings.batch_size, batch_format="numpy",
                                    compute=ray.data.ActorPoolStrategy(size=self.actors),
                                    num_gpus=1 if self.gpus else None, num_cpus=None if self.gpus else 1)
        expected = model_fingerprint(self)
        vectors: np.ndarray | None = None
        seen = 0
        # Blocks come back in whichever order the actors finish; each row carries its slot.
        for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
            if np.any(batch["model"] != expected):
                raise BuildError("a Ray worker embeds with another model or precision than this build expects: "
                                 "install the same project and model on every node")
            if vectors is None:
                vectors = np.empty((len(texts), batch["vector"].shape[1]), dtype=np.float32)
            vectors[batch["slot"]] = batch["vector"]
            seen += len(batch["slot"])
            if progress:
                progress(len(batch["slot"]))
        if vectors is None or seen != len(texts):
            raise BuildError(f"the Ray cluster returned {seen} of {len(texts)} vectors")
        return vectors


class EncodeBatch:
    """One per actor: loads the model once, then embeds each batch it is handed, saying which model it ran."""

    def __init__(self, settings: ModelSettings) -> None:
        self.encoder = TorchEncoder(settings).load()
        self.fingerprint = model_fingerprint(self.encoder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.encoder.encode([str(t) for t in batch["text"]])
        return {"slot": batch["slot"], "vector": vectors, "model": np.full(len(vectors), self.fingerprint)}


def _reason(err: BaseException) -> str:
    """The first line of the innermost cause: Ray wraps a worker's error in layers that name only the task."""
    while (cause := getattr(err, "cause", None) or err.__cause__) is not None and cause is not err:
        err = cause
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0]}" if text else type(err).__name__
