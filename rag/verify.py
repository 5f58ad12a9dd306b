"""Whether a generated sentence says only what the quotes it cites say.

A fluent sentence can drift from its evidence in a few recognisable ways: a figure that is not in the quotes, a
negation or a hedge that went missing on the way ("may help" → "helps"), a word that names something the quotes
never mention, one study's result told as a general truth, two quotes glued into a claim neither makes, or a
meaning that has simply wandered. Each check below looks for one of these with generic cues — numbers, negators,
hedges, attribution, word overlap and the embedding model — never with the vocabulary of one topic, and each
failure comes back in plain words so a reader (or a log) can see why a sentence was held back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .embed import Encoder
from .embed.cache import CachedVectors
from .lexical import PREFIX, tokenize
from .numbers import NUMBER_WORDS, unstated_number
from .settings import VerifySettings
from .stance import in_negation, stances


@dataclass(frozen=True)
class Verdict:
    supported: bool
    reason: str | None  # plain words when not supported, e.g. "states 40% which no cited quote contains"


# --- negation, stance, hedges --------------------------------------------------------------------------------

_LEAN = {1: "in favour", -1: "against"}


def flipped_stance(sentence: str, quotes: list[str]) -> str | None:
    """A topic (efficacy, safety, strength of evidence) on which the sentence leans the other way from every
    cited quote that takes a side on it."""
    quoted: dict[str, set[int]] = {}
    for quote in quotes:
        for s in stances(quote):
            quoted.setdefault(s.topic, set()).add(s.polarity)
    for s in stances(sentence):
        sides = quoted.get(s.topic)
        if sides and s.polarity not in sides:
            return f"leans {_LEAN[s.polarity]} on {s.topic} where the cited quotes lean {_LEAN[-s.polarity]}"
    return None


# A comparison won, and a comparison that came out even: the commonest flip of a trial result.
_BETTER = re.compile(r"\b(?:better|more effective|superior|outperform\w*|beat|greater|bigger|larger|stronger"
                     r"|differed|differs|different)\b", re.I)
_EVEN = re.compile(r"\bdid(?: not|n't) differ|\bno (?:\w+ ){0,2}?difference|\b(?:no|not|little) (?:better|more)"
                   r"|\bsimilar(?:ly)?\b|\babout the same\b|\bcomparable\b|\bas often\b", re.I)


def claimed_difference(sentence: str, quotes: list[str]) -> str | None:
    """The sentence says one arm did better where every cited quote says the arms came out even."""
    won = next((m for m in _BETTER.finditer(sentence) if not _negated(sentence, m.start())), None)
    if won and not _EVEN.search(sentence) and all(_EVEN.search(q) for q in quotes):
        return f"says '{won[0]}' where the cited quotes report no difference"
    return None


def _negated(text: str, start: int) -> bool:
    window = " ".join(text[:start].split()[-2:]) + " "
    return in_negation(window, len(window))


# Words that soften a claim, in two kinds: how sure ("may help") and how many or how often ("some patients").
_MODAL = re.compile(
    r"\b(?:may|might|could|possibl[ey]|probabl[ey]|likely|unlikely|appears?|seems?|suggest\w*|potentially"
    r"|promis\w*|hope)\b", re.I)
_QUANTIFIER = re.compile(
    r"\b(?:some|several|a few|few|many|most|minority|(?<!as )often|usually|typically|generally|sometimes|rarely"
    r"|up to|as little as|tend\w*)\b", re.I)
# In the sentence, "can" keeps a claim as soft as the quote's "may" ("may be given" → "can be given").
_SOFT = re.compile(r"\bcan\b", re.I)
_HEDGES = (_MODAL, _QUANTIFIER)
# Words that harden a claim; a sentence may use one only if a cited quote does.
_CERTAIN = re.compile(
    r"\b(?:prov(?:en|es|ed)|proof|definitely|definitive\w*|certainly|always|all|every|everyone|everybody"
    r"|guarantee\w*|clear(?:ly)?|strong(?:ly)?|conclusive\w*|established|undoubtedly|cures?|completely"
    r"|confirm\w*|reliabl[ey]|consistent(?:ly)?|significant(?:ly)?|robust\w*)\b", re.I)


# A hedge qualifies the claim it stands before: the next content word ("may provide", "some patients").
_HEDGE_REACH = 1


def dropped_hedge(sentence: str, quotes: list[str]) -> str | None:
    """A cited quote softens the very claim the sentence makes (how sure, or how many) and the sentence does not:
    "may provide relief" told as "provides relief", "some patients report" as "patients report"."""
    stems = {w.stem for w in _words(sentence)}
    for hedge in _HEDGES:
        if hedge.search(sentence) or (hedge is _MODAL and _SOFT.search(sentence)):
            continue
        for quote in quotes:
            words = _words(quote)
            for m in hedge.finditer(quote):
                qualified = [w.stem for w in words if w.start > m.start()][:_HEDGE_REACH]
                if stems & set(qualified):
                    return f"states without qualification what the cited quote qualifies ('{m[0]}')"
    return None


def added_certainty(sentence: str, quotes: list[str]) -> str | None:
    quoted = {w for q in quotes for w in _stems(m[0] for m in _CERTAIN.finditer(q))}
    for m in _CERTAIN.finditer(sentence):
        stem = _stems([m[0]])
        if not stem or stem[0] not in quoted:
            if not in_negation(sentence, m.start()):
                return f"claims '{m[0]}', which no cited quote says"
    return None


def _negations(text: str, words: list["Word"]) -> list[bool]:
    """Which words a negator governs: the first content word after it ("did not differ from placebo" negates
    "differ", not "placebo"), passing over adverbs ("not currently approved"); a hyphenated compound shares its
    head's negation ("not FDA-approved")."""
    out: list[bool] = []
    last = 0
    for w in words:
        between = text[last:w.start]
        if out and between == "-":
            out.append(out[-1])
        else:
            out.append(in_negation(between, len(between)) if between.strip() else False)
        if not w.text.lower().endswith("ly"):
            last = w.start + len(w.text)
    return out


