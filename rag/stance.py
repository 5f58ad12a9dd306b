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

_CONTROL = r"(?:placebo|sham|dummy|control|inactive|usual care|no treatment|sugar pills?)"
_CUES: dict[str, tuple[str, str]] = {
    "efficacy": (
        r"\beffective(?:ly|ness)?\b|\bworks\b(?! by)|\bwork(?:ed)? (?:for|well|wonders)\b|\brelie(?:f|ve[sd]?|ving)\b|\breduc(?:e[sd]?|es|ing|tions?)\b"
        r"|\bdecreas\w*|\bimprov\w*|\bbenefi\w*|\bhelp(?:s|ed|ful)?\b|\bpromis\w*|\balleviat\w*|\beas(?:e|es|ed|ing)\b"
        r"|\bgame.changer\b|\bbreakthrough\b|\bnew hope\b|\bsuperior\b|\bresponded\b|\brespond favou?rably\b"
        r"|\bless (?:pain|stiffness|discomfort)\b|\bfeel better\b|\bget better\b|\bgot better\b|\bkick(?:s|ed)? in\b"
        r"|\bre(?:build|grow|pair|store)s?\b|\brebuilding\b|\bprotects?\b|\btake the edge off\b|\bresults you can feel\b"
        r"|\broot cause\b|\bvaluable\b|\blong.lasting\b|\blasting (?:relief|results?|benefits?|effects?)\b"
        # Sales talk about any complaint: it goes away, people are free of it, the product fixes its cause.
        r"|\bfewer\b|\bsay goodbye\b|\b\w+.free by\b|\bcompletely \w+.free\b|\bfix(?:es|ed)?\b|\bboosts?\b"
        r"|\bcorrect(?:s|ing)? the\b|\bnumber one\b|\bcan't (?:all )?be wrong\b|\bsimply stopped\b"
        r"|\bstops? (?:\w+ ){1,3}(?:at|in|within|for)\b|\bcure[sd]?\b|\b(?:life|lives) back\b|\bsleep better\b"
        r"|\bmore energy\b|\bbetter results\b|\blooked better than\b"
        # The complaint goes away; the benefit going away is a doubt (below), and the longer cue wins.
        r"|\bdisappear(?:s|ed)?\b|\b(?:have|has|had|'ve|'s) (?:\w+ )?gone\b(?! (?:up|down|on|into|through|back))"
        # "more than doubles your chance", "changed my life", "feel the difference", "no longer need their tablets".
        r"|\b(?:doubles|triples)\b|\bchanged my life\b|\bspeak for themselves\b"
        r"|\b(?:feel|feeling|felt|notice|noticed|noticing) (?:a |the )?(?:real )?difference\b"
        r"|\bno longer (?:need|take|have)\b|\bthe answer you\b"
        # A review that finds for it, and what users of it say: "probably lower the chance of another", "not one
        # since I started", "completely gone", "notice a difference".
        r"|\blower(?:s|ed|ing)? (?:the|your|their) (?:chance|risk|number|odds)\b|\bprevent(?:s|ed|ing)?\b"
        r"|\bnot (?:had )?(?:a single|one) [\w-]+ since\b|\bhave(?:n't| not) had (?:a single|one|any)\b"
        r"|\b(?:completely|totally) (?:gone|cleared)\b|\b(?:seems?|appears?) to be working\b"
        r"|\beliminat\w+|\bbeat (?:\w+ ){0,2}(?:\w+)\b|\bknock\w* (?:\w+ ){0,3}out\b|\b(?:faster|quicker)\b"
        # What buyers are told: "it keeps working for you", "doing its job", "supervised programmes do better".
        r"|\b(?:is|keeps?|kept|starts?|started) working\b|\bdoing its job\b|\b(?:do|does|did) better\b"
        r"|\blower(?:ed|s)? (?:[\w-]+ ){0,3}(?:scores?|levels?|rates?)\b|\brecommend (?:it )?to (?:a friend|others)\b"
        # Over sooner, less of it, by a figure: "about one day shorter", "shorten colds", "less sore", "0.9 points
        # lower", "recover sooner", "cut soreness by up to 40%", "fight off", "swear by it".
        r"|\bshorter (?:in|with|by|than)\b|\bshorten\w*|\bless (?:sore|aching|tired)\b|\bpoints? lower\b"
        r"|\b(?:better|recover\w*|back \w+) (?:\w+ ){0,3}sooner\b|\bcuts? (?:\w+ ){0,3}by (?:up to )?\d"
        r"|\bfight(?:s|ing)? (?:it |them )?off\b|\bswear by\b|\btwice as (?:fast|quick\w*)\b"
        r"|\bsooth\w*|\bgets? to work\b|\bstay \w+.free\b|\bflush\w* (?:\w+ ){0,4}out\b|\bfeel(?:ing)? fresher\b"
        # As good as an active treatment or better than a dummy one, proven, or worth treating: "worked about as well
        # as standard medicines", "did better than", "actually worked", "does what it says", "slash the risk", "the
        # number needed to treat was 6", "notice results".
        r"|\b(?:work(?:s|ed|ing)?|did|does|do) (?:about |just |roughly |nearly )?as well as\b"
        r"|\b(?:work(?:s|ed)?|did|does|do) better than\b|\bactually work(?:s|ed)?\b|\bdoes what it says\b"
        r"|\b(?:clinically |scientifically )?proven\b|\bslash\w*|\bcuts? (?:your|the) (?:risk|chance)s?\b"
        r"|\bnumber needed to treat\b|\bnotice (?:results|a change|an improvement)\b"
        # Shrinking what is wrong, doing better than average, strong results: "shrinks an enlarged gland", "do better
        # than the average suggests", "impressive figures", "for maximum results", "a meaningful fall in pain".
        r"|\bshr(?:ink|inks|inking|unk)\b|\bimpressive\b|\b(?:maximum|stronger) (?:[\w-]+ )?(?:results|effects?)\b"
        r"|\bmeaningful (?:fall|drop)\b|\bfeel(?:s)? (?:noticeably|much|clearly|a lot) better\b"
        # Gone for good, faster, clearer than ever: "melt away", "the results are permanent", "drift off more
        # quickly", "never been clearer", "did what no doctor could", "really works", "swears by it", "would
        # recommend Acme to a friend".
        r"|\bmelts? away\b|\bfor good(?: reason)?(?=\s*(?:[.,;!)]|$))|\bpermanent\b(?! (?:\w+ )?(?:loss|lost|damage))"
        r"|\bmore quickly\b"
        r"|\bnever (?:been|felt|looked) (?:better|clearer)\b|\bdid what no\b|\breally works?\b|\bswears by\b"
        r"|\brecommend (?:[\w-]+ ){1,3}to (?:a friend|friends|others)\b"
        # Lower, down, results seen, a new person: "it lowers", "readings came down", "see results within", "a real
        # difference", "great for", "felt clearly better", "a completely new person", "feel brighter", "more likely to
        # respond", "a signal worth following up".
        r"|\blowers\b|\b(?:enough|helps?|can|may|will) (?:to )?lower (?:your|their|the)\b"
        r"|\b(?:comes?|came|coming) down\b"
        r"|\b(?:see|seeing|saw|get|getting) (?:real |great |fast |quick )?results\b|\breal difference\b|\bgreat for\b"
        r"|\bwork(?:s|ed)? even better\b|(?<!have )\bfelt (?:\w+ )?better\b"
        r"|\b(?:new|different) (?:person|woman|man)\b"
        r"|\bfeel(?:s|ing)? (?:more |much )?(?:positive|brighter|energi[sz]ed)\b|\bsmiling more\b"
        r"|\bincreases? (?:the )?(?:chance|odds|likelihood) of (?:a )?"
        r"(?:response|responding|remission|recovery|improvement)\b"
        r"|\bworth (?:having|following up)\b"
        # What buyers are told they will see: "a visible difference within 7 days", "my spots calmed down".
        r"|\bvisible (?:difference|results?|improvement)\b|\bcalm(?:s|ed)? (?:\w+ )?down\b"
        # Out sooner, ahead, the best there is: "10 hours sooner", "went home a little earlier", "in half the time",
        # "a head start", "a secret weapon", "recommend it without hesitation", "much worse without it".
        r"|\b(?:hours?|days?|weeks?|minutes?) sooner\b|\bhome (?:\w+ ){0,4}(?:sooner|earlier)\b|\bin half the time\b"
        r"|\bhead start\b|\bsecret weapon\b|\bbest.kept secret\b|\bthe way to go\b|\bdouble the\b"
        r"|\bwithout hesitation\b|\bone of the best\b|\bworse without\b|\bcould(?:n't| not) believe how\b"
        # Cut by a share, a number needed to treat, a sensible choice, more power: "cut the number of clots by roughly
        # nine-tenths", "35 would need to wear them for one to avoid", "a reasonable choice", "never looked back",
        # "far more powerful than", "the single best thing you can do", "no reason not to wear them".
        r"|\bby (?:roughly |about |around |nearly |almost )?(?:nine|eight|seven)-tenths\b"
        r"|\bwould need to (?:\w+ ){1,4}for one (?:of them |person )?to (?:avoid|benefit|be spared)\b"
        r"|\bnever looked back\b"
        r"|\b(?:more|most) powerful\b|\bbest thing you can do\b|\bno reason not to\b"
        r"|\bchanged (?:their|your|our) lives\b"
        r"|\b(?:had|have|has) (?:much |far )?less (?:\w+ )?swelling\b"
        # What the product is sold as taking out of the body, and what buyers are told they will feel: "draws out
        # wax", "sucks it out", "removes impurities" (not "removed from the analysis"), "a natural detox", "cleanses",
        # "feel results within hours", "feel lighter", "a sensible, cheap first step", "a modest, useful treatment",
        # "I will keep recommending it", "starts to work within 2 to 3 days", "twice the effect", "supports healthy
        # digestion", "easier to pass", "increases the number ... compared with placebo", "had more bowel movements
        # than people taking a placebo", "used for thousands of years".
        r"|\b(?:draws?|drawn|drew|pulls?|pulled|sucks?|sucked)\b (?:[\w-]+ ){0,4}?(?:up and )?out\b"
        r"|\bremov(?:e|es|ed|ing)\b(?! from)|\bdetox\w*|\bcleans(?:e|es|ing)\b|\bfeel(?:s)? (?:the )?results\b"
        r"|\bfeel(?:s|ing)? (?:\w+ )?(?:lighter|energetic|happier|clean|cleaner)\b"
        r"|\b(?:sensible|reasonable|useful)[, ]+(?:[\w-]+[, ]+){0,2}?(?:choice|option|step|treatment)\b"
        r"|\bkeep recommending\b|\bstart(?:s|ed)? to work\b|\btwice the effect\b"
        r"|\bsupports? (?:[\w-]+,? ){0,2}?(?:regular\w*|healthy|normal)\b"
        r"|\beasier to (?:pass|breathe|move|sleep|walk)\b"
        rf"|\bincreases?\b[^.;]{{0,100}}\bcompared (?:with|to) (?:the )?{_CONTROL}"
        rf"|\bmore (?!side|adverse|harms?\b|often|common|frequent|people (?:stopped|dropped))[\w\s-]{{0,30}}?"
        rf"\bthan (?:\w+ ){{0,2}}"
        rf"(?:taking|on|given|with|after) (?:a |the )?{_CONTROL}|\bfor (?:thousands|hundreds) of years\b"
        # Gone by morning, at work within minutes, free of it for years, able again: "the cold is gone by the next
        # morning", "goes to work within minutes", "fight back", "knock four days off", "back to normal in three days",
        # "haven't had a proper cold in years", "haven't needed painkillers since", "can manage the stairs again",
        # "genuinely encouraging", an interval that "did not cross the line of no effect".
        r"|\b(?:is|was|are|were) (?:\w+ )?gone (?:by|in|within|after)\b|\bgoes to work\b|\bfight(?:s|ing)? back\b"
        r"|\bknock\w* (?:[\w-]+ ){0,4}off\b|\bback to normal (?:in|within|after)\b"
        r"|\bhave(?:n't| not) (?:had|caught) (?:a |one |any )?(?:proper |single |real )?[\w-]+ (?:in|for) "
        r"(?:years|months|ages)\b|\bhave(?:n't| not) needed (?:[\w-]+ ){0,3}since\b"
        r"|\bcan (?:manage|walk|climb|run|sleep|play|work|garden) (?:[\w-]+ ){0,3}again\b"
        r"|\bencouraging\b|\b(?:did|does)(?: not|n't) cross (?:the line of )?(?:no effect|no difference|zero|one|1)\b",
        rf"\bno (?:clear |convincing |good |consistent |significant |meaningful |reliable |real |important |solid )?"
        rf"(?:proof|evidence|benefit|difference|effect|improvement|advantage|change)\b"
        rf"|\bdid(?: not|n't) (?:\w+ly )?(?:differ|reduce|improve|relieve|outperform|help|work|show|find|lead|slow|"
        rf"produce|change|speed)"
        rf"|\b(?:no|not|little) (?:better|more effective) than\b|\bsimilar to (?:the |a )?{_CONTROL}"
        rf"|\blittle or no\b|\bnot (?:statistically )?significant|\bno statistically significant"
        rf"|\bfailed to\b|\bineffective\b|\bcast doubt\b|\bdoubts?\b|\bcomparable to (?:the |a )?{_CONTROL}"
        rf"|\bsame (?:as|level as) (?:the |a )?{_CONTROL}|\bnot (?:clinically )?(?:meaningful|important|superior)"
        rf"|\b(?:small|trivial|modest) (?:effect|benefit|difference)s?\b|\bdoes(?: not|n't) work\b"
        rf"|\bno more effective\b|\bnot (?:been )?(?:shown|proven)\b|\bunproven\b|\bunlikely to\b|\brarely\b"
        rf"|\bnot a great deal\b|\bnot (?:be )?expected to\b|\bclose to zero\b"
        rf"|\babout the same (?:level |number )?(?:of \w+ )?(?:\w+ ){{0,3}}as\b|\bsimilar (?:with|in|between)\b"
        rf"|\bdue to chance\b|\b(?:fell|falls|fall) (?:well )?short\b|\bwell below\b|\bunlikely\b"
        rf"|\bno longer recommend|\b(?:effect|difference|benefit)s? (?:\w+ ){{0,3}}(?:is|was|are|were) (?:small|modest)\b"
        rf"|\bnot (?:a|the) (?:main )?treatment\b|\bshould never be\b|\bis weak\b|\bbe excluded\b"
        rf"|\bprobably (?:does not|doesn't|not)\b|\bno replacement for\b"
        rf"|\b(?:difference|advantage|benefit|effect|improvement|estimate)s?\b[^.;]{{0,60}}\bdisappear(?:s|ed)\b"
        rf"|\b(?:advises?|recommends?) against\b"
        rf"|\bneither\b[^.]{{0,40}}\bsignifican\w*|\bfar from\b"
        rf"|\bdo(?:es)?(?: not|n't) (?:treat|cure|prevent|replace|reduce|improve|relieve|help|lower|create|produce|"
        rf"generate|remove|increase|clear)\b"
        rf"|\bnot (?:as good as|much use)\b"
        # Weaker, wrong-way or worse: "did nothing", "worked less well", "in the wrong direction", "make it worse".
        rf"|\bdid nothing\b|\bless (?:well|certain|likely to)\b|\bmay be small\b|\bwrong (?:direction|time|way)\b"
        rf"|\bmakes? (?:\w+ ){{0,3}}worse\b|\bleast important\b"
        rf"|\b(?:benefit|effect|difference|advantage|improvement)s? (?:\w+ ){{0,3}}shr(?:ank|unk|inks)\b"
        # Under what matters to patients, or explained by the ritual: "below the minimal important difference",
        # "too small for most people to notice", "no longer clear", "much of the benefit comes from the experience".
        rf"|\b(?:below|under|smaller than|falls? (?:below|short of))\b[^.;]{{0,30}}"
        rf"\b(?:minimal|smallest|threshold|line|MI?CID|MID|notice)\b"
        rf"|\btoo small\b|\bno longer clear\b|\balmost the same\b|\b(?:is|was) placebo\b"
        rf"|\bcomes? from the (?:experience|consultation|expectation|care|ritual|placebo)\b"
        rf"|\bexpectations? (?:may |might |could )?explain\b"
        # As often as without it, or no telling: "about as many colds as", "could have been zero", "we do not know
        # whether", "no longer statistically significant", "stop the zinc working", "point the other way".
        rf"|\babout as (?:many|much|often|likely)\b|\bcould have (?:been zero|happened by chance)\b"
        rf"|\b(?:we )?do(?:es)? not know (?:whether|if)\b|\bno longer (?:statistically )?significant\b"
        rf"|\bstops? (?:the |it |them )?(?:\w+ )?(?:from )?working\b|\bpoints? the other way\b"
        # Unsure it works: "we are not sure whether they work", "far less sure it is true of".
        rf"|\b(?:not|less) sure (?:whether|if|that|it)\b"
        # Not the first thing to try, does little, no telling it from nothing: "not a first-line treatment", "probably
        # does little for", "can't tell any difference".
        rf"|\bnot (?:a )?first.line\b|\bdoes little\b|\bdo little\b"
        rf"|\bcan(?:'t|not) (?:\w+ ){{0,2}}tell (?:any|a|the) difference\b"
        # Under a point, nothing found, no more with more, the dummy group better too, an interval inside what
        # matters: "less than one point", "found nothing either", "no dose-response relationship", "did not do
        # meaningfully better", "a more modest story", "men in the placebo groups also improved", "lies well inside the
        # MCID".
        rf"|\bless than (?:one|a|1|half a) point\b|\bfound nothing\b|\bno dose.response\b"
        rf"|\bdid(?: not|n't) do (?:\w+ly )?better\b|\bmore modest\b"
        rf"|\b{_CONTROL}\b(?: \w+){{0,6}} (?:also improved|(?:often |also )?(?:felt|got) better too)\b"
        rf"|\b(?:inside|within) the (?:[\w-]+ ){{0,3}}(?:MCID|MID|minimal (?:clinically )?important difference)\b"
        # No better by another measure, an interval reaching no effect, next to nothing, a benefit that wears off:
        # "did not recover faster or better", "all confidence intervals included zero", "does not exclude a trivial
        # effect", "almost nothing", "unconvincing", "the benefits simply wear off".
        rf"|\bdid(?: not|n't) (?:\w+ ){{0,2}}(?:longer|better|faster|more|less)\b"
        rf"|\b(?:intervals?|CIs?) (?:\w+ )?(?:included|include|includes|crossed|spanned) (?:zero|0|1|one|no effect)\b"
        rf"|\b(?:does|did|do)(?: not|n't) (?:exclude|rule out) (?:a |an )?(?:trivial|tiny|negligible|small|no)\b"
        rf"|\b(?:almost|next to|virtually) nothing\b|\bunconvincing\b|\bwears? off\b"
        # No substitute, no miracle, may not beat the control, unnoticeable, an interval over zero, the effect cut
        # by the better trials: "not a substitute for", "may not outperform", "not something any patient would
        # notice", "which crosses zero", "reduced the effect to", "does not support the use", "the main finding is
        # disappointing".
        rf"|\bnot a substitute for\b|\bnot a miracle\b|\b(?:may|might|could)(?: not|n't) (?:outperform|work|help)\b"
        rf"|\bwould(?: not|n't) (?:be )?notic\w*|\b(?:crosses|crossed) (?:zero|0|1|one|the line of no effect)\b"
        rf"|\b(?:reduced|shrank|cut|halved) the (?:effect|benefit|difference|advantage)\b"
        rf"|\b(?:does|do|did)(?: not|n't) support the use\b"
        rf"|\b(?:finding|result|effect|benefit)s?\b[^.;]{{0,30}}\bdisappointing\b"
        # No telling whether it works, results that disagree: "we are uncertain whether", "we could not tell whether
        # it works as well as", "the results were inconsistent from one trial to the next".
        rf"|\buncertain (?:whether|if)\b|\bcould(?: not|n't) (?:tell|say|be sure) (?:whether|if)\b"
        rf"|\b(?:results?|findings?|effects?)\b[^.;]{{0,20}}\binconsistent\b"
        # No effect that matters, small at most, nothing to suggest it, the comparison group better too: "no
        # clinically important effect", "probably small at most", "nothing suggests it will", "both groups improved".
        rf"|\bno (?:clinically |practically )?(?:important|meaningful|worthwhile|noticeable) "
        rf"(?:effect|benefit|difference|change|improvement)s?\b|\bsmall at (?:most|best)\b"
        rf"|\bnothing (?:\w+ ){{0,4}}?suggests?\b|\bbe wary of\b"
        rf"|\b(?:both|all) groups (?:improved|got better)\b"
        # Nothing done, nothing found, the same either way, a smaller benefit: "didn't seem to do anything", "no
        # reason to start", "nobody has found", "almost identical", "a fraction of a point", "whether they chewed gum
        # or not", "do not routinely recommend", "the benefit was much smaller".
        rf"|\b(?:didn't|did not|doesn't|does not|don't|do not) (?:seem to )?do anything\b"
        rf"|\bno reason to (?:start|use|try|recommend|buy|pay)\b|\bnobody has (?:found|shown|proved)\b"
        rf"|\balmost identical\b|\ba fraction of an? \w+\b|\bwhether they (?:[\w-]+ ){{1,3}}or not\b"
        rf"|\b(?:does|do)(?: not|n't) routinely recommend\b|\bconfirms? that it (?:does|did) not\b"
        rf"|\b(?:benefit|effect|difference|gain)s?\b[^.;]{{0,25}}\b(?:much|considerably|far) smaller\b"
        # Chance, no change between groups, nothing much, no substitute: "could easily be down to chance", "both groups
        # fell asleep in about the same time", "didn't do much for me", "is no substitute for".
        rf"|\bdown to chance\b|\bboth groups\b[^.;]{{0,40}}\b(?:the same|similar)\b"
        rf"|\b(?:didn't|did not|doesn't|does not) do (?:very )?much\b|\bno substitute for\b"
        # Nothing taken out, no change found, the same after the dummy, nothing gained, an interval that rules out
        # what matters: "removed no wax", "generates no measurable pressure", "found no drop in", "just as much ...
        # as after a dummy procedure", "scores were about the same", "gain nothing at all", "no more able to", "both
        # intervals exclude a clinically important benefit", "the opposite of what the review found".
        rf"|\b(?:removed|removes|generates?|produces?|creates?) no\b"
        rf"|\bfound no (?:[\w-]+ )?(?:drop|fall|rise|change|increase|reduction|decrease|effect|benefit)\b"
        rf"|\bjust as (?:many|much|often|likely)\b|\b(?:were|was|are|is) (?:about|roughly|much|almost) the same\b"
        rf"|\bgain(?:s|ed)? nothing\b|\bno more able\b"
        rf"|\bexclude[sd]? (?:a |any )?(?:clinically )?(?:important|meaningful|worthwhile) "
        rf"(?:benefit|effect|difference)"
        rf"|\bthe opposite of what\b"
        # Nothing shown, chance, halved or fading with time: "the root extracts showed nothing", "a figure that could
        # easily be chance", "the effect was roughly halved in longer trials", "the benefit is already fading",
        # "did not clearly make symptoms milder", "didn't notice any difference".
        rf"|\bshow(?:s|ed)? nothing\b|\b(?:could|might|may) (?:easily |well )?(?:be|have been) (?:down to )?chance\b"
        rf"|\b(?:effect|benefit|improvement)s? (?:was|were|is|are) (?:roughly |about |almost |more than )?halved\b"
        rf"|\b(?:benefit|effect|improvement)s? (?:[\w-]+ ){{0,3}}(?:fad|wan)(?:es|ed|ing)\b"
        rf"|\bdid(?: not|n't) (?:\w+ly )?(?:make|notice)\b",
    ),
    "safety": (
        r"\bsafe(?:ly|r|ty profile)?\b|\bwell.tolerated\b|\blow(?:er)? risk\b|\bshort.lived\b"
        r"|\bnon.addictive\b|\bdrug.free\b|\bgentle\b|\bnot suppress\b|\bnot a narcotic\b|\bsuitable for\b"
        r"|\bnothing to worry about\b|\bno problems\b|\bcannot overdose\b|\banyone can use\b"
        r"|\b(?:usually|often) settles?\b|\bsettles? by itself\b|\bcan be (?:taken|used) (?:alongside|safely)\b"
        r"|\bnon.habit.forming\b|\b(?:isn't|is not|not) habit.forming\b|\bno worries\b|\b(?:100% |all.)natural\b"
        r"|\bno (?:cases?|instances?|reports?) of\b"
        # "side-effect free", "the gentlest", "an excellent safety record", "no deaths were attributed to it".
        r"|\bside.effect.free\b|\bgentlest\b|\b(?:excellent|good|proven|strong|impressive) safety record\b"
        r"|\bno deaths\b"
        # Reassurance of the sales page: "nothing to go wrong", "alongside any medicine", "no sting".
        r"|\bnothing (?:to|can|could|that can) go wrong\b|\balongside any (?:medicines?|medications?|drugs?)\b"
        r"|\bno (?:sting|stinging|irritation|discomfort)\b|\bcan(?:'t|not) (?:hurt|harm)\b|\bwithout worrying\b"
        r"|\bno need to worry\b|\bsafest\b"
        # Harmless, minor, seldom a problem: "these are harmless and wash off", "side effects were minor".
        r"|\bharmless\b|\b(?:side effects?|harms?|adverse (?:effects?|events?|reactions?)) (?:\w+ ){0,3}"
        r"(?:were|was|are|is) (?:all |generally |usually |mostly )?(?:minor|mild|rare|uncommon|few)\b"
        r"|\brarely a problem\b"
        # None of a harm seen, no limit needed: "no choking episodes were reported", "as much as you like".
        r"|\bno (?:[\w-]+ ){0,2}(?:episodes|events|incidents|cases) (?:were|was) reported\b|\bas much as you like\b"
        r"|\bno such thing as too much\b"
        # "non-toxic", "a non-drowsy formula", "no nasty chemicals", "most people have no trouble", "the harms are
        # small", "comfortable enough to wear all day".
        r"|\bnon.toxic\b|\bnon.drowsy\b|\bno (?:nasty|harsh|harmful) chemicals\b|\bno trouble\b"
        r"|\b(?:harms?|side effects?|risks?) (?:are|were|is|was) (?:small|slight)\b|\bcomfortable enough\b"
        # "most people never have any problems at all", "a small glass is fine for most people".
        r"|\bnever (?:have|had|get|experience) any (?:problems|issues|side effects|trouble)\b"
        r"|\b(?:is|are) fine for (?:most|almost all|nearly all|everyone)\b"
        # "the review is reassuring", "you simply can't take too much".
        r"|\breassuring\b|\bcan(?:'t|not) take too much\b",
        r"\badverse (?:effects?|events?|reactions?)\b|\bside effects? (?:include|included|were|can|may|such)\b"
        r"|\bincreased risks?\b|\brisks?\b|\bdanger\w*|\bserious\b|\bharm(?:s|ful)?\b|\btoxic\w*|\bbleeding\b"
        r"|\ballerg\w*|\birritation\b|\bburns?\b|\bnausea\b|\bvomiting\b|\bdizziness\b|\bhallucinat\w*"
        r"|\bcontraindicat\w*|\bshould(?: not|n't) (?:use|take|be used)"
        r"|\binteract\w*|\bdrawbacks?\b|\bconsiderations\b|\bwithdrawal\b|\baddict\w*|\bclotting\b"
        r"|\bconcerns?\b|\bworse(?:n|ning)?\b|\btake care\b"
        r"|\bnot enough safety\b|\bitch\w*|\brash(?:es)?\b|\bstomach upset\b|\bupset (?:your |the )?stomach\b"
        r"|\bdiarrh\w+|\b(?:stopped|withdrew|left)\b[\w\s]{0,30}\bbecause of\b|\bnot harmless\b|\bblister\w*"
        r"|\bbuilds? up\b(?! (?:to|gradually|slowly|over))|\baccumulate\b|\btear the skin\b"
        r"|\bpotential (?:long.term )?side effects\b"
        r"|\bnobody can promise\b|\bseek (?:urgent )?medical help\b|\bsigns of too much\b|\bare real\b"
        r"|\bdropped out\b|\bdrows\w+|\bseizures?\b|\bpoison\w*|\bnot recommended for\b"
        r"|\bmust not be (?:taken|used|given|worn)\b|\bshould not be worn\b|\bgreatly increases?\b"
        r"|\bmay (?:affect|change how)\b"
        r"|\bbruis\w*|\bsoreness\b|\bfaint(?:ed|ing)?\b|\bhaematoma\b|\bhematoma\b|\bheadaches?\b[^.;]{0,40}\b(?:reported|described)\b"
        r"|\b(?:described|reported) (?:\w+ ){0,2}headaches?\b"
        # Harm: "an unpleasant taste", "feeling sick", "can trigger", "permanently lost", "stop some antibiotics from
        # working properly". An instruction ("do not use it on broken skin", "ask your doctor first") is advice, not
        # a finding about harm.
        r"|\bunpleasant\b|\b(?:bad|metallic|bitter) taste\b|\bfeel(?:ing)? sick\b|\bcan (?:cause|lead to|trigger)\b"
        r"|\bpermanent(?:ly)? (?:\w+ )?(?:loss|lost|damage\w*)\b|\bfrom working properly\b"
        r"|\b(?:reported|had|caused) problems\b"
        # Interactions and warnings: "can make them work less well", "can affect the way some medicines work",
        # "more sensitive to sunlight", "may trigger", "can also cause problems", "these can be signs of", "infections
        # caused by", "isn't for everyone".
        r"|\bwork(?:s|ing)? less well\b|\b(?:can|may|could) (?:also )?(?:affect|interfere|change how)\b"
        r"|\bmore sensitive to\b|\bsensitivity to\b|\b(?:may|could|might) (?:cause|lead to|trigger)\b"
        r"|\bcause\w* (?:\w+ )?problems\b|\b(?:can|may) be (?:a )?signs? (?:of|that)\b|\binfections? caused by\b"
        r"|\b(?:isn't|is not|not) for everyone\b"
        # Harms counted: "the most common side effect" (and "side effects included", with the listing cues above).
        r"|\bmost (?:common|frequent)(?:ly reported)? (?:side effect|adverse|harm)"
        # More harm than with the comparison, a reason to avoid it, a burning feeling, adding to another medicine:
        # "slightly more people had a side effect", "I avoid it in patients who", "add to the effects of".
        r"|\bmore (?:people|patients|participants|men|women|children)\b[^.;]{0,30}\b(?:side.effects?|adverse)\b"
        r"|\bavoid (?:it|them|this|these) in\b|\bburning\b|\badd to the effects? of\b"
        # Discomfort and grave harm: "felt too hot or trapped", "stopped using it because it was uncomfortable",
        # "sometimes fatal", "rare but devastating", "not recommended for", and a use forbidden: "never use it for a
        # baby", "do not use it after drinking".
        r"|\bfelt (?:too )?(?:hot|trapped|faint|unwell)\b|\buncomfortable\b|\bfatal\b|\bdevastating\b"
        r"|\blife.threatening\b|\b(?:are|is)(?: not|n't) recommended for\b"
        r"|\b(?:never|do not|don't) (?:use|give|put) (?:a |an |the |it|them|this|these|one)\b"
        # Damage, more often than with the comparison, past a safe amount, harder sleep, known to interfere: "can damage
        # the liver", "were more frequent with", "may have exceeded the tolerable intake", "make it
        # harder to sleep", "reported to affect".
        r"|\bdamag(?:e|es|ed|ing)\b|\b(?:was|were|is|are) more (?:frequent|common)\b"
        r"|\b(?:exceeded|exceeds|(?:may|could|might) (?:have )?exceed(?:ed)?) (?:the )?"
        r"(?:tolerable|safe|recommended|maximum|upper)\b"
        r"|\bmakes? it harder\b|\b(?:reported|known|shown) to (?:affect|interfere|cause|raise)\b"
        # Harms not excluded: "we cannot rule them out".
        r"|\bcan(?:not|'t) rule (?:\w+ ){0,2}out\b"
        # Aches that come with it, and people it is not for: "some aching at first", "not suitable during pregnancy".
        r"|\baching\b|\bnot suitable (?:during|if|when|while|in)\b"
        # Where and how never to use it: "should not be put on broken skin", "should never be taken by mouth",
        # "never swallow", "laxative effects", "a bit gassy".
        r"|\bshould(?: not|n't| never) be (?:put|used|applied|taken|given|swallowed)\b"
        r"|\bnever(?:, ever,?)? (?:swallow|put|apply|take)\b|\blaxative\b|\bgassy\b"
        # Who should not, and what not to mix: "do not drive if you feel drowsy", "avoid it if you are pregnant", "do
        # not use if", "avoid alcohol while taking", "not to mix it with", "must not wear", "reduce blood flow", "cut
        # off your circulation", "rare reports of liver problems", "may make you feel groggy", "much sleepier".
        r"|\bdo not drive\b|\bavoid (?:it |this |them )?if\b|\bdo not (?:use|take) (?:it |this |them )?if\b"
        r"|\bavoid \w+ while (?:taking|using)\b|\b(?:not to|do not|don't) mix\b"
        r"|\bmust not (?:wear|use|take|give)\b"
        r"|\b(?:reduce|restrict|cut off) (?:the |your )?(?:blood flow|circulation)\b"
        r"|\breports of (?:\w+ ){0,2}(?:problems|injury|injuries|damage)\b|\bhave had (?:\w+ ){0,2}problems\b"
        r"|\bmake you (?:feel )?(?:much |more |very )?(?:groggy|drowsy|drowsier|sleepier|dizzy)\b"
        # Who must never have it, fire, case reports, medicines not absorbed: "should never have it", "completely off
        # limits", "not for use on anyone with", "we do not treat anyone with", "is never used in children", "can
        # catch fire", "an open flame", "so be careful", "case reports of obstruction", "can stop some medicines from
        # being absorbed".
        r"|\bshould never (?:have|use|take|get|try)\b|\boff limits\b|\bnot for use (?:on|in|by|with)\b"
        r"|\b(?:do|does|will) not (?:treat|see|accept) (?:anyone|people|patients|clients) (?:with|who)\b"
        r"|\bis never used (?:in|on|by|for|with)\b|\bcatch(?:es)? fire\b|\bopen flames?\b|\bbe careful\b"
        r"|\bcase reports? of\b|\bfrom being absorbed\b|\bhow well (?:\w+ ){0,3}(?:are|is) absorbed\b"
        # Cases of injury, a stronger effect of another drug, warnings to stop or not to mix: "rare cases of liver
        # injury", "may potentiate anticoagulant drugs", "should avoid it", "stop taking it and call 999", "do not
        # take it with a blood thinner" (not "stop taking it if it upsets you", which some pages say of any medicine).
        r"|\bcases of (?:[\w-]+ ){0,2}(?:injury|injuries|damage|toxicity|bleeding|poisoning|reactions?)\b"
        r"|\bpotentiat\w*|\bshould avoid\b"
        r"|\bstop (?:taking|using) (?:it|this|them|the [\w-]+) and (?:call|see|contact|seek|get|tell|go)\b"
        r"|\bdo not (?:take|use) (?:it|this|them) with\b",
    ),
    "evidence": (
        r"\b(?:studies|research|trials?|evidence|data|analysis|review) (?:of [\w\s,]+ )?(?:have |has |had )?"
        r"(?:consistently )?(?:show|shown|found|demonstrat|prove|confirm|support|indicat|suggest)\w*"
        r"|\bclinically proven\b|\bscientifically proven\b|\bproven\b|\bbacked by\b|\bwell.established\b"
        r"|\bstrong evidence\b|\bhigh.quality (?:evidence|trials?)\b|\bmoderate.certainty\b|\bhigh.certainty\b"
        r"|\bscience is clear\b|\bwidely studied\b|\bstudy published\b|\bwell designed\b|\bcarefully run\b"
        r"|\bclinically studied\b|\bback(?:s|ed)? up\b|\bencouraging\b|\b(?:experts|doctors) (?:now )?(?:agree|see)\b"
        r"|\breasonably well run\b|\bdeserves more weight\b"
        r"|\b(?:moderately|fairly|reasonably|highly|very) confident\b|\brecommended by (?:(?:\w+ )?experts|doctors)\b"
        r"|\b(?:moderate|high) confidence\b|\broughly symmetrical\b|\bnot suspected\b"
        r"|\bdeclare[sd]? no (?:financial )?(?:links|ties|conflicts?)\b"
        r"|\b(?:reasonably |fairly |very )?consistent (?:evidence|results|findings)\b|\bevidence (?:was|is) strongest\b"
        r"|\baccording to (?:lots of |a lot of |much |the latest )?(?:research|studies|science)\b"
        # Independent of the makers: "the funder had no say in", "none of the review authors has received money".
        r"|\b(?:funders?|sponsors?) had no (?:say|role|part|influence|involvement)\b"
        r"|\bnone of the (?:review )?authors (?:has|have) (?:received|taken|accepted)\b"
        # "a systematic review proved that", "a large evidence base".
        r"|\bproved\b|\b(?:large|strong|solid|robust) evidence base\b"
        # Unmoved by checks, agreed on, unconflicted: "did not change the direction of any result", "no doubt left",
        # "science agrees", "so many studies agreeing", "recommended by surgeons".
        r"|\bdid(?: not|n't) change (?:the direction of )?(?:any|our|the) (?:main )?"
        r"(?:results?|findings?|conclusions?)\b"
        r"|\bno doubt left\b|\bscience agrees\b|\b(?:studies|trials) agreeing\b"
        r"|\brecommended by (?:surgeons|nurses|pharmacists|dentists|physiotherapists|clinicians)\b"
        # "the trials were consistent", a domain at low risk ("Selective reporting: low risk"), "a careful piece of
        # work" (and "recommended by travel experts", with the cue above).
        r"|\b(?:trials|studies|results|findings) were consistent\b|:\s*low risk\b|\ba careful piece of work\b"
        # Results that agree, convincing: "heterogeneity was low", "consistent across studies", "supported by
        # consistent laboratory data", "the evidence is convincing".
        r"|\bheterogeneity (?:was|is) (?:low|small|negligible)\b(?! to| for)"
        r"|\bconsistent across (?:the )?(?:studies|trials)\b|\bsupported by consistent\b"
        r"|\b(?:evidence|data|results?|findings?) (?:is|are|was|were) (?:\w+ )?convincing\b"
        # Settled, catching up, agreeing: "the debate is over", "modern science is finally catching up", "now the
        # research agrees", "the real deal".
        r"|\bthe debate is over\b|\bscience is (?:finally )?catching up\b"
        r"|\b(?:research|science|evidence|studies) (?:now )?agrees?\b|\breal deal\b",
        r"\b(?:very )?low.certainty\b|\blow.quality\b|\blimited (?:evidence|data|research)\b|\binsufficient\b"
        r"|\binconclusive\b|\buncertain\w*|\brisk of bias\b|\bimprecise\b|\bsmall (?:and short |short )?"
        r"(?:trials?|studies|numbers?|samples?)\b|\b(?:more|further|larger|better) (?:research|studies|trials)"
        r"|\bcall for\b|\bgap in\b|\black of (?:evidence|data|high.quality)\b|\bfew (?:trials|studies)\b"
        r"|\bheterogene\w*|\bunproven\b|\bnot (?:well )?(?:studied|established)\b|\banecdot\w*"
        r"|\b(?:industry|manufacturer).funded\b"
        r"|\b(?:funded|paid for)(?: wholly| partly| in part| (?:wholly|partly) or (?:wholly|partly))? by\b"
        r"(?:[^.;]{0,40}?\b(?:manufacturer|compan|industry|maker|sell|firm|brand|develop)\w*)"
        r"|\bpoorly (?:designed|conducted|reported)\b"
        r"|\bweak(?:er)? evidence\b|\bno clear proof\b|\bnot (?:been )?(?:shown|proven)\b|\bmixed (?:results|evidence)\b"
        r"|\bconfidence (?:in [\w\s]+ )?(?:is|was) (?:very )?(?:low|limited)\b|\bhypothesis.generating\b"
        r"|\bunclear\b|\bselective reporting\b|\btoo (?:few|small)\b|\bweaker\b|\bmessier\b|\bcast doubt\b"
        r"|\bsmall and short\b|\blittle confidence\b|\bnot (?:been )?confirmed\b|\bcould change\b"
        r"|\bnot enough (?:safety )?(?:information|data|evidence)\b|\blow confidence\b|\bdowngraded\b|\bimprecision\b"
        r"|\bcannot (?:say|tell)\b|\bhard to know\b|\bmay miss\b|\bloss to follow.up\b|\bdid not blind\b"
        r"|\bwere aware of (?:group |treatment )?allocation\b|\bblinding problem\b|\blasted only\b"
        r"|\bcertainty (?:of [\w\s]+ )?(?:is|was) (?:very )?low\b|\bcannot be excluded\b"
        r"|\bnone of the (?:included )?(?:trials|studies)\b|\bnobody has shown\b"
        r"|\bnone of [\w\s]+ (?:has|have) been shown\b"
        r"|\bnot a controlled\b|\bfewer than \d+ participants\b"
        r"|\bhard to blind\b|\bbetter than it really is\b|\bseem to work\b|\bimpression\b"
        # Reporting and agreement: "not reported well", "only 16 of 49 trials reported", "the trials disagreed".
        r"|\b(?:not|poorly) (?:well )?reported\b|\breported (?:poorly|badly)\b|\bnot been (?:evaluated|tested)\b"
        r"|\bno agreed\b|\bdisagreed\b|\bline of no effect\b|\bcannot answer\b|\b(?:just as|were) mixed\b"
        r"|\bonly (?:a third|a quarter|half|\d+ of \d+) (?:of )?(?:the )?(?:trials|studies)\b"
        # How a trial can mislead: outcomes people rate themselves, dropouts, blinding that leaks, tiny samples.
        r"|\bself.rated\b|\battrition\b|\bonly \d+ participants\b|\bnudged\b|\bexpectation\b|\bleaks?\b"
        r"|\bgenerously\b|\bmay not apply\b|\brarely controlled\b|\bno evidence (?:\w+ ){0,4}to support\b"
        r"|\b(?:crossed|crosses|spans?|spanned|includes?|included) (?:1|one|zero|0)\b"
        # Trials too small or open to judge by: "were small", "open-label", "knew which treatment", "no trial followed
        # people for longer than", "an open question".
        r"|\b(?:were|was|are|is) (?:mostly |all |very )?small\b|\bopen.label\b|\bunblinded\b|\binflate\w*"
        r"|\bknew (?:which|whether|what)\b"
        r"|\bno (?:trials?|study|studies) (?:in|looked|followed|measured|tested|gave|used|included|compared)\b"
        r"|\bopen question\b|\btoo generous\b|\bproblems with how\b"
        # Short trials, more still needed, guesses that beat chance: "the trials were short", "none lasted longer
        # than 16 weeks", "larger trials are needed", "guessed their allocation", "measured far too loosely".
        r"|\b(?:trials?|studies) (?:were|was) (?:all |mostly |very )?(?:short|brief)\b"
        r"|\bnone lasted (?:longer|more) than\b"
        r"|\b(?:trials?|studies|research|evidence)\b[^.;]{0,80}\b(?:are|is) (?:still |urgently |now )?needed\b"
        r"|\bwe need (?:larger|longer|bigger|better|more|well.designed|high.quality)\b"
        r"|\b(?:guess\w*|identif\w*) (?:\w+ ){0,2}allocation\b|\bbetter at guessing\b|\btoo loosely\b"
        # Results that disagree, trials that could not be blinded, nothing known: "varied a lot", "could probably
        # tell whether", "high risk of performance bias", "no evidence on children", "could not tell us about",
        # "funnel plot was asymmetrical", "cannot draw firm conclusions", "overselling it".
        r"|\b(?:results|findings|trials|studies|effects?) varied (?:a lot|widely|a great deal|considerably)\b"
        r"|\bvery different results\b"
        r"|\bcould (?:probably |easily )?tell (?:whether|which)\b|\b(?:could not|cannot|can't) be blinded\b"
        r"|\bnot (?:adequately |properly )?matched\b|\bhigh risk of \w+ bias\b|\bself.reported\b"
        r"|\bno (?:evidence|research|data) (?:on|in|for|about)\b|\bcould not tell (?:us|whether)\b"
        r"|\bno (?:trials?|study|studies) (?:\w+ly )?(?:monitored|assessed|examined)\b"
        r"|\basymmetr\w*|\bcannot be ruled out\b|\bpossible small.study\b"
        r"|\bonly (?:\d+|(?:two|three|four|five|six)(?: small)?) (?:trials|studies)\b"
        r"|\b(?:cannot|can't) draw (?:firm |any )?conclusions?\b|\bno firm conclusions?\b|\boversell\w*"
        r"|\b(?:evidence|data|research) (?:is|was|are|were) not (?:strong|good|convincing|robust)\b|\bare few\b"
        # Unexplained, unknown, unreported or unrepresentative: "results differed a lot", "remains unexplained",
        # "very little evidence about", "we do not know how", "tell us little about", "may not extend to", "does not
        # allow conclusions", "did not report", "unpublished", "does not have to prove", "left out people who",
        # "carefully selected", "our confidence would be higher if".
        r"|\b(?:results|findings|trials|studies|effects?) differed (?:a lot|widely|markedly|considerably)\b"
        r"|\bunexplained\b|\b(?:very )?little (?:evidence|data|research)\b|\bdo(?:es)? not know (?:whether|if|how)\b"
        r"|\btells? us (?:very )?little\b|\bmay not (?:extend|generali[sz]e)\b"
        r"|\b(?:does not|do not|doesn't) allow (?:any |firm )?conclusions\b|\bdid not report\b|\bunpublished\b"
        r"|\b(?:does not|doesn't|do not) have to (?:prove|show)\b"
        r"|\b(?:left out|exclud\w+) (?:exactly )?(?:the )?(?:people|patients|participants)\b|\bcarefully selected\b"
        r"|\bconfidence would be higher\b"
        # Disappointing, less reliable, blinding that fails, the smallest trials finding the most, nothing tested:
        # "the evidence is disappointing", "not truly blinded", "weakens blinding", "the smallest trials reported the
        # largest benefits" (and "no trial tested teas", "only three trials followed", with the cues above).
        r"|\bdisappointing\b|\bless reliable\b|\bnot (?:truly |properly |fully )?blinded\b"
        r"|\bweakens? (?:the )?blinding\b"
        r"|\bsmallest (?:trials|studies) (?:reported|showed|found|had) the (?:largest|biggest|most)\b"
        r"|\bnot supported by\b"
        # Weak, overstated or unanswered: "serious weaknesses", "overstates the case", "not proof that", "nobody has
        # properly answered", "what we really need is a large trial", "the bigger the trial, the smaller the effect",
        # "trials were tiny", "rated the certainty as low", "must have known which", "imperfect blinding", "dropped
        # out", "received funding from manufacturers".
        r"|\bweakness(?:es)?\b|\boverstat\w*|\bnot proof\b|\bnobody has (?:\w+ly )?(?:answered|tested|shown)\b"
        r"|\bwhat we (?:really )?need is\b|\bthe (?:bigger|larger)\b[^.;]{0,40}\bthe smaller\b|\btiny\b"
        r"|\bcertainty (?:of [\w\s]+ )?as low\b|\bmust have known\b|\bimperfect\b"
        r"|\b(?:received|got|had) funding from (?:the )?(?:manufacturer|compan|industry|maker)\w*"
        # Unassessed, unblinded, resting on one trial, still needed, paid by a maker: "we could not assess", "81% of
        # participants correctly guessed", "rests on a single trial", "interpreted with caution", "larger trials are
        # needed", "it is not known whether", "proves nothing", "the evidence is thin", "underpowered", "an absence of
        # evidence", "devices free of charge from manufacturers", "received travel expenses from a manufacturer",
        # "affiliate links".
        r"|\bcould(?: not|n't) (?:be )?(?:assess|assessed|estimate|estimated|judge|judged)\b|\bcorrectly guessed\b"
        r"|\bblinding (?:\w+ )?failed\b|\b(?:rests?|based) on (?:a )?(?:single|one) (?:small )?(?:trial|study)\b"
        r"|\binterpreted with caution\b|\b(?:trials|studies|research) (?:\w+ ){0,3}(?:are|is) (?:still )?needed\b"
        r"|\b(?:it is|it's|remains?) (?:not known|unknown) (?:whether|if)\b|\b(?:proves?|shows?) nothing\b"
        r"|\b(?:evidence|data) (?:is|are|was|were|remains?) (?:thin|sparse|scant)\b|\bunderpowered\b"
        r"|\babsence of evidence\b|\bnot evidence\b|\bfree of charge from\b"
        r"|\b(?:received|accepted|took) (?:(?!no\b)\w+ ){0,3}(?:expenses|fees|payments?|money|grants?|funding) from "
        r"(?:a |the )?(?:manufacturer|compan|industry|maker)\w*|\baffiliate links?\b"
        # Unpublished, uncontrolled, disagreeing, too short, not always recorded, undisguisable, no proof: "may not
        # have been published", "did not use a placebo", "did not agree well", "too short to", "not always recorded",
        # "cannot be fully disguised", "patients know which arm", "no control group", "does not prove".
        rf"|\bnot (?:have )?(?:been )?published\b|\bdid(?: not|n't) use (?:a |any )?{_CONTROL}"
        r"|\bdid(?: not|n't) agree\b"
        r"|\btoo short\b|\bnot always (?:recorded|reported|measured)\b"
        r"|\bcannot be (?:fully |properly )?(?:disguised|blinded|hidden|masked|concealed)\b"
        r"|\bknows? which\b|\bno control group\b|\b(?:does|do|did)(?: not|n't) prove\b"
        # Low certainty, however worded; too little reported: "our certainty in the evidence about X is very low",
        # "too little information about side effects".
        r"|\bcertainty\b[^.;]{0,40}?\b(?:is|was|are|were) (?:rated |judged |graded )?(?:as )?(?:very )?low\b"
        r"|\btoo little (?:information|data|detail)\b"
        # Short, unreported, unblinded, disagreeing, unprovable: "followed people for only 7 to 14 days", "only 23 of
        # the 68 trials", "did not say how people were put into groups", "blinding was not possible", "often not
        # recorded", "very different from one another", "different definitions", "could plausibly find no benefit",
        # "inadequate concealment", "I cannot prove that".
        r"|\bfor only \d|\bonly \d+ of the \d+ (?:trials|studies)\b|\bdid(?: not|n't) (?:say|describe|explain) how\b"
        r"|\bblinding (?:[\w-]+ ){0,3}(?:was|is) not possible\b"
        r"|\b(?:often|usually) not (?:recorded|reported|measured)\b"
        r"|\bdifferent from (?:one another|each other)\b|\bdifferent definitions\b|\bcould (?:plausibly )?find no\b"
        r"|\binadequate (?:concealment|blinding|randomi[sz]ation)\b|\bcan(?:not|'t) prove\b"
        # A few small trials, an effect that could be far off, only what was published, weak trials, suspicion,
        # makers' gifts, the same few groups, partial blinding, less precise, under-counted, too rare to measure:
        # "came mostly from a few small, early trials", "the true effect could be quite different", "could only
        # include trials that had been published", "the old trials were weak", "right to be suspicious", "no longer
        # blinded", "given free stockings by manufacturers", "conducted by two research groups", "blinded in five of
        # the nine trials", "smaller and less precise", "unsystematic", "does not tell us that", "too rare to
        # measure", "is generous", "thin on the ground", "be cautious about", "not on trials of".
        r"|\ba few small\b|\btrue effect could be\b|\bcould only include\b"
        r"|\b(?:trials|studies|evidence|data|research) (?:is|are|was|were) (?:\w+ )?weak\b|\bsuspicious\b"
        r"|\bno longer blind\w*|\bgiven free \w+ by (?:the )?(?:manufacturer|maker|compan)\w*"
        r"|\b(?:conducted|run|came) (?:\w+ ){0,2}(?:by|from) (?:just |only )?(?:two|three|a few|the same few) "
        r"research groups\b|\bblinded in (?:only )?\w+ of (?:the )?\w+\b|\bless precise\b|\bunsystematic\b"
        r"|\bunder.counted\b|\bdoes not tell us (?:that|whether)\b"
        r"|\btoo rare (?:\w+ ){0,3}?to (?:measure|tell|detect)\b"
        r"|\b(?:is|was) generous\b|\bthin on the ground\b|\bbe (?:cautious|wary|sceptical|skeptical) (?:about|of)\b"
        r"|\bnot on (?:trials|studies) of\b"
        # Not estimable, few people, not built to measure it, unreviewed, small-study effects, limited by, blinding
        # lost, unlookable: "incidence cannot be estimated", "only 52 people", "never designed to measure", "not peer
        # reviewed", "suggested small-study effects", "limited by small, short trials", "unlikely to have been
        # maintained", "could not look at them separately", "a striking gap".
        r"|\bcannot be (?:estimated|assessed|judged|calculated)\b"
        r"|\bonly \d+ (?:people|patients|adults|women|men|children)\b|\b(?:never|not) designed to\b"
        r"|\bnot peer.reviewed\b|\b(?:suggest\w*|likely) small.study effects?\b|\blimited by\b"
        r"|\bunlikely to have been\b|\bcould(?: not|n't) look at\b|\b(?:striking|glaring|big|major|important) gap\b"
        # Small trials finding more, the unknown, products unlike one another, none of them long: "smaller trials
        # tended to report bigger benefits", "long-term harms are unknown", "doses differed a lot between trials",
        # "not one of the 21 trials lasted longer than 16 weeks".
        r"|\bsmall(?:er)? (?:trials|studies) (?:tended to )?(?:report|show|find|found)\w* (?:bigger|larger|greater)\b"
        r"|\b(?:are|remain) unknown\b"
        r"|\bdiffered (?:a lot|widely|greatly|considerably|markedly) between (?:the )?(?:trials|studies)\b"
        r"|\bnot one of the (?:\d+ )?(?:trials|studies)\b",
    ),
}
# Fewer harms than with the comparison.
_FEWER_HARMS = re.compile(r"\bfewer\b[^.;]{0,60}\b(?:side.effects?|adverse|dropouts)", re.I)
# Reassurance settles safety whatever else the sentence names: side effects that are mild, temporary, or no more
# frequent than with a dummy treatment.
_REASSURANCE = re.compile(
    rf"\bmild\b|\btemporary\b|\bshort.lived\b|\bdiminish\w*|\bas (?:often|commonly) (?:as|with|in) (?:the )?{_CONTROL}"
    rf"|\bsimilar to (?:the |a )?{_CONTROL}|\babout as common\b|\bslightly more (?:often|common)\b|\bin both groups\b"
    rf"|\bno more (?:often|common|frequent)|\bdid(?: not|n't) differ\b|\bno (?:serious |significant |real |major )?"
    rf"(?:side effects|adverse|problems)\b|\bnot (?:damage|harm)\b|\bunlikely to (?:trigger|cause)\b"
    rf"|\b(?:low|lower|reduced|minimal) risk\b|\b(?:is|are|was|were) (?:very |extremely )?rare\b(?! reports?)"
    rf"|\b(?:is|are|was|were) less (?:frequent|common|often)\b|\bvery uncommon\b"
    rf"|\b(?:pass(?:es)?|fades?|goes away|wears? off) (?:quickly|soon)\b|\b(?:totally|completely|perfectly) normal\b"
    # Harms put down to something else, fewer than with the comparison, or few: "none was attributed to", "fewer
    # dropouts due to side effects", "only about 3 in 100 stopped", "virtually no downsides".
    rf"|\bnone (?:was|were) (?:attributed|linked|related|due) to\b|{_FEWER_HARMS.pattern}"
    rf"|\bonly (?:about |around |roughly )?(?:\d+|one|two|three|four|five) (?:in|out of) \d+|\bno downsides?\b"
    # "Few people stopped taking it because of side effects", "clients rarely experience any bloating".
    rf"|(?<!\ba )\bfew (?:people|patients|participants) stopped\b|\brarely (?:experience|have|get|notice|report)\b",
    re.I)
