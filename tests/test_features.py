import numpy as np
import pytest

from rag.features import (QUESTION_FEATURES, RANKING_FEATURES, SENTENCE_FEATURES, QuestionTerms, SentenceView,
                          asked_shapes, counted_pattern, framing_terms, names_in, qualifier_terms, question_features,
                          sentence_features, shapes_of)
from rag.lexical import terms_of


@pytest.mark.parametrize("question, asked", [
    ("How much does the device cost?", {"money"}),
    ("What is the phone number of the clinic?", {"phone"}),  # a number to dial: no email address gives it
    ("What is the telephone number for Acme customer care?", {"phone"}),
    ("Is the clinic's phone line open at the weekend?", {"contact", "time"}),  # when the line is open
    ("What year was the clinic founded?", {"year"}),
    ("What percentage of patients improved?", {"share"}),
    ("How long do the benefits last?", {"duration"}),
    ("Where were the trials carried out?", {"place"}),
    ("Who wrote the review?", {"person"}),
    ("Who should avoid it?", {"caution"}),  # kinds of people and a warning, not a name
    ("Who should not use it?", {"caution"}),
    ("What was the mean difference in pain?", {"number"}),
    ("How heavy should the wrap be?", {"quantity"}),  # a weight, met by "7 kg", not by any number
    ("What size is the tub?", {"quantity"}),
    ("What size of change would someone notice?", {"number"}),
    ("Which side effects are listed?", {"list"}),
    ("What is the email address of the clinic?", {"email"}),  # not a place, and no phone number gives it
    ("What is the clinic's fax number?", {"fax"}),
    ("How strong is the evidence that it works?", {"certainty"}),  # how sure the evidence is, not a number
    ("Is there solid research behind it?", {"certainty"}),
    ("How confident are the authors that it eases the aches?", {"certainty"}),  # how sure someone is of a finding
    ("How sure are the researchers about the findings on sleep?", {"certainty"}),
    ("How much trust can be placed in the research?", {"certainty"}),
    ("Can the earlier positive trials be trusted?", {"certainty"}),
    ("How confident can we be in the results?", {"certainty"}),
    ("Can I trust the shop with my card details?", set()),  # trusting a seller is no question of evidence
    ("Is it clinically proven to work?", {"certainty"}),
    ("Is the research on it good quality?", {"certainty"}),
    ("The shop blames low-quality products for the bad results. Is that fair?", set()),  # products, not research
    ("How up to date is the review?", {"year"}),  # how current: a date answers
    ("How recent is the latest trial they found?", {"year"}),
    ("Were the trials biased by industry funding?", {"funder"}),
    ("Does it work?", set()),
    ("Did companies selling it pay for the review?", {"funder"}),  # whether someone paid, not a price
    ("Did supplement makers pay for the Acme review?", {"funder"}),
    ("Was the review itself paid for by industry?", {"funder"}),
    ("Did firms that make these bankroll any of the research?", {"funder"}),
    ("Does the columnist have financial ties to drug companies?", {"interests"}),
    ("What conflict of interest does Dr Acme declare?", {"interests"}),
    ("Do I have to pay for delivery?", {"money"}),
    ("How much ginger does each lozenge contain?", {"quantity"}),
    ("What is Jo Acme's job?", {"person"}),
    ("whats the number to ring at the clinic at night", {"phone"}),
    ("what number do i ring to talk to the pharmacy", {"phone"}),
    ("who do i ring at the hospital about my symptoms", {"contact"}),
    ("legs still aching 8 days later, should i see someone??", {"care"}),
    ("got a rash from the cream, is that serious", {"care"}),
    ("What are the clinic's opening hours?", {"time"}),
    ("When should I take it?", {"time", "duration"}),  # before bed, or for six weeks
    ("Can I take it when I travel?", set()),  # "when" joining two clauses asks for no time
    ("Who is the lead physiotherapist at the clinic?", {"person"}),
    ("What do the review authors call for?", set()),  # naming the authors asks for neither them nor a phone number
    ("What can women whose periods have stopped take instead?", set()),
    ("Do filtering contact lenses help?", set()),
    ("How old were the people in the trials?", {"age"}),  # an age, not a year
    ("What was the average age of the children?", {"age"}),
    ("Over what span of years did the studies appear?", {"year"}),
    ("Where should the pads go?", {"place"}),
    ("the spot where the needle went in is sore, what do i do", set()),  # "where" as a question word only
    ("Can the light from my phone hurt my eyes?", set()),  # a phone named, no number asked for
    ("What nightly dose does the guide recommend?", {"quantity"}),
    ("What was the I² value for the cramp-frequency analysis?", set()),  # the outcome's name asks for no setting
    ("What happened to patients given high-dose treatment?", set()),
    ("Why might the blinding not have held?", set()),  # no warning asked for
    ("Did the result hold when weaker trials were left out?", set()),
    ("what even is acmezine", {"definition"}),  # what a bare name is
    ("What does RCT stand for?", {"definition"}),
    ("What is acmezine used for?", set()),  # what it is for, not what it is
    ("What is the price of the Acme pen?", {"money"}),  # a price asked for, not what a price is
    ("What is the Acme clinic's cancellation policy?", set()),
    ("In which parts of the world were the trials run?", {"place"}),
    ("How chilly was the water in the trials?", {"quantity"}),  # a temperature, in degrees
    ("Who funded the Acme review?", {"funder"}),  # an organisation that paid, not a person's name
    ("who paid for the study, was it the makers?", {"funder"}),
    ("What is the average customer rating of the Acme syrup?", {"rating"}),  # stars, not any number
])
def test_questions_ask_for_the_kind_of_answer_their_wording_names(question, asked):
    assert asked_shapes(question) == asked


