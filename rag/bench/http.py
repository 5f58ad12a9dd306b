"""`POST /ask` under load from wrk, against a real server in a child process."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..settings import Settings
from ..testing import Server, run_wrk, wrk_script
from .measure import spread

if TYPE_CHECKING:
    from . import BenchPlan


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
