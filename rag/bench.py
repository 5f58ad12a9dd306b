"""`rag bench`: what a cold start, a build, a query and a million vectors cost on this machine.

Every figure is measured here, in this run, and reported as the median with its spread (min and max) over
repeated runs. Nothing is estimated or copied from elsewhere.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .settings import Settings

STAGES = ("encode", "dense", "bm25", "fusion", "compose")
PARTS = ("build", "cold_start", "embedding", "query", "plain_encode", "batching", "http", "scale")


@dataclass(frozen=True)
class BenchPlan:
    repeats: int = 3
    synthetic_chunks: int = 20_000
    http_seconds: float = 10.0
    connections: tuple[int, ...] = (1, 16, 64)
    scale_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    query_repeats: int = 5


QUICK = BenchPlan(repeats=1, synthetic_chunks=256, http_seconds=2.0, connections=(1, 16), scale_sizes=(10_000,),
                  query_repeats=1)


def spread(values: list[float], digits: int = 2) -> dict[str, float]:
    """Median with min and max: the shape of a handful of repeated runs, without pretending to more."""
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "runs": len(values)}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# ---------------------------------------------------------------- cold start


def rag_command() -> list[str]:
    return [sys.executable, "-m", "rag.cli"]


def cold_start(settings: Settings, question: str, repeats: int) -> dict:
    """A new process to its first printed answer, and the bare import of the CLI."""
    env = _env(settings)
    asks, imports = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        subprocess.run([*rag_command(), "ask", question], env=env, check=True, capture_output=True)
        asks.append(time.perf_counter() - began)
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import rag.cli"], env=env, check=True, capture_output=True)
        imports.append(time.perf_counter() - began)
    return {"ask_s": spread(asks), "import_s": spread(imports, 3)}


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "RAG_CORPUS_DIR": str(settings.corpus_dir.resolve()),
            "RAG_INDEX_DIR": str(settings.index_dir.resolve()), "RAG_BACKEND": settings.model.backend}


# ---------------------------------------------------------------- build


def build_times(settings: Settings, repeats: int) -> dict:
    """`rag build` wall time into a scratch index folder, so the live index is untouched."""
    times = []
    with tempfile.TemporaryDirectory() as scratch:
        env = {**_env(settings), "RAG_INDEX_DIR": scratch}
        for _ in range(repeats):
            began = time.perf_counter()
            subprocess.run([*rag_command(), "build"], env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - began)
    return {"wall_s": spread(times)}


def synthetic_passages(settings: Settings, count: int, seed: int = 0) -> list[str]:
    """Passages of the corpus's own sentences, shuffled and packed to the chunk size: real words, new texts."""
    import tiktoken

    from .corpus import load_corpus
    from .segment import split_sentences

    encoding = tiktoken.get_encoding(settings.chunking.encoding)
    sentences = [d.text[s.start:s.end] for d in load_corpus(settings.corpus_dir, settings.retrieval.tiers)
                 for s in split_sentences(d.text)]
    sizes = [len(encoding.encode(s)) for s in sentences]
    rng = np.random.default_rng(seed)
    passages = []
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
    from .embed import Encoder

    encoder = Encoder(settings.model).load()
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
    return {"chunks": count, "device": str(encoder._model.device), "chunks_per_s": round(overall, 1),
            "per_batch_chunks_per_s": spread(rates, 1), "tokens_per_chunk": settings.chunking.max_tokens}


# ---------------------------------------------------------------- query path in process


def query_path(settings: Settings, questions: list[str], repeats: int) -> dict:
    """Per-stage latency of `ask` over distinct questions (cache emptied per run), then the same ones cached."""
    from .engine import Engine

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
    result = {"questions": len(questions), "backend": settings.model.backend}
    for name in ("total", *STAGES):
        result[name] = {f"p{q}_ms": spread([percentile(r[name], q) for r in runs], 3) for q in (50, 95, 99)}
    result["cached_total"] = {"p50_ms": round(percentile(cached, 50), 4), "p99_ms": round(percentile(cached, 99), 4)}
    return result


