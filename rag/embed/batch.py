"""Micro-batching: questions from many threads encoded in shared runs of one encoder."""

from __future__ import annotations

import collections
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np

from . import Advance, Encoder, Tokens


class Batcher:
    """Encodes texts from many threads in shared runs of the model.

    Whatever is waiting when the model comes free goes into one batch, so a lone request pays no wait
    while concurrent ones share a run, which costs less per text than running them one by one. The worker
    thread starts on demand and ends after a second idle, so engines dropped on reindex leave no thread.
    """

    IDLE_S = 1.0

    def __init__(self, encoder: Encoder, max_batch: int) -> None:
        self.encoder = encoder
        self.max_batch = max(1, max_batch)
        self._queue: queue.SimpleQueue[tuple[str, Future[Tokens]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False
        self.batches: collections.Counter[int] = collections.Counter()  # batch size -> how many runs had it

    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def encode(self, texts: Sequence[str], progress: Advance | None = None) -> np.ndarray:
        vectors = [t.pooled() for t in self.encode_tokens(texts)]
        if progress:
            progress(len(vectors))
        return np.vstack(vectors) if vectors else np.zeros((0, self.dimension), dtype=np.float32)

    def encode_tokens(self, texts: Sequence[str]) -> list[Tokens]:
        futures: list[Future[Tokens]] = [Future() for _ in texts]
        with self._lock:
            for text, future in zip(texts, futures):
                self._queue.put((text, future))
            if not self._running:
                self._running = True
                threading.Thread(target=self._work, name="rag-encode", daemon=True).start()
        return [f.result() for f in futures]

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

    def _run(self, batch: list[tuple[str, Future[Tokens]]]) -> None:
        self.batches[len(batch)] += 1
        try:
            vectors = self.encoder.encode_tokens([text for text, _ in batch])
        except BaseException as err:  # every waiter hears of it; the worker lives on for the next batch
            for _, future in batch:
                future.set_exception(err)
            return
        for (_, future), vector in zip(batch, vectors):
            future.set_result(vector)
