"""A layer learnt from labelled sentences that says which way a sentence leans where the stance rules are silent.

The rules (`stance.stances`) read the language of evidence, cue by cue; sales talk and findings are said in more
ways than cues can list ("Zero jet lag.", "nature's broom", "14 extra women in every hundred can get through a
working day"). Per topic, a softmax model of the polarity from the sentence's embedding, fitted on the labelled
sentences the rules leave undecided, speaks for those sentences, and only when it is sure (LAYER_FLOOR). Where a
rule decides, the rule stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .stance import Stance, claims_nothing, stances

POLARITIES = (-1, 0, 1)
TOPICS = ("efficacy", "safety", "evidence")
# The layer's likeliest polarity speaks when it is at least this probable. Leave-one-corpus-out over the labelled
# sentences of thirty-five corpora (rules alone: supports precision 0.918, recall 0.727; doubts 0.881, 0.788):
# at 0.55 supports 0.895, 0.832 and doubts 0.875, 0.806; at 0.6 supports 0.905, 0.814 and doubts 0.877, 0.795;
# at 0.7 supports 0.915, 0.781 and doubts 0.880, 0.791.
LAYER_FLOOR = 0.6
# L2 penalty on the weights, in the units of the summed log-loss of the rows (scikit-learn's C = 1).
LAYER_PENALTY = 1.0


@dataclass(frozen=True)
class StanceLayer:
    topics: tuple[str, ...]
    coef: np.ndarray  # (topic, polarity, dimension), polarities in POLARITIES order
    intercept: np.ndarray  # (topic, polarity)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """P(each polarity) of each embedding (a row each), shaped (embedding, topic, polarity)."""
        logits = np.einsum("tpd,nd->ntp", self.coef, vectors) + self.intercept
        logits -= logits.max(axis=2, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=2, keepdims=True)

    def leanings(self, vectors: np.ndarray) -> list[dict[str, int]]:
        """For each embedding, the polarity of each topic on which the layer is sure of a side (LAYER_FLOOR)."""
        p = self.probabilities(vectors)
        side = np.asarray(POLARITIES)[p.argmax(axis=2)]
        sure = (p.max(axis=2) >= LAYER_FLOOR) & (side != 0)
        return [{t: int(side[i, j]) for j, t in enumerate(self.topics) if sure[i, j]} for i in range(len(vectors))]

    def to_dict(self) -> dict[str, Any]:
        return {"topics": list(self.topics), "coef": self.coef.round(6).tolist(),
                "intercept": self.intercept.round(6).tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StanceLayer":
        return cls(tuple(data["topics"]), np.asarray(data["coef"], dtype=np.float64),
                   np.asarray(data["intercept"], dtype=np.float64))


def stances_with(sentences: list[str], vectors: np.ndarray, layer: StanceLayer | None
                 ) -> list[tuple[Stance, ...]]:
    """Each sentence's stances: the rules', then the layer's from its embedding (a row of `vectors`) on the topics
    the rules leave undecided; the rules' alone without a layer."""
    found = [stances(s) for s in sentences]
    # Embeddings of another model than the layer was fitted on (a configured model path) say nothing to it.
    if layer is None or not sentences or vectors.shape[-1] != layer.coef.shape[-1]:
        return found
    out = []
    for sentence, ruled, leaning in zip(sentences, found, layer.leanings(vectors)):
        decided = {s.topic for s in ruled}
        extra = () if claims_nothing(sentence) else tuple(Stance(t, p) for t, p in leaning.items() if t not in decided)
        out.append(ruled + extra)
    return out


def fit_layer(sentences: list[str], vectors: np.ndarray, topics: list[str], polarities: np.ndarray) -> StanceLayer:
    """One softmax model per topic, from the labelled sentences whose stance on it the rules leave undecided."""
    coef = np.zeros((len(TOPICS), len(POLARITIES), vectors.shape[1]))
    intercept = np.zeros((len(TOPICS), len(POLARITIES)))
    silent = np.array([not any(s.topic == t for s in stances(x)) for x, t in zip(sentences, topics)], dtype=bool)
    for i, topic in enumerate(TOPICS):
        rows = silent & (np.asarray(topics) == topic)
        if rows.any():
            coef[i], intercept[i] = _softmax(vectors[rows], np.searchsorted(POLARITIES, polarities[rows]))
    return StanceLayer(TOPICS, coef, intercept)


def _softmax(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights and offsets of an L2-penalised softmax regression of classes y (indices into POLARITIES) on x."""
    from scipy.optimize import minimize

    k, n = len(POLARITIES), x.shape[1]
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
