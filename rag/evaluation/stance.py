"""Stance against labelled sentences: precision and recall of each polarity, per topic label."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..embed import Encoder
from ..errors import RagError
from ..stance import stances
from ..stance_layer import TOPICS, StanceLayer, fit_layer, stances_with

POLARITIES = {1: "supports", -1: "doubts", 0: "neutral"}


@dataclass(frozen=True)
class Labelled:
    """Labelled sentences with their embeddings and their pages' evidence tiers: what the stance layer learns from
    and is scored on."""
    sentences: list[str]
    topics: list[str]
    polarities: np.ndarray
    vectors: np.ndarray
    tiers: list[str]


def load_labels(*paths: Path) -> list[tuple[str, str, str, int]]:
    """(sentence, its page's id, topic, polarity) of each labelled sentence."""
    rows = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append((str(row["sentence"]), str(row["doc_id"]), str(row["topic"]), int(row["polarity"])))
            except (ValueError, KeyError, TypeError) as err:
                raise RagError(f"{path}:{number}: not a labelled sentence ({err.__class__.__name__}: {err})") from None
            if rows[-1][2] not in TOPICS or rows[-1][3] not in POLARITIES:
                raise RagError(f"{path}:{number}: a labelled sentence's topic is one of {', '.join(TOPICS)} and its "
                               f"polarity one of -1, 0, 1, not {rows[-1][2]!r} and {rows[-1][3]}")
    return rows


def labelled(path: Path, encoder: Encoder, tiers: Mapping[str, str]) -> Labelled:
    """The labelled sentences of `path`, each page's tier read from `tiers` (by document id)."""
    rows = load_labels(path)
    unknown = sorted({d for _, d, _, _ in rows} - set(tiers))
    if unknown:
        raise RagError(f"{path}: labelled sentences from pages the corpus does not hold: {', '.join(unknown)}")
    sentences = [s for s, _, _, _ in rows]
    vectors = encoder.encode(sentences) if rows else np.zeros((0, encoder.dimension))
    return Labelled(sentences, [t for _, _, t, _ in rows], np.array([p for *_, p in rows], dtype=np.int64), vectors,
                    [tiers[d] for _, d, _, _ in rows])


def fit_on(labels: list[Labelled]) -> StanceLayer | None:
    """The layer fitted on these labelled sentences; none without any, and the rules alone judge."""
    if not any(x.sentences for x in labels):
        return None
    return fit_layer([s for x in labels for s in x.sentences], np.vstack([x.vectors for x in labels]),
                     [t for x in labels for t in x.tiers], [t for x in labels for t in x.topics],
                     np.concatenate([x.polarities for x in labels]))


class Judgement(NamedTuple):
    gold: int  # the labelled polarity on the labelled topic
    said: int  # the polarity found on it
    elsewhere: int  # the layer's stances on other topics, which a sentence about one topic seldom takes


def judged(labels: Labelled, layer: StanceLayer | None) -> list[Judgement]:
    """Each sentence's labelled polarity and the one found on its labelled topic."""
    said = stances_with(labels.sentences, labels.vectors, labels.tiers, layer)
    out = []
    for sentence, found, topic, gold in zip(labels.sentences, said, labels.topics, labels.polarities):
        ruled = {s.topic for s in stances(sentence)}
        out.append(Judgement(int(gold), next((s.polarity for s in found if s.topic == topic), 0),
                             sum(s.topic != topic and s.topic not in ruled for s in found)))
    return out


def stance_scores(judgements: list[Judgement]) -> dict:
    out: dict = {"sentences": len(judgements), "elsewhere": sum(j.elsewhere for j in judgements)}
    for value, name in POLARITIES.items():
        said = [j.gold for j in judgements if j.said == value]
        true = [j.said for j in judgements if j.gold == value]
        out[name] = {"precision": sum(g == value for g in said) / len(said) if said else 1.0,
                     "recall": sum(g == value for g in true) / len(true) if true else 1.0,
                     "labelled": len(true), "predicted": len(said)}
    return out
