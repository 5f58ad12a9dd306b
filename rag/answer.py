"""Compose an extractive answer: chosen sentences quoted verbatim, each with a checkable citation.

Which sentences answer, and whether the question is answered at all, are the fitted scorer's calls (probabilities
over the features in `features.py`); which goes first is a policy: the strongest evidence tier among the
sentences that answer well.
"""

from __future__ import annotations

import re

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from .chunk import sentence_tokens
from .disagree import Disagreement, StanceReader, add_disagreement, disagreement_of
from .features import (GENERIC_SHAPES, ROLE_ASKED, QuestionTerms, SentenceView, asked_shapes, asks,
                       framing_terms, introduces_list, is_caption, name_phrases, names_in, pitches,
                       question_features, sentence_features, shapes_of, word_terms)
from .index import Index, plain_words
from .lexical import common_abbreviation, specialist, zipf
from .retrieve import Hit, Query, unpointed
from .scorer import Scorer
from .settings import Settings
from .stance import CLAIM_VERBS, answer_topics, question_topics
from .stance_layer import StanceLayer
from .term_vectors import nearest, question_vectors, resemblance

ABSTAIN_TEXT = "The documents in this corpus do not answer this question."
# The strongest tier's finding on a contested question: its framing and its result, and the figure or caveat
# beside them (a third sentence quoted the review's own finding on three more contested questions, held out).
FINDING_SENTENCES = 3
# The strongest tier is mixed, and its other side is quoted too, when the sentences against the way it leans weigh
# at least this share of those for it (by probability): one hopeful closing line does not make a sceptical review
# mixed, a safety summary that reassures and counts skin reactions is.
MIXED_SHARE = 0.25
# A question asking for a yes or a no ("does it make colours look odd?", "can I wear them driving?"), also after
# what the asker tells first ("im pregnant, can i take them?", "my mum is on warfarin can she take it"); not a
# question asking what, when or how ("what should I do?").
_AUXILIARY = r"(?:do|does|did|can|could|will|would|is|are|was|were|should|may|might|has|have)"
_YES_NO = re.compile(rf"(?:^|[,.;:!?])\s*{_AUXILIARY}\b|\b{_AUXILIARY}\s+(?:i|you|she|he|we|they|it|my|your|her|his|"
                     r"our|their|this|these|those|that)\b", re.I)
_WH = re.compile(r"^\W*(?:what|when|where|which|who|whom|whose|why|how)\b", re.I)
# Asking what to do: "when should it be taken?", "should I keep going?", "how should the doses be spaced?".
_ADVICE_ASKED = re.compile(r"\b(?:how|when|what|where) should\b|\bshould (?:i|we|you)\b|\bshould (?:[\w-]+ ){0,3}?be "
                           r"(?:taken|used|continued|spaced|applied|worn|stopped|given)\b", re.I)
# Asking what to do ("my skin is red under the tape, what should i do", "what do we do"): an action is asked for,
# even about a side effect or a harm.
_ACTION_ASKED = re.compile(r"\bwhat (?:should|do|can|must|shall) (?:i|we|you|they|he|she)(?: [\w-]+)? do\b|"
                           r"\bwhat to do\b", re.I)
# Telling the reader what to do: an instruction ("Take one dose at bedtime", "Antibiotics: take them 2 hours apart",
# "Do not stop ...") or advice in so many words ("you should", "we recommend").
_ADVISES = re.compile(r"^[\W_]*(?:[\w ,()-]{0,60}:\s*)?(?:take|use|apply|avoid|stop|keep|ask|see|talk|speak|check|"
                      r"remove|seek|get (?:urgent |immediate |prompt )?(?:medical )?(?:help|advice|attention)|carry on|"
                      r"continue|wait|start|try|leave|contact|call|wear|drink|eat|do not|don't|never|always|make sure|"
                      r"remember|space)\b|\byou (?:should|need to|must)\b"
                      r"|\bwe (?:recommend|advise|suggest)\b", re.I)
# A sentence naming what the one before it described: "This is called cold shock.", "These are known as flares."
_NAMES_IT = re.compile(r"\W*(?:this|these|that|it|they)(?: (?:effect|reaction|condition|problem|response))? "
                       r"(?:is|are) (?:often |sometimes |also )?(?:called|known as|referred to as|termed)\b", re.I)
# The share of two sentences' terms they must have in common to be one sentence copied onto two pages: "you are
# pregnant or breastfeeding;" in a guide and in a leaflet, not two clinics' opening hours.
ECHO_OVERLAP = 0.8
# A question's condition: "if it doesn't help", "unless I feel better".
_CONDITION = re.compile(r"\b(?:if|unless|in case)\b.*", re.I | re.S)
_FORECAST = re.compile(r"\bwill\b", re.I)
# A claimed multiple: "does it double your chances?", "halves the time".
_MULTIPLE = re.compile(r"\b(?:doubles?|doubling|triples?|halve[sd]?|twice|three times)\b", re.I)
# A share, other than an interval's confidence: "60%", "9 out of 10", "about 3 in 100", "per cent".
_SHARE = re.compile(r"(?<!I² = )(?<!I2 = )\b(?!95\s?%)\d+(?:\.\d+)?\s?%|\bper ?cent\b"
                    r"|\b\d+ (?:in|out of) (?:every )?\d+\b", re.I)
# A figure a finding gives: a digit that is not a year or a citation mark ("about 3 points lower", "RR 0.71").
_FIGURE = re.compile(r"(?<![\[(])\b(?!(?:19|20)\d\d\b)\d")
# Verbs that report what a page holds, beyond those that claim: "argues", "calls it", "thinks", "is advertised as".
_REPORTING_VERBS = (r"argue[sd]?|call(?:s|ed)|thinks?|thought|believes?|suggest(?:s|ed)|report(?:s|ed)|advise[sd]?|"
                    r"recommend(?:s|ed)|writes?|wrote|warn(?:s|ed)|tells?|told|maintains?|reckons?|"
                    r"advertised")