# What reassurance is about: harms named in general terms.
_HARMS = re.compile(r"\bside.effects?\b|\badverse\b|\brisks?\b|\bharm|\bunwanted effects?\b", re.I)
_HARMS_IN_GENERAL = re.compile(r"\b(?:side.effects?|adverse (?:effects?|events?|reactions?)|unwanted effects?)\b", re.I)
# Harms no more frequent than with a dummy treatment: a finding on safety, not on whether it works.
_HARMS_LIKE_CONTROL = re.compile(
    rf"{_HARMS_IN_GENERAL.pattern}[^.;]*?(?:similar to (?:the |a )?{_CONTROL}"
    rf"|as (?:often|commonly) (?:as|with|in)|about as common|no more (?:often|common|frequent)|did(?: not|n't) differ"
    rf"|(?:about|roughly|much|almost) the same)",
    re.I)
_PATTERNS = {t: (re.compile(p, re.I), re.compile(n, re.I)) for t, (p, n) in _CUES.items()}
# The topics a stance is about, named once: the stance layer and the question model's columns go by these, and a
# test holds the question's topic tables (`_QUESTION_TOPICS`, `_LAY_TOPICS`) to the same keys.
TOPICS = tuple(_CUES)
_NEGATOR = re.compile(r"\b(?:no|not|never|without|neither|nor|none|nobody|zero|cannot|hardly|lack of|free of|"
                      r"free from)\b"
                      r"|(?<!\ba )\blittle\b(?! or no)"
                      r"|n't\b", re.I)
