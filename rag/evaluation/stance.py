"""Stance against labelled sentences: precision and recall of each polarity, per topic label."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..embed import Encoder
from ..stance_layer import StanceLayer, fit_layer, stances_with

POLARITIES = {1: "supports", -1: "doubts", 0: "neutral"}


@dataclass(frozen=True)
class Labelled:
    """Labelled sentences with their embeddings: what the stance layer learns from and is scored on."""
    sentences: list[str]
    topics: list[str]
    polarities: np.ndarray
    vectors: np.ndarray


def load_labels(*paths: Path) -> list[tuple[str, str, int]]:
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((row["sentence"], row["topic"], int(row["polarity"])))
    return rows


def labelled(path: Path, encoder: Encoder) -> Labelled:
    rows = load_labels(path)
    sentences = [s for s, _, _ in rows]
    vectors = encoder.encode(sentences) if rows else np.zeros((0, encoder.dimension))
    return Labelled(sentences, [t for _, t, _ in rows], np.array([p for _, _, p in rows], dtype=np.int64), vectors)


def fit_on(labels: list[Labelled]) -> StanceLayer | None:
    """The layer fitted on these labelled sentences; none without any, and the rules alone judge."""
    if not any(x.sentences for x in labels):
        return None
    return fit_layer([s for x in labels for s in x.sentences], np.vstack([x.vectors for x in labels]),
                     [t for x in labels for t in x.topics], np.concatenate([x.polarities for x in labels]))


def judged(labels: Labelled, layer: StanceLayer | None) -> list[tuple[int, int]]:
    """(labelled, predicted) polarity of each sentence on its labelled topic."""
    said = stances_with(labels.sentences, labels.vectors, layer)
    return [(int(gold), next((s.polarity for s in found if s.topic == topic), 0))
            for found, topic, gold in zip(said, labels.topics, labels.polarities)]


def stance_scores(pairs: list[tuple[int, int]]) -> dict:
    out: dict = {"sentences": len(pairs)}
    for value, name in POLARITIES.items():
        said = [gold for gold, guess in pairs if guess == value]
        true = [guess for gold, guess in pairs if gold == value]
        out[name] = {"precision": sum(g == value for g in said) / len(said) if said else 1.0,
                     "recall": sum(g == value for g in true) / len(true) if true else 1.0,
                     "labelled": len(true), "predicted": len(said)}
    return out
