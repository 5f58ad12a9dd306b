"""A layer learnt from labelled sentences that says which way a sentence leans where the stance rules are silent.

The rules (`stance.stances`) read the language of evidence, cue by cue; sales talk and findings are said in more
ways than cues can list ("Zero jet lag.", "nature's broom", "14 extra women in every hundred can get through a
working day"). Per topic, a softmax model of the polarity from the sentence's embedding, fitted on the labelled
sentences the rules leave undecided, speaks for those sentences, and only when it is sure (LAYER_FLOOR). Where a
rule decides, the rule stands. Besides the embedding it hears the evidence tier of the sentence's page: "Pain scores
fell over the eight weeks" sells the treatment on a shop's page and, on a review, reports what happened in both
arms.

A sentence about side effects on a shop's page reads like its sales talk, and the efficacy model would hear
support in it. So the layer also learns which topic each labelled sentence is about, and speaks on a topic only
for a sentence likely enough to be about it (TOPIC_FLOOR).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .stance import TOPICS, Stance, claims_nothing, stances

POLARITIES = (-1, 0, 1)
# The layer's likeliest polarity speaks when it is at least this probable. Leave-one-corpus-out over the labelled
# sentences of thirty-five corpora (rules alone: supports precision 0.918, recall 0.727; doubts 0.881, 0.788):
# at 0.6 supports 0.896, 0.849 and doubts 0.872, 0.811; at 0.65 supports 0.902, 0.835 and doubts 0.876, 0.802;
# at 0.7 supports 0.908, 0.823 and doubts 0.878, 0.796. Without the tier it was 0.905, 0.814 and 0.877, 0.795 at
# 0.6, its best: the tier buys recall at the same precision.
LAYER_FLOOR = 0.65
# The layer speaks on a topic only for a sentence at least this likely to be about it. Leave-one-corpus-out over
# thirty-five corpora, the stances it took on a topic other than the sentence's labelled one (most of them a
# safety sentence made to support efficacy: "Allergy advice: contains crustacean shellfish.") and the polarities
# on the labelled topic: without the gate 723, supports 0.905, 0.833, doubts 0.876, 0.802; at 0.2 236, supports
# 0.905, 0.828, doubts 0.877, 0.801; at 0.3 168, supports 0.906, 0.824, doubts 0.878, 0.801; at 0.5 98, supports
# 0.906, 0.810, doubts 0.880, 0.799. Fitting the polarity models on other topics' sentences as neutral instead cut
# as many (161) at a dearer recall: supports 0.910, 0.810, doubts 0.880, 0.794.
TOPIC_FLOOR = 0.3
# L2 penalty on the weights, in the units of the summed log-loss of the rows (scikit-learn's C = 1).
LAYER_PENALTY = 1.0


@dataclass(frozen=True)
class StanceLayer:
    topics: tuple[str, ...]
    coef: np.ndarray  # (topic, polarity, input), polarities in POLARITIES order, inputs as `layer_input` lays them
    intercept: np.ndarray  # (topic, polarity)
    tiers: tuple[str, ...]  # the evidence tiers it tells apart, in its inputs' order
    # Which topic a sentence is about, (topic, input) and (topic,); none in a layer saved before it learnt them.
    about_coef: np.ndarray | None = None
    about_intercept: np.ndarray | None = None

    @property
    def dimension(self) -> int:
        """The length of the embeddings it reads."""
        return self.coef.shape[-1] - len(self.tiers)

    def about(self, vectors: np.ndarray, tiers: Sequence[str]) -> np.ndarray:
        """P(each topic is the one a sentence is about), shaped (embedding, topic); every topic sure for a layer
        that never learnt them."""
        return self._about(layer_input(vectors, tiers, self.tiers))

    def leanings(self, vectors: np.ndarray, tiers: Sequence[str]) -> list[dict[str, int]]:
        """For each embedding, the polarity of each topic it is likely about (TOPIC_FLOOR) on which the layer is
        sure of a side (LAYER_FLOOR)."""
        inputs = layer_input(vectors, tiers, self.tiers)
        p = self._polarities(inputs)
        side = np.asarray(POLARITIES)[p.argmax(axis=2)]
        sure = (p.max(axis=2) >= LAYER_FLOOR) & (side != 0) & (self._about(inputs) >= TOPIC_FLOOR)
        return [{t: int(side[i, j]) for j, t in enumerate(self.topics) if sure[i, j]} for i in range(len(vectors))]

    def _polarities(self, inputs: np.ndarray) -> np.ndarray:
        """P(each polarity) of each row of `layer_input`, shaped (row, topic, polarity)."""
        return _normalised(np.einsum("tpd,nd->ntp", self.coef, inputs) + self.intercept)

    def _about(self, inputs: np.ndarray) -> np.ndarray:
        if self.about_coef is None or self.about_intercept is None:
            return np.ones((len(inputs), len(self.topics)))
        return _normalised(inputs @ self.about_coef.T + self.about_intercept)

    def to_dict(self) -> dict[str, Any]:
        about = {} if self.about_coef is None or self.about_intercept is None else {
            "about_coef": self.about_coef.round(6).tolist(), "about_intercept": self.about_intercept.round(6).tolist()}
        return {"topics": list(self.topics), "tiers": list(self.tiers), "coef": self.coef.round(6).tolist(),
                "intercept": self.intercept.round(6).tolist(), **about}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StanceLayer":
        # A layer saved before it heard tiers reads the embedding alone; one saved before it learnt topics speaks on
        # every topic.
        about = {k: np.asarray(data[k], dtype=np.float64) for k in ("about_coef", "about_intercept") if k in data}
        return cls(tuple(data["topics"]), np.asarray(data["coef"], dtype=np.float64),
                   np.asarray(data["intercept"], dtype=np.float64), tuple(data.get("tiers", ())), **about)


def _normalised(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    logits = logits - logits.max(axis=-1, keepdims=True)
    odds = np.exp(logits)
    return odds / odds.sum(axis=-1, keepdims=True)


def layer_input(vectors: np.ndarray, tiers: Sequence[str], known: tuple[str, ...]) -> np.ndarray:
    """Each embedding followed by which of the `known` tiers its page has (none of them for a tier of a user's own
    naming: the embedding alone then speaks)."""
    pages = np.array([[t == k for k in known] for t in tiers], dtype=np.float64).reshape(len(tiers), len(known))
    return np.hstack([vectors, pages])


def stances_with(sentences: list[str], vectors: np.ndarray, tiers: Sequence[str], layer: StanceLayer | None
                 ) -> list[tuple[Stance, ...]]:
    """Each sentence's stances: the rules', then the layer's from its embedding (a row of `vectors`) and its page's
    evidence tier (of `tiers`) on the topics the rules leave undecided; the rules' alone without a layer."""
    found = [stances(s) for s in sentences]
    # Embeddings of another model than the layer was fitted on (a configured model path) say nothing to it.
    if layer is None or not sentences or vectors.shape[-1] != layer.dimension:
        return found
    out = []
    for sentence, ruled, leaning in zip(sentences, found, layer.leanings(vectors, tiers)):
        decided = {s.topic for s in ruled}
        extra = () if claims_nothing(sentence) else tuple(Stance(t, p) for t, p in leaning.items() if t not in decided)
        out.append(ruled + extra)
    return out


