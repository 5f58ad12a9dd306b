"""Which way a sentence leans on efficacy, safety and strength of evidence, from the language of evidence itself.

Extractive answers cannot paraphrase, so disagreement is found by comparing the polarity of the quoted sentences.
The cues are how trials, reviews and advertisements talk about any treatment — comparisons with a control
("no better than sham"), statistical non-significance, certainty ("very low certainty"), hedges and strong claims —
never the name of a drug or a condition. A cue inside the scope of a negation ("no serious side effects",
"not shown to reduce") counts for the other side, and after a contrast ("..., but ...") the main clause decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_CONTROL = r"(?:placebo|sham|dummy|control|inactive|usual care|no treatment)"
_CUES: dict[str, tuple[str, str]] = {
    "efficacy": (
        r"\beffective(?:ly|ness)?\b|\bworks?\b|\brelie(?:f|ve[sd]?|ving)\b|\breduc(?:e[sd]?|es|ing|tion)\b"
        r"|\bimprov\w*|\bbenefi\w*|\bhelp(?:s|ed|ful)?\b|\bpromis\w*|\balleviat\w*|\beas(?:e|es|ed|ing)\b"
        r"|\bgame.changer\b|\bbreakthrough\b|\bnew hope\b|\bsuperior\b|\bresponded\b|\bfavou?r(?:s|ed)? (?:the )?treat",
        rf"\bno (?:clear |convincing |good |consistent |significant |meaningful |reliable |real |important )?"
        rf"(?:proof|evidence of (?:benefit|effect)|benefit|difference|effect|improvement|advantage)\b"
        rf"|\bdid(?: not|n't) (?:differ|reduce|improve|relieve|outperform|help|work|show|find|lead)"
        rf"|\b(?:no|not|little) (?:better|more effective) than\b|\bsimilar to (?:the |a )?{_CONTROL}"
        rf"|\blittle or no\b|\bnot (?:statistically )?significant|\bno statistically significant"
        rf"|\bfailed to\b|\bineffective\b|\bcast doubt\b|\bdoubts?\b|\bcomparable to (?:the |a )?{_CONTROL}"
        rf"|\bsame (?:as|level as) (?:the |a )?{_CONTROL}|\bnot (?:clinically )?(?:meaningful|important|superior)"
        rf"|\b(?:small|trivial|modest) (?:effect|benefit|difference)s?\b|\bdoes(?: not|n't) work\b"
        rf"|\bno more effective\b|\bnot (?:been )?(?:shown|proven)\b|\bunproven\b",
    ),
    "safety": (
        r"\bsafe(?:ly|r|ty profile)?\b|\bwell.tolerated\b|\blow(?:er)? risk\b|\bmild\b|\bshort.lived\b"
        r"|\btemporary\b|\bnon.addictive\b|\bdrug.free\b|\bgentle\b|\bnot suppress\b"
        rf"|\bas (?:often|commonly) (?:as|with|in) (?:the )?{_CONTROL}|\bno more (?:often|common|frequent)",
        r"\badverse (?:effects?|events?|reactions?)\b|\bside effects? (?:include|can|may|such|were|was|of)\b"
        r"|\bincreased risks?\b|\brisks? of\b|\bdanger\w*|\bserious\b|\bharm(?:s|ful)?\b|\btoxic\w*|\bbleeding\b"
        r"|\ballerg\w*|\birritation\b|\bburns?\b|\bnausea\b|\bvomiting\b|\bdizziness\b|\bhallucinat\w*"
        r"|\bpsychotomimetic\b|\bcontraindicat\w*|\bshould(?: not|n't) (?:use|take|be used)|\bdo not use\b"
        r"|\binteract\w*|\bdrawbacks?\b|\bcarr(?:y|ies) (?:some )?risks?\b|\bwithdrawal\b|\baddict\w*",
    ),
    "evidence": (
        r"\b(?:studies|research|trials?|evidence|data) (?:have |has |had )?(?:consistently )?"
        r"(?:show|shown|found|demonstrat|prove|confirm|support)\w*|\bclinically proven\b|\bscientifically proven\b"
        r"|\bproven\b|\bbacked by\b|\bwell.established\b|\bstrong evidence\b|\bhigh.quality (?:evidence|trials?)\b"
        r"|\bmoderate.certainty\b|\bhigh.certainty\b|\bscience is clear\b|\bwidely studied\b|\bstudy published\b",
        r"\b(?:very )?low.certainty\b|\blow.quality\b|\blimited (?:evidence|data|research)\b|\binsufficient\b"
        r"|\binconclusive\b|\buncertain\w*|\brisk of bias\b|\bimprecise\b|\bsmall (?:and short |short )?"
        r"(?:trials?|studies|numbers?|samples?)\b|\b(?:more|further|larger|better) (?:research|studies|trials)"
        r"|\bcall for\b|\bgap in\b|\black of (?:evidence|data|high.quality)\b|\bfew (?:trials|studies)\b"
        r"|\bheterogene\w*|\bunproven\b|\bnot (?:well )?(?:studied|established)\b|\banecdot\w*"
        r"|\b(?:industry|manufacturer).funded\b|\bfunded by\b|\bpoorly (?:designed|conducted)\b|\bweak evidence\b"
        r"|\bno clear proof\b|\bnot (?:been )?(?:shown|proven)\b|\bmixed (?:results|evidence)\b",
    ),
}
_PATTERNS = {t: (re.compile(p, re.I), re.compile(n, re.I)) for t, (p, n) in _CUES.items()}
# A negator up to four words before a cue puts it in the negation's scope.
_NEGATOR = re.compile(r"\b(?:no|not|never|without|neither|nor|none|cannot|hardly|lack of|free of|free from)\b"
                      r"|n't\b", re.I)
_SCOPE_WORDS = 4
# After these the main clause follows: "X, but Y" and "Although X, Y" both mean Y.
_BUT = re.compile(r"\b(?:but|however|yet|nevertheless|nonetheless)\b", re.I)
_ALTHOUGH = re.compile(r"^\s*(?:although|though|while|whilst|despite|even though)\b[^,]*,", re.I)

_QUESTION_TOPICS = {
    "efficacy": re.compile(r"\beffective|\befficac|\bwork|\bhelp|\breliev|\brelief|\breduc|\btreat|\bbenefi"
                           r"|\bimprov|\buseful|\bgood for\b|\bcure|\bget rid\b|\bfix|\bproven\b|\bplacebo|\bsham", re.I),
    "safety": re.compile(r"\bsafe|\bside.?effect|\brisk|\badverse|\bdanger|\bharm|\btolerat|\baddict", re.I),
    "evidence": re.compile(r"\bevidence|\bproof|\bprove|\bstud(y|ies)|\bresearch|\btrials?\b|\bscien|\bcertain",
                           re.I),
}


@dataclass(frozen=True)
class Stance:
    topic: str
    polarity: int  # +1 supports the treatment, -1 doubts it


def _lean(text: str, positive: re.Pattern[str], negative: re.Pattern[str]) -> int:
    """+1, -1 or 0 for one clause: negated cues count for the other side; doubt wins a tie."""
    score_pos = score_neg = 0
    for pattern, sign in ((positive, 1), (negative, -1)):
        for m in pattern.finditer(text):
            window = " ".join(text[:m.start()].split()[-_SCOPE_WORDS:])
            negated = bool(_NEGATOR.search(window)) and not _NEGATOR.match(m.group(0))
            if (sign > 0) != negated:
                score_pos += 1
            else:
                score_neg += 1
    if score_neg:
        return -1
    return 1 if score_pos else 0


def _main_clause(sentence: str) -> str:
    buts = list(_BUT.finditer(sentence))
    if buts:
        return sentence[buts[-1].end():]
    although = _ALTHOUGH.match(sentence)
    return sentence[although.end():] if although else sentence


# Corpus sentences come back question after question; a dozen regex scans each is worth remembering.
@lru_cache(maxsize=65_536)
def stances(sentence: str) -> tuple[Stance, ...]:
    """Every topic the sentence takes a side on."""
    found = []
    main = _main_clause(sentence)
    for topic, (positive, negative) in _PATTERNS.items():
        polarity = _lean(main, positive, negative) if main is not sentence else 0
        polarity = polarity or _lean(sentence, positive, negative)
        if polarity:
            found.append(Stance(topic, polarity))
    return tuple(found)


# "How does it work?" asks for a mechanism, not whether it works.
_MECHANISM = re.compile(r"\bhow\b.*\bworks?\b", re.I)


def question_topics(question: str) -> tuple[str, ...]:
    """Topics the question asks about. A factual question naming none ("What is it made of?") gets no
    disagreement check, so stance sentences are not pulled into answers that do not need them."""
    named = [t for t, pattern in _QUESTION_TOPICS.items() if pattern.search(question)]
    if _MECHANISM.search(question) and "efficacy" in named:
        named.remove("efficacy")
    return tuple(named)
