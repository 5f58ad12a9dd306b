"""The fitted scorer: two small logistic models, one saying how likely a sentence answers the question and one
ranking a question's candidates for quoting; a small ensemble of boosted trees saying how likely the question is
answered by the evidence found; and the abstention threshold fitted beside them.

The artifact is plain JSON (coefficients and feature scaling, the trees' splits and leaves, the threshold, what it
was fitted on), so serving needs no fitting library: `fit_logistic` uses SciPy's bounded optimiser and `fit_trees`
LightGBM, run by `rag fit` and `rag eval --suite`, never by the service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SettingsError
from .features import QUESTION_FEATURES, RANKING_FEATURES, SENTENCE_FEATURES
from .stance_layer import StanceLayer

FORMAT = 5
PACKAGED = Path(__file__).parent / "scorer.json"
# Inverse regularisation strength: the features are few and scaled, and the training sets are a few thousand
# sentences, so mild regularisation keeps coefficients readable without underfitting.
REGULARISATION_C = 1.0
# Quoting loosely related evidence for a question the corpus does not answer misleads a reader; declining one it
# does answer only fails to help. Held out over thirty-five corpora (mean of four tree seeds), with the question
# model hearing which words resemble nothing in the corpus (`features.QuestionTerms.alien`), 1.5 declines 0.733 of
# near misses at abstention accuracy 0.913, 1.75 0.748 at 0.910, 2.0 0.764 at 0.909 and 2.25 0.770 at 0.906: 2.0
# declines more near misses than 1.5 did without it (0.745) at the same accuracy (0.909).
FALSE_ANSWER_COST = 2.0
# Folds of questions, when fitting on a single corpus, for fitting the question model and the threshold on
# probabilities from models that did not see those questions (see `evaluation.fit.fit_scorer`).
CROSS_FOLDS = 5
# How far, in probability, a question's mistake fades in across the abstention cut when fitting it: with a hard
# count the fitted cut jumped between 0.13 and 0.41 from one held-out corpus to the next; at 0.05 it stayed within
# 0.29-0.33 (0.02 and 0.1 score a little lower), and with the question model's trees within 0.3325-0.35.
THRESHOLD_SMOOTHING = 0.05
# The question model's trees. Whether a question is answered turns on features together (a price asked and none
# quoted matters only when the pages price anything; a missing qualifier only when the rest is covered), which a
# linear model cannot weigh. Held out over thirty-five corpora (pooled over their questions), trees of four leaves
# decline answerable questions and answer near misses less often than the logistic model (abstention 0.898 against
# 0.879, near misses declined 0.704 against 0.664); two leaves, each feature alone, score 0.891, and eight 0.901
# with near misses 0.693. With lines in the leaves (below), eight scored better pooled (abstention 0.907 against
# 0.901, near misses 0.717 against 0.702) but declined two more of the served corpus's answerable questions.
TREES = 200
TREE_LEAVES = 4
# Small steps and many trees, so that no one tree's split settles a question. Held out over thirty-five corpora (four
# seeds), 0.045 declines more near misses than 0.03 (0.727 against 0.715) at higher abstention accuracy (0.907
# against 0.904), as 300 trees at 0.03 do at half as much again fitting; 400 trees at 0.03 score as well on average
# but worse on the worst corpus.
TREE_LEARNING_RATE = 0.045
# A leaf speaks for at least this many questions: a few hundred questions a corpus, and a split on a handful of
# them learns that corpus's wording.
TREE_MIN_LEAF = 40
# Each tree sees this share of the questions and of the features, so the ensemble does not lean on one of either.
TREE_SAMPLE = 0.8
# A leaf's log-odds is a line in the features its branch splits on, ridge-penalised this much, not one number: a
# rare flag that fires on fewer questions than a leaf holds can still weigh in inside the leaf it falls in. Over
# four seeds of the thirty-five corpora's held-out question rows, abstention 0.8987 -> 0.9011 (higher on every seed).
TREE_LINEAR_LAMBDA = 1.0
# Fitted on questions of one class only, the odds the model gives that class: sure, but not so sure that one
# question's features could never count against it.
ONE_CLASS_ODDS = 99.0


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The probability of log-odds z."""
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class Logistic:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(positive) for each row of x (columns in `features` order)."""
        return sigmoid(((x - self.mean) / self.scale) @ self.coef + self.intercept)

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "coef": self.coef.round(6).tolist(),
                "intercept": round(self.intercept, 6)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Logistic":
        return cls(tuple(data["features"]), np.asarray(data["mean"]), np.asarray(data["scale"]),
                   np.asarray(data["coef"]), float(data["intercept"]))


@dataclass(frozen=True)
class Trees:
    """Boosted regression trees as LightGBM fits them, their nodes in one flat list so that every question's row
    walks all the trees at once: the log-odds is the sum of the leaves reached. A walk starts at each tree's root
    and goes to node `left` when the node's feature is at most its `threshold`, else to `right`; a leaf is its own
    child, so `depth` steps reach every leaf. A leaf's log-odds is its `value` plus a line in the features its
    branch splits on (`slope_feature`, `slope`: one row a node, padded with zero slopes)."""
    features: tuple[str, ...]
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # a leaf's log-odds where every slope feature is 0; 0 for a split
    depth: int
    slope_feature: np.ndarray
    slope: np.ndarray

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(positive) for each row of x (columns in `features` order)."""
        rows = np.arange(len(x))[:, None]
        node = np.broadcast_to(self.roots, (len(x), len(self.roots)))
        for _ in range(self.depth):
            node = np.where(x[rows, self.feature[node]] <= self.threshold[node], self.left[node], self.right[node])
        line = (x[rows[:, :, None], self.slope_feature[node]] * self.slope[node]).sum(axis=2)
        return sigmoid((self.value[node] + line).sum(axis=1))

    def to_dict(self) -> dict[str, Any]:
        # Thresholds in full: a split rounded past a value the features take sends that value the other way.
        return {"features": list(self.features), "depth": self.depth, "roots": self.roots.tolist(),
                "feature": self.feature.tolist(), "threshold": self.threshold.tolist(), "left": self.left.tolist(),
                "right": self.right.tolist(), "value": self.value.tolist(),
                "slope_feature": self.slope_feature.tolist(), "slope": self.slope.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Trees":
        roots, feature, left, right = (np.asarray(data[k], dtype=np.int64) for k in ("roots", "feature", "left",
                                                                                    "right"))
        threshold, value = (np.asarray(data[k], dtype=np.float64) for k in ("threshold", "value"))
        slope_feature = np.asarray(data["slope_feature"], dtype=np.int64)
        slope = np.asarray(data["slope"], dtype=np.float64)
        nodes = len(feature)
        if any(a.shape != (nodes,) for a in (threshold, left, right, value)) or roots.ndim != 1:
            raise ValueError("the trees' node lists differ in length")
        if slope_feature.ndim != 2 or slope_feature.shape[0] != nodes or slope.shape != slope_feature.shape:
            raise ValueError("the leaves' slopes are not one row a node")
        if any(((a < 0) | (a >= nodes)).any() for a in (roots, left, right)):
            raise ValueError("a tree points at a node it does not have")
        if any(((a < 0) | (a >= len(data["features"]))).any() for a in (feature, slope_feature)):
            raise ValueError("a tree splits on a feature it does not have")
        return cls(tuple(data["features"]), roots, feature, threshold, left, right, value, int(data["depth"]),
                   slope_feature, slope)

    @classmethod
    def constant(cls, features: tuple[str, ...], log_odds: float) -> "Trees":
        """One tree of one leaf: the same probability for every row."""
        zero = np.zeros(1, dtype=np.int64)
        return cls(features, zero, zero, np.array([np.inf]), zero, zero, np.array([log_odds]), 0,
                   np.zeros((1, 0), dtype=np.int64), np.zeros((1, 0)))

    @classmethod
    def from_lightgbm(cls, dump: dict[str, Any], features: tuple[str, ...]) -> "Trees":
        """The trees of a LightGBM booster's `dump_model()` (numeric splits, no missing values; linear leaves or
        constant ones)."""
        nodes: list[tuple[int, float, int, int, float, list[int], list[float]]] = []
        depth = 0

        def walk(node: dict[str, Any], level: int) -> int:
            nonlocal depth
            at = len(nodes)
            if "split_feature" not in node:
                nodes.append((0, np.inf, at, at, float(node.get("leaf_const", node.get("leaf_value", 0.0))),
                              list(node.get("leaf_features", [])), list(node.get("leaf_coeff", []))))
                depth = max(depth, level)
                return at
            if node["decision_type"] != "<=":
                raise ValueError(f"a split of type {node['decision_type']} is not numeric")
            nodes.append((0, 0.0, 0, 0, 0.0, [], []))
            left, right = walk(node["left_child"], level + 1), walk(node["right_child"], level + 1)
            nodes[at] = (int(node["split_feature"]), float(node["threshold"]), left, right, 0.0, [], [])
            return at

        roots = [walk(info["tree_structure"], 0) for info in dump["tree_info"]]
        feature, threshold, left, right, value, leaf_features, leaf_coeff = zip(*nodes)
        width = max(map(len, leaf_features))
        slope_feature = np.zeros((len(nodes), width), dtype=np.int64)
        slope = np.zeros((len(nodes), width))
        for at, (used, coeff) in enumerate(zip(leaf_features, leaf_coeff)):
            slope_feature[at, :len(used)], slope[at, :len(coeff)] = used, coeff
        return cls(features, np.array(roots, dtype=np.int64), np.array(feature, dtype=np.int64), np.array(threshold),
                   np.array(left, dtype=np.int64), np.array(right, dtype=np.int64), np.array(value), depth,
                   slope_feature, slope)


@dataclass(frozen=True)
class Scorer:
    sentence: Logistic
    question: Trees
    threshold: float  # P(answerable) below which the service abstains
    fitted_on: tuple[str, ...]
    ranker: Logistic  # the sentence model with the features that only rank (`features.RANKING_FEATURES`)
    # Which way a sentence leans where the stance rules are silent, learnt from the same corpora's labelled
    # sentences; the answer's findings and disagreements hear it, the features keep to the rules (see
    # `features.sentence_features`).
    stance: StanceLayer | None  # none when the corpora fitted on have no labelled sentences

    def sentence_probabilities(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For rows in RANKING_FEATURES order: how likely each sentence answers, which the question model reads, and
        the ranker's probability, which orders the candidates for quoting."""
        return self.sentence.probability(x[:, :len(SENTENCE_FEATURES)]), self.ranker.probability(x)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "fitted_on": list(self.fitted_on), "threshold": round(self.threshold, 4),
                "sentence": self.sentence.to_dict(), "ranker": self.ranker.to_dict(),
                "question": self.question.to_dict(), "stance": self.stance.to_dict() if self.stance else None}


def load_scorer(path: Path | None = None) -> Scorer:
    """The scorer at `path`, or the one shipped with the package; SettingsError naming the file if unusable."""
    path = path or PACKAGED
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')} is not {FORMAT}")
        scorer = Scorer(Logistic.from_dict(data["sentence"]), Trees.from_dict(data["question"]),
                        float(data["threshold"]), tuple(data["fitted_on"]), Logistic.from_dict(data["ranker"]),
                        StanceLayer.from_dict(data["stance"]) if data["stance"] is not None else None)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SettingsError(f"{path}: not a usable scorer ({err}); refit it with `rag fit`") from None
    if (scorer.sentence.features != SENTENCE_FEATURES or scorer.ranker.features != RANKING_FEATURES
            or scorer.question.features != QUESTION_FEATURES):
        raise SettingsError(f"{path}: fitted on other features than this version computes; refit it with `rag fit`")
    return scorer


def save_scorer(scorer: Scorer, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(_json_lines(scorer.to_dict()) + "\n", encoding="utf-8")
    tmp.replace(path)


def _json_lines(value: Any, indent: str = "") -> str:
    """JSON with each key of an object on a line of its own and each list on one line: a refit's diff shows which
    parts changed, and the trees' thousands of numbers do not take a line each."""
    if not isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    inner = indent + " "
    return "{\n" + ",\n".join(f"{inner}{json.dumps(k)}: {_json_lines(v, inner)}" for k, v in value.items()) + \
        f"\n{indent}}}"


def fit_logistic(x: np.ndarray, y: np.ndarray, features: tuple[str, ...], signs: dict[str, int] | None = None,
                 balanced: bool = True, sample_weight: np.ndarray | None = None) -> Logistic:
    """A logistic model on standardised features, L2-regularised as scikit-learn's is (strength
    REGULARISATION_C), each coefficient held to the sign `signs` gives its feature (+1, -1; free when absent).

    The signs are what each feature means (a question term the corpus never uses cannot make an answer likelier):
    without them correlated features trade weight in whatever direction fits the corpora at hand, and a model that
    learns "more uncovered words, more likely answered" from four corpora misleads on a fifth. `balanced` weighs
    the rarer class up, so probabilities spread over [0, 1] and the answer's relative floors have room to work
    even when few sentences answer. `sample_weight` weighs rows on top of that (averaging 1).
    """
    from scipy.optimize import minimize

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    target = y.astype(np.float64)
    positive = float(target.mean()) if len(target) else 0.5
    weight = (np.where(y, 0.5 / positive, 0.5 / (1 - positive)) if balanced and 0 < positive < 1
              else np.ones(len(target)))
    if sample_weight is not None:
        weight = weight * sample_weight / sample_weight.mean()
    n = z.shape[1]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        margin = z @ params[:n] + params[n]
        p = sigmoid(margin)
        logloss = np.logaddexp(0.0, margin) - target * margin
        residual = weight * (p - target) * REGULARISATION_C
        grad = np.concatenate([z.T @ residual + params[:n], [residual.sum()]])
        return float(REGULARISATION_C * (weight * logloss).sum() + 0.5 * params[:n] @ params[:n]), grad

    sign = [(signs or {}).get(f, 0) for f in features]
    bounds = [(0.0, None) if s > 0 else (None, 0.0) if s < 0 else (None, None) for s in sign] + [(None, None)]
    fitted = minimize(loss, np.zeros(n + 1), jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 5000})
    return Logistic(features, mean, scale, fitted.x[:n].astype(np.float64), float(fitted.x[n]))


def fit_trees(x: np.ndarray, y: np.ndarray, features: tuple[str, ...]) -> Trees:
    """Boosted trees (TREES of TREE_LEAVES leaves) for P(y) from the rows of x, the rarer class weighed up as in
    `fit_logistic`; the same rows give the same trees on every machine."""
    if y.all() or not y.any():
        # One class only (a gold set with no unanswerable question): nothing to split on, and LightGBM would
        # weigh the missing class up to a certainty the other way. One leaf says what every question was.
        return Trees.constant(features, float(np.log(ONE_CLASS_ODDS)) * (1.0 if y.all() else -1.0))
    model = tree_classifier().fit(x, y.astype(int))
    return Trees.from_lightgbm(model.booster_.dump_model(), features)


def tree_classifier() -> Any:
    """The LightGBM classifier `fit_trees` fits, configured as the constants above say."""
    import lightgbm

    # Single-threaded: the suite fits over a thousand of these on a few thousand rows each, where threads only wait.
    return lightgbm.LGBMClassifier(
        n_estimators=TREES, num_leaves=TREE_LEAVES, learning_rate=TREE_LEARNING_RATE, min_child_samples=TREE_MIN_LEAF,
        subsample=TREE_SAMPLE, subsample_freq=1, colsample_bytree=TREE_SAMPLE, class_weight="balanced",
        linear_tree=True, linear_lambda=TREE_LINEAR_LAMBDA,
        random_state=0, deterministic=True, force_row_wise=True, n_jobs=1, verbose=-1)


def fit_threshold(probabilities: np.ndarray, answerable: np.ndarray) -> float:
    """The P(answerable) cut with the least expected cost of mistakes, a false answer costing FALSE_ANSWER_COST
    declined questions. Each question's mistake is counted smoothly, by how far it sits across the cut
    (THRESHOLD_SMOOTHING), so that one question does not move the cut between two gaps in the probabilities."""
    cuts = np.linspace(0.0, 1.0, 401)
    below = sigmoid((cuts[:, None] - probabilities[None, :]) / THRESHOLD_SMOOTHING)
    cost = np.where(answerable[None, :], below, FALSE_ANSWER_COST * (1.0 - below)).mean(axis=1)
    best = np.flatnonzero(cost <= cost.min() + 1e-12)
    return float(cuts[best[len(best) // 2]])
