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

from .embed import Tokens
from .lexical import PREFIX, terms_of, tokenize
from .numbers import NUMBER_WORDS, quantities
from .stance import TOPICS, question_topics, stances

_UNIT = r"(?:seconds?|minutes?|hours?|days?|nights?|weeks?|months?|years?|sessions?)"
_COUNT = r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|several|a few)"
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|hundred|thousand|million|"
                 r"dozen|half|third|quarter|once|twice")
SHAPES: dict[str, re.Pattern[str]] = {
    "duration": re.compile(rf"\b{_COUNT}(?:\s*(?:-|–|to|or)\s*{_COUNT})?[\s-]*{_UNIT}\b|\b(?:daily|weekly|monthly)\b|"
                           rf"\bwithin (?:a few |several )?{_UNIT}", re.I),
    # When in the day or week: "7am to 8pm", "Monday to Friday", "in the morning", "before bed", "with food".
    "time": re.compile(r"\b\d{1,2}(?:[.:]\d{2})?\s?(?:am|pm)\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|"
                       r"\bweek(?:days?|ends?)\b|\bbank holidays?\b|\bin the (?:morning|afternoon|evening)\b|"
                       r"\b(?:at|before|after|with) (?:night|bed|bedtime|breakfast|lunch|dinner|meals?|food)\b|"
                       r"\bon an empty stomach\b|\b(?:midnight|midday|noon|overnight)\b|\b24 hours a day\b", re.I),
    "number": re.compile(rf"\d|%|\b(?:{_NUMBER_WORDS})\b", re.I),
    "money": re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s*(?:dollars|euros|pounds|cents|pence)\b|\bfree of charge\b", re.I),
    "quantity": re.compile(r"\b\d[\d,.]*[\s-]*(?:mg|g|mcg|µg|ml|milligrams?|grams?|hz|hertz|milliamps?|ma|µs|"
                           r"microseconds?|units?|tablets?|capsules?|doses?|kg|kilograms?|lbs?|cm|mm|centimetres?|"
                           r"gauss|(?:milli)?teslas?|mT|"
                           r"millimetres?|litres?|liters?|inches)\b|\bper (?:session|day|dose|kg)\b|"
                           r"\d\s?°\s?[CF]\b|\b\d+ degrees\b|(?:%|\bper ?cent) of (?:your |their |the )?body weight\b|"
                           # A strength as a percentage: "a 5% gel", "a 2% hypertonic solution", "a strength of 5%"
                           # (not a share: "36% of those").
                           r"\d\s?%\s+(?:[\w-]+\s+){0,3}?(?:strength|concentration|solutions?|gels?|creams?|"
                           r"ointments?|lotions?|oils?|sprays?|extracts?|serums?|washes|drops|tinctures?)\b|"
                           r"\b(?:strength|concentration) of (?:up to |about |around |no more than |at least )?\d|"
                           r"\b(?:standardi[sz]ed|concentrated|diluted) to \d",
                           re.I),
    "share": re.compile(rf"\d\s?%|\bper ?cent\b|\b(?:\d+|{_NUMBER_WORDS}) (?:in|out of) (?:\d+|{_NUMBER_WORDS})\b|"
                        r"\b(?:most|majority|minority|half|third|quarter) of\b", re.I),
    "year": re.compile(r"\b(?:1[89]|20)\d{2}\b"),
    # What buyers make of it: "4.7 out of 5", "★★★★★", "4.5/5", "rated 4 stars".
    "rating": re.compile(r"\b\d(?:\.\d)? out of (?:5|five|10|ten)\b|★|\b\d(?:\.\d)?\s?/\s?(?:5|10)\b|"
                         r"\b\d(?:\.\d)? stars?\b", re.I),
    # Who paid: "funded by a charity", "paid for by", "funding came from", "no money came from".
    "funder": re.compile(r"\b(?:funded|paid for|sponsored|financed|supported) (?:\w+ )?by\b|\bfunding (?:came )?from\b|"
                         r"\bfunders?\b|\b(?:grant|money) (?:came )?from\b|"
                         # ... or in kind, or in one word: "products free of charge from a manufacturer",
                         # "none was industry-funded", "tablets donated by".
                         r"\b(?:industry|manufacturer|company|publicly|independently)[ -]funded\b|"
                         r"\bfree of charge from\b|\b(?:donated|supplied) by\b", re.I),
    # What ties an author has: "has received speaker fees from", "the authors declare no links", "we may earn a
    # commission", "Declarations of interest".
    "interests": re.compile(r"\bdeclar(?:e|es|ed|ations?)\b|\bconflicts? of interest\b|\bcompeting interests?\b|"
                            r"\b(?:speaker|consulting|consultancy|advisory)(?: board)? (?:fees|payments?)\b|"
                            r"\breceived (?:[\w-]+ ){0,2}(?:fees|payments?|grants?|funding|honoraria|expenses|support)"
                            r" from\b|"
                            r"\baffiliate links?\b|\bearns? (?:a )?(?:small )?commission\b|"
                            r"\bno (?:financial |commercial )?(?:links?|ties|interests?) (?:with|to)\b|"
                            r"\b(?:financial|commercial) (?:links?|ties|interests?) (?:with|to|in)\b", re.I),
    # What a thing is: "Melatonin is a hormone that ...", "CRPS, also known as ...", "Our Acme Protocol: a 3-day ...",
    # "This is called cold shock", "muscle soreness (DOMS)", or what kind of thing: "derivatives such as the nasal
    # spray Acmexa" (not "effects such as cold shock", which only names it).
    "definition": re.compile(r"^\W*(?!(?:it|this|that|there|these|those|here|which|what|who|they|we|you)\b)"
                             r"(?:[\w’'()®™.,/-]+\s+){1,8}?(?:is|are)\s+(?:an?|the name|one of|our|your)\b|"
                             r"^\W*(?:[\w’'()®™.,/-]+\s+){0,7}[\w’'()®™.,/-]+:\s+(?:an?|the)\s|"
                             r"\b(?:refers? to|stands for|is short for|known as|(?:is|are|also) called|"
                             r"such as (?:the|an?) [\w-]+|(?:a|one) (?:type|kind|form|class|group) of)\b|"
                             r"(?-i:\b[a-z][\w-]+ \([A-Z]{2,}s?\))", re.I),
    # How old: "aged 18 and over", "ages 12 and up", "under 16", "a mean age of 62", "8-year-olds".
    "age": re.compile(r"\bage[sd]?\s+(?:of\s+)?(?:\d|between|from|over|under)|"
                      r"\b\d+\s*(?:years? old|-year-olds?|years of age)\b|"
                      r"\b(?:over|under|above|below) (?:the age of )?\d+\b|\b(?:mean|average|median) age\b", re.I),
    "contact": re.compile(r"\(?\+?\d[\d\s().-]{7,}\d\b|\S+@\S+\.\w+|\bwww\.|https?://|\b(?:call|phone|email) us\b",
                          re.I),
    "email": re.compile(r"\S+@\S+\.\w+"),
    # A number to dial: nine digits or more however grouped ("01632 960 418", "+1 (555) 010-2030"; a year range
    # such as "2019-2024" has eight), or a short service number called ("ring 111").
    "phone": re.compile(r"\+?\(?\d(?:[\s().-]{0,2}\d){8,}|"
                        r"\b(?:call|ring|dial|phone|telephone)(?: us)?(?: on)?:? \d{3}\b", re.I),
    "fax": re.compile(r"\bfax\b\W*(?:number\W*)?(?:is\W*)?\+?\d", re.I),
    "place": re.compile(r"\b\d+\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\s+(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|"
                        r"Lane|Ln|Drive|Dr|Way|Suite|Row|Place|Square|Court|Close|Crescent|Terrace|Parade|Mews|"
                        r"Walk|Grove|Gardens)\b|\b(?:located|based|situated) (?:in|at|on)\b|,\s*[A-Z]{2}\b|"
                        # "You will find us at Suite 3, ...", and a postcode: "KF3 2LP".
                        r"\b(?:find|visit) us at\b|\bSuite \d+\b|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b|"
                        # Inside a building: "Level 2, East Wing", "the Ground Floor of Building C", "reception".
                        r"\b(?:Level|Floor) \d+\b|\b(?:ground|first|second|third|top) floor\b|"
                        r"\b[A-Z][a-z]+ (?:Wing|Building|Block|Unit)\b|\b(?:Building|Block|Unit) [A-Z0-9]\b|"
                        r"\breception\b|"
                        # A workplace: "senior lecturer at Wrenfield University School of Medicine".
                        r"\bat (?:the )?(?:[A-Z][\w'’-]+ ){1,4}(?:Hospital|University|Clinic|Centre|Center|Institute|"
                        r"College|School|Trust|Practice|Pharmacy|Surgery)\b|"
                        r"\b(?:in|across|from) (?:[A-Z][a-z]+,? (?:and )?)*[A-Z][a-z]+\b(?! [A-Z])|"
                        # Where on the body: "over the painful area", "either side of the spine", "on your lower back".
                        r"\b(?:on|over|around|above|below|across|between|under|beside|either side of) (?:the|your|each|"
                        r"both|a|an) (?:[a-z-]+ ){0,2}?(?:area|side|skin|spine|joint|muscle|back|neck|knee|shoulders?|"
                        r"head|chest|abdomen|arm|leg|foot|feet|hip|wrist|ankle|calf|thigh|body)s?\b"),
    # A person introduced by name and what they do: "Jo Acme-Smith is a sports physiotherapist", "... a consultant",
    # or by what they do and name: "our lead physiotherapist Jo Acme".
    "person": re.compile(r"\b(?:Dr|Prof|MD|PhD|author|founder|physician|researchers?)\b|\b[A-Z][a-z]+ [A-Z]\. [A-Z]|"
                         r"\b(?:led|run|written|founded) by\b|\b[A-Z][a-z]+ [A-Z][\w'’-]+ (?:is|was) (?:a|an) "
                         r"(?:[a-z]+ ){0,2}?(?:[a-z]+(?:ist|ian|ant|or|er)|nurse|surgeon)\b|"
                         r"\b(?:[a-z]+(?:ist|ian)|nurse|surgeon|consultant|director|manager|practitioner) "
                         r"[A-Z][a-z]+ [A-Z][\w'’-]+"),
    # How sure the evidence is, in the words reviews grade it with: "low certainty", "moderately confident in the
    # result", "our confidence in these results is low".
    "certainty": re.compile(r"\bcertainty\b|\bGRADE\b|\b(?:moderately|fairly|very|not) (?:confident|certain|sure)\b|"
                           r"\bconfidence in (?:the|these|this|its) (?:results?|evidence|findings?|estimates?)\b|"
                           r"\b(?:high|moderate|low|little|limited) confidence in\b|"
                           r"\b(?:quality|strength) of (?:the )?evidence\b|\bvery uncertain\b|"
                           # ... and in plain words: "insufficient evidence", "the evidence is weak", "no clear proof".
                           r"\b(?:insufficient|limited|weak|inconclusive|strong|robust|poor|sparse|little|"
                           r"no (?:clear|good|strong|reliable)) (?:evidence|proof|data)\b|"
                           r"\bevidence (?:is|was|remains) (?:weak|limited|insufficient|inconclusive|lacking|mixed|"
                           r"sparse)\b|"
                           r"\bhigh[- ]quality (?:trials|studies)\b", re.I),
    "caution": re.compile(r"\b(?:do not|don't|should not|shouldn't|must not|never|avoid\w*|unless|check with|"
                          r"talk to|speak to|consult|before (?:using|taking|starting)|if you (?:have|are|might)|"
                          r"not (?:be )?(?:suitable|recommended|safe)|caution|warning)\b", re.I),
    # Where to turn for medical care: "see your GP if", "call 999", "seek urgent medical help", "go to A&E".
    "care": re.compile(r"\b(?:see|contact|call|ring|phone|tell|speak to|talk to) (?:your |a |the |their )?"
                       r"(?:gp|doctor|pharmacist|nurse|midwife|999|111|112|911|ambulance|emergency services)\b|"
                       r"\b(?:seek|get) (?:urgent |immediate |prompt )?(?:medical )?(?:help|advice|attention|care)\b|"
                       r"\bemergency department\b|\b(?:go|get) (?:straight )?to (?:a&e|hospital|an emergency)\b|"
                       r"\bA&E\b|\burgent(?:ly)? (?:care|medical)\b|\bmedical (?:help|advice|attention)\b", re.I),
}
GENERIC_SHAPES = frozenset({"number", "list"})


