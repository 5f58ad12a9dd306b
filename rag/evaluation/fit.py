"""Training samples from gold questions, and the scorer fitted on them.

A sentence is a positive example when it comes from a document that answers the question and holds one of the
question's key phrases; a question is a positive example when the gold set says the corpus answers it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..answer import candidate_views, question_terms
from ..engine import Engine
from ..features import QUESTION_FEATURES, SENTENCE_FEATURES, QuestionTerms, SentenceView, question_features, \
    sentence_features
from ..retrieve import search
from ..scorer import Scorer, fit_logistic, fit_threshold
from .gold import GoldQuestion


@dataclass(frozen=True)
class QuestionSample:
    gold: GoldQuestion
    x: np.ndarray  # sentence feature rows
    y: np.ndarray  # does the sentence answer?
    terms: QuestionTerms
    views: list[SentenceView]
    top_terms: frozenset[str]
    top_passage: float

    def question_row(self, probabilities: np.ndarray) -> np.ndarray:
        return question_features(self.gold.question, self.terms, self.views, probabilities, self.top_terms,
                                 self.top_passage)


def collect(engine: Engine, gold: list[GoldQuestion]) -> list[QuestionSample]:
    """Features of every candidate sentence the `/ask` path would weigh, labelled from the gold set."""
    samples = []
    index = engine.index
    for q in gold:
        query = engine.query(q.question)
        hits = search(index, query, engine.settings.retrieval.top_k, engine.settings.retrieval)
        views, ids, _ = candidate_views(index, query, hits, engine.settings.retrieval.tier_rank)
        terms = question_terms(index, query)
        x = sentence_features(q.question, terms, views)
        phrases = [alt.lower() for group in q.must_include for alt in group]
        y = np.array([q.answerable and index.sentences[s].doc_id in q.sources
                      and any(p in v.text.lower() for p in phrases) for s, v in zip(ids, views)], dtype=bool)
        top = max(hits, key=lambda h: h.fused) if hits else None
        samples.append(QuestionSample(q, x, y, terms, views, index.chunk_terms(top.chunk) if top else frozenset(),
                                      top.fused if top else 0.0))
    return samples


def fit_scorer(samples: list[QuestionSample], fitted_on: tuple[str, ...]) -> Scorer:
    """Fit the sentence model, then the question model on its probabilities, then the abstention threshold."""
    with_rows = [s for s in samples if len(s.x)]
    sentence = fit_logistic(np.vstack([s.x for s in with_rows]), np.concatenate([s.y for s in with_rows]),
                            SENTENCE_FEATURES)
    rows = np.vstack([s.question_row(sentence.probability(s.x) if len(s.x) else np.zeros(0)) for s in samples])
    answerable = np.array([s.gold.answerable for s in samples])
    question = fit_logistic(rows, answerable, QUESTION_FEATURES)
    return Scorer(sentence, question, fit_threshold(question.probability(rows), answerable), fitted_on)