# What a study sets out to find, or how it measured, is not a finding: "to assess the effectiveness", "whether it
# is safe", "assessed risk of bias with the standard tool", "heterogeneity was measured with".
_ASKING = re.compile(r"\b(?:assess(?:ed|ing)?|determin(?:e|ed|ing)|evaluat(?:e|ed|ing)|investigat(?:e|ed|ing)"
                     r"|examin(?:e|ed|ing)|explored|measured|test whether|whether|if)\b", re.I)
_MEASURED = re.compile(r"^[\w\s²-]{0,30}?\b(?:was|were|is|are) (?:measured|judged|rated|assessed|graded|explored"
                       r"|recorded|examined|quantified) (?:with|using|by)\b", re.I)
# Which trials reported harms is how a review was done, not what it found: "Nine trials (688 participants) reported
# adverse events", "Adverse events were reported in 21 trials".
_REPORTING = re.compile(r"\b(?:trials?|studies)\b[^.;:]{0,30}\breported\s*$", re.I)
_REPORTED_IN = re.compile(r"\s+(?:was|were) reported in \d+ (?:trials|studies)\b", re.I)
# "Serious adverse events: none" answers the cue after it.
_NONE_AFTER = re.compile(r"[\w\s-]{0,30}:\s*(?:none|nil|no)\b", re.I)
# A claim about another treatment ("traditional treatments are often ineffective") is not about this one.
_OTHER_TREATMENT = re.compile(r"\b(?:traditional|conventional|standard|usual|other|existing|older)\s(?:[\w-]+\s){0,2}?"
                              r"(?:treatments?|therap(?:y|ies)|medications?|medicines?|drugs?|painkillers?|pills?"
                              r"|methods?|options?|approaches|strategies)\b", re.I)