def _question_word(word: str, followers: str) -> str:
    """`word` where it asks: opening the question, after "and" or "but", or before one of `followers` ("when
    should ...", "where in ..."); not where it joins clauses ("did it hold when weaker trials were left out?", "the
    spot where the needle went in")."""
    return rf"^\W*{word}\b|\b(?:and|or|but),? {word}\b|\b{word} (?:{followers})\b"


_WHEN = _question_word("when", "should|shall|does|do|did|is|are|can|could|will|would|might|must")
# What someone named does: "what is Jo Acme's job?", "what does Dr Acme do for a living?".
ROLE_ASKED = (r"\bwhat (?:is|was) [\w\s.'’-]{1,40}?['’]s (?:job|role|profession|occupation|position|job title|"
              r"specialty)\b|\bwhat does [\w\s.'’-]{1,40}? do (?:for a living|for work)\b|"
              r"\bwhere does (?:dr|prof|professor) \w+ work\b|\bwhat (?:kind|sort) of (?:doctor|expert) is\b")
# Research named as what was paid for: "the review", "the Acme review", "these studies".
_RESEARCH = r"(?:the |this |these |its )?(?:[\w'’-]+ ){0,2}?(?:review|stud(?:y|ies)|trials?|research)\b"
# Words that ask a price rather than say what is priced: "what is the current sale price of X?" asks about X.
_PRICE_WORDS = ("cost costs price prices priced pricing fee fees pay paid charge charges charged expensive afford "
                "affordable much spend spent sale current total full usual normal standard regular roughly "
                "approximately typically ballpark")
