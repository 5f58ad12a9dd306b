"""Stance against labelled sentences: precision and recall of each polarity, per topic label."""

from __future__ import annotations

import json
from pathlib import Path

from ..stance import stances

POLARITIES = {1: "supports", -1: "doubts", 0: "neutral"}


def load_labels(*paths: Path) -> list[tuple[str, str, int]]:
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append((row["sentence"], row["topic"], int(row["polarity"])))
    return rows


def predicted(sentence: str, topic: str) -> int:
    return next((s.polarity for s in stances(sentence) if s.topic == topic), 0)


def stance_scores(*paths: Path) -> dict:
    labels = load_labels(*paths)
    pairs = [(polarity, predicted(sentence, topic)) for sentence, topic, polarity in labels]
    out: dict = {"sentences": len(labels)}
    for value, name in POLARITIES.items():
        said = [gold for gold, guess in pairs if guess == value]
        true = [guess for gold, guess in pairs if gold == value]
        out[name] = {"precision": sum(g == value for g in said) / len(said) if said else 1.0,
                     "recall": sum(g == value for g in true) / len(true) if true else 1.0,
                     "labelled": len(true), "predicted": len(said)}
    return out