def fit_layer(sentences: list[str], vectors: np.ndarray, tiers: Sequence[str], topics: list[str],
              polarities: np.ndarray) -> StanceLayer:
    """One softmax model per topic, from the labelled sentences whose stance on it the rules leave undecided, each
    with its page's evidence tier (of `tiers`); and one of which topic each sentence is about, from all of them."""
    known = tuple(sorted(set(tiers)))
    inputs = layer_input(vectors, tiers, known)
    coef = np.zeros((len(TOPICS), len(POLARITIES), inputs.shape[1]))
    intercept = np.zeros((len(TOPICS), len(POLARITIES)))
    silent = np.array([not any(s.topic == t for s in stances(x)) for x, t in zip(sentences, topics)], dtype=bool)
    for i, topic in enumerate(TOPICS):
        rows = silent & (np.asarray(topics) == topic)
        if rows.any():
            polarity = np.searchsorted(POLARITIES, polarities[rows])
            coef[i], intercept[i] = _softmax(inputs[rows], polarity, len(POLARITIES))
    about_coef, about_intercept = _softmax(inputs, np.array([TOPICS.index(t) for t in topics]), len(TOPICS))
    return StanceLayer(TOPICS, coef, intercept, known, about_coef, about_intercept)


def _softmax(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and offsets of an L2-penalised softmax regression of classes y (of k, by index) on x."""
    from scipy.optimize import minimize

    n = x.shape[1]
    target = np.eye(k)[y]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = params[:k * n].reshape(k, n), params[k * n:]
        logits = x @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        residual = np.exp(log_p) - target
        value = -(target * log_p).sum() + 0.5 / LAYER_PENALTY * (w * w).sum()
        grad = np.concatenate([(residual.T @ x + w / LAYER_PENALTY).ravel(), residual.sum(axis=0)])
        return float(value), grad

    fitted = minimize(loss, np.zeros(k * n + k), jac=True, method="L-BFGS-B", options={"maxiter": 5000})
    return fitted.x[:k * n].reshape(k, n), fitted.x[k * n:]