# What a question asks for, from its wording (classic answer types: no topic words); a question may ask for
# several or none (yes/no questions).
ASKS: dict[str, re.Pattern[str]] = {
    "duration": re.compile(r"\bhow long\b|\bhow (?:often|frequently)\b|"
                           r"\bhow many (?:days|weeks|months|years|hours|minutes|sessions)"
                           rf"|\bduration\b|\bhow soon\b|\bhow quickly\b|\bhow fast\b|{_WHEN}", re.I),
    "time": re.compile(rf"{_WHEN}|\bwhat time\b|\bopening (?:hours|times)\b|\bwhat hours\b|\bopen (?:on|at)\b|"
                       r"\btime of (?:day|night)\b|\bwhich days?\b", re.I),
    "number": re.compile(r"\bhow (?:many|much|big|large|strong|often|high|low)\b|\bwhat (?:number|size|level)\b|"
                         r"\bnumbers?\b|\bwhat (?:was|is|were|are) the (?:mean|average|median|pooled|overall|total)\b",
                         re.I),
    "money": re.compile(r"\bcosts?\b|\bprice|\bfees?\b|\bdeposits?\b|"
                        r"\bhow much (?:is|are|does|do|will)\b.*\b(?:cost|pay|charge)|"
                        rf"\bpay\b(?!(?: for)? {_RESEARCH})|"
                        r"\bexpensive\b|\bafford", re.I),
    # A dose or a setting asked for ("what nightly dose", "which device settings"), not named ("low-dose treatment",
    # "the pain-frequency analysis", "how frequently").
    "quantity": re.compile(r"\b(?:what|which|how many)\b(?:\s+[\w-]+){0,3}?\s+(?:doses?|dosage|settings?|frequency|"
                           r"frequencies|intensity|intensities|strengths?)\b|"
                           r"(?<!-)\bdoses? (?:of|did|does|do|was|were|is|are)\b|\bdosage\b|"
                           r"\bhow much\b.*\b(?:take|use|give|contains?|in each|in one|per)\b|\bmg\b|"
                           r"\bhow many (?:tablets|capsules|pills|units)\b|"
                           r"\bhow (?:cold|warm|hot|chilly|icy)\b|\bwhat temperature\b|"
                           # A weight or a size: "how heavy should it be", "what did it weigh", "what size is the tub".
                           r"\bhow (?:heavy|wide|tall)\b|\bweigh\b|"
                           r"\bwhat (?:weight|size) (?:is|are|was|were|do|does|should)\b|\bhow concentrated\b|"
                           r"\bwhat (?:concentration|percentage strength)\b",
                           re.I),
    "share": re.compile(r"\bpercentage\b|\bproportion\b|\bwhat (?:share|fraction|part)\b|\bhow many (?:of|out of)\b|"
                        r"\brate\b", re.I),
    "year": re.compile(r"\b(?:what|which) years?\b|\bwhen (?:was|were|did)\b|\bsince when\b|\bwhat dates?\b|"
                       r"\b(?:what|which) (?:span|range|period) of (?:years|dates)\b|\bup to what date\b|"
                       # How current it is: "how up to date is the review?", "how recent is the latest trial?"
                       r"\bhow (?:up[- ]to[- ]date|recent|current)\b", re.I),
    "rating": re.compile(r"\b(?:customer|average|overall|star|user|shopper|buyer) (?:rating|score)s?\b|"
                         r"\bhow many stars\b|\bhow (?:well|highly|badly) do (?:[\w-]+ ){0,3}rate\b|"
                         r"\bwhat (?:do|did) (?:the )?(?:customers|buyers|shoppers|users|reviewers) (?:rate|give)\b",
                         re.I),
    "funder": re.compile(r"\bwho (?:funded|funds|paid for|pays for|sponsored|financed)\b|"
                         r"\b(?:funded|paid for|sponsored) by (?:whom|who)\b|\bwho (?:was|were|is|are) the funders?\b|"
                         r"\bwhere did (?:the|its) (?:money|funding) come from\b|\bwho put up the money\b|"
                         # ... and whether someone did: "did companies pay for the review?", "was the study funded?"
                         rf"\b(?:pay|paid|fund|funded|sponsor|sponsored|finance|financed)(?: for)? {_RESEARCH}|"
                         r"\b(?:funded|paid for|sponsored|financed) by\b|\bbankroll(?:s|ed|ing)?\b|"
                         # Whether money from those who sell it swayed the research: "biased by industry funding?"
                         r"\b(?:industry|manufacturer|maker|company|commercial|supplement[- ]industry)[- ]"
                         r"(?:funding|funded|money|sponsorship|sponsored)\b", re.I),
    "interests": re.compile(r"\bconflicts? of interest\b|\bcompeting interests?\b|\bdeclare|"
                            r"\b(?:financial|personal|commercial) (?:ties|links?|interests?|relationships?)\b|"
                            r"\b(?:ties|links?) (?:to|with) (?:the )?(?:industry|companies|manufacturers|makers)\b|"
                            r"\bearn (?:money|a commission|commission)\b|\baffiliate\b", re.I),
    "age": re.compile(r"\bhow old\b|\bwhat ages?\b|\b(?:minimum|maximum|lower|upper|average|mean|median) age\b|"
                      r"\bage (?:limit|range|group)s?\b|"
                      r"\bhow young\b|\b\d+[ -]years?[ -]old\b", re.I),
    # Calling someone, not what the authors "call for"; contacting someone, not "contact lenses".
    "contact": re.compile(r"\b(?:tele)?phone (?:line|them|us|the)\b|\bby (?:tele)?phone\b|"
                          r"\btelephone\b(?! numbers?\b)|"
                          r"\bcontact (?:details|number|them|the|us|him|her)\b|\bwebsite\b|"
                          r"\bcall (?:them|the|us|him|her|to|on)\b|\b(?:do|should|can) i call\b|\breach (?:them|the)\b|"
                          r"\bring (?:them|the|us)\b|"
                          r"\bwho (?:do|does|should|can) (?:i|we|he|she|they|you) (?:ring|call|phone|contact)\b",
                          re.I),
    # A phone number is a kind of contact that an email address does not give, nor a website.
    "phone": re.compile(r"\b(?:tele)?phone numbers?\b|\bnumber (?:to|i can|i should) (?:ring|call|phone|dial)\b|"
                        r"\b(?:what|which) number (?:do|should|can|would) (?:i|we|you|they) "
                        r"(?:ring|call|phone|dial)\b", re.I),
    # An email address, or a fax number, is a kind of contact no phone number answers.
    "email": re.compile(r"\be-?mail\b", re.I),
    "fax": re.compile(r"\bfax\b", re.I),
    "place": re.compile(_question_word("where", "is|are|was|were|do|does|did|can|could|should|shall|will|would|"
                                                "must|in|on|to|exactly") +
                        r"|(?<!mail )(?<!web )\baddress\b|\blocated\b|\blocation\b|"
                        r"\b(?:which|what) (?:country|countries|city|cities|regions?|continents?)\b|"
                        r"\b(?:which|what) parts? of the (?:world|country)\b", re.I),
    "certainty": re.compile(r"\bhow (?:strong|good|reliable|certain|sure|solid|trustworthy)\b.{0,30}\b(?:evidence|research|"
                           r"studies|science|proof|findings?|results?)\b|\bcertainty\b|\b(?:quality|strength) of (?:the )?"
                           r"(?:evidence|research)\b|\bsolid (?:research|evidence|proof)\b|"
                           # ... or how sure someone is of it, or how far to trust it: "how confident are the
                           # reviewers?", "how much trust can be placed in it?", "can the results be trusted?"
                           r"\bhow (?:confident|certain|sure) (?:are|is|was|were|can|could|should)\b"
                           r"(?:\s+[\w'’-]+){0,2}?\s+(?:reviewers?|review|researchers?|authors?|scientists?|experts?|"
                           r"trials?|stud(?:y|ies)|evidence|results?|findings?|data|be)\b|"
                           r"\bhow much (?:confidence|trust|faith)\b|\bhow much (?:should|can|could) (?:we|i|you|one) "
                           r"(?:trust|believe|rely on)\b|\bbe (?:trusted|believed|relied on)\b|"
                           # ... or whether the research is any good: "is the research good quality?", "is it
                           # clinically proven?"
                           r"\b(?:research|evidence|studies|trials|data)\b[^?.]{0,40}\b(?:good|high|poor|low)[- ]"
                           r"quality\b|"
                           r"\b(?:good|high|poor|low)[- ]quality (?:research|evidence|studies|trials|data)\b|"
                           r"\b(?:clinically|scientifically) proven\b", re.I),
    # "Who should avoid it?" asks for kinds of people, not a name: only questions about authorship ask for one.
    "caution": re.compile(r"\b(?:should|must|can|could)(?:n't| not)\b|\bcannot\b|\bavoid\b|"
                          r"\bcontraindicat|\bwarnings?\b|\bprecautions?\b", re.I),
    # Whether to seek care, as people ask it: "should i see someone??", "when should i go to the gp", "is that
    # serious", "which warning signs mean I should get medical help" ("is that normal?" asks whether a side effect
    # is known, not where to turn).
    "care": re.compile(r"\b(?:should|do|must) (?:i|we|he|she|they) (?:\w+ )?(?:see|go to|call|ring) "
                       r"(?:someone|a doctor|(?:my|the|a|your|her|his) (?:gp|doctor)|hospital|the hospital|a&e)\b|"
                       r"\bwhen should (?:i|we|you) (?:actually )?(?:worry|go to|see)\b|"
                       r"\b(?:get|seek) (?:medical |urgent )?help\b|\bneed to see someone\b|\bto the doctor\b|"
                       r"\bwarning signs?\b|\bis (?:that|this|it) (?:bad|serious)\b|\bget checked\b", re.I),
    # Naming the authors is not asking for them ("what do the review authors call for?", "women whose periods have
    # stopped"): only "who wrote", "who is the ...", "whose column" are.
    "person": re.compile(r"\bwho (?:wrote|writes|authored|runs|ran|founded|leads|led|owns|said)\b|"
                         r"\bwho (?:is|was) (?:the|its|their)\b|\bwho (?:are|were) the (?:authors|writers|reviewers)\b|"
                         r"\bwhose (?:review|column|article|blog|page|study|opinion|research)\b|\bwritten by\b|"
                         rf"{ROLE_ASKED}", re.I),
    # What a thing is, asked of a bare name ("what even is melatonin?", "what does CRPS mean?"), not of what it
    # does, costs or is for ("what is it used for?", "what is the price of ...").
    "definition": re.compile(r"^\W*(?:(?:so|and|but|ok|okay),?\s+)?what(?:\s+(?:even|exactly|actually))?"
                             r"(?:'s|’s|\s+is|\s+are)\s+(?:(?:even|exactly|actually|really|basically)\s+)?"
                             r"(?:an?\s+|the\s+)?(?!(?:it|this|that|they|these|those|there|you)\b)"
                             r"(?:(?!(?:of|for|to|with|in|on|at|about|from|by|like|after|before|during|used|made|"
                             r"known|called|best|worst|difference|point|and|or|numbers?|names?|address|dates?|"
                             r"times?|e-?mail|phone|website|size|weight|guarantee|warranty|policy|hours|price|cost|"
                             r"fees?|dose|dosage|rate)\b)(?![\w-]*['’]s\b)[\w’'.®™-]+\s*){1,5}[?.!]*\s*$|"
                             r"\bwhat (?:does|do) [\w\s’'-]{1,40} (?:mean|stand for)\b|\bwhat is meant by\b|"
                             r"^\W*define\b|\bdefinition of\b", re.I),
    "list": re.compile(r"\bwhich\b|\bwhat (?:are|were)\b|\bwhat (?:kinds?|types?|sorts?|conditions|side effects|"
                       r"symptoms|risks|benefits|ingredients)\b|\blist\b|\bname (?:the|some)\b|\bexamples?\b", re.I),
}
# A colon at the end, perhaps followed by a reference marker such as "(10)".
_INTRODUCES_LIST = re.compile(r":\s*(?:\(\d+(?:[,–-]\s?\d+)*\))?\s*$")
# What a study set out to learn, or what people hope for, says what was asked, not what was found: "We wanted to
# find out whether the lenses help", "To assess the effects of the gel", "Many people take it in the hope of
# avoiding colds".
_STATES_AIM = re.compile(
    r"\b(?:wanted|set out|aimed|sought|tried) to (?:know|find out|see|learn|test|assess|answer)\b"
    r"|\b(?:aims?|objectives?|purpose) (?:of (?:this|the) [\w-]+ )?(?:was|were|is|are) to\b"
    r"|^(?:Objectives?:\s*)?To (?:assess|evaluate|determine|examine|compare|find out|investigate|measure)\b"
    r"|\b(?:looked at|asked|examined|investigated|studied) whether\b|\bin the hope (?:of|that)\b", re.I)