# A question that first reports a page's claim, then asks in a sentence of its own ("Acme says it cures IBS. Is there
# evidence that it does?", "The listicle says it is very safe. How certain is the evidence?", "The columnist argues
# the trials were too short. What did the reviewers say?"): the claim's page is judged, as when asked "does it, as
# Acme says?".
_REPORTED_CLAIM = re.compile(rf"^[^?]*?\b(?:said|claimed|{CLAIM_VERBS}|{_REPORTING_VERBS})\b[^?]*?"
                             r"(?:[.]\s+(?=[A-Z])|;\s*)(.+)$", re.S)
# Asking who wrote a page ("who wrote the column?", "who are the authors of the leaflet?") or what its author does
# ("what is Jo Acme's job?"): its byline answers.
_AUTHORSHIP = re.compile(r"\bwho (?:wrote|writes|authored)\b|\bwho (?:is|was|are|were) the (?:author|writer)s?\b|"
                         rf"\bwritten by (?:whom|who)\b|{ROLE_ASKED}", re.I)


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
class Answer:
    question: str
    answer: str
    abstained: bool
    # The probability that the quoted evidence answers the question (not whether the sources agree).
    confidence: float
    citations: list[Citation]
    disagreement: Disagreement | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    sentence: int
    chunk: int
    relevance: float  # P(this sentence answers the question)
    tier_rank: int


@dataclass(frozen=True)
class Evidence:
    """The candidate sentences of the retrieved passages, best first, and P(the question is answered)."""
    candidates: list[Candidate]
    confidence: float


def compose_answer(index: Index, query: Query, hits: list[Hit], settings: Settings, scorer: Scorer,
                   threshold: float, further: Sequence[Hit] = ()) -> Answer:
    """The answer, or an abstention when P(answered) falls below `threshold`; the `further` passages may be quoted
    but do not count towards P(answered)."""
    evidence = weigh_evidence(index, query, hits, settings, scorer, further)
    confidence = round(evidence.confidence, 4)
    if not evidence.candidates or evidence.confidence < threshold:
        return Answer(query.text, ABSTAIN_TEXT, True, confidence, [], None)
    ordered, sides = choose_and_order(index, query, evidence.candidates, settings, scorer.stance)
    ordered = with_following(index, with_list_items(index, ordered, settings.answer.max_list_items),
                             asks_advice(query.text))
    citations = [_citation(index, n, c) for n, c in enumerate(ordered, start=1)]
    disagreement = disagreement_of(index, ordered, sides)
    return Answer(query.text, " ".join(quoted_pieces(citations, disagreement)), False, confidence, citations,
                  disagreement)


def quoted_pieces(citations: list[Citation], disagreement: Disagreement | None) -> list[str]:
    """An extractive answer's text in the pieces it is made of: each quote with its marker, then any note."""
    return [f"{c.quote} [{c.n}]" for c in citations] + ([disagreement.note] if disagreement else [])


@dataclass(frozen=True)
class Gathered:
    """The sentences an answer weighs, with what the features need: the same for the service and for fitting."""
    hits: list[Hit]
    views: list[SentenceView]
    ids: list[int]
    chunks: list[int]
    terms: QuestionTerms
    judged: np.ndarray  # which views lie in the passages the question is judged on; the rest may only be quoted

    def question_row(self, index: Index, query: Query, probabilities: np.ndarray) -> np.ndarray:
        top = max(self.hits, key=lambda h: h.fused) if self.hits else None
        views = [v for v, judged in zip(self.views, self.judged) if judged]
        return question_features(query.text, self.terms, views, probabilities[self.judged],
                                 index.chunk_terms(top.chunk) if top else frozenset(), top.fused if top else 0.0,
                                 query.tokens)


def gather(index: Index, query: Query, hits: list[Hit], rank: Callable[[str], int], further: Sequence[Hit] = ()
           ) -> Gathered:
    """The sentences of the retrieved passages, and of the passages known to answer whatever their words: beside
    the strongest tier's hits on a contested question, and a pointed page's byline when asked who wrote it. Those
    of the `further` passages follow, to be quoted but not to judge the question by."""
    if question_topics(query.text):
        hits = with_strongest_neighbours(index, hits, rank)
    hits = with_passages(hits, {index.sentences[b].chunk for b in pointed_bylines(index, query)})
    held = {h.chunk for h in hits}
    terms = question_terms(index, query)
    views, ids, chunks = candidate_views(index, query, hits + [h for h in further if h.chunk not in held], rank,
                                         terms)
    inside = index.sentences_of(held)
    return Gathered(hits, views, ids, chunks, terms, np.array([s in inside for s in ids], dtype=bool))


def soft_coverage(index: Index, terms: QuestionTerms, ids: list[int],
                  nearby: list[tuple[tuple[int, ...], frozenset[str]]]) -> tuple[np.ndarray, np.ndarray]:
    """How much of the question each sentence covers once a word may stand for another it resembles, alone and with
    its neighbours (`nearby`, as `Index.nearby` gives them)."""
    if not ids or not terms.idf.sum():
        return np.zeros(len(ids)), np.zeros(len(ids))
    # Each sentence's terms once: what its neighbours' terms add is the better of its own and theirs, term by term.
    pool = list(dict.fromkeys([*ids, *(n for near, _ in nearby for n in near)]))
    at = {s: i for i, s in enumerate(pool)}
    each = resemblance(index.term_vectors, terms.terms, terms.vectors, [index.sentence_terms(s) for s in pool])
    weights = terms.idf / terms.idf.sum()
    # A sentence stands in for a missing neighbour: the rows are the sentence and its two neighbours.
    rows = np.array([[at[s], *(at[n] for n in near), *[at[s]] * (2 - len(near))] for s, (near, _) in zip(ids, nearby)])
    return each[rows[:, 0]] @ weights, each[rows].max(axis=1) @ weights