def test_a_strength_given_as_a_percentage_is_a_quantity_and_a_share_is_not():
    assert asked_shapes("How concentrated is the night serum?") == {"quantity"}
    assert asked_shapes("What is the highest strength of gel the leaflet recommends?") == {"quantity"}
    assert "quantity" in shapes_of("Choose a 5% gel.") and "quantity" in shapes_of("Make a 2% hypertonic solution.")
    assert "quantity" in shapes_of("It is sold at a strength of 5% or less.")
    assert "quantity" in shapes_of("An extract standardised to 85-95% fatty acids.")
    assert "quantity" not in shapes_of("36% of those on the capsules improved.")
    assert "quantity" not in shapes_of("Relative risk 0.71 (95% CI 0.58 to 0.88).")


def test_a_magnet_s_strength_is_a_quantity_and_a_deposit_is_money():
    assert "quantity" in shapes_of("Look for strong magnets of at least 2,000 gauss.")
    assert "money" in asked_shapes("How much deposit does the Acme studio take to book a first appointment?")
    assert "money" in shapes_of("A £25 non-refundable deposit secures your first appointment.")


@pytest.mark.parametrize("question, framing", [
    ("What kind of glue does it use?", {"kind"}),
    ("are these pills just a total waste of money tbh", {"wast", "money", "total", "tbh"}),
    ("is the package worth it", {"worth"}),
    ("will it actually help", {"actual"}),
    ("Is it worth a trip to the clinic?", set()),
    ("my dad is on diazepam for his back, can he take valerian as well", {"dad"}),
    ("can my husband use it, or my friends?", {"husband", "friend"}),
    ("can my son take it", set()),
    ("Can expectant mothers use it?", set()),
])
def test_a_lay_verdict_frames_the_question(question, framing):
    # Whether it works, asked in words no page answering that would use, and the grown-ups the asker speaks for:
    # those words are not what is asked about.
    assert framing_terms(question) == framing


