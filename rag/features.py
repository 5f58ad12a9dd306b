"""Cheap, explainable features of a question against candidate sentences, for the fitted scorer.

Pure functions over plain values: which kind of answer a question asks for, whether a sentence has that shape,
how much of the question's rarer vocabulary a sentence covers. No topic words: the shapes are durations,
numbers, amounts, places, lists and names, whatever the treatment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .stance import question_topics, stances

_UNIT = r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|sessions?)"
_COUNT = r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|several|a few)"
SHAPES: dict[str, re.Pattern[str]] = {
    "duration": re.compile(rf"\b{_COUNT}(?:\s*(?:-|–|to|or)\s*{_COUNT})?[\s-]*{_UNIT}\b|\b(?:daily|weekly|monthly)\b",
                           re.I),
    "number": re.compile(r"\d|%|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|hundred|"
                         r"thousand|million|dozen|half|third|quarter|once|twice)\b", re.I),
    "amount": re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s*(?:dollars|euros|pounds|mg|g|mcg|µg|ml|milligrams?|grams?|hz|"
                         r"milliamps?|ma|µs|microseconds?)\b|\bper (?:session|month|day|dose|bottle)\b|\bprice|\bcost",
                         re.I),
    "place": re.compile(r"\b\d+\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\s+(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|"
                        r"Lane|Ln|Drive|Dr|Way|Suite)\b|\b(?:located|based|situated) (?:in|at|on)\b|,\s*[A-Z]{2}\b"),
    "person": re.compile(r"\b(?:Dr|Prof|MD|PhD|author|founder|physician|researchers?)\b|\b[A-Z][a-z]+ [A-Z]\. [A-Z]"),
}
# What a question asks for, from its wording; a question may ask for several shapes or none (yes/no questions).
ASKS: dict[str, re.Pattern[str]] = {
    "duration": re.compile(r"\bhow long\b|\bhow often\b|\bhow many (?:days|weeks|months|years|hours|minutes|sessions)"
                           r"|\bduration\b|\bwhen\b|\bhow soon\b|\blast\b", re.I),
    "number": re.compile(r"\bhow (?:many|much|big|large|strong|often)\b|\bwhat (?:percentage|proportion|share|number|"
                         r"dose|dosage|frequency|size)\b|\bhow high\b|\bhow low\b|\bdose\b|\bdosage\b|\bnumbers?\b", re.I),
    "amount": re.compile(r"\bcost|\bprice|\bhow much\b|\bdose\b|\bdosage\b|\bmg\b|\bfrequenc|\bsettings?\b", re.I),
    "place": re.compile(r"\bwhere\b|\baddress\b|\blocated\b|\blocation\b", re.I),
    "person": re.compile(r"\bwho\b|\bwhose\b|\bauthor\b|\bwrote\b", re.I),
    "list": re.compile(r"\bwhich\b|\bwhat (?:are|were)\b|\bwhat (?:kinds?|types?|sorts?|conditions|side effects|"
                       r"symptoms|risks|benefits|ingredients)\b|\blist\b|\bname (?:the|some)\b|\bexamples?\b", re.I),
}
# A colon at the end, perhaps followed by a reference marker such as "(10)".
_INTRODUCES_LIST = re.compile(r":\s*(?:\(\d+(?:[,–-]\s?\d+)*\))?\s*$")
_CLOSED = re.compile(r"[.!?:;…\"”’)\]]\s*$")
_CAPTION_WORDS = 12
_LISTISH = re.compile(r"[^,;]+[,;][^,;]+[,;][^,;]+")
_ADDRESSES_READER = re.compile(r"\b(you|your|yours|our|we|us)\b", re.I)

SENTENCE_FEATURES = ("cos", "cos_gap", "passage", "passage_gap", "coverage", "coverage_nearby", "rare_term",
                     "shape_match", "shape_missing", "reader", "short", "log_words", "introduces_list", "item",
                     "neighbour_cos", "strongest_tier", "takes_side", "doubts", "strongest_takes_side",
                     "strongest_doubts")
QUESTION_FEATURES = ("best_sentence", "second_sentence", "best_cos", "top_passage", "unseen", "uncovered",
                     "best_coverage", "asks_shape", "specific_missing", "evidence_missing", "shape_unmet")
# The sentences the answer would draw on, for the question-level features.
TOP_SENTENCES = 3


@lru_cache(maxsize=65_536)  # the same corpus sentences come back question after question
def shapes_of(sentence: str) -> frozenset[str]:
    found = {name for name, pattern in SHAPES.items() if pattern.search(sentence)}
    if _LISTISH.search(sentence) or introduces_list(sentence):
        found.add("list")
    return frozenset(found)


@lru_cache(maxsize=65_536)
def addresses_reader(sentence: str) -> bool:
    return _ADDRESSES_READER.search(sentence) is not None


def introduces_list(sentence: str) -> bool:
    return _INTRODUCES_LIST.search(sentence) is not None


def pitches(sentence: str, topics: tuple[str, ...]) -> bool:
    """The sentence talks to the reader without taking a side on the asked topics: sales talk, not a finding."""
    return addresses_reader(sentence) and not any(s.topic in topics for s in stances(sentence))


def is_caption(sentence: str) -> bool:
    """A short line without closing punctuation, such as a name over the list of its details."""
    return len(sentence.split()) <= _CAPTION_WORDS and not _CLOSED.search(sentence)


def asked_shapes(question: str) -> frozenset[str]:
    return frozenset(name for name, pattern in ASKS.items() if pattern.search(question))


@dataclass(frozen=True)
class QuestionTerms:
    """The question's content terms with their inverse passage frequency, and which the corpus knows."""
    terms: tuple[str, ...]
    idf: np.ndarray
    known: np.ndarray  # bool per term: some passage holds it
    familiar: np.ndarray  # bool per term: known, or a known word starts the same way (a typo, another form)
    ceiling: float  # the IDF of a term no passage holds: the most specific a term can be

    def __post_init__(self) -> None:
        # Plain floats: weight() runs for every candidate sentence of every question.
        object.__setattr__(self, "_share", {t: float(w) / float(self.idf.sum()) for t, w in zip(self.terms, self.idf)}
                           if self.idf.sum() else {})

    def weight(self, present: frozenset[str]) -> float:
        """IDF-weighted share of the question's terms found in `present`."""
        share: dict[str, float] = self._share  # type: ignore[attr-defined]
        return sum(w for t, w in share.items() if t in present)

    def missing_specific(self, present: frozenset[str]) -> float:
        """The rarest question term absent from `present`, as its IDF over the highest IDF possible (0 when every
        term is present): a near miss keeps the topic's common words and adds one specific the corpus lacks."""
        absent = [w for t, w in zip(self.terms, self.idf) if t not in present]
        return float(max(absent)) / self.ceiling if absent and self.ceiling else 0.0

    @property
    def rarest_known(self) -> str | None:
        known = [(w, t) for t, w, k in zip(self.terms, self.idf, self.known) if k]
        return max(known)[1] if known else None

    @property
    def unseen(self) -> float:
        """IDF-weighted share of the question's terms that no passage of the corpus contains in any form."""
        total = float(self.idf.sum())
        return float(self.idf[~self.familiar].sum()) / total if total else 0.0