def weigh_evidence(index: Index, query: Query, hits: list[Hit], settings: Settings, scorer: Scorer,
                   further: Sequence[Hit] = ()) -> Evidence:
    rank = settings.retrieval.tier_rank if settings.retrieval.weighting else (lambda tier: 0)
    found = gather(index, query, hits, rank, further)
    if not found.views:
        return Evidence([], 0.0)
    probabilities, ranking = scorer.sentence_probabilities(sentence_features(query.text, found.terms, found.views,
                                                                             found.judged))
    row = found.question_row(index, query, probabilities)
    confidence = float(scorer.question.probability(row[None, :])[0])
    candidates = [Candidate(s, c, float(p), rank(index.documents[index.sentences[s].doc_id].evidence_tier))
                  for s, c, p in zip(found.ids, found.chunks, ranking)]
    return Evidence(sorted(candidates, key=lambda c: -c.relevance), confidence)


def with_strongest_neighbours(index: Index, hits: list[Hit], rank: Callable[[str], int]) -> list[Hit]:
    """The hits plus the passages next to the strongest tier's hits, scored as the hit beside them.

    On a question of efficacy, safety or evidence a review's finding often sits one passage away from the one
    that matched the question's words best; the scorer, not retrieval rank, then decides whether it answers.
    """
    if not hits:
        return hits
    tier = {h.chunk: rank(index.documents[index.chunks[h.chunk].doc_id].evidence_tier) for h in hits}
    strongest = min(tier.values())
    held = set(tier)
    extra = []
    for h in hits:
        if tier[h.chunk] != strongest:
            continue
        for n in (h.chunk - 1, h.chunk + 1):
            if 0 <= n < len(index.chunks) and n not in held and index.chunks[n].doc_id == index.chunks[h.chunk].doc_id:
                extra.append(replace(h, chunk=n))
                held.add(n)
    return hits + extra


def with_passages(hits: list[Hit], chunks: set[int]) -> list[Hit]:
    """The hits plus `chunks` not among them, each scored as the best hit: passages the question is known to be
    answered from, whatever their words."""
    if not hits:
        return hits
    top = max(hits, key=lambda h: h.fused)
    return hits + [replace(top, chunk=c) for c in sorted(chunks - {h.chunk for h in hits})]


def asks_yes_no(question: str) -> bool:
    return not _WH.match(question) and _YES_NO.search(question) is not None and not _ACTION_ASKED.search(question)


def asks_advice(question: str) -> bool:
    return _ADVICE_ASKED.search(question) is not None or _ACTION_ASKED.search(question) is not None


def advises(sentence: str) -> bool:
    return _ADVISES.search(sentence) is not None


def pointed_bylines(index: Index, query: Query) -> set[int]:
    """Asked who wrote the pages the question points at, their bylines: the question names the page, not what its
    byline says, so retrieval alone seldom finds them."""
    if not query.pointed or not _AUTHORSHIP.search(query.text):
        return set()
    return {b for d in query.pointed if (b := index.byline(d)) is not None}


def question_terms(index: Index, query: Query) -> QuestionTerms:
    terms = tuple(dict.fromkeys(query.terms))
    framing = framing_terms(query.text)
    terms = tuple(t for t in terms if t not in framing) or terms
    # An abbreviation common in English ("IV", "NHS") names what everyone knows, not a product or a study the
    # corpus would have to hold: pages write it out ("intravenous").
    # Nor do a heading's initials ("the Acme FAQ") name anything the pages would spell so.
    names = index.lexicon.terms(" ".join(n for n in names_in(query.text)
                                         if not common_abbreviation(n) and not index.heads_section(n)))
    pointed = query.pointed
    if pointed:
        # A sentence naming the clinic does not answer "what side effects does the Acme blog mention?".
        terms = tuple(unpointed(terms, query.pointing))
    naming = sorted(t for t in query.pointing if pointed & index.metadata_documents(t)) if pointed else []
    describing = sorted(query.pointing - set(naming)) if pointed else []
    known = np.array([index.lexicon.known(t) for t in terms], dtype=bool)
    familiar = np.array([index.lexicon.resembles(t) for t in terms], dtype=bool)
    vectors = question_vectors(query.text, query.tokens, terms)
    resembled = None
    if vectors is not None:
        # Only the words the corpus holds in no form are looked for among its terms: the others are there.
        resembled = np.ones(len(terms))
        resembled[~familiar] = nearest(index.term_vectors, vectors[~familiar])
    return QuestionTerms(terms, index.lexicon.idf(list(terms)), known, familiar, float(index.lexicon.idf(["\0"])[0]),
                         not all(index.lexicon.known(t) or t in index.metadata_terms for t in names),
                         frozenset().union(*map(index.document_terms, pointed)) if pointed else None,
                         frozenset().union(*(shapes_of(index.documents[d].text) for d in pointed)),
                         unknown_specialist(index, query.text), bool(pointed_bylines(index, query)),
                         float(index.lexicon.idf(sorted(naming)).sum()) if naming else 0.0,
                         tuple(zip(describing, map(float, index.lexicon.idf(describing)))) if describing else (),
                         vectors, resembled)


def unknown_specialist(index: Index, question: str) -> bool:
    """Whether the question uses a specialist's word ("acmeprofen", not "shoud" or "disputing") that the corpus
    holds in no form, not even in its pages' names and bylines, and that is no typo of a word it holds."""
    for (start, end), terms in word_terms(question):
        word = question[start:end].lower()
        if (terms and not any(index.lexicon.resembles(t) or t in index.metadata_terms for t in terms)
                and specialist(word) and all(index.lexicon.mended(word, t) == t for t in terms)):
            return True
    return False