_ASKS = re.compile(r"\?[\W_]*$")
_CLOSED = re.compile(r"[.!?:;…\"”’)\]]\s*$")
_CAPTION_WORDS = 12
_LISTISH = re.compile(r"[^,;]+[,;][^,;]+[,;][^,;]+")
# A qualifier narrows what is asked: the words after "for", "in", "with", "than", "caused by"... ("for a child",
# "in animals", "with another drug", "nausea caused by chemotherapy"). A near miss is the right topic with a
# qualifier the evidence never mentions.
_NARROWING = (r"for|of|in|on|with|than|against|during|after|before|while|from|among|versus|vs|caused by|due to|"
              r"brought on by|triggered by|linked to|related to")
# The qualifier ends where a verb or a clause begins ("the share of volunteers [who] quit", "the amount of oil [did]
# they swallow"), and idioms qualify nothing: "on average", "conflict of interest", "in terms of", "for example", "in
# fact", "of course", "fixed for good".
_IDIOMS = r"average|interests?|terms? of|example|instance|fact|course|good(?=\s*(?:[,.?!]|$))"
_QUALIFIER = re.compile(rf"\b(?:{_NARROWING})\s+(?!(?:{_IDIOMS})\b)((?:(?!(?:{_NARROWING}|and|or|to|be|is|"
                        r"are|was|were|does|do|did|can|could|will|would|should|may|might|must|has|have|had|who|whose|"
                        r"which|that|if|when|because)\b)[\w'’-]+\s*){1,4})", re.I)
