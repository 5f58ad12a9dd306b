"""Evaluation harness: runs a gold question set through the /ask code path and measures retrieval, answers,
abstention and latency, with ablations and a cross-validated abstention threshold."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .engine import Engine
from .settings import Settings

ABLATIONS: dict[str, dict[str, Any]] = {
    "bm25": {"mode": "bm25", "weighting": False},
    "dense": {"mode": "dense", "weighting": False},
    "hybrid": {"mode": "hybrid", "weighting": False},
    "hybrid+weighting": {"mode": "hybrid", "weighting": True},
}
DEFAULT = "hybrid+weighting"
FOLDS = 5


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    answerable: bool
    sources: list[str]
    must_include: list[list[str]]
    lead_source: str | None


def load_gold(path: Path) -> tuple[list[GoldQuestion], list[str]]:
    """Questions from a JSONL file, and one message per malformed line (which is skipped)."""
    questions, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            q = GoldQuestion(str(row["id"]), row["question"], bool(row["answerable"]), list(row.get("sources") or []),
                             [list(g) for g in row.get("must_include") or []], row.get("lead_source"))
            if not isinstance(q.question, str) or not q.question.strip():
                raise ValueError("question must be a non-empty string")
            if not all(isinstance(a, str) for g in q.must_include for a in g):
                raise ValueError("must_include must be a list of lists of strings")
            questions.append(q)
        except (ValueError, KeyError, TypeError) as err:
            problems.append(f"{path.name}:{number}: skipped ({err.__class__.__name__}: {err})")
    return questions, problems


def matches(text: str, groups: list[list[str]]) -> list[bool]:
    low = text.lower()
    return [any(alt.lower() in low for alt in group) for group in groups]


@dataclass
class Outcome:
    """One question under one configuration, before any abstention threshold is applied."""
    gold: GoldQuestion
    confidence: float
    ranks: list[bool]  # for the top 10 chunks: is it a hit?
    key_matches: list[bool]
    citation_docs: list[str]
    verbatim: bool
    latency_ms: float


def run_config(engine: Engine, gold: list[GoldQuestion]) -> list[Outcome]:
    # Threshold 0 so every answer is composed; abstention is applied afterwards at any threshold.
    engine = Engine(engine.index, engine.encoder,
                    engine.settings.with_(answer=replace(engine.settings.answer, min_confidence=0.0)))
    outcomes = []
    for q in gold:
        began = time.perf_counter()
        answer = engine.ask(q.question)
        latency = (time.perf_counter() - began) * 1000
        hits = engine.search(q.question, 10)
        ranks = []
        for h in hits:
            chunk = engine.index.chunks[h.chunk]
            ranks.append(chunk.doc_id in q.sources and all(matches(engine.index.chunk_text(chunk), q.must_include)))
        verbatim = all(engine.index.documents[c.doc_id].text[c.char_start:c.char_end] == c.quote
                       for c in answer.citations)
        outcomes.append(Outcome(q, answer.confidence, ranks, matches(answer.answer, q.must_include),
                                [c.doc_id for c in answer.citations], verbatim, latency))
    return outcomes


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def score(outcomes: list[Outcome], threshold: float) -> dict[str, float]:
    answerable = [o for o in outcomes if o.gold.answerable]
    unanswerable = [o for o in outcomes if not o.gold.answerable]
    abstained = {id(o) for o in outcomes if o.confidence < threshold}
    answered = [o for o in answerable if id(o) not in abstained]
    true_abstain = sum(id(o) in abstained for o in unanswerable)
    led = [o for o in answerable if o.gold.lead_source]
    cited = [(o, d) for o in answered for d in o.citation_docs]
    first_hit = [next((i for i, r in enumerate(o.ranks) if r), None) for o in answerable]
    return {
        "hit@1": _mean([f == 0 for f in first_hit]),
        "hit@5": _mean([f is not None and f < 5 for f in first_hit]),
        "mrr": _mean([1 / (f + 1) if f is not None else 0.0 for f in first_hit]),
        "ndcg@10": _mean([_ndcg(o.ranks) for o in answerable]),
        "key_recall": _mean([_mean(o.key_matches) if id(o) not in abstained else 0.0 for o in answerable]),
        "all_keys": _mean([all(o.key_matches) and id(o) not in abstained for o in answerable]),
        "citation_precision": _mean([d in o.gold.sources for o, d in cited]),
        "lead_source": _mean([id(o) not in abstained and o.citation_docs[:1] == [o.gold.lead_source] for o in led]),
        "verbatim": _mean([o.verbatim for o in outcomes]),
        "abstain_precision": true_abstain / len(abstained) if abstained else 1.0,
        "abstain_recall": true_abstain / len(unanswerable) if unanswerable else 1.0,
        "abstain_accuracy": _mean([(id(o) in abstained) != o.gold.answerable for o in outcomes]),
        "latency_p50_ms": float(np.percentile([o.latency_ms for o in outcomes], 50)),
        "latency_p95_ms": float(np.percentile([o.latency_ms for o in outcomes], 95)),
    }


def _ndcg(ranks: list[bool]) -> float:
    gains = [1 / np.log2(i + 2) for i, r in enumerate(ranks) if r]
    ideal = sum(1 / np.log2(i + 2) for i in range(sum(ranks)))
    return float(sum(gains) / ideal) if ideal else 0.0


def fit_threshold(outcomes: list[Outcome]) -> float:
    """The confidence threshold with the best abstention accuracy; ties go to the middle of the best range."""
    values = sorted({0.0, 1.01, *(o.confidence for o in outcomes)})
    candidates = [(a + b) / 2 for a, b in zip(values, values[1:])]
    accuracy = [score_abstention(outcomes, t) for t in candidates]
    best = max(accuracy)
    chosen = [t for t, a in zip(candidates, accuracy) if a == best]
    return float(chosen[len(chosen) // 2])


def score_abstention(outcomes: list[Outcome], threshold: float) -> float:
    return _mean([(o.confidence < threshold) != o.gold.answerable for o in outcomes])


def cross_validate(outcomes: list[Outcome], folds: int = FOLDS) -> tuple[dict[str, float], list[float]]:
    """Metrics on held-out folds, each scored with a threshold fitted on the other folds."""
    order = np.random.default_rng(0).permutation(len(outcomes))
    parts = [order[i::folds] for i in range(folds)]
    per_fold, thresholds = [], []
    for k, held in enumerate(parts):
        train = [outcomes[i] for j, p in enumerate(parts) if j != k for i in p]
        threshold = fit_threshold(train)
        thresholds.append(threshold)
        per_fold.append((score([outcomes[i] for i in held], threshold), len(held)))
    total = sum(n for _, n in per_fold)
    held_out = {key: sum(m[key] * n for m, n in per_fold) / total for key in per_fold[0][0]}
    return held_out, thresholds


def evaluate(settings: Settings, gold_path: Path) -> dict:
    gold, problems = load_gold(gold_path)
    if not gold:
        raise ValueError(f"{gold_path}: no valid questions")
    base = Engine.open(settings, build_if_needed=True)
    report: dict = {"gold": str(gold_path), "questions": len(gold), "skipped": problems, "ablations": {}}
    for name, change in ABLATIONS.items():
        engine = Engine(base.index, base.encoder,
                        settings.with_(retrieval=replace(settings.retrieval, **change)))
        outcomes = run_config(engine, gold)
        held_out, thresholds = cross_validate(outcomes)
        report["ablations"][name] = {"held_out": held_out, "fold_thresholds": thresholds,
                                     "threshold": fit_threshold(outcomes)}
        if name == DEFAULT:
            report["failures"] = _failures(outcomes, report["ablations"][name]["threshold"])
    report["min_confidence"] = report["ablations"][DEFAULT]["threshold"]
    report["latency"] = {"p50_ms": report["ablations"][DEFAULT]["held_out"]["latency_p50_ms"],
                         "p95_ms": report["ablations"][DEFAULT]["held_out"]["latency_p95_ms"]}
    return report


def _failures(outcomes: list[Outcome], threshold: float) -> list[dict]:
    rows = []
    for o in outcomes:
        abstained = o.confidence < threshold
        problems = []
        if abstained == o.gold.answerable:
            problems.append("abstained" if abstained else "answered an unanswerable question")
        if o.gold.answerable and not abstained:
            missing = [g for g, ok in zip(o.gold.must_include, o.key_matches) if not ok]
            if missing:
                problems.append("missing " + "; ".join(" | ".join(g) for g in missing))
            if o.gold.lead_source and o.citation_docs[:1] != [o.gold.lead_source]:
                problems.append(f"led with {o.citation_docs[:1] or 'nothing'}, expected {o.gold.lead_source}")
        if problems:
            rows.append({"id": o.gold.id, "question": o.gold.question, "problems": problems,
                         "confidence": round(o.confidence, 3), "cited": o.citation_docs})
    return rows