def candidate_views(index: Index, query: Query, hits: list[Hit], rank: Callable[[str], int],
                    terms: QuestionTerms | None = None) -> tuple[list[SentenceView], list[int], list[int]]:
    """Every non-heading sentence of the hit chunks with what the features need, its id and its best chunk (their
    soft coverage only given the question's `terms`)."""
    best: dict[int, tuple[float, int]] = {}
    for h in hits:
        record = index.chunks[h.chunk]
        for s in range(record.first, record.last):
            if index.sentences[s].kind != "heading" and h.fused > best.get(s, (-1.0, 0))[0]:
                best[s] = (h.fused, h.chunk)
    ids = list(best)
    if not ids:
        return [], [], []
    nearby = [index.nearby(s) for s in ids]
    headings = [index.heading(s) for s in ids]
    # One product for the candidates, their neighbours and their headings alike.
    wanted = list(dict.fromkeys([*ids, *(n for near, _ in nearby for n in near),
                                 *(head for head in headings if head is not None)]))
    cosine = dict(zip(wanted, (index.sentence_vectors[wanted] @ query.vector).tolist()))
    own, around = soft_coverage(index, terms, ids, nearby) if terms is not None else ([0.0] * len(ids),) * 2
    views = []
    for s, (near, nearby_terms), head, alone, with_near in zip(ids, nearby, headings, own, around):
        sentence, text = index.sentences[s], index.sentence_text(s)
        views.append(SentenceView(text, index.sentence_terms(s), nearby_terms, index.section_terms(s), sentence.kind,
                                  len(text.split()), cosine[s], max((cosine[n] for n in near), default=0.0),
                                  best[s][0], rank(index.documents[sentence.doc_id].evidence_tier),
                                  cosine[head] if head is not None else 0.0, sentence.doc_id in query.pointed,
                                  index.sentence_vectors[s], index.centrality(s), float(alone), float(with_near)))
    return views, ids, [best[s][1] for s in ids]


def choose_and_order(index: Index, query: Query, candidates: list[Candidate], settings: Settings,
                     layer: StanceLayer | None = None
                     ) -> tuple[list[Candidate], dict[str, tuple[list[int], list[int]]]]:
    """The sentences to quote, in reading order, and the disagreement sides among them (which way a sentence leans
    from the stance rules, and the `layer` where they are silent)."""
    question = query.text
    topics = answer_topics(question)
    asked = asked_shapes(question) - GENERIC_SHAPES

    def holds_asked(c: Candidate) -> bool:
        return bool(asked & shapes_of(index.sentence_text(c.sentence)))

    # A sentence that asks ("Will it make me groggy?", "Tired of the pain?") answers nothing, however close it echoes.
    candidates = [c for c in candidates if not asks(index.sentence_text(c.sentence))] or candidates
    if topics:  # on efficacy, safety or evidence, a weaker page's sales talk is no answer
        # ... but advice holding what is asked for ("we suggest a trial of four weeks") is no sales talk.
        # Nor is the page the question asks about ("how many people has the Acme clinic treated?") talking sales
        # when it says what was asked of it.
        top = min(c.tier_rank for c in candidates)
        candidates = [c for c in candidates if c.tier_rank == top or holds_asked(c)
                      or index.sentences[c.sentence].doc_id in query.pointed
                      or not pitches(index.sentence_text(c.sentence), topics)] or candidates
    # Asked whether a weaker page's claim holds, the strongest tier's pages are the ones asked: their sentences are
    # measured against their own best, not against the claim that echoes the question, and speak first.
    judges = claim_judges(index, query, topics, candidates, settings)
    asked_about = judges or query.pointed
    chosen = select_sentences(index, candidates, settings, asked_about, weighing=bool(topics))
    bylines = pointed_bylines(index, query)
    chosen += [c for c in candidates if c.sentence in bylines and c not in chosen]
    stances = StanceReader(index, layer)
    finding = strongest_finding(index, topics, candidates, settings, stances)
    finding += claimed_figure(index, query, topics, candidates, settings)
    chosen += [f for f in finding if all(c.sentence != f.sentence for c in chosen)]
    chosen, sides = add_disagreement(index, question, candidates, chosen, settings, stances)
    leading = {s for strong, _ in sides.values() for s in strong}
    # Asked for a duration, a price, a place: the sentences that hold one answer it, whatever echoes the wording;
    # when none of the chosen holds one, the likeliest plausible sentence that does joins them.
    if asked and not any(holds_asked(c) for c in chosen):
        chosen += [c for c in candidates if c.relevance >= settings.answer.sentence_floor and holds_asked(c)][:1]
    shaped = [c for c in chosen if holds_asked(c)]
    if shaped:
        # Asked for a kind of answer ("how long should I try it before deciding it isn't helping?"), the likeliest
        # sentences giving one lead, whatever their tier; the findings and the disagreement follow.
        best = max(c.relevance for c in shaped)
        first = {c.sentence for c in shaped if c.relevance >= settings.answer.lead_floor * best}
        leading = set(first)
    else:
        first = {f.sentence for f in finding}
        leading |= first
        if topics:
            # Whether it works, is safe or is well supported: the strongest tier among the answering sentences
            # speaks first, its finding before its framing, even when a weaker source echoes the question's words
            # more closely.
            strongest = min(c.tier_rank for c in chosen)
            leading |= {c.sentence for c in chosen if c.tier_rank == strongest}
    # A factual question ("where", "how long", "what does X say") is answered by its likeliest sentences first,
    # whatever their tier, the stronger tier first only among those that answer it as well; the tier decides the
    # order on questions of efficacy, safety or evidence, and on any question asking for a yes or a no, among the
    # sentences that answer it about as well.
    floor = settings.answer.lead_floor if topics or asks_yes_no(question) else settings.answer.factual_lead_floor
    inside = [c for c in chosen if index.sentences[c.sentence].doc_id in asked_about]
    pointed = {c.sentence for c in inside}
    # The asked source opens with its likeliest sentence, not with whichever of its quoted ones it says first.
    opener = max(inside, key=lambda c: c.relevance) if inside else None
    first |= {opener.sentence} if opener else set()
    # Asked what to do ("when should it be taken?"), advice answers first: a page telling the reader what to do,
    # not a review's account of what its trials did, when it answers about as well. Not on whether it works or is
    # safe ("should I get them for eye strain?"), where the strongest evidence speaks first, unless an action is
    # asked for ("my skin is itchy under the tape, what should i do?").
    likeliest = max(c.relevance for c in chosen)
    advice_asked = _ACTION_ASKED.search(question) is not None or (not topics and asks_advice(question))
    advice = {c.sentence for c in chosen if c.relevance >= settings.answer.lead_floor * likeliest
              and advises(index.sentence_text(c.sentence))} if advice_asked else set()
    ordered = order_for_reading(chosen, floor, leading | pointed | advice, first, pointed | advice)
    # A judge of a claim that answers far better than the strongest tier opens (the leaflet's "do not take it after
    # a transplant" before the review's harms in its trials); the strongest tier follows it.
    if judges and opener:
        stronger = [c.relevance for c in inside if c.tier_rank < opener.tier_rank]
        if stronger and max(stronger) < settings.answer.lead_floor * opener.relevance:
            ordered.sort(key=lambda c: c is not opener)
    # Who wrote it: the byline opens, whatever the tier of the other pages the question names.
    return sorted(ordered, key=lambda c: c.sentence not in bylines), sides


