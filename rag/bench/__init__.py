"""`rag bench`: what a cold start, a build, a query and a million vectors cost on this machine.

Every figure is measured here, in this run, and reported as the median with its spread (min and max) over
repeated runs. Nothing is estimated or copied from elsewhere.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..settings import Settings

PARTS = ("build", "cold_start", "embedding", "query", "plain_encode", "batching", "http", "scale", "incremental")
# Parts a report written before they existed lacks; its Markdown leaves them out rather than failing.
OPTIONAL_PARTS = ("incremental",)


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


def run_bench(settings: Settings, questions: list[str], plan: BenchPlan, only: set[str] | None = None,
              previous: dict | None = None, say: Callable[[str], None] = lambda _: None) -> dict:
    """Run the parts named in `only` (all when None); figures of the other parts are kept from `previous`."""
    import onnxruntime
    import torch

    from . import measure
    from .http import http_load

    report: dict = {
        **(previous or {}),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                    "onnxruntime": onnxruntime.__version__, "torch": torch.__version__},
        "plan": {**plan.__dict__, "connections": list(plan.connections), "scale_sizes": list(plan.scale_sizes)},
    }
    missing = [name for name in PARTS if name not in report and only is not None and name not in only
               and name not in OPTIONAL_PARTS]
    if missing:
        raise ValueError(f"no earlier figures for {', '.join(missing)}: run them too")
    steps: list[tuple[str, Callable[[], object]]] = [
        ("build", lambda: measure.build_times(settings, plan.repeats)),
        ("cold_start", lambda: measure.cold_start(settings, questions[0], plan.repeats)),
        ("embedding", lambda: measure.embedding_throughput(settings, plan.synthetic_chunks)),
        ("query", lambda: measure.query_path(settings, questions, plan.query_repeats)),
        ("plain_encode", lambda: measure.plain_encode(settings, questions)),
        ("batching", lambda: measure.batching(settings, questions)),
        ("http", lambda: http_load(settings, questions, plan)),
        ("scale", lambda: measure.scale_curve(settings, plan.scale_sizes)),
        ("incremental", lambda: measure.incremental_rebuild(settings, plan.synthetic_chunks)),
    ]
    from ..engine import Engine

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
    return report