# Negation reaches from the negator to the end of its clause, up to this many words.
_SCOPE_WORDS = 6
# A clause this short after a comma, "and" or "or" is an item of a list, governed by the clause that opened it.
_ITEM_WORDS = 2
_LIST_JOIN = re.compile(r",|and|or", re.I)
_CLAUSE_END = re.compile(r"[,;:()]|\b(?:but|and|or|which|because|while)\b", re.I)
# After these the main clause follows: "X, but Y" and "Although X, Y" both mean Y.
_BUT = re.compile(r"\b(?:but|however|yet|nevertheless|nonetheless)\b", re.I)
_ALTHOUGH = re.compile(r"^\s*(?:although|though|while|whilst|despite|even though|in addition to|unlike"
                       r"|compared (?:with|to))\b[^,]*,", re.I)
# A confidence interval: one that excludes the null value is a significant effect, one that spans it is not.
_INTERVAL = re.compile(r"\b(?:CI|confidence interval)\s*(?:of\s*|(?:running|ranging|going) from\s*)?"
                       r"(-?[−–-]?\d+(?:\.\d+)?)\s*(?:to|,|–|-)\s*([−–-]?\d+(?:\.\d+)?)", re.I)
# An estimate with its interval in brackets and no "CI": "MD 1.9 (1.2 to 2.6)", "RR 0.71 (0.59 to 0.85)".
_ESTIMATE = re.compile(r"\b(?:MD|SMD|RR|OR|HR|mean difference|risk ratio|odds ratio)\s*[−–-]?\d+(?:\.\d+)?\s*"
                       r"\(\s*([−–-]?\d+(?:\.\d+)?)\s*(?:to|,|–)\s*([−–-]?\d+(?:\.\d+)?)\s*[;,)]")