def claim_judges(index: Index, query: Query, topics: tuple[str, ...], candidates: list[Candidate],
                 settings: Settings) -> frozenset[str]:
    """When the question asks whether a weaker page's claim holds ("Does Acme Duo really cut it by 38%?", "Is it
    safe for almost everyone, as the studio says?", "Acme says it works in minutes. What did the trials find?"), the
    pages that judge it: those of the strongest tier among the plausible sentences, if stronger than the page asked
    about. Otherwise none: the page asked about answers."""
    # A claim reported and then asked about ("Bloom says the review showed X. Is that a fair summary?", "Verdana says
    # its clients rarely get bloating. How common is it really?") is judged whatever words it asks in.
    reported = _REPORTED_CLAIM.match(query.text) is not None
    if not (settings.retrieval.weighting and (topics or reported) and query.pointed
            and (asks_yes_no(query.text) or reported)):
        return frozenset()
    # "Can I get my money back if it doesn't help?" asks about a refund; whether it helps is only the condition.
    if topics and not answer_topics(_CONDITION.sub("", query.text)):
        return frozenset()
    # "The listicle says it works as well as sleeping pills. Does the hospital leaflet agree?" asks the leaflet: a
    # page the asking sentence names is the one asked, whatever its tier.
    if _asked_documents(index, query.text)[0]:
        return frozenset()
    strongest = strongest_plausible(candidates, settings)
    rank = settings.retrieval.tier_rank
    claimed = min(rank(index.documents[d].evidence_tier) for d in query.pointed)
    if not strongest or strongest[0].tier_rank >= claimed:
        return frozenset()
    # A page stronger than the claim's that answers the question better than the strongest tier does judges too:
    # "The listicle says it is safe for everyone. Is it safe after a transplant?" is answered by the leaflet's list
    # of who should not take it, which the review's account of its trials' harms cannot crowd out.
    better = [c for c in candidates if c.tier_rank < claimed and c.relevance > strongest[0].relevance]
    return frozenset(index.sentences[c.sentence].doc_id for c in strongest + better)


# A source the question takes the reader to know: "the sleep physician advises", "the urologist mentions", "the
# clinic's". The noun phrase ends at a verb, at punctuation or at another one ("the clinic and the shop promise"),
# and no preposition comes before its last word: "the trial in women" and "the bath for aches" name no one (a page
# whose publisher says "Ache" is not the bath asked about), while "what did the review look at?" still points at the
# review.
_PREPOSITION = r"(?:for|of|in|on|at|with|to|from|by|about|after|before|during|than|and|or)\b"
_DEFINITE = re.compile(rf"\bthe\s+((?:(?!{_PREPOSITION})[\w-]+\s+){{0,2}}?[\w-]+)"
                       r"(?=\s+(?:says?|said|advises?|recommends?|suggests?|"
                       r"thinks?|mentions?|gives?|describes?|claims?|argues?|uses?|rates?|calls?|would|does|do|did|"
                       r"promise[sd]?|insists?|advertises?|believes?|and\s+the|"
                       r"conclude[sd]?|finds?|found|reports?|reported|shows?|showed|include[sd]?|exclude[sd]?|"
                       r"looks?|looked|leaves?|left|states?|stated|notes?|noted|warns?|warned|"
                       r"is|are|was|were|who|whose|that)\b|\s*[?,.]|$)|\b([\w-]+)['’]s\b", re.I)

# Words that close a noun phrase "the" opens without being its noun: "the review authors actually conclude".
_ADVERBS = frozenset({"actually", "really", "still", "also", "now", "just", "even", "ever", "usually", "often",
                      "always", "never", "generally", "typically", "currently", "recently", "themselves", "itself"})
# An acronym ("GRADE", "UTIs"): a term of the field, not a product's name.
_ACRONYM = re.compile(r"[A-Z0-9&-]{2,}s?")

