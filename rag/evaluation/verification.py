"""The verifier of generated sentences against labelled cases: precision and recall of "supported", with the
thresholds fitted leave-one-corpus-out (fitted on the other corpora, scored on the held-out one).

Precision matters most: an unsupported sentence that gets through reaches the user as if the evidence said it.
So the fit takes the thresholds with the best recall among those whose precision reaches the target.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..embed import Encoder
from ..engine import Engine
from ..settings import Settings, VerifySettings
from ..verify import Measure, Verifier, judge
from .gold import load_suite

TARGET_PRECISION = 0.95
# The grid the thresholds are fitted on.
GRID: dict[str, list[float]] = {
    "min_cosine": [round(x, 2) for x in np.arange(0.30, 0.951, 0.01)],
    "word_cosine": [round(x, 3) for x in np.arange(0.40, 0.801, 0.025)],
    "max_unmatched": [0.0, 1.0, 2.0, 3.0],
    "clause_coverage": [0.4, 0.5, 0.6, 0.7, 0.8],
}


@dataclass(frozen=True)
class Case:
    corpus: str
    sentence: str
    quotes: list[dict[str, str]]  # {"doc_id", "text"}
    supported: bool
    kind: str


def load_cases(path: Path) -> list[Case]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Case(r["corpus"], r["sentence"], list(r["quotes"]), bool(r["supported"]), r["kind"]) for r in rows]


def _passes(measures: list[Measure], settings: VerifySettings) -> np.ndarray:
    return np.array([judge(m, settings).supported for m in measures], dtype=bool)


def _precision_recall(passed: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    said = int(passed.sum())
    right = int((passed & truth).sum())
    return (right / said if said else 1.0), (right / int(truth.sum()) if truth.any() else 1.0)


class _Table:
    """Each case's measure reduced to what every threshold acts on, so the whole grid is scored with array
    operations instead of a judgement per case and setting."""

    def __init__(self, measures: list[Measure]) -> None:
        self.problem = np.array([m.problem is not None for m in measures], dtype=bool)
        self.cosine = np.array([m.cosine for m in measures])
        words = GRID["word_cosine"]
        self.unmatched = {w: np.array([int((m.word_match < w).sum()) for m in measures]) for w in words}
        self.coverage = {w: np.array([min((float((c.matches >= w).mean(axis=0).max()) for c in m.clauses),
                                          default=1.0) for m in measures]) for w in words}

    def passes(self, rows: np.ndarray, min_cosine: float, word_cosine: float, max_unmatched: float,
               clause_coverage: float) -> np.ndarray:
        return (~self.problem[rows] & (self.unmatched[word_cosine][rows] <= max_unmatched)
                & (self.coverage[word_cosine][rows] >= clause_coverage) & (self.cosine[rows] >= min_cosine))


def fit(measures: list[Measure], truth: np.ndarray, base: VerifySettings, rows: np.ndarray | None = None
        ) -> VerifySettings:
    """The grid point with the best recall among those reaching TARGET_PRECISION on `rows` (all by default);
    when none reaches it, the best precision. Ties go to the middle of the tied points, away from the edges
    where a held-out corpus is likeliest to fall off."""
    table = _Table(measures)
    rows = np.arange(len(measures)) if rows is None else rows
    scored = []
    for point in itertools.product(*GRID.values()):
        precision, recall = _precision_recall(table.passes(rows, *point), truth[rows])
        feasible = precision >= TARGET_PRECISION
        scored.append(((feasible, recall if feasible else precision, precision if feasible else recall), point))
    best = max(key for key, _ in scored)
    tied = sorted(point for key, point in scored if key == best)
    min_cosine, word_cosine, max_unmatched, clause_coverage = tied[len(tied) // 2]
    return replace(base, min_cosine=min_cosine, word_cosine=word_cosine, max_unmatched=int(max_unmatched),
                   clause_coverage=clause_coverage)


def verification_report(encoder: Encoder, path: Path, settings: VerifySettings) -> dict:
    cases = load_cases(path)
    verifier = Verifier(encoder, settings)
    measures = [verifier.measure(c.sentence, [q["text"] for q in c.quotes]) for c in cases]
    truth = np.array([c.supported for c in cases], dtype=bool)
    corpora = list(dict.fromkeys(c.corpus for c in cases))
    held_passed = np.zeros(len(cases), dtype=bool)
    reasons: list[str | None] = [None] * len(cases)
    held_out: dict[str, dict] = {}
    for name in corpora:
        inside = np.array([c.corpus == name for c in cases])
        fitted = fit(measures, truth, settings, np.flatnonzero(~inside))
        for i in np.flatnonzero(inside):
            verdict = judge(measures[i], fitted)
            held_passed[i], reasons[i] = verdict.supported, verdict.reason
        precision, recall = _precision_recall(held_passed[inside], truth[inside])
        held_out[name] = {"precision": precision, "recall": recall, "cases": int(inside.sum()),
                          "supported": int(truth[inside].sum()), "fitted_on": [n for n in corpora if n != name],
                          "thresholds": _thresholds(fitted)}
    precision, recall = _precision_recall(held_passed, truth)
    everything = fit(measures, truth, settings)
    in_sample = _precision_recall(_passes(measures, everything), truth)
    configured = _precision_recall(_passes(measures, settings), truth)
    return {
        "cases": len(cases), "target_precision": TARGET_PRECISION, "held_out": held_out,
        "overall": {"precision": precision, "recall": recall},
        "worst": {"precision": min(h["precision"] for h in held_out.values()),
                  "recall": min(h["recall"] for h in held_out.values())},
        "fitted_on_all": {"thresholds": _thresholds(everything), "precision": in_sample[0], "recall": in_sample[1]},
        "configured": {"thresholds": _thresholds(settings), "precision": configured[0], "recall": configured[1]},
        "by_kind": _by_kind(cases, held_passed),
        "false_positives": [_row(c) for c, p in zip(cases, held_passed) if p and not c.supported],
        "false_negatives": [{**_row(c), "reason": r} for c, p, r in zip(cases, held_passed, reasons)
                            if c.supported and not p],
    }


def _thresholds(settings: VerifySettings) -> dict:
    return {k: v for k, v in asdict(settings).items() if k in GRID}


def _row(case: Case) -> dict:
    return {"corpus": case.corpus, "kind": case.kind, "sentence": case.sentence}


def _by_kind(cases: list[Case], passed: np.ndarray) -> dict[str, dict]:
    """Per kind, how many cases the held-out verdict got right."""
    out: dict[str, dict] = {}
    for c, p in zip(cases, passed):
        k = out.setdefault(c.kind, {"cases": 0, "right": 0})
        k["cases"] += 1
        k["right"] += int(p == c.supported)
    return out


def run_verification(settings: Settings, suite: Path, cache: Path, path: Path) -> dict:
    """The report with the encoder the engine queries through (the first corpus's index, built if needed)."""
    first = load_suite(suite)[0]
    engine = Engine.open(settings.with_(corpus_dir=first.corpus_dir, index_dir=cache / first.name),
                         build_if_needed=True)
    return verification_report(engine.encoder, path, settings.verify)
