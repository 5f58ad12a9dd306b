"""Compose an extractive answer: chosen sentences quoted verbatim, each with a checkable citation."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from .chunk import count_tokens, encoding
from .index import Index
from .retrieve import Hit, Query
from .settings import Settings
from .stance import question_topics, stances

ABSTAIN_TEXT = "The documents in this corpus do not answer this question."
# Web pages talk to the reader ("schedule a consultation", "our directory", "in this article we will");
# such sentences echo the question's words without stating anything, so they rank a little lower.
_ADDRESSES_READER = re.compile(r"\b(you|your|our|we)\b", re.IGNORECASE)
READER_PENALTY = 0.85


@lru_cache(maxsize=65_536)  # the same corpus sentences are scored question after question
def addresses_reader(sentence: str) -> bool:
    return _ADDRESSES_READER.search(sentence) is not None


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    source_type: str
    evidence_tier: str
    chunk_id: str
    quote: str
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Disagreement:
    topics: list[str]
    note: str
    # Citation numbers on each side: the stronger evidence tier and the weaker ones that contradict it.
    stronger: list[int]
    weaker: list[int]


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    confidence: float
    citations: list[Citation]
    disagreement: Disagreement | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    sentence: int
    chunk: int
    relevance: float
    score: float
    tier_rank: int


def compose_answer(index: Index, query: Query, hits: list[Hit], settings: Settings) -> Answer:
    candidates = candidate_sentences(index, query, hits, settings)
    confidence = answer_confidence(hits, candidates)
    if not candidates or confidence < settings.answer.min_confidence:
        return Answer(query.text, ABSTAIN_TEXT, True, round(confidence, 4), [], None)
    chosen = select_sentences(index, candidates, settings)
    chosen, sides = add_disagreement(index, query.text, candidates, chosen, settings)
    leading = {s for strong, _ in sides.values() for s in strong}
    ordered = order_for_reading(chosen, settings.answer.lead_floor, leading)
    citations = [_citation(index, n, c) for n, c in enumerate(ordered, start=1)]
    disagreement = _disagreement(index, ordered, sides)
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    if disagreement:
        text += " " + disagreement.note
    return Answer(query.text, text, False, round(confidence, 4), citations, disagreement)


def answer_confidence(hits: list[Hit], candidates: list[Candidate]) -> float:
    """How well the best passage and the best sentence match, before tier weighting, mapped onto [0, 1]."""
    if not hits or not candidates:
        return 0.0
    support = 0.5 * max(h.fused for h in hits) + 0.5 * max(c.relevance for c in candidates)
    return float(np.clip((support - 0.25) / 0.45, 0.0, 1.0))


def candidate_sentences(index: Index, query: Query, hits: list[Hit], settings: Settings) -> list[Candidate]:
    """Every non-heading sentence of the hit chunks, scored against the question, best first."""
    best_chunk: dict[int, tuple[float, int]] = {}
    for h in hits:
        record = index.chunks[h.chunk]
        for s in range(record.first, record.last):
            if index.sentences[s].kind != "heading" and h.fused > best_chunk.get(s, (-1.0, 0))[0]:
                best_chunk[s] = (h.fused, h.chunk)
    if not best_chunk:
        return []
    ids = list(best_chunk)
    cosines = index.sentence_vectors[ids] @ query.vector
    terms = set(query.terms)
    out = []
    for s, cos in zip(ids, cosines):
        fused, chunk = best_chunk[s]
        overlap = len(terms & index.sentence_terms(s)) / len(terms) if terms else 0.0
        text = index.sentence_text(s)
        relevance = 0.55 * max(float(cos), 0.0) + 0.25 * overlap + 0.2 * fused
        if addresses_reader(text):
            relevance *= READER_PENALTY
        tier = index.documents[index.sentences[s].doc_id].evidence_tier
        out.append(Candidate(s, chunk, relevance, relevance * settings.retrieval.weight(tier), settings.retrieval.tier_rank(tier)))
    return sorted(out, key=lambda c: -c.score)


def select_sentences(index: Index, candidates: list[Candidate], settings: Settings) -> list[Candidate]:
    """The best sentences, skipping near-duplicates, within count and token budgets.

    Eligibility compares unweighted relevance, so the tier weight can reorder relevant evidence but cannot pull
    an off-topic sentence from a strong source into the answer.
    """
    rules = settings.answer
    enc = encoding(settings.chunking.encoding)
    floor = max(c.relevance for c in candidates) * rules.relative_floor
    chosen: list[Candidate] = []
    tokens = 0
    for c in candidates:
        if len(chosen) >= rules.max_sentences:
            break
        if c.relevance < floor:
            continue
        if _duplicates(index, c, chosen, rules.duplicate_cosine):
            continue
        cost = count_tokens(enc, index.sentence_text(c.sentence))
        if chosen and tokens + cost > rules.max_tokens:
            continue
        chosen.append(c)
        tokens += cost
    return chosen


def _duplicates(index: Index, c: Candidate, chosen: list[Candidate], threshold: float) -> bool:
    if not chosen:
        return False
    others = index.sentence_vectors[[o.sentence for o in chosen]]
    return bool((others @ index.sentence_vectors[c.sentence]).max() > threshold)


def add_disagreement(index: Index, question: str, candidates: list[Candidate], chosen: list[Candidate],
                     settings: Settings) -> tuple[list[Candidate], dict[str, tuple[list[int], list[int]]]]:
    """Find topics on which the strongest tier and a weaker tier make opposite claims, among relevant sentences.

    The best sentence on each side joins the answer if it is not there yet, so the disagreement is cited.
    Returns the chosen sentences and, per topic, the sentence ids on the stronger and the weaker side.
    """
    floor = max(c.relevance for c in candidates) * settings.answer.disagreement_floor
    relevant = [c for c in candidates if c.relevance >= floor]
    strongest = min(c.tier_rank for c in relevant)
    claims = {c.sentence: stances(index.sentence_text(c.sentence)) for c in relevant}
    sides: dict[str, tuple[list[int], list[int]]] = {}
    for topic in question_topics(question):
        lean = {c.sentence: s.polarity for c in relevant for s in claims[c.sentence] if s.topic == topic}
        strong = [c for c in relevant if c.tier_rank == strongest and c.sentence in lean]
        polarity = int(np.sign(sum(lean[c.sentence] for c in strong)))
        weak = [c for c in relevant if c.tier_rank > strongest and lean.get(c.sentence) == -polarity]
        if polarity and weak:
            sides[topic] = ([c.sentence for c in strong if lean[c.sentence] == polarity], [c.sentence for c in weak])
    chosen = list(chosen)
    # At most two sentences join, so a contested question still gets a short answer.
    missing = [side[0] for strong, weak in sides.values() for side in (strong, weak)
               if not any(c.sentence in side for c in chosen)]
    for sentence in list(dict.fromkeys(missing))[:2]:
        chosen.append(next(c for c in relevant if c.sentence == sentence))
    return chosen, sides


def order_for_reading(chosen: list[Candidate], lead_floor: float, leading: set[int]) -> list[Candidate]:
    """Strongest tier first among the sentences that answer best; the rest follow, again strongest tier first.

    A sentence leads when its relevance is within lead_floor of the best, or when it is the stronger side of a
    disagreement. Within a tier, documents go by their best sentence and sentences in document order.
    """
    top = max(c.relevance for c in chosen)
    best_in_doc: dict[tuple[int, int], float] = {}
    for c in chosen:
        key = (c.tier_rank, c.chunk)
        best_in_doc[key] = max(best_in_doc.get(key, 0.0), c.score)

    def trails(c: Candidate) -> bool:
        return c.sentence not in leading and c.relevance < lead_floor * top

    return sorted(chosen, key=lambda c: (trails(c), c.tier_rank, -best_in_doc[(c.tier_rank, c.chunk)], c.sentence))


def _citation(index: Index, n: int, c: Candidate) -> Citation:
    s = index.sentences[c.sentence]
    doc = index.documents[s.doc_id]
    return Citation(n, doc.id, doc.title, doc.source_type, doc.evidence_tier, index.chunks[c.chunk].id,
                    doc.text[s.char_start:s.char_end], s.char_start, s.char_end)


def _disagreement(index: Index, ordered: list[Candidate], sides: dict[str, tuple[list[int], list[int]]]
                  ) -> Disagreement | None:
    number = {c.sentence: n for n, c in enumerate(ordered, start=1)}
    topics, stronger, weaker = [], set(), set()
    for topic, (strong, weak) in sides.items():
        strong_n = [number[s] for s in strong if s in number]
        weak_n = [number[s] for s in weak if s in number]
        if strong_n and weak_n:
            topics.append(topic)
            stronger.update(strong_n)
            weaker.update(weak_n)
    if not topics:
        return None
    strong_tier = index.documents[index.sentences[ordered[min(stronger) - 1].sentence].doc_id].evidence_tier
    marks = lambda ns: "".join(f"[{n}]" for n in sorted(ns))  # noqa: E731
    note = (f"Note: the sources disagree on {' and '.join(topics)}. The strongest evidence here "
            f"({strong_tier}) {marks(stronger)} contradicts lower-tier sources {marks(weaker)}.")
    return Disagreement(topics, note, sorted(stronger), sorted(weaker))