def test_a_specific_kind_is_not_met_by_any_digit():
    asked = asked_shapes("How much does the Pro 2 cost?")
    assert not asked & shapes_of("The Pro 2 is a clinically proven unit.")
    assert asked & shapes_of("Now $79.99 (save 33%).")
    assert "contact" in shapes_of("Call us on 0161 496 0000.") and "year" in shapes_of("Founded in 2015.")
    assert "care" in shapes_of("See your GP if the cough lasts more than three weeks.")
    assert "care" in shapes_of("If they collapse, call 999.") and "care" not in shapes_of("Take it with food.")
    assert "caution" in shapes_of("It may not be suitable for you if any of the following apply:")
    assert "share" in shapes_of("7 in 10 were women.") and "place" in shapes_of("Trials ran in Brazil and Europe.")
    assert "place" in shapes_of("Level 2, East Wing") and "place" in shapes_of("It is on the ground floor.")
    assert "place" in shapes_of("You will find us at Suite 3, 27 Acme Row, Westbury.")
    assert "place" in shapes_of("14 Orchard Row, Acmeton AC3 2LP") and "place" not in shapes_of("Take 2 tablets.")
    assert "time" in shapes_of("Open Monday to Saturday, 8.30am to 6pm.") and "time" in shapes_of("Take it before bed.")
    assert "time" not in shapes_of("Take 2 tablets.")
    assert "quantity" in shapes_of("Most weigh 5 to 12 kg.") and "quantity" in shapes_of("a 380-litre tub")
    assert "quantity" in shapes_of("Pick one about 10% of your body weight.")
    assert "quantity" not in shapes_of("It weighs a lot.")
    assert "fax" in shapes_of("Fax: 01632 960 419") and "fax" not in shapes_of("Telephone: 01632 960 418")
    assert "phone" in shapes_of("Telephone: 01632 960 418") and "phone" in shapes_of("Call us on (555) 014-7720.")
    assert "phone" in shapes_of("If it gets worse, ring 111.") and "phone" not in shapes_of("Trials ran 2019-2024.")
    assert "phone" not in shapes_of("Email care@acme.example.com for a refund.")
    assert "age" in shapes_of("For adults aged 18 and over.") and "age" in shapes_of("Not for anyone under 16.")
    assert "place" in shapes_of("Put the pads either side of the spine.")
    assert "quantity" in shapes_of("Water at 5°C to 15°C.") and "quantity" not in shapes_of("Five of the 12 trials.")
    assert "funder" in shapes_of("The review was funded by a charity.")
    assert "rating" in shapes_of("★★★★★ 4.7 out of 5 (1,284 reviews)") and "rating" not in shapes_of("5 of 12 trials.")
    assert "funder" not in shapes_of("The Acme Group published its review in June.")
    assert "funder" in shapes_of("Two trials received tablets free of charge from a maker; none was industry-funded.")
    assert "interests" in shapes_of("*Dr Acme has received speaker fees from two drug makers.*")
    assert "interests" in shapes_of("This post contains affiliate links.")
    assert "interests" not in shapes_of("The trials were small and short.")
    assert "interests" in shapes_of("None of the authors has financial links with lens makers.")
    workplace = asked_shapes("Where does Dr Acme work?")
    assert workplace & shapes_of("*Dr Jo Acme is a senior lecturer at Wexbury University School of Medicine.*")
    assert "certainty" in shapes_of("There is no clear proof that it works.")
    assert "duration" in shapes_of("Relief usually comes within hours.")
    assert "person" in shapes_of("The service is led by a senior physiotherapist, Ann Lee.")
    assert "person" in shapes_of("Jo Acme-Smith is a sports physiotherapist with an MSc.")
    assert "person" not in shapes_of("Acme Tape is a cotton tape.")
    assert "person" in shapes_of("Treatment from our lead acupuncturist Jo Acme, who has 15 years of experience.")
    assert "email" not in shapes_of("Call us on 0161 496 0000.")
    definition = asked_shapes("What is the Acme Reset Protocol?")
    assert definition & shapes_of("Acmezine is a hormone that the brain releases at dusk.")
    assert definition & shapes_of("Our exclusive Acme Reset Protocol: a 3-day cleanse.")
    assert definition & shapes_of("Its derivatives, such as the nasal spray Acmexa, are safe in a clinic.")
    assert not definition & shapes_of("Our programme combines melatonin, light timing and a consultation.")
    assert not definition & shapes_of("There is a small risk of bruising.")
    assert definition & shapes_of("This is called cold shock.")
    assert definition & shapes_of("Exercise expected to cause delayed-onset muscle soreness (DOMS).")
    assert not definition & shapes_of("Soreness fell by 0.9 points (minutes to hours).")
    assert not definition & shapes_of("The trials did not look for effects such as cold shock.")
    certainty = asked_shapes("How good is the evidence that it helps?")
    assert certainty & shapes_of("Our confidence in these results is low.")
    assert certainty & shapes_of("We are moderately confident in the result for pain.")
    assert certainty & shapes_of("We have low confidence in the small benefit on sleep.")
    assert not certainty & shapes_of("Pain scores fell by 2 points on a 10-point scale.")


