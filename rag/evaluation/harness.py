"""Runs gold questions through the `/ask` code path and measures retrieval, answers, abstention and latency."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..engine import Engine
from .gold import GoldQuestion, matches


@dataclass
class Outcome:
    """One question's answer, as the service gave it."""
    gold: GoldQuestion
    confidence: float
    abstained: bool
    ranks: list[bool]  # for the top 10 chunks: is it a hit?
    key_matches: list[bool]
    citation_docs: list[str]
    citation_tiers: list[str]
    lead_tier: str | None  # the tier of the gold lead source
    verbatim: bool
    latency_ms: float


def run_questions(engine: Engine, gold: list[GoldQuestion]) -> list[Outcome]:
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
        lead = engine.index.documents.get(q.lead_source or "")
        outcomes.append(Outcome(q, answer.confidence, answer.abstained, ranks, matches(answer.answer, q.must_include),
                                [c.doc_id for c in answer.citations], [c.evidence_tier for c in answer.citations],
                                lead.evidence_tier if lead else None, verbatim, latency))
    return outcomes


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def score(outcomes: list[Outcome]) -> dict[str, float]:
    """Every metric of the report over these outcomes; see README's Evaluation section for the definitions."""
    answerable = [o for o in outcomes if o.gold.answerable]
    unanswerable = [o for o in outcomes if not o.gold.answerable]
    near_miss = [o for o in unanswerable if o.gold.kind == "near-miss"]
    abstained = [o for o in outcomes if o.abstained]
    answered = [o for o in answerable if not o.abstained]
    led = [o for o in answerable if o.lead_tier]
    cited = [(o, d) for o in answered for d in o.citation_docs]
    first_hit = [next((i for i, r in enumerate(o.ranks) if r), None) for o in answerable]
    true_abstain = sum(o.abstained for o in unanswerable)
    latencies = [o.latency_ms for o in outcomes] or [0.0]
    return {
        "hit@1": _mean([f == 0 for f in first_hit]),
        "hit@5": _mean([f is not None and f < 5 for f in first_hit]),
        "mrr": _mean([1 / (f + 1) if f is not None else 0.0 for f in first_hit]),
        "ndcg@10": _mean([_ndcg(o.ranks) for o in answerable]),
        "key_recall": _mean([_mean(o.key_matches) if not o.abstained else 0.0 for o in answerable]),
        "all_keys": _mean([all(o.key_matches) and not o.abstained for o in answerable]),
        "citation_precision": _mean([d in o.gold.sources for o, d in cited]),
        # The strongest relevant tier is cited first: the first citation is of the gold lead source's tier.
        "lead_source": _mean([not o.abstained and o.citation_tiers[:1] == [o.lead_tier] for o in led]),
        "verbatim": _mean([o.verbatim for o in outcomes]),
        "abstain_precision": true_abstain / len(abstained) if abstained else 1.0,
        "abstain_recall": true_abstain / len(unanswerable) if unanswerable else 1.0,
        "abstain_accuracy": _mean([o.abstained != o.gold.answerable for o in outcomes]),
        "near_miss_abstained": _mean([o.abstained for o in near_miss]) if near_miss else 1.0,
        "latency_p50_ms": float(np.percentile(latencies, 50)),
        "latency_p95_ms": float(np.percentile(latencies, 95)),
    }


def _ndcg(ranks: list[bool]) -> float:
    gains = [1 / np.log2(i + 2) for i, r in enumerate(ranks) if r]
    ideal = sum(1 / np.log2(i + 2) for i in range(sum(ranks)))
    return float(sum(gains) / ideal) if ideal else 0.0


def failures(outcomes: list[Outcome]) -> list[dict]:
    rows = []
    for o in outcomes:
        problems = []
        if o.abstained == o.gold.answerable:
            problems.append("abstained" if o.abstained else "answered an unanswerable question")
        if o.gold.answerable and not o.abstained:
            missing = [g for g, ok in zip(o.gold.must_include, o.key_matches) if not ok]
            if missing:
                problems.append("missing " + "; ".join(" | ".join(g) for g in missing))
            if o.lead_tier and o.citation_tiers[:1] != [o.lead_tier]:
                problems.append(f"led with {o.citation_tiers[:1] or 'nothing'}, expected {o.lead_tier}")
        if problems:
            rows.append({"id": o.gold.id, "question": o.gold.question, "kind": o.gold.kind, "problems": problems,
                         "confidence": round(o.confidence, 3), "cited": o.citation_docs})
    return rows