_RATIO = re.compile(r"\bratio\b|\b(?:RR|OR|HR)\b")
# Whether subgroups differ from each other says nothing of whether the treatment works in any of them.
_SUBGROUP_TEST = re.compile(r"\b(?:no (?:clear |evidence of (?:a )?)?difference|did not differ)\b"
                            r"[^.;:]{0,40}\bsubgroups?\b"
                            r"|\bsubgroups?\b[^.;:]{0,60}?\b(?:no (?:clear )?difference|did not differ"
                            r"|(?:was|were) not (?:statistically )?significant)", re.I)


# Words that ask how strong the evidence is, not only name the trials it comes from.
_STRENGTH_WORDS = r"\bevidence|\bproof|\bprove|\bcertain|\bscien"
_QUESTION_TOPICS = {
    # "treat" and "cut" as verbs ("does it treat", "cut pain by half"), not the nouns ("a referral for the treatment",
    # "over a cut"), which name a thing without asking whether it works; nor do the medicines "pain relievers" and
    # "pain relief tablets", asked about as what else is taken.
    "efficacy": re.compile(r"\beffective|\befficac|\bwork|\bhelp(?:s|ed|ful|ing)?\b|\breliev(?!ers?\b)|\breduc"
                           r"|\brelief(?!\s+(?:medicines?|medications?|tablets|drugs|pills)\b)|\btreat(?:s|ed|ing)?\b"
                           r"|\b(?:good|best|better|useful|right) (?:treatment|(?:pain )?reliever)"
                           r"|\bbenefi|\bimprov|\buseful|\bgood for\b|\bcure|\bget rid\b|\bfix|\bproven\b"
                           r"|\bplacebo|\bsham"
                           r"|\bworth\b|\bbetter than\b|\bany good\b|\bdifference\b|(?<!\ba )(?<!\bthe )\bcut\b|\bease\b|\bslow"
                           r"|\bprevent|\brebuild|\brepair|\bregrow|\bprotect|\breplace (?:my|your|other|the need)\b", re.I),
    # "side affects" is how the question is often typed.
    "safety": re.compile(r"\bsafe|\bside.?[ae]ffect|\brisk(?! of bias)|\badverse|\bdanger|\bharm|\btolerat|\baddict",
                         re.I),
    "evidence": re.compile(rf"{_STRENGTH_WORDS}|\bstud(y|ies)|\bresearch|\btrials?\b", re.I),
}
# The same asked in lay words: whether it works ("does it stop the pain", "is it just hype", "cuts attacks by
# half", "less painful", "easier to move", "double your chance"; not "can I stop my tablets"), whether it harms ("does
# it cause headaches", "can it burn the skin", "leave me groggy", "do people give up on it") and how far the findings
# can be trusted ("could bias or funding explain the results", "does what is inside match what the label says").
_LAY_TOPICS = {
    "efficacy": re.compile(r"\b(?:does|do|did|will|would|can|could|might|may)\s+(?!i\b)(?:[\w-]+\s+){1,4}?stops?\b"
                           r"(?! (?:taking|using))|\bhype\b|\btoo good to be true\b|(?<!\ba )(?<!\bthe )\bcuts\b"
                           r"|\bless (?:painful|pain|often|severe)\b|\beasier\b|\bfewer\b|\bdoubles?\b|\bhalv"
                           r"|\bbetter results\b|\bdo(?:es)? (?:\w+ ){0,2}?anything\b"
                           r"|\bwaste of (?:time|money)\b"
                           r"|\b(?:keep(?:s|ing)?|kept|stay(?:s|ed|ing)?|remain(?:s|ed|ing)?) "
                           r"(?:(?:me|you|us|him|her|them) )?[a-z]+-free\b", re.I),
    "safety": re.compile(r"\bcaus(?:e|es|ing)\b(?! by)|\bburns?\b|\bblisters?\b|\bworse\b|\bgroggy\b|\bdrows|\bdizz"
                         r"|\bgive up\b|\bdrop(?:s|ped)? out\b|\bhurt (?:you|me|him|her|them|us|my|your)\b", re.I),
    "evidence": re.compile(r"\bbias\b|\bfunding\b|\bis it true\b|\blabel says\b", re.I),
}