def test_a_count_asked_is_met_by_a_number_of_what_is_counted():
    both = counted_pattern("How many trials and participants were included in the review?")
    assert both.search("We found 38 trials with 51,240 people.")
    assert both.search("Eighteen randomised controlled trials with 1,214 participants met the criteria.")
    assert not both.search("To be included, a trial had to compare one of the following:")
    assert not both.search("The review was published in September 2024.")
    assert counted_pattern("How many of the studies were blinded?").search("Only 4 of the 12 studies were blinded.")
    # One of them is no count of them.
    staff = counted_pattern("How many practitioners work at the clinic?")
    assert not staff.search("a 20-minute consultation with one of our wellness practitioners;")
    assert staff.search("Our team of four practitioners")
    assert counted_pattern("How long does it last?") is None


@pytest.mark.parametrize("question, total_first", [
    ("How many trials and participants were included in the review?", True),
    ("How many of the trials and participants compared it with olive oil?", False)])
def test_asked_how_many_a_review_included_its_largest_count_is_the_total(question, total_first):
    texts = ["Olive oil (7 trials, 1,530 participants) made no difference.",
             "We included 19 RCTs (3,870 participants; largest trial 535).", "The review was published in 2024."]
    views = [SentenceView(t, frozenset({"trial"}), frozenset(), frozenset(), "sentence", 9, 0.5, 0.3, 0.5, 0)
             for t in texts]
    q = QuestionTerms(("trial", "particip"), np.array([2.0, 2.0]), np.array([True, True]), np.array([True, True]),
                      4.0, False)
    most = sentence_features(question, q, views)[:, RANKING_FEATURES.index("counts_most")]
    assert most.tolist() == ([0.0, 1.0, 0.0] if total_first else [0.0, 0.0, 0.0])


def test_a_sentence_under_a_heading_that_asks_the_question_scores_its_coverage():
    terms = QuestionTerms(("avoid", "supplement"), np.array([2.0, 1.0]), np.array([True, True]),
                          np.array([True, True]), 3.0, False)

    def view(section_terms: frozenset[str]) -> SentenceView:
        return SentenceView("People with glaucoma.", frozenset({"peopl", "glaucoma"}), frozenset(), section_terms,
                            "item", 3, 0.4, 0.3, 0.5, 1)

    rows = sentence_features("Who should avoid the supplement?", terms,
                             [view(frozenset({"avoid", "supplement"})), view(frozenset({"dose"}))])
    column = SENTENCE_FEATURES.index("section_coverage")
    assert rows[0, column] == pytest.approx(1.0) and rows[1, column] == 0.0


@pytest.mark.parametrize("question, qualifiers", [
    ("Does it help osteoarthritis of the hip?", ("hip",)),
    ("Does it interact with alcohol?", ("alcohol",)),
    ("Is it better than acupuncture for fibromyalgia?", ("acupunctur", "fibromyalgia")),
    ("Does it work?", ()),
    ("Can I give it to my dog?", ("dog",)),  # whom it is for
    ("Can I give my cat some?", ("cat",)),
    ("Does it ease nausea caused by chemotherapy?", ("chemotherapi",)),  # what it comes from
    ("When is the leaflet due to be reviewed?", ()),
    ("What amount of oil did the volunteers swallow?", ("oil",)),  # the qualifier ends where a verb begins
    ("What does it suggest for women whose periods have stopped?", ("women",)),
    ("How do shoppers rate it on average?", ()),  # "on average", "conflict of interest" qualify nothing
    ("What conflict of interest does the author declare?", ()),
    ("How big is the chain in terms of branches?", ("branch",)),  # nor do "in terms of" and "for good"
    ("Will my sleep stay fixed for good?", ()),
    ("Is it good for good sleep?", ("good", "sleep")),
])
def test_qualifiers_are_the_words_that_narrow_what_is_asked(question, qualifiers):
    assert qualifier_terms(question) == qualifiers


