"""The service state behind the routes: the live engine, loading it, reindexing, and our own metrics."""

from __future__ import annotations

import datetime as dt
import threading
import time
from functools import lru_cache
from typing import Any

import anyio
import prometheus_client
from litestar.exceptions import HTTPException

from ..build import build_apart
from ..embed import Batcher
from ..engine import Engine
from ..errors import BuildError, RagError
from ..index import load_index
from ..settings import Settings
from .memory import give_back_memory
from .models import ReindexStatus



class Service:
    """The live engine and the reindex job. Swapping `engine` is one assignment, so a request sees one index."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine.batched() if engine else None
        self.load_error: str | None = None
        self.reindex = ReindexStatus("idle")
        self._lock = threading.Lock()
        self.query_threads = anyio.CapacityLimiter(settings.server.query_threads)

    def start_loading(self) -> None:
        if self.engine is None:
            threading.Thread(target=self._load, name="rag-load", daemon=True).start()

    def _load(self) -> None:
        try:
            engine = Engine.open(self.settings, build_if_needed=True, apart=True).batched()
            engine.ask("warm-up question")  # first call pays one-off costs (threads, caches)
            self.engine = engine
            observe_index(engine)
        except RagError as err:
            self.load_error = str(err)

    def ready_engine(self) -> Engine:
        if self.engine is None:
            detail = f"index failed to load: {self.load_error}" if self.load_error else "index is still loading"
            raise HTTPException(status_code=503, detail=detail)
        return self.engine

    def start_reindex(self) -> bool:
        """Start a background rebuild; False when one is already running."""
        with self._lock:
            if self.reindex.state == "running":
                return False
            self.reindex = ReindexStatus("running", started_at=_now())
        threading.Thread(target=self._reindex, name="rag-reindex", daemon=True).start()
        return True

    def _reindex(self) -> None:
        started, began = self.reindex.started_at, time.perf_counter()
        try:
            build_apart(self.settings)
            fresh = Engine.over(load_index(self.settings), self.settings).batched()
            self.engine = fresh
            self.load_error = None
            observe_index(fresh, time.perf_counter() - began)
            self.reindex = ReindexStatus("succeeded", started, _now())
            # Once requests in flight and the old encoder's batch thread have let go of the old engine.
            threading.Timer(Batcher.IDLE_S + 1.0, give_back_memory).start()
        except Exception as err:  # the old engine keeps serving; the failure is reported, not raised
            metrics_registry()["reindex_failures"].inc()
            reason = str(err) if isinstance(err, BuildError) else f"{err.__class__.__name__}: {err}"
            self.reindex = ReindexStatus("failed", started, _now(), reason)


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
        "admin_denied": Counter("rag_admin_denied", "Admin requests refused for a missing or wrong token"),
    }


def observe_index(engine: Engine, build_seconds: float | None = None) -> None:
    m = metrics_registry()
    m["chunks"].set(len(engine.index.chunks))
    m["documents"].set(len(engine.index.documents))
    if build_seconds is not None:
        m["build_seconds"].set(build_seconds)

