"""Every corpus of the suite, each scored with a scorer fitted on the others (leave-one-corpus-out)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine import Engine
from ..scorer import Scorer
from ..settings import Settings
from .fit import QuestionSample, collect, fit_scorer
from .gold import GoldQuestion, SuiteCorpus, load_gold, load_suite
from .harness import failures, run_questions, score
from .stance import Judgement, Labelled, fit_on, judged, labelled, stance_scores

Say = Callable[[str], None]


@dataclass(frozen=True)
class Opened:
    """The suite's corpora, each with its engine (its index built when missing or stale), its gold questions and
    its labelled stance sentences (none when it has no stance file)."""
    corpora: list[SuiteCorpus]
    engines: dict[str, Engine]
    golds: dict[str, list[GoldQuestion]]
    labels: dict[str, Labelled]
    problems: list[str]


def open_corpora(settings: Settings, suite: Path, cache: Path, say: Say) -> Opened:
    corpora = load_suite(suite)
    engines, golds, labels, problems = {}, {}, {}, []
    for c in corpora:
        say(f"eval: {c.name}: loading the index (building it if needed)…")
        engines[c.name] = Engine.open(settings.with_(corpus_dir=c.corpus_dir, index_dir=cache / c.name),
                                      build_if_needed=True)
        golds[c.name], skipped = load_gold(c.gold)
        problems += skipped
        if c.stance:
            pages = engines[c.name].index.documents.values()
            labels[c.name] = labelled(c.stance, engines[c.name].encoder, {d.id: d.evidence_tier for d in pages})
    return Opened(corpora, engines, golds, labels, problems)


def collect_all(engines: dict[str, Engine], golds: dict[str, list[GoldQuestion]]) -> dict[str, list[QuestionSample]]:
    return {name: collect(engine, golds[name]) for name, engine in engines.items()}


def fit_all(samples: dict[str, list[QuestionSample]], labels: dict[str, Labelled], leave_out: str | None = None
            ) -> Scorer:
    names = tuple(n for n in samples if n != leave_out)
    stance = fit_on([labels[n] for n in names if n in labels])
    return fit_scorer([s for n in names for s in samples[n]], names, stance,
                      [i for i, n in enumerate(names) for _ in samples[n]])


def run_suite(settings: Settings, suite: Path, cache: Path, say: Say = lambda _: None) -> dict:
    opened = open_corpora(settings, suite, cache, say)
    corpora, engines, golds = opened.corpora, opened.engines, opened.golds
    say("eval: collecting features…")
    samples = collect_all(engines, golds)
    report: dict = {"suite": str(suite), "skipped": opened.problems, "corpora": {}}
    # Each corpus's labelled sentences judged by the stance layer fitted without them, as its answers are.
    judgements: list[Judgement] = []
    for c in corpora:
        scorer = fit_all(samples, opened.labels, leave_out=c.name)
        own = judged(opened.labels[c.name], scorer.stance) if c.name in opened.labels else None
        judgements += own or []
        base = engines[c.name]
        engine = Engine(base.index, base.encoder, base.settings, scorer)
        say(f"eval: {c.name}: {len(golds[c.name])} questions, scorer fitted on {', '.join(scorer.fitted_on)}…")
        outcomes = run_questions(engine, golds[c.name])
        report["corpora"][c.name] = {"questions": len(outcomes), "documents": len(base.index.documents),
                                     "fitted_on": list(scorer.fitted_on), "threshold": round(scorer.threshold, 4),
                                     "held_out": score(outcomes), "failures": failures(outcomes),
                                     "stance": stance_scores(own) if own is not None else None}
    held = [r["held_out"] for r in report["corpora"].values()]
    # Worst is the lowest score, or the highest latency.
    worst = {k: (max if k.startswith("latency") else min)(h[k] for h in held) for k in held[0]}
    report["headline"] = {"worst": worst,
                          "mean": {k: float(np.mean([h[k] for h in held])) for k in held[0]}}
    report["stance"] = stance_scores(judgements) if opened.labels else None
    return report