# Whom it is for narrows it too: "give it to my dog", "give my cat some", "on my dog's back".
_RECIPIENT = re.compile(r"\b(?:to|give|giving)\s+(?:my|your|our|his|her|their)\s+([\w-]+)|"
                        r"\b(?:my|your|our|his|her|their)\s+([\w-]+)['’]s\b", re.I)
_WORD_SPAN = re.compile(r"[\w'’-]+")
_ADDRESSES_READER = re.compile(r"\b(you|your|yours|our|we|us)\b", re.I)

SENTENCE_FEATURES = ("cos", "cos_gap", "passage", "passage_gap", "coverage", "coverage_nearby", "rare_term",
                     "shape_match", "shape_missing", "reader", "short", "log_words", "introduces_list", "item",
                     "neighbour_cos", "strongest_tier", "takes_side", "doubts", "strongest_takes_side",
                     "strongest_doubts", "section_coverage", "heading_cos")
# The ranker, which orders a question's candidates for quoting, sees a few features more. One is how close a
# sentence is to what its whole page says. Among the candidates the answer is usually the particular sentence, not
# the page's gist; but how particular a sentence is says nothing about whether the question is answered at all (a
# broad question's answer is the gist), so the answering probabilities the question model reads come from the model
# without it. So too whether a number counts what "how many" asks: it tells two numbers apart, not whether the
# pages count the thing at all. And so the coverage that lets a word stand for one it resembles: it finds the
# paraphrased answer among candidates, but a near miss's odd word ("in dogs") resembles something on every page,
# and read by the question model it had near misses answered (over thirty-five corpora held out, near misses
# declined 0.663 with it only here, 0.639 with it in both models). And so whether a sentence says what a study set
# out to learn ("We wanted to find out whether..."): it echoes the question and answers it almost never (1 of 115
# such quotes held a key phrase in sample); read by both models it had near misses answered (declined 0.745 ->
# 0.738 on the question model's held-out proxy), heard by the ranker alone (refitted without each corpus) key
# phrases rose 0.846 -> 0.849 with abstention as it was.
RANKING_FEATURES = (*SENTENCE_FEATURES, "centrality", "counts_asked", "counts_most", "soft_coverage",
                    "soft_coverage_nearby", "states_aim")
# The question model also hears which of the stance topics a question asks about (whether it works, whether it is
# safe, how good the evidence is; `stance.question_topics`). A question of the evidence is nearly always one a review
# answers, while a near miss often asks whether it works for a group or a use the pages never cover: the trees weigh
# the other features differently for each. Held out over thirty-five corpora (the question model's proxy, three tree
# seeds), abstention 0.9078 -> 0.9131 and near misses declined 0.766 -> 0.779 (the efficacy flag alone 0.9104, the
# evidence flag alone 0.9082); in the held-out evaluation 0.9090 -> 0.9127 and 0.764 -> 0.774.
QUESTION_FEATURES = ("best_sentence", "second_sentence", "best_cos", "top_passage", "unseen", "uncovered",
                     "best_coverage", "asks_shape", "specific_missing", "evidence_missing", "shape_unmet",
                     "qualifier_missing", "name_unknown", "pointed_uncovered", "pointed_shape_unmet",
                     "pointed_best", "narrowing", "specialist_unknown", "byline_asked",
                     "asked_of_missing", "known_missing", "alien", *(f"asks_{topic}" for topic in TOPICS))
# The direction each feature can push the sentence models, from what it means; the others (what a question asks for,
# a sentence's form, its stance) are free to go either way. See `scorer.fit_logistic`. The question model's trees
# go unconstrained: held to these directions over thirty-five corpora, they answered more near misses (declined
# 0.654, against 0.704 free) and scored no better than the logistic model.
SENTENCE_SIGNS = {"cos": 1, "cos_gap": 1, "passage": 1, "passage_gap": 1, "coverage": 1, "coverage_nearby": 1,
                  "rare_term": 1, "shape_match": 1, "shape_missing": -1, "section_coverage": 1,
                  "heading_cos": 1, "counts_asked": 1, "counts_most": 1, "soft_coverage": 1,
                  "soft_coverage_nearby": 1}
# A question's word the corpus never uses, whose vector in the question comes at least this close to one of the
# corpus's terms, paraphrases it ("pee" and "urine", "biggest" and "largest", "quit" and "stop"); further off, the
# question asks of something the pages do not cover. Held out over thirty-five corpora (the question model's proxy,
# four tree seeds, the cost of a false answer at 1.5), the share of such words lifted abstention 0.9090 -> 0.9132
# at 0.6 (0.9127 at 0.5, 0.9093 at 0.7); `scorer.FALSE_ANSWER_COST` spends the gain on near misses.
ALIEN_COSINE = 0.6
# The sentences the answer would draw on, for the question-level features.
TOP_SENTENCES = 3
# A candidate likely enough for an answer to quote, which is where the answer looks for the kind of answer asked
# for ("who wrote it?": a byline); AnswerSettings.sentence_floor's default. Fixed here, not read from settings: the
# scorer was fitted with it, and a feature must not change meaning with a user's setting.
QUOTABLE = 0.2


@lru_cache(maxsize=65_536)  # the same corpus sentences come back question after question
def states_aim(sentence: str) -> bool:
    return bool(_STATES_AIM.search(sentence))


@lru_cache(maxsize=65_536)  # the same corpus sentences come back question after question
def shapes_of(sentence: str) -> frozenset[str]:
    found = {name for name, pattern in SHAPES.items() if pattern.search(sentence)}
    if _LISTISH.search(sentence) or introduces_list(sentence):
        found.add("list")
    return frozenset(found)


def view_shapes(v: "SentenceView") -> frozenset[str]:
    """A candidate's shapes; an item of a list is part of one, however short it is on its own."""
    shapes = shapes_of(v.text)
    return shapes | {"list"} if v.kind == "item" else shapes


