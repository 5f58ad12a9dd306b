"""The in-process measurements of `rag bench`: cold start, build, embedding, query path, encoders, scale."""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..settings import Settings
from ..testing import child_env, rag_command, synthetic_vectors

STAGES = ("encode", "dense", "bm25", "fusion", "compose")


def spread(values: list[float], digits: int = 2) -> dict[str, float]:
    """Median with min and max: the shape of a handful of repeated runs, without pretending to more."""
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "runs": len(values)}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def cold_start(settings: Settings, question: str, repeats: int) -> dict:
    """A new process to its first printed answer, and the bare import of the CLI."""
    env = child_env(settings)
    asks, imports = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run([*rag_command(), "ask", question], env=env, check=True, capture_output=True)
        asks.append(time.perf_counter() - began)
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import rag.cli"], env=env, check=True, capture_output=True)
        imports.append(time.perf_counter() - began)
    return {"ask_s": spread(asks), "import_s": spread(imports, 3)}


# ---------------------------------------------------------------- build


def build_times(settings: Settings, repeats: int) -> dict:
    """`rag build` wall time into a scratch index folder, so the live index is untouched."""
    times = []
    with tempfile.TemporaryDirectory() as scratch:
        env = {**child_env(settings), "RAG_INDEX_DIR": scratch}
        for _ in range(repeats):
            began = time.perf_counter()
            subprocess.run([*rag_command(), "build"], env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - began)
    return {"wall_s": spread(times)}


def synthetic_passages(settings: Settings, count: int, seed: int = 0) -> list[str]:
    """Passages of the corpus's own sentences, shuffled and packed to the chunk size: real words, new texts."""
    import tiktoken

    from ..corpus import load_corpus
    from ..segment import split_sentences

    encoding = tiktoken.get_encoding(settings.chunking.encoding)
    sentences = [d.text[s.start:s.end] for d in load_corpus(settings.corpus_dir, settings.retrieval.tiers)
                 for s in split_sentences(d.text)]
    sizes = [len(encoding.encode(s)) for s in sentences]
    rng = np.random.default_rng(seed)
    passages: list[str] = []
    while len(passages) < count:
        words, used = [], 0
        for i in rng.permutation(len(sentences)):
            if used + sizes[i] > settings.chunking.max_tokens:
                break
            words.append(sentences[i])
            used += sizes[i]
        passages.append(" ".join(words))
    return passages


def embedding_throughput(settings: Settings, count: int) -> dict:
    """Chunks per second through the build's encoder (the torch model, on a GPU when there is one).

    One pass over `count` chunks; the spread is over its batches, each a repeated run of the same work.
    """
    from ..embed import TorchEncoder

    encoder = TorchEncoder(settings.model).load()
    passages = synthetic_passages(settings, count)
    encoder.encode(passages[:settings.model.batch_size])
    rates: list[float] = []
    last = time.perf_counter()

    def batch_done(size: int) -> None:
        nonlocal last
        now = time.perf_counter()
        rates.append(size / (now - last))
        last = now

    began = time.perf_counter()
    encoder.encode(passages, progress=batch_done)
    overall = count / (time.perf_counter() - began)
    return {"chunks": count, "device": str(encoder.model.device), "chunks_per_s": round(overall, 1),
            "per_batch_chunks_per_s": spread(rates, 1), "tokens_per_chunk": settings.chunking.max_tokens}


# ---------------------------------------------------------------- query path in process


def query_path(settings: Settings, questions: list[str], repeats: int) -> dict:
    """Per-stage latency of `ask` over distinct questions (cache emptied per run), then the same ones cached."""
    from ..engine import Engine

    engine = Engine.open(settings)
    for q in questions[:5]:
        engine.ask(q)
    runs: list[dict[str, list[float]]] = []
    for _ in range(repeats):
        engine.clear_cache()
        run: dict[str, list[float]] = {name: [] for name in ("total", *STAGES)}
        for q in questions:
            laps: dict[str, float] = {}
            began = time.perf_counter()
            engine.ask(q, timings=laps)
            run["total"].append((time.perf_counter() - began) * 1000)
            for name in STAGES:
                run[name].append(laps.get(name, 0.0))
        runs.append(run)
    cached = []
    for q in questions:
        began = time.perf_counter()
        engine.ask(q)
        cached.append((time.perf_counter() - began) * 1000)
    result: dict[str, object] = {"questions": len(questions), "backend": settings.model.backend}
    for name in ("total", *STAGES):
        result[name] = {f"p{q}_ms": spread([percentile(r[name], q) for r in runs], 3) for q in (50, 95, 99)}
    result["cached_total"] = {"p50_ms": round(percentile(cached, 50), 4), "p99_ms": round(percentile(cached, 99), 4)}
    return result


def plain_encode(settings: Settings, questions: list[str]) -> dict:
    """`SentenceTransformer.encode()` of each question alone: the yardstick the HTTP target is set against."""
    from ..embed import TorchEncoder

    model = TorchEncoder(replace(settings.model, device="cpu")).load().model
    for q in questions[:5]:
        model.encode([q])
    times = []
    for q in questions:
        began = time.perf_counter()
        model.encode([q])
        times.append((time.perf_counter() - began) * 1000)
    return {"p50_ms": round(percentile(times, 50), 3), "p95_ms": round(percentile(times, 95), 3)}