def plain_encode(settings: Settings, questions: list[str]) -> dict:
    """`SentenceTransformer.encode()` of each question alone: the yardstick the HTTP target is set against."""
    from .embed import Encoder

    model = Encoder(replace(settings.model, device="cpu")).load()._model
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
    from .embed import query_encoder
    from .index import load_index

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


# ---------------------------------------------------------------- HTTP under load


WRK_SCRIPT = """
-- POSTs /ask with a distinct question each time: the gold questions, each with a per-thread counter,
-- so no two requests share an answer-cache entry.
local questions = {%(questions)s}
local threads = {}
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
end

function request()
  counter = counter + 1
  local q = questions[(counter %% #questions) + 1]
  local body = '{"question": "' .. q .. ' (' .. thread_id .. '-' .. counter .. ')"}'
  return wrk.format("POST", "/ask", {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests": %%d, "seconds": %%f, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "p50_ms": %%f, "p90_ms": %%f, "p99_ms": %%f, "max_ms": %%f}\\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def wrk_script(questions: list[str]) -> str:
    # Long brackets keep JSON's escapes as they are: Lua reads nothing inside them as an escape.
    quoted = ", ".join("[==[" + json.dumps(q)[1:-1] + "]==]" for q in questions)
    return WRK_SCRIPT % {"questions": quoted}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`rag serve` in a child process on loopback, ready when `/ready` says so."""

    def __init__(self, settings: Settings, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**_env(settings), **(extra_env or {})}
        self.process = subprocess.Popen([*rag_command(), "serve", "--port", str(self.port)], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self, timeout: float = 120.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                ready = httpx.get(self.url + "/ready", timeout=2)
            except httpx.HTTPError:
                ready = None
            if ready is not None and ready.status_code == 200:
                return
            if ready is not None and ready.json().get("status") == "failed":
                raise RuntimeError(f"server could not load its index: {ready.text}")
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def rss_mb(self) -> float:
        import psutil

        return psutil.Process(self.process.pid).memory_info().rss / 2**20

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self) -> "Server":
        self.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_wrk(url: str, script: Path, connections: int, seconds: float) -> dict:
    threads = max(1, min(connections, os.cpu_count() or 1))
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
                          "--timeout", "10s", "-s", str(script), url], capture_output=True, text=True, check=True)
    line = next(line for line in out.stdout.splitlines() if line.startswith("WRK "))
    result = json.loads(line[4:])
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def http_load(settings: Settings, questions: list[str], plan: BenchPlan) -> dict:
    """Requests/s and latency of POST /ask at each connection count, and the server's memory around it."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    result: dict = {"tool": "wrk", "seconds_per_run": plan.http_seconds, "connections": {}}
    with tempfile.TemporaryDirectory() as scratch, Server(settings) as server:
        script = Path(scratch) / "ask.lua"
        script.write_text(wrk_script(questions))
        run_wrk(server.url, script, 4, 1)  # warm-up: threads, allocator, first-touch pages
        result["rss_mb_after_start"] = round(server.rss_mb(), 1)
        for connections in plan.connections:
            runs = [run_wrk(server.url, script, connections, plan.http_seconds) for _ in range(plan.repeats)]
            result["connections"][str(connections)] = {
                "rps": spread([r["rps"] for r in runs], 1),
                "p50_ms": spread([r["p50_ms"] for r in runs]),
                "p99_ms": spread([r["p99_ms"] for r in runs]),
                "errors": sum(r["errors"] for r in runs),
                "requests": sum(r["requests"] for r in runs),
            }
        result["rss_mb_after_load"] = round(server.rss_mb(), 1)
    return result


# ---------------------------------------------------------------- scale curve


def synthetic_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    """Unit vectors from a Gaussian whose variance falls off as 1/i along random axes.

    Sentence embeddings have such a decaying spectrum; uniform random vectors would not, and would make
    approximate search look either hopeless or trivially easy.
    """
    axes, _ = np.linalg.qr(np.random.default_rng(12345).standard_normal((dim, dim)))
    scale = (1 / np.sqrt(np.arange(1, dim + 1))).astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        block = (rng.standard_normal((min(100_000, n - start), dim), dtype=np.float32) * scale) @ axes.T.astype(np.float32)
        out[start:start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def scale_point(n: int, settings: Settings, dim: int = 384, queries: int = 200) -> dict:
    """Build the dense index the project picks for n vectors; time its search and measure its recall."""
    import faiss
    import psutil

    from .dense import build_dense, exact_neighbours, recall_at

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
        out = subprocess.run([sys.executable, "-m", "rag.bench", "scale-point", str(n)], env=_env(settings),
                             capture_output=True, text=True, check=True)
        points.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return points


# ---------------------------------------------------------------- the whole run


def run_bench(settings: Settings, questions: list[str], plan: BenchPlan, only: set[str] | None = None,
              previous: dict | None = None, say: Callable[[str], None] = lambda _: None) -> dict:
    """Run the parts named in `only` (all when None); figures of the other parts are kept from `previous`."""
    import onnxruntime
    import torch

    report: dict = {
        **(previous or {}),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                    "onnxruntime": onnxruntime.__version__, "torch": torch.__version__},
        "plan": {**plan.__dict__, "connections": list(plan.connections), "scale_sizes": list(plan.scale_sizes)},
    }
    missing = [name for name in PARTS if name not in report and only is not None and name not in only]
    if missing:
        raise ValueError(f"no earlier figures for {', '.join(missing)}: run them too")
    steps: list[tuple[str, Callable[[], object]]] = [
        ("build", lambda: build_times(settings, plan.repeats)),
        ("cold_start", lambda: cold_start(settings, questions[0], plan.repeats)),
        ("embedding", lambda: embedding_throughput(settings, plan.synthetic_chunks)),
        ("query", lambda: query_path(settings, questions, plan.query_repeats)),
        ("plain_encode", lambda: plain_encode(settings, questions)),
        ("batching", lambda: batching(settings, questions)),
        ("http", lambda: http_load(settings, questions, plan)),
        ("scale", lambda: scale_curve(settings, plan.scale_sizes)),
    ]
    from .engine import Engine

    Engine.open(settings, build_if_needed=True)  # cold start and queries need the live index in place
    unknown = (only or set()) - {name for name, _ in steps}
    if unknown:
        raise ValueError(f"unknown bench part(s): {', '.join(sorted(unknown))}")
    for name, step in steps:
        if only is not None and name not in only:
            continue
        say(f"bench: {name}…")
        began = time.perf_counter()
        report[name] = step()
        say(f"bench: {name} done in {time.perf_counter() - began:.0f} s")
    report["targets"] = targets(report)
    return report


def targets(report: dict) -> list[dict]:
    """The issue's targets beside what was measured, met or not."""
    rows = []

    def row(name: str, measured: float | None, limit: float, smaller_is_better: bool = True) -> None:
        met = None if measured is None else (measured <= limit if smaller_is_better else measured >= limit)
        rows.append({"target": name, "measured": measured, "limit": limit, "met": met})

    row("ask p50 in process, distinct questions (ms)", report["query"]["total"]["p50_ms"]["median"], 6.0)
    http = report["http"].get("connections", {})
    if "1" in http:
        ratio = http["1"]["p50_ms"]["median"] / report["plain_encode"]["p50_ms"]
        row("HTTP /ask p50 ÷ plain encode() p50", round(ratio, 3), 0.6)
    if "16" in http:
        row("requests/s at 16 connections", http["16"]["rps"]["median"], 200.0, smaller_is_better=False)
        row("p99 at 16 connections (ms)", http["16"]["p99_ms"]["median"], 150.0)
        row("errors at 16 connections", http["16"]["errors"], 0)
    row("cold `rag ask` to first answer (s)", report["cold_start"]["ask_s"]["median"], 3.0)
    biggest = max(report["scale"], key=lambda p: p["chunks"], default=None)
    if biggest and biggest["chunks"] >= 1_000_000:
        row("1M chunks: dense search p50 (ms)", biggest["search_p50_ms"], 5.0)
        row("1M chunks: recall@10", biggest["recall_at_10"], 0.95, smaller_is_better=False)
        row("1M chunks: RSS holding the index (MB)", biggest["rss_mb"], 2560.0)
    return rows