@lru_cache(maxsize=65_536)
def addresses_reader(sentence: str) -> bool:
    return _ADDRESSES_READER.search(sentence) is not None


def asks(sentence: str) -> bool:
    """The sentence is a question ("Worried about side effects?", "**Is it safe?**"), closing marks aside."""
    return _ASKS.search(sentence) is not None


def introduces_list(sentence: str) -> bool:
    return _INTRODUCES_LIST.search(sentence) is not None


def pitches(sentence: str, topics: tuple[str, ...]) -> bool:
    """The sentence talks to the reader without taking a side on the asked topics: sales talk, not a finding."""
    return addresses_reader(sentence) and not any(s.topic in topics for s in stances(sentence))


def is_caption(sentence: str) -> bool:
    """A short line without closing punctuation, such as a name over the list of its details."""
    return len(sentence.split()) <= _CAPTION_WORDS and not _CLOSED.search(sentence)


# An asker's age or how far along she is ("my mum is 84", "im 8 weeks", "my 10 yr old"): a number that says who
# asks, not one that names a product or a study the corpus would have to hold.
_AGE = re.compile(r"\b(?:i['’]?m|i am|(?:he|she)['’]s|(?:he|she|who|(?:my|our|his|her|their) [a-z]+) (?:is|was)|"
                  r"aged?)\s+"
                  r"(?:about |around |nearly |almost |over |under |only |just )?(\d+)\b(?!\s?(?:kg|g|mg|ml|%|[.,]\d))|"
                  r"\b(\d+)[ -]?(?:years?|yrs?|months?|mths?)[ -]?old\b", re.I)


def names_in(question: str) -> list[str]:
    """Capitalised words past the first, and numbers that are no one's age: how a question names a source ("the
    Acme clinic's blog", "the 2019 trial")."""
    ages = {m.start(g) for m in _AGE.finditer(question) for g in (1, 2) if m.group(g)}
    words = list(re.finditer(r"\S+", question))[1:]
    return [w.group() for w in words if w.group()[:1].isupper()
            or (any(ch.isdigit() for ch in w.group()) and w.start() not in ages)]


_NAME_PHRASE = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][\w'’&-]*(?:\s+(?:of|and|for|&)?\s*[A-Z][\w'’&-]*)+")


def name_phrases(question: str) -> list[str]:
    """Runs of two or more capitalised words past the first word: how a question names a journal, a trial or a
    product in full ("the Journal of Acme Research study")."""
    return [m.group().strip() for m in _NAME_PHRASE.finditer(question)]


@lru_cache(maxsize=4_096)  # asked by the sentence features, the question features and the ordering alike
def asked_shapes(question: str) -> frozenset[str]:
    """The kinds of answer the question asks for; a specific kind (a price, a year) stands for the generic ones
    it implies (a number, a list), so that any digit does not pass for a price."""
    found = frozenset(name for name, pattern in ASKS.items() if pattern.search(question))
    if found - GENERIC_SHAPES - {"definition"}:  # "what is the price?" asks a price, not what a price is
        found -= {"definition"}
    return (found - GENERIC_SHAPES) or found


@dataclass(frozen=True)
class QuestionTerms:
    """The question's content terms with their inverse passage frequency, and which the corpus knows."""
    terms: tuple[str, ...]
    idf: np.ndarray
    known: np.ndarray  # bool per term: some passage holds it
    familiar: np.ndarray  # bool per term: known, or a known word starts the same way (a typo, another form)
    ceiling: float  # the IDF of a term no passage holds: the most specific a term can be
    # The question names something ("the Acme device", "the 2023 study") that no passage holds in that form.
    unknown_name: bool
    # The terms and answer kinds of the documents the question points at ("the clinic's email"), None if none: a
    # near miss often asks a named source for what it never says.
    pointed_terms: frozenset[str] | None = None
    pointed_shapes: frozenset[str] = frozenset()
    # The question uses a specialist's word the corpus never uses in any form: another drug, another condition.
    unknown_specialist: bool = False
    # Asked who wrote a page the question points at, which names its author: its byline answers, though it shares
    # no word with "the column arguing that ...".
    byline_asked: bool = False
    # The total IDF of the question's words that point at a page by naming it ("the Acme clinic"), left out of
    # `terms`.
    pointing_weight: float = 0.0
    # The words that point at a page by what only it mentions, not by its name ("the Acme Junior blanket" on the
    # page of the Acme blanket), with their IDF: what a price is asked of, which the page may not price.
    pointing_described: tuple[tuple[str, float], ...] = ()
    # Each term's vector as the question uses it (`term_vectors.question_vectors`), and its best cosine with any
    # term of the corpus; None without token vectors.
    vectors: np.ndarray | None = None
    resembled: np.ndarray | None = None

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

    def known_missing(self, present: frozenset[str]) -> float:
        """IDF-weighted share of the question's terms that some passage holds but `present` lacks: a word the
        corpus uses elsewhere and the evidence leaves out ("period pain" asked of pages on nausea, whose trials had
        a "first period") is a question about something else more often than a paraphrase, whose words the corpus
        seldom uses at all."""
        total = float(self.idf.sum())
        absent = sum(w for t, w, k in zip(self.terms, self.idf, self.known) if k and t not in present)
        return float(absent) / total if total else 0.0

    @property
    def rarest_known(self) -> str | None:
        known = [(w, t) for t, w, k in zip(self.terms, self.idf, self.known) if k]
        return max(known)[1] if known else None

    @property
    def unseen(self) -> float:
        """IDF-weighted share of the question's terms that no passage of the corpus contains in any form."""
        total = float(self.idf.sum())
        return float(self.idf[~self.familiar].sum()) / total if total else 0.0

    @property
    def alien(self) -> float:
        """IDF-weighted share of the question's terms that the corpus holds in no form and that resemble none of its
        terms either (ALIEN_COSINE): "alcohol" asked of pages that never mention drink, not "pee" asked of pages
        that say "urine"."""
        total = float(self.idf.sum())
        if not total:
            return 0.0
        near = self.resembled >= ALIEN_COSINE if self.resembled is not None else np.zeros(len(self.terms), bool)
        return float(self.idf[~self.familiar & ~near].sum()) / total


@dataclass(frozen=True)
class SentenceView:
    """What the features need of one candidate sentence."""
    text: str
    terms: frozenset[str]
    nearby_terms: frozenset[str]  # the sentence's terms with its neighbours' in the same document
    section_terms: frozenset[str]  # the terms of the heading it sits under: an FAQ's question, a list's caption
    kind: str
    words: int
    cos: float
    neighbour_cos: float
    passage: float  # fused score of the best retrieved passage holding it
    tier_rank: int  # 0 for the strongest evidence tier
    heading_cos: float = 0.0  # cosine of the question with the heading it sits under ("Who should not use it?")
    pointed: bool = False  # it belongs to a document the question points at ("the Acme clinic's hours")
    vector: np.ndarray | None = None  # its embedding
    centrality: float = 0.0  # its cosine with the mean direction of its page's sentences
    # IDF-weighted share of the question's terms it holds, a term it lacks counting as much as it resembles one of
    # the sentence's terms (`term_vectors.resemblance`); and the same with its neighbours' terms.
    soft_coverage: float = 0.0
    soft_coverage_nearby: float = 0.0