def flipped_negation(sentence: str, words: list["Word"], quotes: list[str]) -> str | None:
    """A claim the quotes negate that the sentence asserts, or one the sentence negates that no quote does."""
    quoted: dict[str, set[bool]] = {}
    for quote in quotes:
        quote_words = _words(quote)
        for w, no in zip(quote_words, _negations(quote, quote_words)):
            quoted.setdefault(w.stem, set()).add(no)
    said: dict[str, set[bool]] = {}
    for w, no in zip(words, _negations(sentence, words)):
        said.setdefault(w.stem, set()).add(no)
    any_negation = any(True in sides for sides in quoted.values())
    for w in words:
        sides, negated = quoted.get(w.stem), said[w.stem]
        if not sides or len(negated) != 1 or negated & sides:
            continue
        if True in negated and not any_negation:
            return f"says '{w.text}' is not so where the cited quotes say it is"
        if True not in negated:
            return f"asserts '{w.text}' where the cited quotes negate it"
    return None


# --- one study told as a general truth -----------------------------------------------------------------------

_ONE_STUDY = re.compile(
    r"\b(?:a|one|another|single|this) (?:\w+ ){0,3}?(?:study|trial|survey|report)\b"
    r"|(?<!\d )\bin \d[\d,]* (?:\w+ ){0,2}?(?:patients|people|adults|participants|subjects|women|men)\b"
    r"|\b(?:testimonials?|verified buyer|customers? (?:say|tell|report)|patients? (?:say|tell))\b"
    r"|\b(?:tell|told) us\b|\bin my (?:experience|view|opinion)\b|\bmy\b|(?-i:\bI\b)", re.I)
_ATTRIBUTION = re.compile(
    r"\b(?:stud(?:y|ies)|trials?|survey|reports?|reported|found|according|researchers?|review|customers?|patients"
    r" (?:say|said|report|describe)|users?|testimonials?|anecdot\w*|claims?|says?|said|suggests?|describes?"
    r"|in (?:one|a|my)|experience|view|opinion|believes?|thinks?)\b", re.I)


