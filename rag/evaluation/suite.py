"""Every corpus of the suite, each scored with a scorer fitted on the others (leave-one-corpus-out)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..engine import Engine
from ..scorer import Scorer
from ..settings import Settings
from .fit import QuestionSample, collect, fit_scorer
from .gold import GoldQuestion, SuiteCorpus, load_gold, load_suite
from .harness import failures, run_questions, score
from .stance import stance_scores

Say = Callable[[str], None]


def open_corpora(settings: Settings, suite: Path, cache: Path, say: Say
                 ) -> tuple[list[SuiteCorpus], dict[str, Engine], dict[str, list[GoldQuestion]], list[str]]:
    """Each corpus's engine (its index built under `cache` when missing or stale) and gold questions."""
    corpora = load_suite(suite)
    engines, golds, problems = {}, {}, []
    for c in corpora:
        say(f"eval: {c.name}: loading the index (building it if needed)…")
        engines[c.name] = Engine.open(settings.with_(corpus_dir=c.corpus_dir, index_dir=cache / c.name),
                                      build_if_needed=True)
        golds[c.name], skipped = load_gold(c.gold)
        problems += skipped
    return corpora, engines, golds, problems


def collect_all(engines: dict[str, Engine], golds: dict[str, list[GoldQuestion]]) -> dict[str, list[QuestionSample]]:
    return {name: collect(engine, golds[name]) for name, engine in engines.items()}


def fit_all(samples: dict[str, list[QuestionSample]], leave_out: str | None = None) -> Scorer:
    names = tuple(n for n in samples if n != leave_out)
    return fit_scorer([s for n in names for s in samples[n]], names,
                      [i for i, n in enumerate(names) for _ in samples[n]])


def run_suite(settings: Settings, suite: Path, cache: Path, say: Say = lambda _: None) -> dict:
    corpora, engines, golds, problems = open_corpora(settings, suite, cache, say)
    say("eval: collecting features…")
    samples = collect_all(engines, golds)
    report: dict = {"suite": str(suite), "skipped": problems, "corpora": {}}
    for c in corpora:
        scorer = fit_all(samples, leave_out=c.name)
        base = engines[c.name]
        engine = Engine(base.index, base.encoder, base.settings, scorer)
        say(f"eval: {c.name}: {len(golds[c.name])} questions, scorer fitted on {', '.join(scorer.fitted_on)}…")
        outcomes = run_questions(engine, golds[c.name])
        report["corpora"][c.name] = {"questions": len(outcomes), "documents": len(base.index.documents),
                                     "fitted_on": list(scorer.fitted_on), "threshold": round(scorer.threshold, 4),
                                     "held_out": score(outcomes), "failures": failures(outcomes),
                                     "stance": stance_scores(c.stance) if c.stance else None}
    held = [r["held_out"] for r in report["corpora"].values()]
    # Worst is the lowest score, or the highest latency.
    worst = {k: (max if k.startswith("latency") else min)(h[k] for h in held) for k in held[0]}
    report["headline"] = {"worst": worst,
                          "mean": {k: float(np.mean([h[k] for h in held])) for k in held[0]}}
    stance_files = [c.stance for c in corpora if c.stance]
    report["stance"] = stance_scores(*stance_files) if stance_files else None
    return report
