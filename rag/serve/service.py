"""The service state behind the routes: the live engine, loading it, reindexing, and our own metrics."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio
import prometheus_client
from litestar.exceptions import HTTPException

from .. import store
from ..build import build_apart, reuse_summary
from ..changes import Change, add_documents, remove_documents
from ..corpus import parse_document
from ..embed import Batcher
from ..engine import Engine
from ..errors import (BuildBusyError, BuildError, CorpusError, IndexMissingError, IndexStaleError, RagError,
                      without_advice)
from ..generate import Generated, Generator, Run
from ..index import Index, load_index
from ..llm import Llm
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
        # Held while an index is built or loaded to be served, so the watcher never loads the same one twice.
        self._swap = threading.Lock()
        self._unservable: Path | None = None  # a published build that failed to load, not retried
        self.llm = Llm(settings.llm) if settings.llm.enabled else None
        self._generator: Generator | None = None

    def generator(self, engine: Engine, run: Run) -> Generator:
        """Generated answers over this engine, set up once per engine (a reindex makes a new one)."""
        with self._lock:
            if self._generator is None or self._generator.engine is not engine:
                self._generator = Generator(engine, self.llm, run)
            return self._generator

    def start_loading(self) -> None:
        if self.engine is None:
            self._start(self._load, "rag-load")
        self._start(self._follow, "rag-follow")

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
            index = self._fresh_index()
            self.progress = LoadProgress("warming-up")
            engine = self._warm(index)
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
        """Start a background rebuild; False when one is already running, here or in another process."""
        with self._lock:
            if self.reindex.state == "running":
                return False
            lock = store.BuildLock(self.settings.index_dir)
            try:
                lock.acquire()  # taken here, so a refusal is the request's answer, not a failure later
            except BuildBusyError:
                return False
            self.reindex = ReindexStatus("running", started_at=_now())
        self._start(lambda: self._reindex(lock), "rag-reindex")
        return True

    def _reindex(self, lock: store.BuildLock) -> None:
        started, began = self.reindex.started_at, time.perf_counter()
        log.info("reindex: building from %s/", self.settings.corpus_dir)
        try:
            _, fresh = self._rebuild()
            status = ReindexStatus("succeeded", started, _now())
            log.info("reindex succeeded in %.1f s: %s", time.perf_counter() - began, _counts(fresh.index))
        except Exception as err:  # the old engine keeps serving; the failure is reported, not raised
            if self._stopping.is_set():
                log.info("shutting down: the reindex was stopped")
                return
            metrics_registry()["reindex_failures"].inc()
            reason = str(err) if isinstance(err, BuildError) else f"{err.__class__.__name__}: {err}"
            status = ReindexStatus("failed", started, _now(), reason)
            log.error("reindex failed, the previous index keeps serving: %s", reason)
        finally:
            lock.release()
        # Told only once the build lock is let go: a caller who sees the reindex finished may start the next one at
        # once, and must not be refused as if it were still running.
        self.reindex = status

    def _warm(self, index: Index) -> Engine:
        engine = Engine.over(index, self.settings).batched()
        engine.ask("warm-up question")  # first call pays one-off costs (threads, caches)
        return engine

    def _open(self) -> Engine:
        """An engine over the published index, warmed up. The corpus is not compared: whoever published the
        index built it from the corpus, and a newer index is never worse to serve than an older one."""
        return self._warm(load_index(self.settings, check_corpus=False))

    def _rebuild(self) -> tuple[Path, Engine]:
        """Build in a child process (the caller holds the build lock) and serve the result, both under `_swap`,
        so the watcher never loads the same build as well."""
        began = time.perf_counter()
        with self._swap:
            folder = build_apart(self.settings, _BuildLog(), self._stopping, holding_lock=True)
            return folder, self._serve(self._open(), time.perf_counter() - began)

    def _serve(self, fresh: Engine, build_seconds: float | None = None) -> Engine:
        """Swap `fresh` in: one assignment, so a request in flight finishes on the engine it started with."""
        self.engine = fresh
        self.load_error = None
        observe_index(fresh, build_seconds)
        # Once requests in flight and the old encoder's batch thread have let go of the old engine.
        threading.Timer(Batcher.IDLE_S + 1.0, give_back_memory).start()
        return fresh

    # ------------------------------------------------------------ documents in and out

    def put_document(self, doc_id: str, raw: bytes) -> tuple[Change, Engine]:
        """Add or replace one document and rebuild; returns once the new index serves. Nothing is left changed
        when the document is refused or the build fails."""
        name = f"{doc_id}.md"
        # Said in the request's terms before the corpus's own rule says it in terms of a file name.
        doc = parse_document(name, raw, self.settings.retrieval.tiers)
        if doc.id != doc_id:
            raise CorpusError(name, f"'{doc.id}' differs from the id in the path, '{doc_id}'", "id")
        return self._change(lambda build: add_documents(self.settings, [(name, raw)], build))

    def delete_document(self, doc_id: str) -> tuple[Change, Engine]:
        """Remove one document and rebuild; UnknownDocumentError when the corpus has none with this id."""
        return self._change(lambda build: remove_documents(self.settings, [doc_id], build))

    def _change(self, edit: Callable[[Callable[[], Path]], Change]) -> tuple[Change, Engine]:
        served: list[Engine] = []

        def build() -> Path:
            # The new engine is swapped in inside the build step, so a failure to load it undoes the change too.
            folder, engine = self._rebuild()
            served.append(engine)
            return folder

        change = edit(build)
        engine = served[0]
        log.info("corpus changed (added %s, removed %s); serving build %s: %s; %s",
                 ", ".join(d.id for d in change.added) or "none", ", ".join(change.removed) or "none",
                 change.build.name, _counts(engine.index), reuse_summary(engine.index.manifest))
        return change, engine

    # ------------------------------------------------------------ indexes published by other processes

    def _follow(self) -> None:
        """Serve an index another process publishes (`rag build`, `rag add`), by watching where `current` points."""
        while not self._stopping.wait(self.settings.server.index_poll_s):
            if not self._swap.acquire(blocking=False):
                continue  # this server is building or loading one itself
            try:
                self._follow_once()
            finally:
                self._swap.release()

    def _follow_once(self) -> None:
        target = store.current_build(self.settings.index_dir)
        served = self.engine.index.path if self.engine is not None else None
        if target is None or target == served or target == self._unservable:
            return
        if self.engine is None and not self.load_error:
            return  # still loading (or building) its first index
        try:
            fresh = self._open()
        except Exception as err:
            self._unservable = target
            log.error("build %s was published but cannot be served, so the index in use stays: %s", target.name,
                      err)
            return
        self._serve(fresh)
        log.info("serving build %s, published by another process: %s; %s", fresh.index.path.name,
                 _counts(fresh.index), reuse_summary(fresh.index.manifest))


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
        "generated_kept": Counter("rag_generated_sentences_kept", "Generated sentences that their cited quotes "
                                                                  "support, and that were returned"),
        "generated_dropped": Counter("rag_generated_sentences_dropped", "Generated sentences dropped because "
                                                                        "their cited quotes do not support them"),
        "generate_fallbacks": Counter("rag_generate_fallbacks", "Generate requests answered extractively instead"),
        "server_errors": Counter("rag_server_errors", "Requests that failed inside the server (answered 500), "
                                                      "each logged with its traceback", ["path"]),
    }


def observe_generated(made: Generated) -> None:
    m = metrics_registry()
    if made.verification:
        m["generated_kept"].inc(made.verification.kept)
        m["generated_dropped"].inc(len(made.verification.dropped))
    if made.fallback_reason:
        m["generate_fallbacks"].inc()


def observe_index(engine: Engine, build_seconds: float | None = None) -> None:
    m = metrics_registry()
    m["chunks"].set(len(engine.index.chunks))
    m["documents"].set(len(engine.index.documents))
    if build_seconds is not None:
        m["build_seconds"].set(build_seconds)