def markdown(report: dict) -> str:
    """The report as the tables README shows."""
    q, lines = report["query"], []
    m = report["machine"]
    lines += [f"Machine: {m['cpus']} CPUs, {m['platform']}, GPU: {m['gpu'] or 'none'}; query backend "
              f"`{q['backend']}`. Medians over repeated runs, [min–max] in brackets.", ""]
    lines += ["| target | measured | limit | met |", "|---|---|---|---|"]
    for t in report["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {t['limit']} | {_yes(t['met'])} |")
    lines += ["", "Query path in process (ms):", "", "| stage | p50 | p95 | p99 |", "|---|---|---|---|"]
    for name in ("total", *STAGES):
        cells = [_cell(q[name][f"p{p}_ms"]) for p in (50, 95, 99)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(f"| cached answer | {q['cached_total']['p50_ms']} | | {q['cached_total']['p99_ms']} |")
    lines += ["", f"Plain `SentenceTransformer.encode()` of one question: p50 {report['plain_encode']['p50_ms']} ms."]
    bt = report["batching"]
    lines += [f"Query encoder, ms per question: {_cell(bt['alone_ms_per_question'])} one at a time, "
              f"{_cell(bt['batched_ms_per_question'])} in a batch of {bt['batch']}."]
    http = report["http"]
    if "skipped" in http:
        lines += ["", f"HTTP: {http['skipped']}."]
    else:
        lines += ["", f"HTTP `POST /ask` on loopback, wrk, distinct questions, {http['seconds_per_run']} s per run:", "",
                  "| connections | requests/s | p50 ms | p99 ms | errors / requests |", "|---|---|---|---|---|"]
        for c, r in http["connections"].items():
            lines.append(f"| {c} | {_cell(r['rps'])} | {_cell(r['p50_ms'])} | {_cell(r['p99_ms'])} | "
                         f"{r['errors']} / {r['requests']} |")
        lines += ["", f"Server RSS: {http['rss_mb_after_start']} MB after start, {http['rss_mb_after_load']} MB "
                      "after the load."]
    b, e, c = report["build"], report["embedding"], report["cold_start"]
    lines += ["", f"Build: `rag build` of the corpus {_cell(b['wall_s'])} s. Embedding throughput on "
                  f"{e['chunks']} synthetic chunks of up to {e['tokens_per_chunk']} tokens ({e['device']}): "
                  f"{e['chunks_per_s']} chunks/s (per batch {_cell(e['per_batch_chunks_per_s'])}).",
              f"Cold start: `rag ask` {_cell(c['ask_s'])} s; `import rag.cli` {_cell(c['import_s'])} s."]
    lines += ["", "Scale curve (synthetic unit vectors, 384 dimensions, decaying spectrum; 200 fresh queries; "
                  "one search thread):", "",
              "| chunks | index | nprobe | build s | search p50 ms | p99 ms | recall@10 | index MB | RSS MB |",
              "|---|---|---|---|---|---|---|---|---|"]
    for p in report["scale"]:
        lines.append(f"| {p['chunks']:,} | {p['index']} | {p['nprobe'] or '–'} | {p['build_s']} | "
                     f"{p['search_p50_ms']} | {p['search_p99_ms']} | {p['recall_at_10']} | {p['index_mb']} | "
                     f"{p['rss_mb']} |")
    return "\n".join(lines) + "\n"


def _cell(s: dict) -> str:
    return f"{s['median']} [{s['min']}–{s['max']}]" if s["runs"] > 1 else f"{s['median']}"


def _yes(met: bool | None) -> str:
    return "–" if met is None else ("yes" if met else "**no**")


def write_bench(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "bench.md").write_text(markdown(report), encoding="utf-8")


if __name__ == "__main__" and sys.argv[1:2] == ["scale-point"]:
    from .settings import load_settings

    print(json.dumps(scale_point(int(sys.argv[2]), load_settings())))