@dataclass(frozen=True)
class SentenceView:
    """What the features need of one candidate sentence."""
    text: str
    terms: frozenset[str]
    nearby_terms: frozenset[str]  # the sentence's terms with its neighbours' in the same document
    kind: str
    words: int
    cos: float
    neighbour_cos: float
    passage: float  # fused score of the best retrieved passage holding it
    tier_rank: int  # 0 for the strongest evidence tier


def sentence_features(question: str, q: QuestionTerms, views: list[SentenceView]) -> np.ndarray:
    """One row per candidate, columns in SENTENCE_FEATURES order."""
    if not views:
        return np.zeros((0, len(SENTENCE_FEATURES)))
    asked = asked_shapes(question)
    rare = q.rarest_known
    best_cos = max(v.cos for v in views)
    best_passage = max(v.passage for v in views)
    strongest = min(v.tier_rank for v in views)
    topics = question_topics(question)
    rows = []
    for v in views:
        shapes = shapes_of(v.text)
        sides = [s.polarity for s in stances(v.text) if s.topic in topics]
        rows.append((
            v.cos, v.cos - best_cos, v.passage, v.passage - best_passage,
            q.weight(v.terms), q.weight(v.nearby_terms), float(rare is not None and rare in v.terms),
            float(bool(asked & shapes)), float(bool(asked) and not asked & shapes),
            float(addresses_reader(v.text)), float(v.words < 6), float(np.log1p(v.words)),
            float(bool(_INTRODUCES_LIST.search(v.text))), float(v.kind == "item"), v.neighbour_cos,
            # On a question of efficacy, safety or evidence, what the strongest tier finds is the answer.
            float(v.tier_rank == strongest), float(bool(sides)), float(-1 in sides),
            float(v.tier_rank == strongest and bool(sides)), float(v.tier_rank == strongest and -1 in sides),
        ))
    return np.asarray(rows, dtype=np.float64)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def question_features(question: str, q: QuestionTerms, views: list[SentenceView], probabilities: np.ndarray,
                      top_passage_terms: frozenset[str], top_passage: float) -> np.ndarray:
    """One row for the question as a whole, columns in QUESTION_FEATURES order."""
    # As log-odds: the question model is linear, and probabilities near 1 would hide the differences that matter.
    ranked = _logit(np.sort(probabilities)[::-1]) if len(probabilities) else _logit(np.zeros(1))
    second = float(ranked[1]) if len(ranked) > 1 else float(_logit(np.zeros(1))[0])
    top = [views[i] for i in np.argsort(-probabilities)[:TOP_SENTENCES]] if len(probabilities) else []
    evidence_terms = frozenset().union(*(v.nearby_terms for v in top))
    asked = asked_shapes(question)
    return np.asarray([
        float(ranked[0]), second, max((v.cos for v in views), default=0.0), top_passage, q.unseen,
        1.0 - q.weight(top_passage_terms), max((q.weight(v.terms) for v in views), default=0.0),
        float(bool(asked)), q.missing_specific(evidence_terms), 1.0 - q.weight(evidence_terms),
        float(bool(asked) and not any(asked & shapes_of(v.text) for v in top)),
    ], dtype=np.float64)