def sentence_features(question: str, q: QuestionTerms, views: list[SentenceView], judged: np.ndarray | None = None
                      ) -> np.ndarray:
    """One row per candidate, columns in RANKING_FEATURES order (SENTENCE_FEATURES, then the ranker's own). The
    best cosine, passage score, tier and count a candidate is measured against are those of the `judged` views
    (all, by default or when none is): sentences that may only be quoted leave the others' rows as they would be
    without them."""
    if not views:
        return np.zeros((0, len(RANKING_FEATURES)))
    asked = asked_shapes(question)
    rare = q.rarest_known
    mask = judged if judged is not None and judged.any() else np.ones(len(views), dtype=bool)
    within = [v for v, j in zip(views, mask) if j]
    best_cos = max(v.cos for v in within)
    best_passage = max(v.passage for v in within)
    strongest = min(v.tier_rank for v in within)
    topics = question_topics(question)
    counted = counted_pattern(question) if asked == {"number"} else None
    counts = [_largest_count(counted, v.text) for v in views]
    # Asked how many trials a review included, its total is its largest count of them: "We included 19 RCTs
    # (3,870 participants)", not "olive oil (7 trials, 1,530 participants)". Not when a part is asked ("how many
    # of the trials were at high risk of bias?").
    most = max((c or 0.0 for c, j in zip(counts, mask) if j), default=0.0) if not _SUBSET.search(question) else None
    rows = []
    for v, count in zip(views, counts):
        shapes = shapes_of(v.text)
        # The rules' stances alone, not the stance layer's: the layer is fitted on the suite's labelled sentences,
        # and a corpus's held-out features must not hear its own labels.
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
            q.weight(v.section_terms), v.heading_cos, v.centrality,
            # Asked how many trials were included, "38 trials" holds the answer and "September 2024" only a
            # number. Only the ranker hears it, and only for the better: the pages may count "RCTs" or "women".
            float(count is not None),
            float(most is not None and most > 0 and count == most), v.soft_coverage, v.soft_coverage_nearby,
            float(states_aim(v.text)),
        ))
    return np.asarray(rows, dtype=np.float64)


# What "how many" asks the number of: "how many trials and participants", "how many of the studies".
_COUNTED = re.compile(r"\bhow many\s+(?:of\s+(?:the|these|those|its|their|your)\s+)?"
                      r"([\w-]+\s+(?:and|or)\s+[\w-]+|(?:[\w-]+\s+)?[\w-]+)", re.I)
_CARDINAL = rf"\d[\d,.]*|(?:{'|'.join(sorted(NUMBER_WORDS, key=len, reverse=True))})(?:-[a-z]+)?"


@lru_cache(maxsize=4_096)
def counted_pattern(question: str) -> re.Pattern[str] | None:
    """A number followed, within a few words, by what the question counts ("38 trials", "Eighteen randomised
    controlled trials"), matched by the words' first letters so that "trial" meets "trials"."""
    stems = sorted({t[:PREFIX] for t in _captured_terms(_COUNTED, question)})
    if not stems:
        return None
    # "one of our practitioners" counts no practitioners; "4 of the 18 trials" counts them by its second number.
    return re.compile(rf"\b(?:{_CARDINAL})(?!\s+of\b)\s+(?:[\w(),-]+\s+){{0,3}}?(?:{'|'.join(map(re.escape, stems))})",
                      re.I)


_SUBSET = re.compile(r"\bhow many of\b", re.I)


def _largest_count(counted: re.Pattern[str] | None, text: str) -> float | None:
    """The largest number in `text` that counts what the question counts; None when nothing in it does."""
    found = list(counted.finditer(text)) if counted is not None else []
    return max((q.value for m in found for q in quantities(m.group())), default=0.0) if found else None


# "What kind of glue", "which type of tape": the frame says a kind is asked for; the glue is what is asked about.
# So does a lay verdict ("a total waste of money", "worth it", "a con", "actually", "tbh"): it asks whether the
# thing works, in words no page answering that would use.
_FRAME = re.compile(r"\b(?:what|which)\s+(kinds?|types?|sorts?)\s+of\b"
                    r"|\b((?:(?:just|a|an|total|complete|absolute|utter)\s+)*waste\s+of\s+(?:time|money)"
                    r"|worth\s+(?:it|the\s+(?:money|cost|price))|a\s+(?:con|scam|rip.?off)|tbh|actually)\b"
                    # So do the grown-ups the asker speaks for ("my dad is on diazepam", "can my husband use it"):
                    # who asks, in words no page would use. A child is another matter: pages say whether children
                    # may take it, and the review may not have studied them.
                    r"|\b(?:my|our|his|her|their|your)\s+(mum|mom|mother|dad|father|husband|wife|partner|sister|"
                    r"brother|nan|nana|gran|granny|grandma|grandmother|grandad|grandpa|grandfather|friend|mate|"
                    r"boyfriend|girlfriend|aunt|auntie|uncle|colleague|boss|flatmate|neighbour)s?\b", re.I)


def _captured_terms(pattern: re.Pattern[str], question: str) -> tuple[str, ...]:
    """The terms of what `pattern`'s groups capture in the question (the one that took part in each match), each
    once, in order."""
    phrases = [next(g for g in m.groups() if g) for m in pattern.finditer(question)]
    return tuple(dict.fromkeys(t for terms in tokenize(phrases) for t in terms)) if phrases else ()


@lru_cache(maxsize=4_096)
def framing_terms(question: str) -> frozenset[str]:
    """The terms of the words that frame the question ("kind" in "what kind of", "dad" in "my dad"), not part of what
    it asks about."""
    return frozenset(_captured_terms(_FRAME, question))


@lru_cache(maxsize=4_096)
def qualifier_terms(question: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_captured_terms(_QUALIFIER, question) + _captured_terms(_RECIPIENT, question)))


