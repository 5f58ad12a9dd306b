"""Where the strongest evidence tier and weaker ones make opposite claims on the asked topic, and the note that
says so, citing each side by number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .index import Index
from .settings import Settings
from .stance import Stance, answer_topics
from .stance_layer import StanceLayer, stances_with

if TYPE_CHECKING:
    from .answer import Candidate


@dataclass(frozen=True)
class Disagreement:
    topics: list[str]
    note: str
    # Citation numbers on each side: the stronger evidence tier and the weaker ones that contradict it.
    stronger: list[int]
    weaker: list[int]


class StanceReader:
    """Corpus sentences' stances for one answer: the rules', and the layer's from their embeddings where the rules
    are silent. Each sentence is read once, however many steps of the answer ask about it."""

    def __init__(self, index: Index, layer: StanceLayer | None = None) -> None:
        self.index, self.layer = index, layer
        self.read: dict[int, tuple[Stance, ...]] = {}

    def __call__(self, sentences: list[int]) -> list[tuple[Stance, ...]]:
        new = [s for s in dict.fromkeys(sentences) if s not in self.read]
        if new:  # one product over the layer for all the sentences not read yet
            tiers = [self.index.documents[self.index.sentences[s].doc_id].evidence_tier for s in new]
            said = stances_with([self.index.sentence_text(s) for s in new], self.index.sentence_vectors[new], tiers,
                                self.layer)
            self.read.update(zip(new, said))
        return [self.read[s] for s in sentences]


def add_disagreement(index: Index, question: str, candidates: list[Candidate], chosen: list[Candidate],
                     settings: Settings, stances: StanceReader
                     ) -> tuple[list[Candidate], dict[str, tuple[list[int], list[int]]]]:
    """Find topics on which the strongest tier and a weaker tier make opposite claims, among relevant sentences.

    The best sentence on each side joins the answer if it is not there yet, so the disagreement is cited.
    Returns the chosen sentences and, per topic, the sentence ids on the stronger and the weaker side.
    """
    floor = candidates[0].relevance * settings.answer.disagreement_floor
    # The strongest tier is heard on the asked topic whenever the scorer finds any of its sentences plausible:
    # a weaker page echoing the question's words must not crowd out the finding that contradicts it.
    plausible = [c for c in candidates if c.relevance >= settings.answer.sentence_floor]
    strongest = min(c.tier_rank for c in plausible or candidates[:1])
    relevant = [c for c in candidates if c.relevance >= floor or (c in plausible and c.tier_rank == strongest)]
    claims = dict(zip([c.sentence for c in relevant], stances([c.sentence for c in relevant])))
    sides: dict[str, tuple[list[int], list[int]]] = {}
    for topic in answer_topics(question):
        lean = {c.sentence: s.polarity for c in relevant for s in claims[c.sentence] if s.topic == topic}
        strong = [c for c in relevant if c.tier_rank == strongest and c.sentence in lean]
        # The strongest tier's side is what its likelier sentences say.
        polarity = int(np.sign(sum(c.relevance * lean[c.sentence] for c in strong)))
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


def disagreement_of(index: Index, ordered: list[Candidate], sides: dict[str, tuple[list[int], list[int]]]
                    ) -> Disagreement | None:
    """The disagreement among the quoted sentences, numbered as quoted; None when one side was not quoted."""
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
    return disagreement_between(topics, strong_tier, stronger, weaker)


def disagreement_between(topics: list[str], strong_tier: str, stronger: set[int], weaker: set[int]) -> Disagreement:
    """The disagreement and its note, citing each side by number."""
    marks = lambda ns: "".join(f"[{n}]" for n in sorted(ns))  # noqa: E731
    note = (f"Note: the sources disagree on {' and '.join(topics)}. The strongest evidence here "
            f"({strong_tier}) {marks(stronger)} contradicts lower-tier sources {marks(weaker)}.")
    return Disagreement(topics, note, sorted(stronger), sorted(weaker))
