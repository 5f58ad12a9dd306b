"""Training samples from gold questions, and the scorer fitted on them.

A sentence is a positive example when it comes from a document that answers the question and holds one of the
question's key phrases; a question is a positive example when the gold set says the corpus answers it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..answer import Gathered, gather
from ..engine import Engine
from ..features import QUESTION_FEATURES, RANKING_FEATURES, SENTENCE_FEATURES, SENTENCE_SIGNS, sentence_features
from ..index import Index
from ..retrieve import Query, search_further
from ..scorer import CROSS_FOLDS, Logistic, Scorer, fit_logistic, fit_threshold, fit_trees
from ..stance_layer import StanceLayer
from .gold import GoldQuestion, matches


@dataclass(frozen=True)
class QuestionSample:
    gold: GoldQuestion
    x: np.ndarray  # feature rows of the candidates from retrieved passages, in RANKING_FEATURES order
    y: np.ndarray  # does the sentence answer?
    served: np.ndarray  # feature rows of every candidate the service weighs, as `answer.gather` gathers them
    found: Gathered
    index: Index
    query: Query

    def question_row(self, sentence: Logistic) -> np.ndarray:
        """The question's row as the service computes it, from `sentence`'s probabilities."""
        probabilities = sentence.probability(self.served[:, :len(SENTENCE_FEATURES)])
        return self.found.question_row(self.index, self.query, probabilities)


def collect(engine: Engine, gold: list[GoldQuestion]) -> list[QuestionSample]:
    """Features of every candidate sentence the `/ask` path weighs, labelled from the gold set.

    The sentence models learn from the candidates of retrieved passages only: a passage added for what it is known
    to answer (beside the strongest tier's hit, a byline) carries another passage's retrieval score, and learning
    from borrowed scores blurs what a passage's score says. The question model learns from every candidate, as the
    service weighs them."""
    samples = []
    index = engine.index
    rank = engine.settings.retrieval.tier_rank
    for q in gold:
        query = engine.query(q.question)
        hits, further = search_further(index, query, engine.settings.retrieval.top_k, engine.settings.retrieval)
        found = gather(index, query, hits, rank, further)
        served = sentence_features(q.question, found.terms, found.views, found.judged)
        retrieved = index.sentences_of(h.chunk for h in hits)
        own = np.array([s in retrieved for s in found.ids], dtype=bool)
        y = np.array([q.answerable and index.sentences[s].doc_id in q.sources and any(matches(v.text, q.must_include))
                      for s, v in zip(found.ids, found.views)], dtype=bool)
        samples.append(QuestionSample(q, served[own], y[own], served, found, index, query))
    return samples


def fit_scorer(samples: list[QuestionSample], fitted_on: tuple[str, ...], stance: StanceLayer | None,
               corpus_of: list[int] | None = None) -> Scorer:
    """Fit the sentence model, then the question model on its probabilities, then the abstention threshold; the
    stance layer, fitted on the same corpora's labelled sentences, goes with them.

    The question model and the threshold learn from probabilities their inputs' models did not see in fitting
    (each fold's from models fitted on the other folds): in-sample probabilities are surer than any the service
    meets on questions of its own, and a threshold fitted on them declines answerable questions it has not seen.
    """
    sentence = _sentence_model(samples, SENTENCE_FEATURES)
    # With several corpora the folds are the corpora: the threshold then learns from probabilities of questions
    # on a corpus the models never saw, which is how the service meets a user's corpus.
    several = corpus_of is not None and len(set(corpus_of)) > 1
    folds = np.asarray(corpus_of) if several else np.arange(len(samples)) % CROSS_FOLDS
    rows = np.zeros((len(samples), len(QUESTION_FEATURES)))
    for k in np.unique(folds):
        model = _sentence_model([s for s, f in zip(samples, folds) if f != k], SENTENCE_FEATURES)
        for i in np.flatnonzero(folds == k):
            rows[i] = samples[i].question_row(model)
    answerable = np.array([s.gold.answerable for s in samples])
    question = fit_trees(rows, answerable, QUESTION_FEATURES)
    held = np.zeros(len(samples))
    for k in np.unique(folds):
        trees = fit_trees(rows[folds != k], answerable[folds != k], QUESTION_FEATURES)
        held[folds == k] = trees.probability(rows[folds == k])
    return Scorer(sentence, question, fit_threshold(held, answerable), fitted_on, _ranking_model(samples), stance)


def _sentence_model(samples: list[QuestionSample], features: tuple[str, ...]) -> Logistic:
    """Which of a question's candidates answer it, from the first len(features) columns, learnt from the questions
    some candidate answers, each counting once however many candidates it has. Whether a question is answered at
    all is the question model's to learn: on a question nothing answers, every candidate is a negative however
    closely it matches, and counting those taught the sentence model to rank a question's candidates less well."""
    answered = [s for s in samples if s.y.any()]
    return fit_logistic(np.vstack([s.x[:, :len(features)] for s in answered]), np.concatenate([s.y for s in answered]),
                        features, SENTENCE_SIGNS,
                        sample_weight=_each_question_once(answered))


def _ranking_model(samples: list[QuestionSample]) -> Logistic:
    """Which of a question's candidates to quote first, learnt from pairs within a question (an answering sentence
    against one that does not answer), each question counting once: ordering is all the ranker does, and a model
    fitted on every sentence at once spends its weights telling apart questions' candidate pools, not the
    sentences within one. Its scores are then put on the scale of probabilities (one slope and one offset fitted on
    the candidates themselves), which the answer's floors read."""
    pairs, weights = [], []
    for s in samples:
        positive, negative = s.x[s.y], s.x[~s.y]
        if len(positive) and len(negative):
            diff = (positive[:, None, :] - negative[None, :, :]).reshape(-1, s.x.shape[1])
            pairs.append(diff)
            weights.append(np.full(len(diff), 1 / len(diff)))
    if not pairs:  # no question has both an answering candidate and another: nothing to order by
        return _sentence_model(samples, RANKING_FEATURES)
    diff, weight = np.vstack(pairs), np.concatenate(weights)
    order = fit_logistic(np.vstack([diff, -diff]), np.r_[np.ones(len(diff), bool), np.zeros(len(diff), bool)],
                         RANKING_FEATURES, SENTENCE_SIGNS, balanced=False, sample_weight=np.r_[weight, weight])
    # Each pair is there both ways round, so the differences centre on zero and the fitted offset on nothing: a
    # score is the scaled features' weighted sum alone.
    answered = [s for s in samples if s.y.any()]
    x = np.vstack([s.x for s in answered])
    score = (x / order.scale) @ order.coef
    scale = fit_logistic(score[:, None], np.concatenate([s.y for s in answered]), ("score",), {"score": 1},
                         sample_weight=_each_question_once(answered))
    slope = float(scale.coef[0] / scale.scale[0])
    return Logistic(RANKING_FEATURES, np.zeros(len(RANKING_FEATURES)), order.scale, slope * order.coef,
                    scale.intercept - slope * scale.mean[0])


def _each_question_once(samples: list[QuestionSample]) -> np.ndarray:
    """A weight per candidate row, so that each question weighs the same however many candidates it has."""
    return np.concatenate([np.full(len(s.x), 1 / len(s.x)) for s in samples])
