"""`rag bench --scale N`: a synthetic index of N chunks written straight into an index folder, then the whole
server over it, measured over HTTP.

Nothing is embedded to build it: vectors are synthetic (`synthetic_vectors`), streamed to disk in batches, and
chunk texts are short runs of made-up words with a Zipf-like spread, so BM25 sees common and rare terms as in
real text. Questions sent over HTTP are made of the same words; the server embeds them with the real model, so
the answers mean nothing, but latency, recall, memory and readiness are those of an index of that size.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import __version__, store
from ..settings import Settings
from ..testing import Server, synthetic_vectors

DIMENSION = 384
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


@dataclass(frozen=True)
class ScalePlan:
    chunks: int
    vocabulary: int = 30_000
    words: tuple[int, int] = (5, 11)  # words per chunk, [low, high)
    chunks_per_document: int = 1_000
    batch: int = 100_000
    requests: int = 300  # per endpoint
    recall_queries: int = 200
    seed: int = 0


@dataclass(frozen=True)
class Words:
    """Made-up words whose stems are all distinct, and how often each is drawn."""
    surface: list[str]
    stems: list[str]
    weights: np.ndarray


def make_words(count: int, seed: int) -> Words:
    from ..lexical import tokenize

    rng = np.random.default_rng(seed)
    surface: list[str] = []
    stems: list[str] = []
    seen: set[str] = set()
    while len(surface) < count:
        candidates = ["".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 5)))) for _ in range(2 * count)]
        for word, stem in zip(candidates, tokenize(candidates)):
            # A word the stemmer folds onto another, or drops as a stop word, would blur the term counts.
            if len(stem) == 1 and stem[0] not in seen and len(surface) < count:
                seen.add(stem[0])
                surface.append(word)
                stems.append(stem[0])
    weights = 1 / (np.arange(count) + 10.0)
    return Words(surface, stems, weights / weights.sum())


def chunk_words(plan: ScalePlan, words: Words, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    lengths = rng.integers(*plan.words, size=count)
    drawn = rng.choice(len(words.surface), size=int(lengths.sum()), p=words.weights).astype(np.int32)
    return np.split(drawn, np.cumsum(lengths)[:-1])


def build_synthetic(plan: ScalePlan, settings: Settings, root: Path, encoder_file: Path | None) -> Path:
    """Write the synthetic index under `root` (index/ and an empty corpus/ it matches); returns the build folder."""
    from ..dense import build_dense, save_dense
    from ..lexical import build_lexicon_from_ids, save_lexicon
    from ..embed import normalised
    from ..term_vectors import TermVectors

    index_dir, corpus_dir = root / "index", root / "corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    scratch, stamp = store.new_scratch(index_dir)
    words = make_words(plan.vocabulary, plan.seed)
    rng = np.random.default_rng(plan.seed)
    vectors = np.lib.format.open_memmap(scratch / store.SENTENCE_VECTORS, "w+", np.float16, (plan.chunks, DIMENSION))
    token_ids = _write_records(plan, words, rng, vectors, scratch)
    vectors.flush()
    save_lexicon(build_lexicon_from_ids(token_ids, {s: i for i, s in enumerate(words.stems)}), scratch / store.LEXICAL)
    del token_ids
    # Made-up words mean nothing, so each gets a random direction, as each text does.
    terms = np.random.default_rng(plan.seed + 1).standard_normal((len(words.stems), DIMENSION)).astype(np.float32)
    TermVectors(tuple(words.stems), normalised(terms)).save(scratch)
    if plan.chunks > settings.dense.compress_limit:
        # The re-rank vectors are the same numbers as the sentence vectors: one file on disk under two names.
        os.link(scratch / store.SENTENCE_VECTORS, scratch / store.DENSE_VECTORS)
    dense, info = build_dense(np.load(scratch / store.SENTENCE_VECTORS, mmap_mode="r"), settings.dense, plan.seed)
    save_dense(dense, scratch / store.DENSE, scratch / store.DENSE_VECTORS)
    del dense
    if encoder_file is not None:
        shutil.copyfile(encoder_file, scratch / encoder_file.name)
    manifest = _manifest(plan, settings, asdict(info), stamp, scratch, time.perf_counter() - began)
    store.write_json(scratch / store.MANIFEST, {**manifest, "manifest_sha256": store.manifest_digest(manifest)})
    return store.finish(index_dir, scratch, stamp)


def _batches(plan: ScalePlan) -> Iterator[tuple[int, int]]:
    for start in range(0, plan.chunks, plan.batch):
        yield start, min(start + plan.batch, plan.chunks)


def _write_records(plan: ScalePlan, words: Words, rng: np.random.Generator, vectors: np.ndarray,
                   folder: Path) -> list[list[int]]:
    """Documents, chunk and sentence records (one sentence a chunk) and vectors, batch by batch; returns each
    chunk's token ids for BM25."""
    import pyarrow as pa

    from ..records import CHUNK_SCHEMA, SENTENCE_SCHEMA, Coded, RecordWriter

    per_doc = plan.chunks_per_document
    doc_ids = pa.array([f"synthetic-{d}" for d in range(-(-plan.chunks // per_doc))])
    section, kind = pa.array(["Synthetic section"]), pa.array(["text"])
    token_ids: list[list[int]] = []
    texts: list[str] = []  # the current document's chunks
    offset = 0
    with (RecordWriter(folder / store.CHUNKS, CHUNK_SCHEMA) as chunk_out,
          RecordWriter(folder / store.SENTENCES, SENTENCE_SCHEMA) as sentence_out,
          (folder / store.DOCUMENTS).open("w", encoding="utf-8") as documents):
        documents.write("[\n")
        for start, end in _batches(plan):
            vectors[start:end] = synthetic_vectors(end - start, DIMENSION, seed=plan.seed + 1 + start).astype(np.float16)
            ids = np.arange(start, end)
            starts, ends = np.empty(end - start, np.int64), np.empty(end - start, np.int64)
            for k, drawn in enumerate(chunk_words(plan, words, end - start, rng)):
                i = start + k
                if i % per_doc == 0 and i:
                    _write_document(documents, i // per_doc - 1, texts)
                    texts, offset = [], 0
                text = " ".join(words.surface[w] for w in drawn) + "."
                starts[k], ends[k] = offset, offset + len(text)
                offset += len(text) + 1
                texts.append(text)
                token_ids.append(drawn.tolist())
            docs = Coded(ids // per_doc, doc_ids)
            chunk_out.write({"id": [f"synthetic-{i // per_doc}#{i % per_doc}" for i in ids.tolist()], "doc_id": docs,
                             "char_start": starts, "char_end": ends, "section": Coded(np.zeros_like(ids), section),
                             "first": ids, "last": ids + 1})
            sentence_out.write({"doc_id": docs, "char_start": starts, "char_end": ends,
                                "kind": Coded(np.zeros_like(ids), kind), "section": Coded(np.zeros_like(ids), section),
                                "chunk": ids})
        _write_document(documents, (plan.chunks - 1) // per_doc, texts, last=True)
        documents.write("]\n")
    return token_ids


def _write_document(out, n: int, texts: list[str], last: bool = False) -> None:
    body = "\n".join(texts)
    out.write(json.dumps({"id": f"synthetic-{n}", "title": f"Synthetic document {n}", "source_type": "synthetic",
                          "evidence_tier": "unsourced", "author": None, "publisher": None, "published": None,
                          "url": None, "text": body, "sha256": "", "path": f"synthetic-{n}.md"}))
    out.write("\n" if last else ",\n")


def _manifest(plan: ScalePlan, settings: Settings, dense: dict, stamp: str, folder: Path, build_s: float) -> dict:
    import datetime as dt

    return {"build_id": stamp, "format": store.FORMAT,
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "identity": settings.index_identity(),
            # No model made these vectors and no corpus file holds these texts: the index matches an empty
            # corpus folder, and its identity is not compared with the settings (see `stale_reasons`).
            "synthetic": {"seed": plan.seed, "vocabulary": plan.vocabulary, "build_s": round(build_s, 1)},
            "model": {"name": "synthetic", "dimension": DIMENSION, "query_backend": settings.model.backend},
            "dense_index": dense, "corpus": {},
            "counts": {"documents": -(-plan.chunks // plan.chunks_per_document), "chunks": plan.chunks,
                       "sentences": plan.chunks},
            "versions": {"rag": __version__}, "files": store.checksums(folder)}


# ---------------------------------------------------------------- measuring the server over it


def scale_server(settings: Settings, chunks: int, keep: Path | None = None, plan: ScalePlan | None = None,
                 say=lambda _: None) -> dict:
    """Build the synthetic index, serve it, measure; the index goes unless `keep` names where to leave it."""
    plan = plan or ScalePlan(chunks)
    root = keep or Path(tempfile.mkdtemp(prefix="rag-scale-"))
    try:
        folder = _kept_build(root, plan)
        if folder is None:
            say(f"scale: building {chunks:,} synthetic chunks in {root}…")
            folder = build_synthetic(plan, settings, root, _encoder_file(settings))
        build_s = json.loads((folder / store.MANIFEST).read_text())["synthetic"]["build_s"]
        say(f"scale: built in {build_s:.0f} s; serving it…")
        served = settings.with_(corpus_dir=root / "corpus", index_dir=root / "index")
        row = {"chunks": chunks, "build_s": round(build_s, 1), **_serve_and_measure(served, plan),
               "recall_at_10": _dense_recall(folder, plan), "disk_mb": round(_disk_bytes(folder) / 2**20, 1)}
        row["index"] = json.loads((folder / store.MANIFEST).read_text())["dense_index"]
        return row
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _kept_build(root: Path, plan: ScalePlan) -> Path | None:
    """A synthetic index of this plan left in `root` by an earlier run: ten million chunks take an hour to write
    and minutes to measure, so measuring again reuses them."""
    folder = root / "index" / store.CURRENT
    try:
        manifest = json.loads((folder / store.MANIFEST).read_text())
        made = manifest["synthetic"]
        if (manifest["counts"]["chunks"], made["seed"], made["vocabulary"]) == (plan.chunks, plan.seed,
                                                                                  plan.vocabulary):
            return folder.resolve()
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _encoder_file(settings: Settings) -> Path | None:
    """The live index's query encoder export, which the synthetic index borrows to embed questions."""
    if settings.model.backend == "torch":
        return None
    from ..embed import ONNX_FILE
    from ..engine import Engine

    return Engine.open(settings, build_if_needed=True).index.path / ONNX_FILE


def questions(plan: ScalePlan, count: int, seed: int) -> list[str]:
    """Distinct questions of three or four of the index's words."""
    words = make_words(plan.vocabulary, plan.seed)
    rng = np.random.default_rng(seed)
    out: dict[str, None] = {}
    while len(out) < count:
        drawn = rng.choice(len(words.surface), size=int(rng.integers(3, 5)), p=words.weights)
        out[" ".join(words.surface[w] for w in drawn)] = None
    return list(out)


def _serve_and_measure(settings: Settings, plan: ScalePlan) -> dict:
    import httpx

    from .measure import percentile

    began = time.perf_counter()
    server = Server(settings)
    try:
        server.wait_ready(timeout=1800)
        ready_s = time.perf_counter() - began
        rss_ready = server.rss_mb()
        asked = questions(plan, 2 * plan.requests + 20, plan.seed + 7)
        result: dict = {"ready_s": round(ready_s, 2), "rss_mb_ready": round(rss_ready, 1)}
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for q in asked[:20]:  # warm-up: first-touch pages, thread pools
                client.post("/search", json={"query": q}).raise_for_status()
            for path, field, part in (("/search", "query", asked[20:20 + plan.requests]),
                                      ("/ask", "question", asked[20 + plan.requests:])):
                times = []
                for q in part:
                    t = time.perf_counter()
                    client.post(path, json={field: q}).raise_for_status()
                    times.append((time.perf_counter() - t) * 1000)
                name = path.strip("/")
                result[f"{name}_p50_ms"] = round(percentile(times, 50), 2)
                result[f"{name}_p99_ms"] = round(percentile(times, 99), 2)
        result["rss_mb"] = round(server.rss_mb(), 1)
        return result
    finally:
        server.stop()


def _dense_recall(folder: Path, plan: ScalePlan) -> float:
    """Recall@10 of the served dense index, as loaded, against exact search, on fresh synthetic queries."""
    from ..dense import exact_neighbours, load_dense, recall_at

    manifest = json.loads((folder / store.MANIFEST).read_text())
    dense = load_dense(folder / store.DENSE, folder / store.DENSE_VECTORS, manifest["dense_index"])
    queries = synthetic_vectors(plan.recall_queries, DIMENSION, seed=plan.seed + 10**9)
    vectors = np.load(folder / store.SENTENCE_VECTORS, mmap_mode="r")
    truth = exact_neighbours(vectors, queries, 10)
    found = np.vstack([dense.search(q.reshape(1, -1), 10)[1] for q in queries])  # one at a time, as served
    return round(recall_at(found, truth), 4)


def _disk_bytes(folder: Path) -> int:
    """Bytes the build takes on disk, a file under two names counted once."""
    seen: dict[int, int] = {}
    for p in folder.rglob("*"):
        if p.is_file():
            st = p.stat()
            seen[st.st_ino] = st.st_blocks * 512
    return sum(seen.values())


def scale_row(row: dict) -> str:
    i = row["index"]
    return (f"| {row['chunks']:,} | {i['kind']} | {i.get('nprobe') or '–'} | {row['build_s']} | "
            f"{row['search_p50_ms']} | {row['search_p99_ms']} | {row['ask_p50_ms']} | {row['ask_p99_ms']} | "
            f"{row['recall_at_10']} | {row['rss_mb']:,.0f} | {row['ready_s']} | {row['disk_mb']:,.0f} |")


SCALE_HEADER = ("| chunks | index | nprobe | build s | /search p50 ms | p99 | /ask p50 ms | p99 | recall@10 | RSS MB | "
                "ready s | disk MB |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
