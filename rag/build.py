"""Build the index (records, FAISS, BM25, sentence vectors, encoder export, manifest) apart, then swap it in."""

from __future__ import annotations

import datetime as dt
import os
import platform
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, reuse, store
from .chunk import chunk_text
from .corpus import Document, load_corpus
from .dense import DenseInfo, build_dense, save_dense
from .embed import ONNX_FILE, TorchEncoder
from .errors import BuildError
from .records import CHUNK_SCHEMA, SENTENCE_SCHEMA, ChunkRecord, SentenceRecord, write_records
from .lexical import build_lexicon, save_lexicon
from .settings import Settings
from .term_vectors import TERMS, VECTORS, build_term_vectors, needed

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue

Progress = Callable[[int, int], None]
# What the build child tells its parent: ("progress", done, total), ("done", folder) or ("failed", reason).
Message = tuple


def passage_text(doc: Document, section: str, text: str) -> str:
    """What gets embedded and BM25-indexed for a chunk: its words plus the title and heading it sits under."""
    return "\n".join(part for part in (doc.title, section, text) if part)


def build_index(settings: Settings, encoder: TorchEncoder, progress: Progress | None = None, full: bool = False,
                holding_lock: bool = False, embedder: reuse.Embedder | None = None) -> Path:
    """Build from the corpus into a fresh folder, then point `current` at it. Returns the new folder.

    Vectors of texts the published index already holds are taken from it unless `full`; only new or changed
    text is embedded, by `embedder` (a Ray cluster's encoders, say) or else by `encoder`, which also exports
    the query encoder. One build at a time per index folder: BuildBusyError when another is running, unless
    the caller says it holds the lock already (a server building in a child process, a corpus change).
    """
    lock = store.BuildLock(settings.index_dir)
    if not holding_lock:
        lock.acquire()
    try:
        return _build(settings, encoder, embedder or encoder, progress, full)
    finally:
        lock.release()


def _build(settings: Settings, encoder: TorchEncoder, embedder: reuse.Embedder, progress: Progress | None,
           full: bool) -> Path:
    import numpy as np

    documents = load_corpus(settings.corpus_dir, settings.retrieval.tiers)
    chunks, sentences, passages = plan(documents, settings)
    fingerprint = reuse.model_fingerprint(embedder)
    old = reuse.Reusable() if full else reuse.previous(settings.index_dir, fingerprint, settings.model.backend)
    scratch, stamp = store.new_scratch(settings.index_dir)
    try:
        by_id = {d.id: d for d in documents}
        texts = passages + [by_id[s.doc_id].text[s.char_start:s.char_end] for s in sentences]
        keys = reuse.text_keys(texts, fingerprint)
        readings = [texts[len(passages) + i] for i in needed(texts[len(passages):])]
        digest = reuse.readings_digest(readings, fingerprint)
        # When the published build read the same sentences, its term vectors are taken over.
        same = old.terms[1] if old.terms and old.terms[0] == digest else None
        readings = [] if same else readings
        # The term vectors read their sentences after the embedding, on the same progress bar.
        told = (lambda done, total: progress(done, total + len(readings))) if progress else None
        embedded = reuse.embed_reusing(embedder, texts, keys, old, told)
        chunk_vectors, sentence_vectors = embedded.vectors[: len(passages)], embedded.vectors[len(passages):]
        dense, dense_info = build_dense(chunk_vectors, settings.dense)
        save_dense(dense, scratch / store.DENSE, scratch / store.DENSE_VECTORS)
        if settings.model.backend != "torch" and not reuse.copy_export(old, scratch / ONNX_FILE):
            from .embed.export import export_onnx

            export_onnx(encoder, scratch / ONNX_FILE, quantize=settings.model.backend == "onnx-int8")
        np.save(scratch / store.SENTENCE_VECTORS, sentence_vectors)
        np.save(scratch / store.CHUNK_VECTORS, chunk_vectors)
        np.save(scratch / store.TEXT_KEYS, keys)
        save_lexicon(build_lexicon(passages), scratch / store.LEXICAL)
        _term_vectors(encoder, readings, same, scratch, settings.model.batch_size,
                      (lambda done: progress(embedded.embedded + done, embedded.embedded + len(readings)))
                      if progress else None)
        store.write_json(scratch / store.DOCUMENTS, [asdict(d) for d in documents])
        write_records(scratch / store.CHUNKS, CHUNK_SCHEMA, chunks)
        write_records(scratch / store.SENTENCES, SENTENCE_SCHEMA, sentences)
        embedding = {"fingerprint": fingerprint, "vectors": len(texts), "reused": embedded.reused,
                     "embedded": embedded.embedded, "reused_from": old.build_id if embedded.reused else None}
        manifest = {"build_id": stamp, **_manifest(settings, encoder, documents, chunks, sentences, dense_info,
                                                   int(embedded.vectors.shape[1]), scratch), "embedding": embedding,
                    "term_vectors": {"readings": digest, "read": len(readings)}}
        store.write_json(scratch / store.MANIFEST, {**manifest, "manifest_sha256": store.manifest_digest(manifest)})
        return store.finish(settings.index_dir, scratch, stamp)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _term_vectors(encoder: TorchEncoder, readings: list[str], same: Path | None, scratch: Path, batch: int,
                  read: Callable[[int], None] | None) -> None:
    """Write the term vectors: those of the build in `same` (checked against its manifest when it was taken up),
    or else read from `readings`."""
    if same is not None:
        for name in (TERMS, VECTORS):
            shutil.copyfile(same / name, scratch / name)
    else:
        build_term_vectors(readings, encoder.encode_tokens, batch, read).save(scratch)