def overgeneralised(sentence: str, quotes: list[str]) -> str | None:
    """Every cited quote reports one study, case or opinion, and the sentence drops the attribution."""
    if all(_ONE_STUDY.search(q) for q in quotes) and not _ATTRIBUTION.search(sentence):
        return "states as a general fact what the cited quotes report from a single study, case or opinion"
    return None


# --- two quotes welded into one claim ---------------------------------------------------------------------

_CAUSAL = re.compile(r"\b(?:because|since|so that|therefore|thus|hence|consequently|as a result|due to|leads? to"
                     r"|led to|caus\w*|which means|means that|thanks to|explains?)\b|,\s*so\b", re.I)


def invented_link(sentence: str, quotes: list[str]) -> str | None:
    """A sentence drawing on several quotes says one thing follows from another, and no quote says so: the
    classic way two true statements become a false one."""
    link = _CAUSAL.search(sentence)
    if len(quotes) > 1 and link and not any(_CAUSAL.search(q) for q in quotes):
        return f"links the cited quotes with '{link[0].strip(', ')}', a connection none of them states"
    return None


# --- words ---------------------------------------------------------------------------------------------------

# Reporting and framing words an answer adds around a claim without changing it; not topic words.
_FRAMING = {s for ws in tokenize(
    ["study studies trial trials review reviews research researchers evidence found find finds finding findings "
     "report reports reported reporting show shows showed shown according suggest suggests suggested say says said "
     "note notes noted state states stated describe describes described people person patients individuals "
     "overall also however addition additionally therefore mention mentions mentioned claim claims claimed "
     "page source article summary authors author site website advertises advert product"]) for s in ws}
# General English that carries no subject matter but is missing from the stop-word list.
_FUNCTION = {s for ws in tokenize(
    ["among whose within without though although whereas unlike cannot least around roughly almost either "
     "neither still even via per upon across toward towards despite whether instead rather whole kind sort "
     "way ways thing things lot lots much given"]) for s in ws}
_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


@dataclass(frozen=True)
class Word:
    text: str
    stem: str
    start: int


def _stems(texts: Iterable[str]) -> list[str]:
    return [s for ws in tokenize(list(texts)) for s in ws[:1]]


def _words(text: str) -> list[Word]:
    """Content words: not stop words, not framing, not numbers; each with its stem and where it starts."""
    matches = list(_TOKEN.finditer(text))
    stems = tokenize([m[0] for m in matches]) if matches else []
    return [Word(m[0], s[0], m.start()) for m, s in zip(matches, stems)
            if s and s[0] not in _FRAMING and s[0] not in _FUNCTION and m[0].lower() not in NUMBER_WORDS and not any(h.fullmatch(m[0]) for h in _HEDGES)]


def _same_word(a: str, b: str) -> bool:
    # Stems disagree on some forms of one word ("analgesia", "analgesic"); a shared start settles it.
    return a == b or (len(a) >= PREFIX and len(b) >= PREFIX and a[:PREFIX] == b[:PREFIX])


# --- the verifier --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clause:
    text: str
    matches: np.ndarray  # for each of its content words and each quote, how well the quote holds the word


@dataclass(frozen=True)
class Measure:
    """What the verifier finds before its thresholds are applied: the rule-based problem, if any; how well the
    quotes hold each sentence word (1 for the same word, else the best embedding cosine with a quote word); the
    clauses of a sentence citing several quotes; and the sentence's cosine with its quotes."""
    problem: str | None
    words: tuple[str, ...]
    word_match: np.ndarray  # per word, its best match over all the quotes
    clauses: tuple[Clause, ...]
    cosine: float


_CLAUSE_BREAK = re.compile(r";|:|,?\s\b(?:and|but|while|whereas|although|though|with)\b"
                           r"|,\s(?=\w+ (?:was|were|is|are)\b)", re.I)
# Too few words to tell which quote a clause draws on.
_MIN_CLAUSE_WORDS = 3