# The words of a noun phrase that "the" or a possessive opens ("the physician column", "Acme's leaflet"): where a
# page's kind can name it.
_DETERMINED = re.compile(r"(?:\bthe|[\w-]['’]s)\s+(?=((?:[\w-]+\s+){0,3}[\w-]+))", re.I)


def pointed_documents(index: Index, question: str) -> tuple[frozenset[str], frozenset[str]]:
    """The documents a question points at, by a name only they hold or by what they are ("the leaflet"), and the
    question's terms that point at them. A question that reports one page's claim and then asks another ("Acme says
    to use it twice a day. Does the hospital agree?") points at the one it asks; the words naming the claim's page
    still only point."""
    pointed, pointing = _pointed_documents(index, question)
    asked, asking = _asked_documents(index, question)
    return (asked, pointing | asking) if asked else (pointed, pointing)


def _asked_documents(index: Index, question: str) -> tuple[frozenset[str], frozenset[str]]:
    """What the asking sentence of a question that reports a page's claim points at ("Acme says X. Does the hospital
    agree?": the hospital's page), and the terms that point; nothing when the question reports no claim."""
    claim = _REPORTED_CLAIM.match(question)
    return _pointed_documents(index, claim.group(1)) if claim else (frozenset(), frozenset())


def _pointed_documents(index: Index, question: str) -> tuple[frozenset[str], frozenset[str]]:
    named = [(t, index.named_documents([t])) for t in index.lexicon.terms(" ".join(names_in(question)))]
    definite = _definite_words(index, question)
    determined = frozenset(w for m in _DETERMINED.finditer(question) for w in plain_words(m.group(1)))
    described = [(t, docs) for w in plain_words(question)
                 if (docs := index.described_documents([w], definite=definite, determined=determined))
                 for t in index.lexicon.terms(w)]
    pointers = [(t, docs) for t, docs in named + described if docs]
    if not pointers:  # no single word names a source: a name in full may ("the Journal of Acme Research study"),
        # or a product's name that several pages mention but one page is titled by ("one box of AcmeChew")
        titled = [(p, _titled(index, p)) for p in name_phrases(question)]
        titled += [(w, index.titled_documents(index.lexicon.terms(w))) for w in _product_names(index, question)]
        pointers = [(t, docs) for name, docs in titled if len(docs) == 1 for t in index.lexicon.terms(name)]
    if not pointers:  # nothing more specific: "the review" points at every page that says it is one
        pointers = [(t, docs) for w in definite if (docs := index.kind_documents([w])) for t in index.lexicon.terms(w)]
    if not pointers:  # a publisher's name that no title holds points at its pages: "the Meridian review of ..." at
        # the review group's two summaries, though a column names the review in its text
        named_terms = [index.lexicon.terms(w) for w in _product_names(index, question)]
        pointers = [(t, docs) for terms in named_terms if not index.titled_documents(terms)
                    if (docs := index.published_documents(terms)) for t in terms]
    return frozenset(d for _, docs in pointers for d in docs), frozenset(t for t, _ in pointers)


def _definite_words(index: Index, question: str) -> frozenset[str]:
    """The words of the noun phrases "the" or a possessive opens that may say which page is meant. Of "the acme gel
    review" the first and last words say it ("the review" would too); a word between is what the page is about,
    though a clinic's name holds it ("Acme Gel Clinic"). But where the last word is a kind of page ("the cinnamon
    review"), a first word naming a page of another kind is what the asked page is about: the shop whose kind is
    "a cinnamon supplement" is not the review. Nor, before any other last word, does a first word that most pages
    use say which page, unless pages are of its kind ("the review authors"): "the ear candling trials" are not the
    leaflet of an ear, nose and throat department."""
    words = set()
    for m in _DEFINITE.finditer(question):
        for phrase in filter(None, m.groups()):
            said = plain_words(phrase)
            while len(said) > 1 and said[-1] in _ADVERBS:  # "the sports scientist still uses"
                said.pop()
            head, first = said[-1], said[:-1][:1]
            words.add(head)
            kinds = index.kind_documents([head]) if first else set()
            words |= {w for w in first if _says_which_page(index, w, kinds)}
    return frozenset(words)


def _says_which_page(index: Index, first: str, kinds: set[str]) -> bool:
    """Whether the first word of a phrase "the" opens may say which page is meant, given the pages of the kind its
    last word names (none when that is no kind of page)."""
    if kinds:
        return index.described_documents([first], definite=frozenset({first})) <= kinds
    return index.distinguishing(first) or not index.kind_heads.isdisjoint(index.lexicon.terms(first))


def _product_names(index: Index, question: str) -> list[str]:
    """The question's words that may name one product or business on their own: capitalised, or in no English word
    list but in a page's title as written (a lay question drops the capitals: "is uriclear vegan"; a slip such as
    "chiropracter" is in no title); not a number, not an acronym ("GRADE", "UTIs": terms of the field), not a word
    of a longer name ("New Zealand"), and not a word most pages use (what they are all about)."""
    phrases = " ".join(name_phrases(question)).split()
    words = [w.strip(".,;:!?'\"()") for w in names_in(question)]
    words = [w for w in words if w[:1].isalpha() and w not in phrases and not _ACRONYM.fullmatch(w)]
    words += [w for w in plain_words(question) if w.isalpha() and zipf(w) == 0.0 and w in index.titles]
    return [w for w in dict.fromkeys(words) if index.distinguishing(w)]


def _titled(index: Index, phrase: str) -> set[str]:
    """The page whose title holds a name's terms, or else the pages its publisher is named by, or else the pages
    holding the name in full: the shop's own page for "the MamaZing Ginger Comfort Lozenge", though a guide
    recommends it by name; the clinic's page titled "The Flow Restore Programme | Vireo Clinic" for "the Vireo Flow
    Restore programme", though only a guide's link spells it so; the review group's own pages for "the Harwick
    Evidence Group review", though only a column names the group in its text."""
    terms = index.lexicon.terms(phrase)
    titled = index.titled_documents(terms)
    if len(titled) == 1:
        return titled
    return index.published_documents(terms) or index.phrase_documents(phrase)