def reuse_summary(manifest: dict) -> str:
    """How much of a build's embedding was taken over, in words, e.g. "reused 1,204 of 1,260 vectors; embedded 56"."""
    e = manifest.get("embedding")
    if not e:
        return "vectors not counted (an older build)"
    line = f"reused {e['reused']:,} of {e['vectors']:,} vectors; embedded {e['embedded']:,}"
    shared = e["vectors"] - e["reused"] - e["embedded"]
    return line + (f" ({shared:,} repeated texts shared a vector)" if shared else "")


def build_apart(settings: Settings, progress: Progress | None = None, stop: threading.Event | None = None,
                full: bool = False, holding_lock: bool = False) -> Path:
    """`build_index` in a fresh process, for a server: it never holds the torch model or the build's peak
    memory, and a build that dies takes nothing of the server's with it. Raises BuildError with the reason.

    `progress` hears (done, total) as texts are embedded; setting `stop` ends the build child and raises.
    `full` and `holding_lock` are build_index's: a caller holding the lock builds in a child that does not.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    messages: Queue[Message] = context.Queue()
    # Daemonic, so the multiprocessing exit hook ends it with the server; the child also watches its parent
    # for the case where the server dies without running any exit hook.
    child = context.Process(target=_build_in_child, args=(settings, messages, os.getpid(), full, holding_lock),
                            name="rag-build", daemon=True)
    child.start()
    try:
        return _await_build(child, messages, progress, stop)
    finally:
        _end(child)


def _await_build(child: BaseProcess, messages: Queue[Message], progress: Progress | None,
                 stop: threading.Event | None) -> Path:
    while True:
        if stop is not None and stop.is_set():
            raise BuildError("the build was stopped: the server is shutting down")
        message = _next_message(child, messages)
        if message is None:
            continue
        kind, *rest = message
        if kind == "progress":
            if progress:
                progress(*rest)
        elif kind == "done":
            return Path(rest[0])
        else:
            raise BuildError(rest[0])


def _next_message(child: BaseProcess, messages: Queue[Message]) -> Message | None:
    """The child's next message; None when it has said nothing for a moment but is alive."""
    try:
        return messages.get(timeout=0.2)
    except queue.Empty:
        if child.is_alive():
            return None
    try:  # it may have exited just after its last word, which is then still in the pipe
        return messages.get(timeout=1.0)
    except queue.Empty:  # killed, or out of memory: the scratch folder is all it left
        raise BuildError(f"the build process died before finishing (exit code {child.exitcode})") from None


def _end(child: BaseProcess) -> None:
    if child.is_alive():
        child.terminate()
        child.join(5)
    if child.is_alive():
        child.kill()
    child.join()


def _build_in_child(settings: Settings, messages: Queue[Message], parent: int, full: bool, holding_lock: bool) -> None:
    _exit_with(parent)
    os.nice(10)  # queries in the parent come first
    try:
        # Not loaded up front: a build with nothing new to embed never needs the model itself.
        folder = build_index(settings, TorchEncoder(settings.model),
                             lambda done, total: messages.put(("progress", done, total)), full, holding_lock)
        messages.put(("done", str(folder)))
    except Exception as err:
        # The reason travels as text: our errors' constructors take more than a message, so they do not unpickle.
        messages.put(("failed", f"{err.__class__.__name__}: {err}"))


def _exit_with(parent: int) -> None:
    """End this process once `parent` is gone: a server killed outright runs no exit hook to end its build,
    and an orphaned build would go on using the CPU for an index nobody waits for."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="rag-build-watch", daemon=True).start()


def plan(documents: list[Document], settings: Settings) -> tuple[list[ChunkRecord], list[SentenceRecord], list[str]]:
    """Chunk and sentence records for the documents, and the passage text embedded for each chunk."""
    chunks: list[ChunkRecord] = []
    sentences: list[SentenceRecord] = []
    passages: list[str] = []
    for doc in documents:
        doc_sentences, doc_chunks = chunk_text(doc.text, settings.chunking)
        base = len(sentences)
        owner = [-1] * len(doc_sentences)
        for n, c in enumerate(doc_chunks):
            for k in range(c.first, c.last):
                if owner[k] < 0:
                    owner[k] = len(chunks) + n
        for k, s in enumerate(doc_sentences):
            sentences.append(SentenceRecord(doc.id, s.start, s.end, s.kind, s.section, owner[k]))
        for n, c in enumerate(doc_chunks):
            chunks.append(ChunkRecord(f"{doc.id}#{n}", doc.id, c.start, c.end, c.section, base + c.first, base + c.last))
            passages.append(passage_text(doc, c.section, doc.text[c.start:c.end]))
    return chunks, sentences, passages


def _manifest(settings: Settings, encoder: TorchEncoder, documents: list[Document], chunks: list[ChunkRecord],
              sentences: list[SentenceRecord], dense: DenseInfo, dimension: int, folder: Path) -> dict:
    import importlib.metadata

    import bm25s
    import faiss
    import tiktoken

    return {
        "format": store.FORMAT,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "identity": settings.index_identity(),
        "model": {"name": encoder.name, "dimension": dimension, "query_backend": settings.model.backend},
        "dense_index": asdict(dense),
        "corpus": {d.path: d.sha256 for d in documents},
        "counts": {"documents": len(documents), "chunks": len(chunks), "sentences": len(sentences)},
        "versions": {
            "rag": __version__, "python": platform.python_version(), "faiss": faiss.__version__,
            "bm25s": bm25s.__version__,
            # Read, not imported: a build with nothing to embed never needs the library itself.
            "sentence_transformers": importlib.metadata.version("sentence-transformers"),
            "tiktoken": tiktoken.__version__,
        },
        "files": store.checksums(folder),
    }