def test_the_asked_kind_counts_as_met_when_any_quotable_sentence_holds_it():
    """"Who wrote the column?": the byline need not be among the three likeliest sentences, only likely enough for
    the answer to quote; the answer then quotes it first (`answer.choose_and_order`)."""
    texts = ["I have read the whole review.", "The review was published this autumn.", "I agree with its authors.",
             "Jo Acme-Smith is a sports physiotherapist."]
    views = [SentenceView(t, frozenset({"review"}), frozenset(), frozenset(), "sentence", 6, 0.5, 0.3, 0.5, 1)
             for t in texts]
    q = QuestionTerms(("wrote", "column"), np.array([3.0, 2.0]), np.array([False, True]), np.array([False, True]),
                      4.0, False)

    def unmet(byline: float) -> float:
        row = question_features("Who wrote the column?", q, views, np.array([0.9, 0.8, 0.7, byline]), frozenset(), 0.5)
        return dict(zip(QUESTION_FEATURES, row))["shape_unmet"]

    assert unmet(0.25) == 0.0 and unmet(0.1) == 1.0


def test_a_year_asked_is_met_only_beside_what_it_is_the_year_of():
    """Asked what year the Acme clinic opened, a reference's "2024" is a year but no answer; "opened in 2015" is."""
    question = "What year did the Acme Clinic open?"
    q = QuestionTerms(("year", "acm", "clinic", "open"), np.full(4, 2.0), np.ones(4, bool), np.ones(4, bool), 4.0,
                      False)

    def unmet(text: str, terms: frozenset[str]) -> float:
        view = SentenceView(text, terms, terms, frozenset(), "sentence", 6, 0.5, 0.3, 0.5, 2)
        row = question_features(question, q, [view], np.array([0.9]), frozenset(), 0.5)
        return dict(zip(QUESTION_FEATURES, row))["shape_unmet"]

    assert unmet("(2) Acme Evidence Review, 2024.", frozenset({"acm", "evid", "review"})) == 1.0
    assert unmet("The Acme Clinic opened its doors in 2015.", frozenset({"acm", "clinic", "open", "door"})) == 0.0


def test_a_price_asked_is_met_only_beside_what_it_is_the_price_of():
    """Asked what the Acme clinic charges for an X-ray, its price list is no answer; asked what a bottle of Acme
    syrup costs, "£11.99 for 150 mL" under the heading "Acme Syrup" is, though it names no bottle."""
    def unmet(question: str, text: str, terms: frozenset[str], section: frozenset[str]) -> float:
        asked = terms_of(question)
        q = QuestionTerms(asked, np.full(len(asked), 2.0), np.ones(len(asked), bool), np.ones(len(asked), bool), 4.0,
                          False)
        view = SentenceView(text, terms, terms, section, "sentence", 6, 0.5, 0.3, 0.5, 2)
        row = question_features(question, q, [view], np.array([0.9]), frozenset(), 0.5)
        return dict(zip(QUESTION_FEATURES, row))["shape_unmet"]

    prices = frozenset({"plan", "month", "adjust"})
    assert unmet("How much does the Acme clinic charge for an X-ray?", "Monthly plan: £38.", prices,
                 frozenset()) == 1.0
    assert unmet("How much does the Acme clinic charge for an X-ray?", "X-rays cost £60.", frozenset({"ray", "cost"}),
                 frozenset()) == 0.0
    assert unmet("How much does a bottle of Acme syrup cost?", "£11.99 for 150 mL.", frozenset({"ml"}),
                 frozenset({"acm", "syrup"})) == 0.0


def test_what_a_price_is_asked_of_is_missing_in_the_share_no_priced_sentence_names():
    """Asked the price of the Acme Junior blanket when the page prices only the Acme Single, "junior" is missing; a
    word no page uses at all (a paraphrase as often as not) and the words naming the page asked about are not."""
    question = "How much does the Acme Junior blanket cost?"
    terms = ("junior", "blanket")

    def missing(known: list[bool], pointing: float, nearby: frozenset[str]) -> float:
        q = QuestionTerms(terms, np.array([3.0, 1.0]), np.array(known), np.array(known), 4.0, False,
                          pointing_weight=pointing)
        view = SentenceView("The Acme Single costs £89.", nearby, nearby, frozenset(), "sentence", 5, 0.5, 0.3, 0.5, 2)
        row = question_features(question, q, [view], np.array([0.9]), frozenset(), 0.5)
        return dict(zip(QUESTION_FEATURES, row))["asked_of_missing"]

    single = frozenset({"singl", "blanket", "cost"})
    assert missing([True, True], 0.0, single) == pytest.approx(0.75)
    assert missing([True, True], 4.0, single) == pytest.approx(3 / 8)  # "Acme" names the page: present
    assert missing([False, True], 0.0, single) == 0.0  # no page says "junior"
    assert missing([True, True], 0.0, single | {"junior"}) == 0.0
    # "Junior" points at the page only because no other page mentions it: no name of the page, it is still missing.
    q = QuestionTerms(("blanket",), np.array([1.0]), np.ones(1, bool), np.ones(1, bool), 4.0, False,
                      pointing_weight=4.0, pointing_described=(("junior", 3.0),))
    view = SentenceView("The Acme Single costs £89.", single, single, frozenset(), "sentence", 5, 0.5, 0.3, 0.5, 2)
    row = question_features(question, q, [view], np.array([0.9]), frozenset(), 0.5)
    assert dict(zip(QUESTION_FEATURES, row))["asked_of_missing"] == pytest.approx(3 / 8)


