"""The service state behind the routes: the live engine, loading it, reindexing, and our own metrics."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import anyio
import prometheus_client
from litestar.exceptions import HTTPException

from ..build import build_apart
from ..embed import Batcher
from ..engine import Engine
from ..errors import BuildError, IndexMissingError, IndexStaleError, RagError, without_advice
from ..index import Index, load_index
from ..settings import Settings
from .memory import give_back_memory
from .models import LoadProgress, ReindexStatus

log = logging.getLogger("rag.serve")


class Service:
    """The live engine and the reindex job. Swapping `engine` is one assignment, so a request sees one index."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine.batched() if engine else None
        self.load_error: str | None = None
        self.progress: LoadProgress | None = None
        self.reindex = ReindexStatus("idle")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._workers: list[threading.Thread] = []
        self.query_threads = anyio.CapacityLimiter(settings.server.query_threads)

    def start_loading(self) -> None:
        if self.engine is None:
            self._start(self._load, "rag-load")

    def _start(self, work: Callable[[], None], name: str) -> None:
        worker = threading.Thread(target=work, name=name, daemon=True)
        self._workers = [w for w in self._workers if w.is_alive()] + [worker]
        worker.start()

    def stop(self, wait_s: float = 15.0) -> None:
        """Called at shutdown: a build still running is ended, and waited for, rather than left behind."""
        self._stopping.set()
        if self.engine is None and self.load_error is None:
            # Said here, on the shutdown path, not by the loading thread, which may not get to speak before exit.
            log.info("shutting down: the index was not loaded")
        for worker in self._workers:
            worker.join(wait_s)

    def _load(self) -> None:
        began = time.perf_counter()
        try:
            engine = Engine.over(self._fresh_index(), self.settings).batched()
            self.progress = LoadProgress("warming-up")
            engine.ask("warm-up question")  # first call pays one-off costs (threads, caches)
            self.engine = engine
            observe_index(engine)
            log.info("ready in %.1f s: %s", time.perf_counter() - began, _counts(engine.index))
        except RagError as err:
            if self._stopping.is_set():
                return
            self.load_error = str(err)
            log.error("the index could not be loaded: %s", err)
        except Exception as err:  # a bug: say so with its traceback rather than stay "loading" in silence
            self.load_error = f"{err.__class__.__name__}: {err}"
            log.exception("the index could not be loaded")
        finally:
            self.progress = None

    def _fresh_index(self) -> Index:
        """The built index, built first in a child process when it is missing or stale."""
        self.progress = LoadProgress("loading")
        log.info("loading the index from %s/", self.settings.index_dir)
        try:
            return load_index(self.settings)
        except (IndexMissingError, IndexStaleError) as err:
            log.info("%s; building it from %s/ (this takes a while; progress follows)", without_advice(err),
                     self.settings.corpus_dir)
        self.progress = LoadProgress("building", 0, None)
        began = time.perf_counter()
        build_apart(self.settings, _BuildLog(self._building), self._stopping)
        log.info("index built in %.1f s", time.perf_counter() - began)
        return load_index(self.settings)

    def _building(self, done: int, total: int) -> None:
        self.progress = LoadProgress("building", done, total)

    def ready_engine(self) -> Engine:
        if self.engine is None:
            raise HTTPException(status_code=503, detail=self.not_ready(), headers={"Retry-After": "2"})
        return self.engine

    def not_ready(self) -> str:
        """Why there is no index to answer from yet, in words a person can act on."""
        if self.load_error:
            return f"the index failed to load: {self.load_error}"
        step = self.progress or LoadProgress("loading")
        if step.step == "building" and step.total:
            return (f"the index is being built: {step.done} of {step.total} texts embedded "
                    f"({100 * (step.done or 0) // step.total}%); retry in a few seconds")
        return f"the index is {_STEP_WORDS.get(step.step, 'loading')}; retry in a few seconds"

    def start_reindex(self) -> bool:
        """Start a background rebuild; False when one is already running."""
        with self._lock:
            if self.reindex.state == "running":
                return False
            self.reindex = ReindexStatus("running", started_at=_now())
        self._start(self._reindex, "rag-reindex")
        return True

    def _reindex(self) -> None:
        started, began = self.reindex.started_at, time.perf_counter()
        log.info("reindex: building from %s/", self.settings.corpus_dir)
        try:
            build_apart(self.settings, _BuildLog(), self._stopping)
            fresh = Engine.over(load_index(self.settings), self.settings).batched()
            self.engine = fresh
            self.load_error = None
            observe_index(fresh, time.perf_counter() - began)
            self.reindex = ReindexStatus("succeeded", started, _now())
            log.info("reindex succeeded in %.1f s: %s", time.perf_counter() - began, _counts(fresh.index))
            # Once requests in flight and the old encoder's batch thread have let go of the old engine.
            threading.Timer(Batcher.IDLE_S + 1.0, give_back_memory).start()
        except Exception as err:  # the old engine keeps serving; the failure is reported, not raised
            if self._stopping.is_set():
                log.info("shutting down: the reindex was stopped")
                return
            metrics_registry()["reindex_failures"].inc()
            reason = str(err) if isinstance(err, BuildError) else f"{err.__class__.__name__}: {err}"
            self.reindex = ReindexStatus("failed", started, _now(), reason)
            log.error("reindex failed, the previous index keeps serving: %s", reason)


_STEP_WORDS = {"loading": "loading", "building": "being built", "warming-up": "warming up"}


class _BuildLog:
    """Logs a build's progress every tenth of the way, and passes each step on to `then`."""

    def __init__(self, then: Callable[[int, int], None] | None = None) -> None:
        self.then = then
        self.logged = -1

    def __call__(self, done: int, total: int) -> None:
        if self.then:
            self.then(done, total)
        tenth = 10 * done // max(total, 1)
        if tenth > self.logged:
            self.logged = tenth
            log.info("building: %d of %d texts embedded (%d%%)", done, total, 100 * done // max(total, 1))


def _counts(index: Index) -> str:
    counts = index.manifest["counts"]
    return f"{counts['documents']} documents, {counts['chunks']} chunks, {counts['sentences']} sentences"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@lru_cache(maxsize=1)
def metrics_registry() -> dict[str, Any]:
    """Our own gauges and counters, registered once per process beside Litestar's request metrics."""
    Counter, Gauge = prometheus_client.Counter, prometheus_client.Gauge
    return {
        "chunks": Gauge("rag_index_chunks", "Chunks in the live index"),
        "documents": Gauge("rag_index_documents", "Documents in the live index"),
        "build_seconds": Gauge("rag_index_build_seconds", "Wall time of the last reindex through the API"),
        "reindex_failures": Counter("rag_reindex_failures", "Reindex attempts that failed and kept the old index"),
        "admin_denied": Counter("rag_admin_denied", "Admin requests refused: no token configured, or a missing or "
                                                    "wrong one"),
        "server_errors": Counter("rag_server_errors", "Requests that failed inside the server (answered 500), "
                                                      "each logged with its traceback", ["path"]),
    }


def observe_index(engine: Engine, build_seconds: float | None = None) -> None:
    m = metrics_registry()
    m["chunks"].set(len(engine.index.chunks))
    m["documents"].set(len(engine.index.documents))
    if build_seconds is not None:
        m["build_seconds"].set(build_seconds)