def strongest_plausible(candidates: list[Candidate], settings: Settings) -> list[Candidate]:
    """The candidates likely enough to quote that belong to the strongest tier among them, in their order."""
    plausible = [c for c in candidates if c.relevance >= settings.answer.sentence_floor]
    strongest = min((c.tier_rank for c in plausible), default=None)
    return [c for c in plausible if c.tier_rank == strongest]


def strongest_finding(index: Index, topics: tuple[str, ...], candidates: list[Candidate], settings: Settings,
                      stances: StanceReader) -> list[Candidate]:
    """On a question of efficacy, safety or evidence: the likeliest sentence of the strongest plausible tier that
    takes a side on one of those topics, so its finding is quoted and not only its framing."""
    if not topics:
        return []
    plausible = strongest_plausible(candidates, settings)
    sides = [(c, [s.polarity for s in said if s.topic in topics])
             for c, said in zip(plausible, stances([c.sentence for c in plausible]))]
    sides = [(c, p) for c, p in sides if p]
    # The tier's finding is the side most of its likely sentences take, weighted by how likely they answer.
    lean = np.sign(sum(c.relevance * sum(p) for c, p in sides))
    agreeing = [c for c, p in sides if lean in p]
    if not agreeing:
        return [c for c, _ in sides[:1]]
    # A tier that is itself mixed ("unlikely to cause serious harm", "skin reactions were more common") is heard
    # on both sides: its likeliest sentences for the way it leans, then its likeliest against.
    # A forecast ("this approach will pave the way for better treatments") is the tier's hope, not its finding.
    against = [c for c, p in sides if lean not in p and not _FORECAST.search(index.sentence_text(c.sentence))]
    mixed = sum(c.relevance for c in against) >= MIXED_SHARE * sum(c.relevance for c in agreeing)
    return agreeing[:FINDING_SENTENCES] + (against[:1] if mixed else [])


def claimed_figure(index: Index, query: Query, topics: tuple[str, ...], candidates: list[Candidate],
                   settings: Settings) -> list[Candidate]:
    """Asked whether a claimed share or multiple holds ("does it cut pain by 60%?", "does it work for 9 out of 10?",
    "does it double your chances?"), the strongest plausible tier's likeliest sentence giving a share of its own, or
    else any figure: what the trials measured, set beside the claim, whether or not it carries a word taking a side."""
    share = bool(_SHARE.search(query.text))
    if not (topics and (asks_yes_no(query.text) or _REPORTED_CLAIM.match(query.text))
            and (share or _MULTIPLE.search(query.text))):
        return []
    figures = [c for c in strongest_plausible(candidates, settings) if _FIGURE.search(index.sentence_text(c.sentence))]
    # A share of harms ("3 in every 100 stopped because of side effects") does not answer a claimed share of those
    # who benefit ("up to 70% feel better"), however likely it is; asked about harms, it does.
    if "safety" not in topics:
        figures.sort(key=lambda c: "safety" in question_topics(index.sentence_text(c.sentence)))
    shares = [c for c in figures if _SHARE.search(index.sentence_text(c.sentence))] if share else []
    return (shares or figures)[:1]


def select_sentences(index: Index, candidates: list[Candidate], settings: Settings,
                     pointed: frozenset[str] = frozenset(), weighing: bool = False) -> list[Candidate]:
    """The likeliest answering sentences, skipping near-duplicates, within count and token budgets (the larger
    ones of a question `weighing` the evidence on efficacy, safety or its strength).

    Eligibility is the scorer's probability alone, so the tier can reorder relevant evidence but cannot pull
    an off-topic sentence from a strong source into the answer. The sentences of a source the question points at
    ("what did the review look at?") are measured against that source's best, not against another page's, and
    take their places first: other pages' likelier sentences cannot fill the answer before the asked source speaks.
    """
    rules = settings.answer

    def floor(best: float) -> float:
        return max(rules.sentence_floor, best * rules.relative_floor)

    inside = [c for c in candidates if index.sentences[c.sentence].doc_id in pointed]
    held = {c.sentence for c in inside}
    outside = [c for c in candidates if c.sentence not in held]
    # Each source asked about is measured against its own best, and its best speaks before any source's second:
    # asked "the listicle says X; is that what the leaflet advises?", the leaflet answers however closely the
    # listicle echoes X.
    doc = {c.sentence: index.sentences[c.sentence].doc_id for c in inside}
    best: dict[str, float] = {}
    for c in inside:
        best.setdefault(doc[c.sentence], c.relevance)
    inside.sort(key=lambda c: c.relevance < best[doc[c.sentence]])
    ranked = ([(c, floor(best[doc[c.sentence]])) for c in inside] +
              [(c, floor(candidates[0].relevance)) for c in outside])
    ranked = [(c, least) for c, least in ranked if c.relevance >= least]
    echoes = _echoes_stronger(index, [c for c, _ in ranked], pointed, rules.lead_floor)
    most, room = rules.budget(weighing)
    chosen: list[Candidate] = []
    tokens = 0
    for c, least in ranked:
        if len(chosen) >= most:
            break
        if c.sentence in echoes or _duplicates(index, c, chosen, rules.duplicate_cosine):
            continue
        cost = sentence_tokens(index.sentence_text(c.sentence), settings.chunking.encoding)
        if chosen and tokens + cost > room:
            continue
        chosen.append(c)
        tokens += cost
    return chosen or candidates[:1]


