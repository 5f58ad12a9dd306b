"""Harness shared by the tests, the soak and the benchmark: a real server in a child process, wrk, and
synthetic vectors with the spectrum of real sentence embeddings."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Self

import numpy as np

from .embed import normalised
from .settings import Settings


def rag_command() -> list[str]:
    return [sys.executable, "-m", "rag.cli"]


def child_env(settings: Settings) -> dict[str, str]:
    """The environment for a `rag` child process over the same corpus, index and query backend."""
    return {**os.environ, "RAG_CORPUS_DIR": str(settings.corpus_dir.resolve()),
            "RAG_INDEX_DIR": str(settings.index_dir.resolve()), "RAG_BACKEND": settings.model.backend}


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


class Child:
    """A server in a child process on loopback, ready when `ready_path` answers 200; its log goes to a file,
    which `logs()` reads (a pipe nobody drains would stall a server that logs a lot)."""

    ready_path = "/"

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.NamedTemporaryFile(prefix="rag-child-", suffix=".log", delete=False)
        self.process = subprocess.Popen([*args, "--port", str(self.port)], env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT)

    def logs(self) -> str:
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 120.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.logs()[-2000:]}")
            try:
                ready = httpx.get(self.url + self.ready_path, timeout=2)
            except httpx.HTTPError:
                ready = None
            if ready is not None and ready.status_code == 200:
                return
            if ready is not None:
                self.check_failed(ready)
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def check_failed(self, ready: Any) -> None:
        """Raise when a not-ready answer says the server never will be."""

    def rss_mb(self) -> float:
        import psutil

        return psutil.Process(self.process.pid).memory_info().rss / 2**20

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self) -> Self:
        try:
            self.wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)


class Server(Child):
    """`rag serve` over the settings' corpus and index."""

    ready_path = "/ready"

    def __init__(self, settings: Settings, extra_env: dict[str, str] | None = None) -> None:
        super().__init__([*rag_command(), "serve"], {**child_env(settings), **(extra_env or {})})

    def check_failed(self, ready: Any) -> None:
        if ready.json().get("status") == "failed":
            raise RuntimeError(f"server could not load its index: {ready.text}")


class ScriptedLlm(Child):
    """The scripted OpenAI-compatible chat server (`rag.scripted_llm`) replaying `rules`."""

    ready_path = "/v1/models"

    def __init__(self, rules: list[dict[str, Any]]) -> None:
        self._script = tempfile.NamedTemporaryFile("w", prefix="rag-script-", suffix=".json", delete=False)
        json.dump(rules, self._script)
        self._script.close()
        super().__init__([sys.executable, "-m", "rag.scripted_llm", "--script", self._script.name])
        self.base_url = self.url + "/v1"

    def requests(self) -> list[dict[str, Any]]:
        import httpx

        return httpx.get(self.url + "/requests", timeout=5).json()

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        Path(self._script.name).unlink(missing_ok=True)


def run_wrk(url: str, script: Path, connections: int, seconds: float) -> dict:
    threads = max(1, min(connections, os.cpu_count() or 1))
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
                          "--timeout", "10s", "-s", str(script), url], capture_output=True, text=True, check=True)
    line = next(line for line in out.stdout.splitlines() if line.startswith("WRK "))
    result = json.loads(line[4:])
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result["rps"] = result["requests"] / result["seconds"]
    return result


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
        draws = rng.standard_normal((min(100_000, n - start), dim), dtype=np.float32) * scale
        out[start:start + len(draws)] = normalised(draws @ axes.T.astype(np.float32))
    return out
