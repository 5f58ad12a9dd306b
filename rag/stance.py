"""Which way a sentence leans on efficacy, safety and strength of evidence, from cue phrases.

Extractive answers cannot paraphrase, so disagreement is found by comparing the polarity of the quoted
sentences themselves. A negative cue wins over a positive one in the same sentence, because negative claims
in this domain are usually negated positive ones ("no clear proof that ketamine ... alleviates pain").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_CUES: dict[str, tuple[str, str]] = {
    "efficacy": (
        r"\beffective\b|\bsignificant(ly)? (pain )?(relief|reduc)|\breduc\w* (pain|the sensation)|\bpain relief\b"
        r"|\brelief\b|\balleviat\w*|\bimprov\w*|\bpromis\w*|\bbenefi\w*|\bnew hope\b|\bgame-changer\b",
        r"\bno (clear )?(proof|evidence)\b|\bnot (been )?(shown|proven)\b|\bineffective\b|\bcast doubt\b"
        r"|\bdoubt\b|\binconclusive\b|\binsufficient\b|\bno (significant )?benefit\b|\bfailed to\b",
    ),
    "safety": (
        r"\bsafe(r)?\b|\bwell tolerated\b|\blow(er)? risk\b|\bshort-lived\b|\btemporary\b|\bnot suppress\b",
        r"\badverse (effects?|events?|reactions?)\b|\bincreased risks?\b|\bdanger\w*\b|\bserious side effects\b"
        r"|\bharm(ful)?\b|\bpsychotomimetic\b",
    ),
    "evidence": (
        r"\bstudies (have )?(shown|show|found|suggest)\b|\bwidely studied\b|\b(has|have) been shown\b"
        r"|\bhave shown\b|\bresearch (shows|has shown)\b|\bstudy published\b",
        r"\binsufficient\b|\binconclusive\b|\bimprecise\b|\bgap in\b|\bno clear proof\b|\bcall for\b"
        r"|\bunproven\b|\black of (evidence|data)\b",
    ),
}
_PATTERNS = {t: (re.compile(p, re.I), re.compile(n, re.I)) for t, (p, n) in _CUES.items()}

_QUESTION_TOPICS = {
    "efficacy": re.compile(r"\beffective|\befficac|\bwork|\bhelp|\breliev|\brelief|\breduc|\btreat|\bbenefi"
                           r"|\bimprov|\buseful|\bgood for\b|\bcure|\bget rid\b|\bfix|\bproven\b|\bplacebo", re.I),
    "safety": re.compile(r"\bsafe|\bside.?effect|\brisk|\badverse|\bdanger|\bharm|\btolerat|\baddict", re.I),
    "evidence": re.compile(r"\bevidence|\bproof|\bprove|\bstud(y|ies)|\bresearch|\btrials?\b|\bscien", re.I),
}


@dataclass(frozen=True)
class Stance:
    topic: str
    polarity: int  # +1 supports the treatment, -1 doubts it


# Corpus sentences come back question after question; a dozen regex scans each is worth remembering.
@lru_cache(maxsize=65_536)
def stances(sentence: str) -> tuple[Stance, ...]:
    """Every topic the sentence takes a side on."""
    found = []
    for topic, (positive, negative) in _PATTERNS.items():
        if negative.search(sentence):
            found.append(Stance(topic, -1))
        elif positive.search(sentence):
            found.append(Stance(topic, +1))
    return tuple(found)


# "How does it work?" asks for a mechanism, not whether it works.
_MECHANISM = re.compile(r"\bhow\b.*\bworks?\b", re.I)


def question_topics(question: str) -> tuple[str, ...]:
    """Topics the question asks about. A factual question naming none ("What is Spravato?") gets no
    disagreement check, so stance sentences are not pulled into answers that do not need them."""
    named = [t for t, pattern in _QUESTION_TOPICS.items() if pattern.search(question)]
    if _MECHANISM.search(question) and "efficacy" in named:
        named.remove("efficacy")
    return tuple(named)