class Verifier:
    def __init__(self, encoder: Encoder, settings: VerifySettings) -> None:
        self.encoder = encoder
        self.settings = settings
        self._vectors = CachedVectors(encoder)

    def check(self, sentence: str, quotes: list[str]) -> Verdict:
        return judge(self.measure(sentence, quotes), self.settings)

    def measure(self, sentence: str, quotes: list[str]) -> Measure:
        quotes = [q for q in quotes if q.strip()]
        if not sentence.strip() or not quotes:
            return Measure("cites no quote" if sentence.strip() else "is empty", (), np.ones(0), (), 0.0)
        words = _words(sentence)
        problem = (unstated_number(sentence, quotes) or flipped_negation(sentence, words, quotes)
                   or flipped_stance(sentence, quotes) or claimed_difference(sentence, quotes)
                   or dropped_hedge(sentence, quotes)
                   or added_certainty(sentence, quotes) or overgeneralised(sentence, quotes)
                   or invented_link(sentence, quotes))
        matches = self._matches(words, quotes)
        return Measure(problem, tuple(w.text for w in words), matches.max(axis=1, initial=0.0),
                       _clauses(sentence, words, matches), self._cosine(sentence, quotes))

    def _matches(self, words: list[Word], quotes: list[str]) -> np.ndarray:
        """For each sentence word and each quote, how well the quote holds it: 1 for the same word, else the
        best embedding cosine with one of the quote's words (a close paraphrase: "dummy" for "placebo")."""
        out = np.zeros((len(words), len(quotes)), dtype=np.float32)
        if not words:
            return out
        vectors = self._vectors.of([w.text for w in words])
        for j, quote in enumerate(quotes):
            quoted = _words(quote)
            if not quoted:
                continue
            cos = vectors @ self._vectors.of([w.text for w in quoted]).T
            for i, w in enumerate(words):
                same = any(_same_word(w.stem, q.stem) for q in quoted)
                out[i, j] = 1.0 if same else float(cos[i].max())
        return out

    def _cosine(self, sentence: str, quotes: list[str]) -> float:
        texts = [sentence, *quotes, " ".join(quotes)] if len(quotes) > 1 else [sentence, *quotes]
        v = self.encoder.encode(texts)
        return float((v[1:] @ v[0]).max())


def _clauses(sentence: str, words: list[Word], matches: np.ndarray) -> tuple[Clause, ...]:
    """The clauses of a sentence that cites several quotes, each with enough words to tell which quote it uses."""
    if matches.shape[1] < 2:
        return ()
    bounds = [0, *(m.end() for m in _CLAUSE_BREAK.finditer(sentence)), len(sentence) + 1]
    out = []
    for lo, hi in zip(bounds, bounds[1:]):
        rows = [i for i, w in enumerate(words) if lo <= w.start < hi]
        if len(rows) >= _MIN_CLAUSE_WORDS:
            out.append(Clause(sentence[lo:hi].strip(" ,;:."), matches[rows]))
    return tuple(out)


def judge(m: Measure, settings: VerifySettings) -> Verdict:
    """The verdict on a measure under given thresholds; the eval harness fits the thresholds this way."""
    if m.problem:
        return Verdict(False, m.problem)
    unmatched = [m.words[i] for i in np.argsort(m.word_match, kind="stable") if m.word_match[i] < settings.word_cosine]
    if len(unmatched) > settings.max_unmatched:
        named = ", ".join(f"'{w}'" for w in unmatched[:3])
        return Verdict(False, f"mentions {named}, which no cited quote mentions")
    # A faithful summary of two quotes gives each its own clause ("X, and Y"); a stitched claim welds them
    # inside one, so no single quote holds most of that clause's words.
    for clause in m.clauses:
        if float((clause.matches >= settings.word_cosine).mean(axis=0).max()) < settings.clause_coverage:
            return Verdict(False, f"joins the cited quotes into a claim none of them makes ('{clause.text}')")
    if m.cosine < settings.min_cosine:
        return Verdict(False, f"its meaning is too far from the cited quotes (similarity {m.cosine:.2f}, "
                              f"needs {settings.min_cosine:.2f})")
    return Verdict(True, None)