@dataclass(frozen=True)
class Stance:
    topic: str
    polarity: int  # +1 supports the treatment, -1 doubts it


def _scope(text: str, start: int) -> str:
    """The words of the clause just before `start`, up to _SCOPE_WORDS of them. Inside a list ("does not upset
    your stomach, make you drowsy or ..."), the clause that opened the list governs every item."""
    before = text[:start]
    ends = list(_CLAUSE_END.finditer(before))
    begin = ends[-1].end() if ends else 0
    for previous, end in zip(reversed([None, *ends[:-1]]), reversed(ends)):
        if len(before[begin:].split()) > _ITEM_WORDS or not _LIST_JOIN.fullmatch(end.group()):
            break
        begin = previous.end() if previous else 0
    return " ".join(before[begin:].split()[-_SCOPE_WORDS:])


def _in_negation(text: str, start: int) -> bool:
    """True when a negator governs the words just before `start`, within its clause; two negators cancel."""
    return len(_NEGATOR.findall(_scope(text, start))) % 2 == 1


def in_negation(text: str, start: int) -> bool:
    """Whether a negator governs the word at `start` (the scope rule the stance cues use), for other checks."""
    return _in_negation(text, start)


def _matches(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def _lean(text: str, positive: re.Pattern[str], negative: re.Pattern[str]) -> int:
    """+1, -1 or 0 for one clause: negated cues count for the other side; where a positive and a negative cue
    overlap the longer one is the cue; doubt wins a tie."""
    pos, neg = _matches(text, positive), _matches(text, negative)
    pos_kept = [p for p in pos if not any(_overlaps(p, n) and n[1] - n[0] > p[1] - p[0] for n in neg)]
    neg_kept = [n for n in neg if not any(_overlaps(n, p) and p[1] - p[0] >= n[1] - n[0] for p in pos)]
    score_pos = score_neg = 0
    for spans, sign in ((pos_kept, 1), (neg_kept, -1)):
        for start, end in spans:
            if _ASKING.search(_scope(text, start)) or _MEASURED.match(text[end:]) \
                    or _OTHER_TREATMENT.search(text[:start]) or _REPORTING.search(text[:start]) \
                    or _REPORTED_IN.match(text[end:]):
                continue
            cue_negates = bool(_NEGATOR.match(text[start:end]))
            flipped = (_in_negation(text, start) or bool(_NONE_AFTER.match(text[end:]))) and not cue_negates
            if (sign > 0) != flipped:
                score_pos += 1
            else:
                score_neg += 1
    if score_neg:
        return -1
    return 1 if score_pos else 0


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _interval(sentence: str) -> int:
    """+1 when a reported confidence interval excludes no effect, -1 when it spans it, 0 when there is none."""
    bounds = _bounds(sentence)
    if bounds is None:
        return 0
    low, high, null = bounds
    return -1 if low <= null <= high else 1


def _bounds(sentence: str) -> tuple[float, float, float] | None:
    """The first confidence interval's bounds, lower first, and its value of no effect (1 for a ratio)."""
    m = _INTERVAL.search(sentence) or _ESTIMATE.search(sentence)
    if not m:
        return None
    low, high = sorted(float(g.replace("−", "-").replace("–", "-")) for g in m.groups())
    return low, high, 1.0 if _RATIO.search(sentence[:m.end()]) else 0.0


def _ratio_under_one(sentence: str) -> bool:
    """A ratio whose whole interval lies under 1: said of harms, fewer than with the comparison."""
    bounds = _bounds(sentence)
    return bounds is not None and bounds[2] == 1.0 and bounds[1] < 1.0


def _main_clause(sentence: str) -> str:
    buts = list(_BUT.finditer(sentence))
    if buts:
        return sentence[buts[-1].end():]
    although = _ALTHOUGH.match(sentence)
    return sentence[although.end():] if although else sentence


# A title ("Safety and Considerations", "Side Effects"): a few capitalised words and no closing punctuation.
_DISCLAIMER = re.compile(r"\bnot (?:intended|meant|designed) to (?:diagnose|treat|cure|prevent|replace)\b", re.I)
_TITLE = re.compile(r"\s*[A-Z][\w'’-]*(?:\s+(?:[A-Z][\w'’-]*|and|or|of|the|for|to|in|&))*\s*$")


def claims_nothing(sentence: str) -> bool:
    """A question or a title asks or names, and a disclaimer ("not intended to treat any disease") disowns: none
    of them claims."""
    return sentence.rstrip().endswith("?") or bool(_TITLE.match(sentence)) or bool(_DISCLAIMER.search(sentence))


# Corpus sentences come back question after question; a dozen regex scans each is worth remembering.
@lru_cache(maxsize=65_536)
def stances(sentence: str) -> tuple[Stance, ...]:
    """Every topic the sentence takes a side on."""
    found: list[Stance] = []
    if claims_nothing(sentence):
        return ()
    sentence = _SUBGROUP_TEST.sub(" ", sentence)
    main = _main_clause(sentence)
    # Harms whose interval spans no difference, or lies wholly under 1 (fewer than with the comparison): no clear
    # harm, which says it is safe, not that it fails to work.
    no_clear_harm = bool(_HARMS_IN_GENERAL.search(sentence)) and (_interval(sentence) < 0
                                                                  or _ratio_under_one(sentence))
    for topic, (positive, negative) in _PATTERNS.items():
        polarity = _lean(main, positive, negative) if main is not sentence else 0
        polarity = polarity or _lean(sentence, positive, negative)
        if topic == "safety" and ((polarity or _HARMS.search(sentence)) and _REASSURANCE.search(sentence)
                                  or no_clear_harm):
            polarity = 1
        if topic == "efficacy":
            polarity = 0 if no_clear_harm or _HARMS_LIKE_CONTROL.search(sentence) else polarity or _interval(sentence)
        if polarity:
            found.append(Stance(topic, polarity))
    return tuple(found)


# "How does it work?" asks for a mechanism, not whether it works ("how well does it work?" does).
_MECHANISM = re.compile(r"\bhow\b(?! well)(?! much)(?! effective).*\bworks?\b", re.I)
# "How many trials were included?", "how long did the studies last?": the trials are what is counted or measured,
# not evidence whose strength is asked about ("how much evidence is there?", "how certain is it?" still are).
_COUNTED_OR_TIMED = re.compile(r"\bhow (?:many|much|long|often|old)\b", re.I)
# How a question reports what a page says before asking about it: "Acme says ...", "the shop promises ...".
CLAIM_VERBS = r"says?|claims?|promises?|states?|insists?|advertises?"
# Asked whether a page's claim holds ("does it restore a strong stream, as the shop claims?", "the shop promises
# results in 7 days. Is that realistic?", "... Do the trials back that up?"): whatever the claimed effect is called,
# the question is whether the treatment does it.
_CLAIM_CHECKED = re.compile(r"\bas (?:[\w'&-]+ ){1,5}?(?:claims?|says?|promises?|advertises?|suggests?)\b|"
                            rf"\b(?:{CLAIM_VERBS})\b[^?]*[.;]\s*"
                            r"(?:(?:is|are) (?:that|this|it|they) (?:really )?(?:true|right|accurate|realistic|correct|"
                            r"fair|justified|supported)\b|(?:do|does|did) (?:the )?(?:[\w-]+ ){0,2}?(?:back|bear|support|"
                            r"confirm)\w* (?:that|this|it|them)\b)", re.I)
_STRENGTH = re.compile(_STRENGTH_WORDS, re.I)


@lru_cache(maxsize=4_096)  # asked by retrieval, the features and the ordering of one answer alike
def question_topics(question: str) -> tuple[str, ...]:
    """Topics the question asks about. A factual question naming none ("What is it made of?") gets no
    disagreement check, so stance sentences are not pulled into answers that do not need them."""
    named = [t for t, pattern in _QUESTION_TOPICS.items()
             if pattern.search(question) or _LAY_TOPICS[t].search(question)]
    if _MECHANISM.search(question) and "efficacy" in named:
        named.remove("efficacy")
    if "evidence" in named and _COUNTED_OR_TIMED.search(question) and not _STRENGTH.search(question):
        named.remove("evidence")
    return tuple(named)


def answer_topics(question: str) -> tuple[str, ...]:
    """The topics an answer weighs the evidence on: the question's, or whether it works when the question asks
    whether a page's claim holds without naming a topic. Only the answer's choice and order of quotes hears the
    claim; the features keep to the topics the question names, as they were fitted."""
    return question_topics(question) or (("efficacy",) if _CLAIM_CHECKED.search(question) else ())