def _mentioned(term: str, present: frozenset[str]) -> bool:
    """Present as is, or as another form of the word (the same test as `Lexicon.resembles`)."""
    return term in present or (len(term) >= PREFIX and any(p.startswith(term[:PREFIX]) for p in present))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def question_features(question: str, q: QuestionTerms, views: list[SentenceView], probabilities: np.ndarray,
                      top_passage_terms: frozenset[str], top_passage: float, tokens: Tokens | None = None
                      ) -> np.ndarray:
    """One row for the question as a whole, columns in QUESTION_FEATURES order."""
    # As log-odds: probabilities near 1 would hide the differences that matter.
    ranked = _logit(np.sort(probabilities)[::-1]) if len(probabilities) else _logit(np.zeros(1))
    second = float(ranked[1]) if len(ranked) > 1 else float(_logit(np.zeros(1))[0])
    top = [views[i] for i in np.argsort(-probabilities)[:TOP_SENTENCES]] if len(probabilities) else []
    evidence_terms = frozenset().union(*(v.nearby_terms for v in top))
    asked = asked_shapes(question)
    event = _asked_of(question, q.terms, asked)
    shaped = [v for v, p in zip(views, probabilities) if p >= QUOTABLE and asked & view_shapes(v)]
    topics = question_topics(question)
    return np.asarray([
        float(ranked[0]), second, max((v.cos for v in views), default=0.0), top_passage, q.unseen,
        1.0 - q.weight(top_passage_terms), max((q.weight(v.terms) for v in views), default=0.0),
        float(bool(asked)), q.missing_specific(evidence_terms), 1.0 - q.weight(evidence_terms),
        _shape_unmet(asked, event, shaped),
        _qualifier_missing(question, q, evidence_terms | top_passage_terms), float(q.unknown_name),
        1.0 - q.weight(q.pointed_terms) if q.pointed_terms is not None else 0.0,
        float(q.pointed_terms is not None and bool(asked - GENERIC_SHAPES) and not asked & q.pointed_shapes),
        _pointed_best(q, views, probabilities), narrowing(question, q, tokens, top, evidence_terms),
        float(q.unknown_specialist), float(q.byline_asked),
        _asked_of_missing(q, event, shaped), q.known_missing(evidence_terms), q.alien,
        *(float(topic in topics) for topic in TOPICS),
    ], dtype=np.float64)


def word_terms_of(text: str) -> tuple[tuple[tuple[int, int], tuple[str, ...]], ...]:
    """Each word of the text with where it stands and the terms it gives."""
    words = list(_WORD_SPAN.finditer(text))
    if not words:
        return ()
    return tuple((w.span(), tuple(terms)) for w, terms in zip(words, tokenize([w.group() for w in words])))


# A question's words are asked for by several features.
word_terms = lru_cache(maxsize=4_096)(word_terms_of)


def narrowing(question: str, q: QuestionTerms, tokens: Tokens | None, top: list[SentenceView],
              present: frozenset[str]) -> float:
    """How much closer the evidence comes to the question once the words it never mentions are left out: asked
    about giving it to a dog, sentences about people answer the question without the dog, not the one asked. A
    chatty word the evidence lacks ("is it just hype") barely moves the question's meaning; a narrowing one does."""
    vectors = [v.vector for v in top if v.vector is not None]
    if tokens is None or not top or len(vectors) < len(top):
        return 0.0
    asked = set(q.terms)
    spans = [span for span, terms in word_terms(question) if any(t in asked and t not in present for t in terms)]
    if not spans:
        return 0.0
    # Averaged over the evidence sentences: each one's own gain over its cosine with the whole question, not the
    # best after against the best before.
    narrowed = np.vstack(vectors) @ tokens.pooled_without(spans)
    return max(0.0, float((narrowed - np.array([v.cos for v in top])).mean()))


def _shape_unmet(asked: frozenset[str], event: list[str], shaped: list[SentenceView]) -> float:
    """No quotable sentence holding the kind of answer asked for (`shaped`) holds it beside what the question asks
    it of (`event`, from `_asked_of`): asked what year the Acme clinic opened, "(2) Review, 2024" is a year but
    says nothing of opening; asked what the clinic charges for an X-ray, its price list says nothing of X-rays. (A
    phone number needs no such company: "Call us on ..." answers "what is the clinic's phone number?".)"""
    if not asked:
        return 0.0
    return float(not any(not event or any(_nearby(t, v) for t in event) for v in shaped))


def _asked_of_missing(q: QuestionTerms, event: list[str], shaped: list[SentenceView]) -> float:
    """How much of what a price or a year is asked of (`event`) no quotable sentence holding one (`shaped`)
    mentions nearby, as a share of the question's IDF: asked the price of the Acme Junior blanket, the page prices
    the Acme Single and the Acme Double; asked what the clinic charges for a breath test, its price list names
    none. Only terms the corpus holds somewhere count as missing (a word no page uses is a paraphrase as often as a
    near miss), and the words naming the page asked about count as present: its price list need not repeat the
    clinic's name. A word that points at the page only because no other page mentions it ("Junior") is no name."""
    if not event or not shaped:
        return 0.0
    idf = {t: w for t, w, k in zip(q.terms, q.idf, q.known) if k} | dict(q.pointing_described)
    known = [t for t in event if t in idf]
    absent = sum(idf[t] for t in known if not any(_nearby(t, v) for v in shaped))
    total = sum(idf[t] for t in known) + q.pointing_weight
    return float(absent / total) if total else 0.0


def _nearby(term: str, view: SentenceView) -> bool:
    return term in view.nearby_terms or term in view.section_terms


def _asked_of(question: str, terms: tuple[str, ...], asked: frozenset[str]) -> list[str]:
    """What a year is asked of, the question's words that are no name ("when did the Acme clinic open?": open);
    what a price is asked of, all its words that do not ask a price, names and the words that point at a page
    included: "how much is a bottle of Acme syrup?" is answered by "£11.99 for 150 mL" under the heading "Acme
    Syrup", which says nothing of bottles."""
    if asked == {"year"}:
        return [t for t in terms if t not in _name_terms(question)]
    if asked == {"money"}:
        return [t for t in terms_of(question) if t not in _price_words()]
    return []


@lru_cache(maxsize=1)
def _price_words() -> frozenset[str]:
    return frozenset(t for terms in tokenize(_PRICE_WORDS.split()) for t in terms)


@lru_cache(maxsize=4_096)
def _name_terms(question: str) -> frozenset[str]:
    names = names_in(question)
    return frozenset(t for terms in tokenize(names) for t in terms) if names else frozenset()


def _pointed_best(q: QuestionTerms, views: list[SentenceView], probabilities: np.ndarray) -> float:
    """The log-odds of the best sentence in the documents the question points at (of the best sentence when it
    points at none): asked for one clinic's hours, another clinic's hours do not answer."""
    inside = [float(p) for v, p in zip(views, probabilities) if v.pointed or q.pointed_terms is None]
    return float(_logit(np.array([max(inside, default=0.0)]))[0])


def _qualifier_missing(question: str, q: QuestionTerms, present: frozenset[str]) -> float:
    """The most specific qualifier term the evidence never mentions, as its IDF over the highest possible. Only the
    question's own terms count: the words pointing at a source ("of the Acme clinic") are where to look, and the
    pointed source's passages, not the evidence sentences, are what they name."""
    idf = dict(zip(q.terms, q.idf))
    absent = [idf[t] for t in qualifier_terms(question) if t in idf and not _mentioned(t, present)]
    return float(max(absent)) / q.ceiling if absent and q.ceiling else 0.0