def test_the_words_pointing_at_a_source_are_no_missing_qualifier():
    """"Of the Acme clinic" says where to look; the pointing words are left out of the question's terms, and the
    evidence sentences need not repeat them."""
    def row(terms: tuple[str, ...]) -> dict[str, float]:
        q = QuestionTerms(terms, np.full(len(terms), 2.0), np.ones(len(terms), bool), np.ones(len(terms), bool), 4.0,
                          False, frozenset({"address", "suit", "row"}), frozenset({"place"}))
        return dict(zip(QUESTION_FEATURES, question_features("What is the address of the Acme clinic?", q, [],
                                                             np.zeros(0), frozenset({"address"}), 0.0)))

    assert row(("address",))["qualifier_missing"] == 0.0  # "acme" and "clinic" pointed at the clinic's page
    assert row(("address", "acme", "clinic"))["qualifier_missing"] == pytest.approx(0.5)


def test_a_question_asking_a_named_source_for_what_it_never_says_is_flagged():
    """"The clinic's email" when the clinic's page gives only a phone number and an address."""
    def terms(pointed: frozenset[str] | None, shapes: frozenset[str]) -> QuestionTerms:
        return QuestionTerms(("email", "clinic"), np.array([3.0, 1.0]), np.array([False, True]),
                             np.array([False, True]), 4.0, False, pointed, shapes)

    def row(q: QuestionTerms) -> dict[str, float]:
        return dict(zip(QUESTION_FEATURES, question_features("What is the clinic's email address?", q, [], np.zeros(0),
                                                             frozenset(), 0.0)))

    flagged = row(terms(frozenset({"clinic", "phone"}), frozenset({"contact", "place"})))
    assert flagged["pointed_shape_unmet"] == 1.0 and flagged["pointed_uncovered"] == pytest.approx(0.75)
    met = row(terms(frozenset({"clinic", "email"}), frozenset({"email"})))
    assert met["pointed_shape_unmet"] == 0.0 and met["pointed_uncovered"] == 0.0
    unpointed = row(terms(None, frozenset()))
    assert unpointed["pointed_shape_unmet"] == 0.0 and unpointed["pointed_uncovered"] == 0.0


def test_a_question_pointing_at_a_source_is_judged_by_that_source_s_best_sentence():
    """Asked for one clinic's opening hours, another clinic's hours are no answer."""
    def view(text: str, pointed: bool) -> SentenceView:
        return SentenceView(text, frozenset({"open", "hour"}), frozenset(), frozenset(), "sentence", 6, 0.6, 0.3, 0.5,
                            2, pointed=pointed)

    views = [view("Open Monday to Saturday, 7am to 8pm.", False), view("I see patients with poor sleep.", True)]
    probabilities = np.array([0.95, 0.2])

    def row(pointed: frozenset[str] | None) -> dict[str, float]:
        q = QuestionTerms(("open", "hour"), np.array([2.0, 2.0]), np.array([True, True]), np.array([True, True]),
                          4.0, False, pointed)
        return dict(zip(QUESTION_FEATURES, question_features("What are the opening hours of the Acme centre?", q,
                                                             views, probabilities, frozenset(), 0.5)))

    pointed, unpointed = row(frozenset({"sleep"})), row(None)
    assert pointed["pointed_best"] < 0 < unpointed["pointed_best"]
    assert unpointed["pointed_best"] == pytest.approx(unpointed["best_sentence"])