def batching(settings: Settings, questions: list[str], size: int = 16) -> dict:
    """Per-question cost of the query encoder alone versus in one padded batch: does micro-batching pay?"""
    from ..embed import query_encoder
    from ..index import load_index

    encoder = query_encoder(settings.model, load_index(settings, check_corpus=False).path)
    group = questions[:size]
    encoder.encode(group)
    alone, together = [], []
    for _ in range(5):
        began = time.perf_counter()
        for q in group:
            encoder.encode([q])
        alone.append((time.perf_counter() - began) * 1000 / len(group))
        began = time.perf_counter()
        encoder.encode(group)
        together.append((time.perf_counter() - began) * 1000 / len(group))
    return {"batch": len(group), "alone_ms_per_question": spread(alone, 3),
            "batched_ms_per_question": spread(together, 3)}


def scale_point(n: int, settings: Settings, dim: int = 384, queries: int = 200) -> dict:
    """Build the dense index the project picks for n vectors; time its search and measure its recall."""
    import faiss
    import psutil

    from ..dense import build_dense, exact_neighbours, recall_at

    vectors = synthetic_vectors(n, dim, seed=n)
    probes = synthetic_vectors(queries, dim, seed=n + 1)  # fresh draws, not the build's own probe queries
    truth = exact_neighbours(vectors, probes, 10)
    began = time.perf_counter()
    index, info = build_dense(vectors, settings.dense)
    build_s = time.perf_counter() - began
    _, found = index.search(probes, 10)
    recall = recall_at(found, truth)
    index_bytes = faiss.serialize_index(index).nbytes
    del vectors
    gc.collect()
    faiss.omp_set_num_threads(1)  # one query per request, as the server runs it
    times = []
    for q in probes:
        began = time.perf_counter()
        index.search(q.reshape(1, -1), 10)
        times.append((time.perf_counter() - began) * 1000)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    return {"chunks": n, "index": info.kind, "nlist": info.nlist, "nprobe": info.nprobe,
            "build_s": round(build_s, 2), "search_p50_ms": round(percentile(times, 50), 3),
            "search_p99_ms": round(percentile(times, 99), 3), "recall_at_10": round(recall, 4),
            "build_recall_at_10": info.recall_at_10, "index_mb": round(index_bytes / 2**20, 1),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1)}


def scale_curve(settings: Settings, sizes: tuple[int, ...]) -> list[dict]:
    """One child process per size, so each point's memory is its own and not the sum of the ones before."""
    points = []
    for n in sizes:
        out = subprocess.run([sys.executable, "-m", "rag.bench", "scale-point", str(n)], env=child_env(settings),
                             capture_output=True, text=True, check=True)
        points.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return points


# ---------------------------------------------------------------- incremental rebuild


def incremental_rebuild(settings: Settings, chunks: int, documents: int = 100) -> dict:
    """A synthetic corpus of about `chunks` chunks built in full, then again after one document changed:
    the embedding time of each (and the wall time around it), and their ratio."""
    from ..build import build_index
    from ..embed import TorchEncoder

    encoder = TorchEncoder(settings.model).load()
    with tempfile.TemporaryDirectory() as scratch:
        work = settings.with_(corpus_dir=Path(scratch) / "corpus", index_dir=Path(scratch) / "index")
        write_synthetic_corpus(work, synthetic_passages(settings, chunks), documents)
        full = _timed_build(lambda progress: build_index(work, encoder, progress, full=True))
        changed = work.corpus_dir / "synthetic-0.md"
        changed.write_text(changed.read_text(encoding="utf-8") + "\nOne sentence more changes this document.\n",
                           encoding="utf-8")
        again = _timed_build(lambda progress: build_index(work, encoder, progress))
    return {"chunks": full["chunks"], "documents": documents, "device": str(encoder.model.device),
            "full": full, "one_changed": again,
            "embedding_ratio": round(again["embedding_s"] / full["embedding_s"], 4),
            "wall_ratio": round(again["wall_s"] / full["wall_s"], 4)}


def write_synthetic_corpus(settings: Settings, passages: list[str], documents: int) -> None:
    """`documents` files sharing the passages out between them, one paragraph each."""
    from ..changes import write_atomically

    settings.corpus_dir.mkdir(parents=True)
    tier = settings.retrieval.tiers[-1]
    for n in range(documents):
        body = "\n\n".join(passages[n::documents])
        write_atomically(settings.corpus_dir / f"synthetic-{n}.md", (
            f"---\nid: synthetic-{n}\ntitle: Synthetic document {n}\nsource_type: synthetic\nevidence_tier: {tier}\n"
            f"author: null\npublisher: null\npublished: null\nurl: null\n---\n{body}\n").encode())


def _timed_build(build) -> dict:
    """Wall time of one build and the time from its first text embedded to its last."""
    marks: list[float] = []

    def progress(done: int, total: int) -> None:
        if not marks or done >= total:
            marks.append(time.perf_counter())

    began = time.perf_counter()
    folder = build(progress)
    wall = time.perf_counter() - began
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    used = manifest["embedding"]
    return {"wall_s": round(wall, 2), "embedding_s": round(marks[-1] - marks[0], 3) if marks else 0.0,
            "chunks": manifest["counts"]["chunks"], "vectors": used["vectors"], "reused": used["reused"],
            "embedded": used["embedded"]}