def _echoes_stronger(index: Index, eligible: list[Candidate], pointed: frozenset[str], floor: float) -> set[int]:
    """The sentences that a page of a stronger tier says in nearly the same words (ECHO_OVERLAP of their terms),
    about as likely to answer (at least `floor` of their probability): a guide copying a leaflet's "you are
    pregnant or breastfeeding;" is quoted as the leaflet, not as the guide. A page asked about speaks for itself."""
    terms = [index.sentence_terms(c.sentence) for c in eligible]

    def echoes(i: int, j: int) -> bool:
        return len(terms[i] & terms[j]) >= ECHO_OVERLAP * len(terms[i] | terms[j]) > 0

    return {c.sentence for i, c in enumerate(eligible) if index.sentences[c.sentence].doc_id not in pointed
            and any(d.tier_rank < c.tier_rank and d.relevance >= floor * c.relevance and echoes(i, j)
                    for j, d in enumerate(eligible))}


def _duplicates(index: Index, c: Candidate, chosen: list[Candidate], threshold: float) -> bool:
    if not chosen:
        return False
    others = index.sentence_vectors[[o.sentence for o in chosen]]
    return bool((others @ index.sentence_vectors[c.sentence]).max() > threshold)


def order_for_reading(chosen: list[Candidate], lead_floor: float, leading: set[int],
                      first: frozenset[int] | set[int] = frozenset(), pointed: frozenset[int] | set[int] = frozenset()
                      ) -> list[Candidate]:
    """Strongest tier first among the sentences that answer well; the rest follow, again strongest tier first.

    A sentence leads when its probability is within lead_floor of the best, or when it is the stronger side of a
    disagreement. Within a tier the `first` sentences (the tier's finding) open, then documents go by their best
    sentence and sentences in document order.
    """
    top = max(c.relevance for c in chosen)
    best_in_doc: dict[tuple[int, int], float] = {}
    for c in chosen:
        key = (c.tier_rank, c.chunk)
        best_in_doc[key] = max(best_in_doc.get(key, 0.0), c.relevance)

    def trails(c: Candidate) -> bool:
        return c.sentence not in leading and c.relevance < lead_floor * top

    def leads(c: Candidate) -> bool:
        return not trails(c)

    # Leading sentences go strongest tier first; the others by how likely their passage answers.
    return sorted(chosen, key=lambda c: (trails(c), c.sentence not in pointed, c.tier_rank if leads(c) else 0,
                                         c.sentence not in first,
                                         -best_in_doc[(c.tier_rank, c.chunk)], c.sentence))


def with_list_items(index: Index, ordered: list[Candidate], limit: int) -> list[Candidate]:
    """A sentence that ends by introducing a list, or a caption line over one, brings the list's items (up to
    `limit`) right after it; an item quoted without them brings its list's introduction and the other items, in
    the item's place: "Zinc acetate: MD -1.40 days" means little without "did not show convincing differences:"."""
    out: list[Candidate] = []
    quoted = {c.sentence for c in ordered}
    placed: set[int] = set()
    for c in ordered:
        if c.sentence in placed:
            continue
        intro = list_intro(index, c.sentence) if index.sentences[c.sentence].kind == "item" else None
        if intro is not None and intro not in quoted:
            c = Candidate(intro, index.sentences[intro].chunk, c.relevance, c.tier_rank)
        out.append(c)
        placed.add(c.sentence)
        text = index.sentence_text(c.sentence)
        if not (introduces_list(text) or is_caption(text)):
            continue
        doc = index.sentences[c.sentence].doc_id
        for n, s in enumerate(range(c.sentence + 1, len(index.sentences))):
            if index.sentences[s].doc_id != doc or index.sentences[s].kind != "item":
                break
            # Past the limit, only the items the answer chose on their own.
            if s not in placed and (n < limit or s in quoted):
                out.append(Candidate(s, index.sentences[s].chunk, c.relevance, c.tier_rank))
                placed.add(s)
    return out


def with_following(index: Index, ordered: list[Candidate], advice: bool = False) -> list[Candidate]:
    """A quoted sentence brings the next one when that one names what it described ("... a sudden gasp and fast
    breathing. This is called cold shock."): the name is often what was asked, and it says nothing alone. Asked what
    to do (`advice`), it brings the instruction that follows it as well ("... this could be an allergic reaction.
    Call 999 straight away.")."""
    quoted = {c.sentence for c in ordered}
    out: list[Candidate] = []
    for c in ordered:
        out.append(c)
        n = c.sentence + 1
        if n >= len(index.sentences) or n in quoted:
            continue
        text = index.sentence_text(n)
        if ((_NAMES_IT.match(text) or advice and advises(text) and index.sentences[n].kind == "text")
                and index.sentences[n].doc_id == index.sentences[c.sentence].doc_id):
            out.append(Candidate(n, index.sentences[n].chunk, c.relevance, c.tier_rank))
            quoted.add(n)
    return out


def list_intro(index: Index, item: int) -> int | None:
    """The sentence introducing the list an item belongs to ("Do not take it with any of the following:"), if any."""
    s = item
    while s > 0 and index.sentences[s - 1].doc_id == index.sentences[item].doc_id \
            and index.sentences[s - 1].kind == "item":
        s -= 1
    before = s - 1
    if before < 0 or index.sentences[before].doc_id != index.sentences[item].doc_id:
        return None
    text = index.sentence_text(before)
    return before if index.sentences[before].kind != "heading" and (introduces_list(text) or is_caption(text)) \
        else None


def _citation(index: Index, n: int, c: Candidate) -> Citation:
    s = index.sentences[c.sentence]
    doc = index.documents[s.doc_id]
    return Citation(n, doc.id, doc.title, doc.source_type, doc.evidence_tier, index.chunks[c.chunk].id,
                    doc.text[s.char_start:s.char_end], s.char_start, s.char_end)