def test_words_the_evidence_never_mentions_narrow_the_question_it_answers(engine):
    """Asked about a dog, evidence about adults answers the question without the dog; a chatty word the evidence
    lacks moves the question's meaning less; a question the evidence covers word for word is not narrowed."""
    from rag.features import narrowing
    from rag.lexical import tokenize

    evidence = "Acme tablets are safe for adults to take every day with food."
    vector = engine.encoder.encode([evidence])[0]
    present = frozenset(tokenize([evidence])[0])

    def narrowed(question: str, tokens: bool = True) -> float:
        terms = tuple(dict.fromkeys(tokenize([question])[0]))
        ones = np.ones(len(terms))
        q = QuestionTerms(terms, ones, ones.astype(bool), ones.astype(bool), 4.0, False)
        vectors = engine.encoder.encode_tokens([question])[0]
        view = SentenceView(evidence, present, present, frozenset(), "sentence", 11,
                            float(vector @ vectors.pooled()), 0.0, 0.5, 0, vector=vector)
        return narrowing(question, q, vectors if tokens else None, [view], present)

    dog, hype = narrowed("Are Acme tablets safe for my dog?"), narrowed("Are Acme tablets really safe or is that hype?")
    assert dog > 1.5 * hype > 0
    assert narrowed("Are Acme tablets safe for adults to take?") == 0.0
    assert narrowed("Are Acme tablets safe for my dog?", tokens=False) == 0.0  # no token vectors, no claim


@pytest.mark.parametrize("question, names", [
    ("my mum is 84 and quite frail, can she use it", []),  # an age says who asks
    ("im 8 weeks and feel sick, does it help", []),
    ("can my 10 yr old have the syrup", []),
    ("What did the 2019 trial find?", ["2019"]),  # a year names a study
    ("How much does the 9 kg Cocoon cost?", ["9", "Cocoon"]),  # a size names a product
    ("What is the price of the 180-softgel tub?", ["180-softgel"]),
])
def test_names_are_capitalised_words_and_numbers_that_are_no_one_s_age(question, names):
    assert names_in(question) == names


def test_a_name_in_full_is_a_run_of_capitalised_words_past_the_first():
    from rag.features import name_phrases

    assert name_phrases("What did the Journal of Acme Research study find?") == ["Journal of Acme Research"]
    assert name_phrases("Does Acme work? Does Acme Labs say so?") == ["Acme Labs"]
    assert name_phrases("Where is the clinic?") == []


def test_a_word_the_corpus_uses_but_the_evidence_leaves_out_is_missing_apart_from_unseen_ones():
    """Asked whether ginger eases period pain of pages on nausea, "period" is on some page (a trial's "first period")
    but not in the evidence: missing as the corpus's own word. "Cramps", on no page, may be a paraphrase: not counted."""
    q = QuestionTerms(("ginger", "period", "cramp"), np.array([1.0, 2.0, 1.0]), np.array([True, True, False]),
                      np.array([True, True, False]), 4.0, False)
    view = SentenceView("Ginger eased nausea a little.", frozenset({"ginger", "eas", "nausea"}),
                        frozenset({"ginger", "eas", "nausea"}), frozenset(), "sentence", 5, 0.5, 0.3, 0.5, 2)
    row = question_features("Does ginger ease period cramps?", q, [view], np.array([0.9]), frozenset(), 0.5)
    assert dict(zip(QUESTION_FEATURES, row))["known_missing"] == pytest.approx(2 / 4)


@pytest.mark.parametrize("question, asked", [
    ("Does it actually reduce pain, or is that just hype?", {"efficacy"}),
    ("Is it safe to take every day?", {"safety"}),
    ("How strong is the evidence from the trials?", {"evidence"}),
    ("What is the clinic's email address?", set()),
])
def test_the_question_model_hears_which_topics_a_question_asks_about(question, asked):
    q = QuestionTerms(("pain",), np.array([2.0]), np.array([True]), np.array([True]), 4.0, False)
    row = dict(zip(QUESTION_FEATURES, question_features(question, q, [], np.zeros(0), frozenset(), 0.0)))
    assert {t for t in ("efficacy", "safety", "evidence") if row[f"asks_{t}"]} == asked
