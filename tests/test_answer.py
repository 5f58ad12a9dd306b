import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.errors import QueryError
from rag.stance import answer_topics, question_topics, stances

REVIEW = "nmda-review-2025"


def assert_verbatim(engine, answer):
    for c in answer.citations:
        assert engine.index.documents[c.doc_id].text[c.char_start:c.char_end] == c.quote
        assert f"{c.quote} [{c.n}]" in answer.answer
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_efficacy_question_leads_with_the_review_and_reports_disagreement(engine):
    a = engine.ask("Is ketamine an effective treatment for chronic pain?")
    assert not a.abstained and engine.threshold < a.confidence <= 1.0
    assert a.citations[0].doc_id == REVIEW
    assert a.disagreement is not None and "efficacy" in a.disagreement.topics
    assert a.disagreement.stronger[0] == 1 and a.disagreement.weaker
    # The review's finding itself, not only its framing sentence.
    assert "no clear proof" in " ".join(c.quote for c in a.citations if c.doc_id == REVIEW)
    # Its hopeful closing forecast ("will pave the way for ... better health outcomes") is no finding.
    assert not any(" will " in c.quote for c in a.citations if c.doc_id == REVIEW)
    assert all(a.citations[n - 1].doc_id != REVIEW for n in a.disagreement.weaker)
    # A page's list of side effects says nothing of whether the treatment works.
    assert not any("side effects" in a.citations[n - 1].quote for n in a.disagreement.weaker)
    assert a.disagreement.note in a.answer and "disagree" in a.answer
    assert_verbatim(engine, a)
    # A weaker page's sales talk to the reader ("treatment near you") is no answer on whether it works.
    from rag.features import addresses_reader
    from rag.stance import stances

    pitches = [c.quote for c in a.citations if c.doc_id != REVIEW and addresses_reader(c.quote)
               and not any(s.topic == "efficacy" for s in stances(c.quote))]
    assert pitches == []


def test_safety_question_reports_disagreement_on_safety(engine):
    a = engine.ask("Is ketamine safe?")
    assert a.citations[0].doc_id == REVIEW
    assert a.disagreement and a.disagreement.topics == ["safety"]
    assert_verbatim(engine, a)


@pytest.mark.parametrize("question", ["What is the capital of France?", "Who won the football world cup in 2018?"])
def test_off_topic_questions_abstain_without_citations(engine, question):
    a = engine.ask(question)
    assert a.abstained and a.citations == [] and a.disagreement is None
    assert "do not answer" in a.answer and a.confidence < engine.threshold


def test_propel_location_answers_from_propel_without_the_review(engine):
    a = engine.ask("Where is the Propel Therapeutics clinic located?")
    assert not a.abstained
    assert a.citations[0].doc_id == "propel-neuropathic"
    assert "Sacramento" in a.answer
    assert REVIEW not in {c.doc_id for c in a.citations} and a.disagreement is None
    assert_verbatim(engine, a)


def test_answers_stay_within_budget_and_have_no_duplicate_quotes(engine):
    for q in ["What side effects does ketamine have?", "How does ketamine work?", "Does ketamine help fibromyalgia?"]:
        a = engine.ask(q)
        quotes = [c.quote for c in a.citations]
        rules = engine.settings.answer
        most, _ = rules.budget(bool(answer_topics(q)))
        assert len(set(quotes)) == len(quotes) and 1 <= len(quotes) <= most + 2 + rules.max_list_items
        assert_verbatim(engine, a)


@pytest.mark.parametrize("question, doc_ids, phrase", [
    ("What side effects are mentioned?", ["propel-neuropathic"], "Side effects of ketamine can include"),
    ("How long must pain last to count as chronic?", None, "three months or longer"),
])
def test_paraphrased_questions_are_answered_with_the_sentence_that_answers(engine, question, doc_ids, phrase):
    a = engine.ask(question, doc_ids=doc_ids)
    assert not a.abstained and phrase in a.answer
    assert_verbatim(engine, a)


def _quoted(index, s: int):
    """Sentence `s` as a chosen candidate, likely and of the strongest tier: what the answer-shaping steps take in."""
    from rag.answer import Candidate

    return Candidate(s, index.sentences[s].chunk, 0.9, 0)


def _query(index, encoder, text: str, pointed: frozenset[str] = frozenset()):
    """`text` as the answer reads a question, pointing at `pointed`."""
    from rag.retrieve import Query

    return Query(text, encoder.encode([text])[0], index.lexicon.query_terms(text), pointed)


def _index_with_page(settings, encoder, write_document, doc_id: str, body: str):
    """The index of the corpus at `settings` rebuilt with one more page."""
    return _index_with_pages(settings, encoder, write_document, {doc_id: (body, "unsourced")})


def _index_with_pages(settings, encoder, write_document, pages: dict[str, tuple[str, str]]):
    """The index of the corpus at `settings` rebuilt with more pages, each id's (body, evidence tier)."""
    from rag.build import build_index
    from rag.index import load_index

    for doc_id, (body, tier) in pages.items():
        write_document(settings.corpus_dir, doc_id, body, tier=tier)
    build_index(settings, encoder)
    return load_index(settings)


def test_a_sentence_introducing_a_list_brings_its_items(engine):
    index = engine.index
    from rag.answer import with_list_items
    from rag.features import introduces_list

    intro = next(i for i, s in enumerate(index.sentences) if introduces_list(index.sentence_text(i))
                 and i + 1 < len(index.sentences) and index.sentences[i + 1].kind == "item")

    out = with_list_items(index, [_quoted(index, intro)], limit=3)
    assert out[0].sentence == intro and [c.sentence for c in out[1:]] == list(range(intro + 1, intro + 1 + len(out) - 1))
    assert 1 <= len(out) - 1 <= 3 and all(index.sentences[c.sentence].kind == "item" for c in out[1:])


def test_a_list_item_brings_its_introduction_and_the_other_items(engine):
    """An item quoted alone ("nausea") is read with what introduces it ("Side effects can include:") and its
    fellows, in the item's place; a chosen item past the limit still comes, in list order."""
    index = engine.index
    from rag.answer import with_list_items
    from rag.features import introduces_list

    intro = next(i for i, s in enumerate(index.sentences) if introduces_list(index.sentence_text(i))
                 and i + 2 < len(index.sentences) and index.sentences[i + 2].kind == "item")
    other = next(i for i, s in enumerate(index.sentences)
                 if s.kind == "text" and s.doc_id != index.sentences[intro].doc_id)

    out = [c.sentence for c in with_list_items(index, [_quoted(index, other), _quoted(index, intro + 2)], limit=1)]
    assert out == [other, intro, intro + 1, intro + 2]


@pytest.mark.parametrize("line, caption", [("Propel Therapeutics", True), ("Contact details", True),
                                           ("Ketamine may be given by infusion.", False),
                                           ("Side effects of ketamine can include:", False),
                                           ("A caption line " + "that goes on " * 6, False)])
def test_a_short_unpunctuated_line_is_a_caption(line, caption):
    from rag.features import is_caption

    assert is_caption(line) is caption


def test_a_caption_over_a_list_brings_its_items(built, encoder, write_document):
    from rag.answer import with_list_items

    index = _index_with_page(built, encoder, write_document, "caption-clinic",
                             "## Visit\n\nNorthwind Pain Clinic\n\n- Address: 12 Harbour Road, Port Ellis\n"
                             "- Phone: 555 0199\n\nWe look forward to seeing you.\n")
    caption = _sentence(index, "caption-clinic", "Northwind Pain Clinic")
    out = with_list_items(index, [_quoted(index, caption)], limit=8)
    assert [index.sentence_text(c.sentence) for c in out] == [
        "Northwind Pain Clinic", "Address: 12 Harbour Road, Port Ellis", "Phone: 555 0199"]


@pytest.mark.parametrize("mention, page, body, tier, title, publisher, question", [
    # A guide recommends the drops by name; asked about them, the shop whose page they title is the one asked.
    ("Many readers swear by Quillby Comfort Drops.", "drops-shop", "Each bottle of Quillby Comfort Drops holds 30 ml.",
     "unsourced", "Quillby Comfort Drops | Acme Shop", None, "How much does one Quillby Comfort Drops bottle hold?"),
    # Only a guide's link spells "Pellow Reset Programme" so; the clinic's page is titled by its terms.
    ("Try the Pellow Reset Programme today.", "reset-clinic", "Our Reset programme costs £90.", "unsourced",
     "The Reset Programme | Pellow Clinic", None, "What does the Pellow Reset Programme cost?"),
    # Only a column names "the Quarle Evidence Unit" in its text; the unit publishes the review.
    ("The Quarle Evidence Unit was too strict.", "unit-review", "We included 9 trials.", "systematic-review", None,
     "Quarle Evidence Unit", "How many trials did the Quarle Evidence Unit review include?")])
def test_a_name_in_full_points_at_the_page_it_titles_or_publishes(built, encoder, write_document, mention, page, body,
                                                                 tier, title, publisher, question):
    from conftest import document

    from rag.answer import pointed_documents

    write_document(built.corpus_dir, "name-guide", f"## Tips\n\n{mention}\n")
    text = document(page, f"## About\n\n{body}\n", tier, title)
    if publisher:
        text = text.replace("publisher: null", f'publisher: "{publisher}"')
    (built.corpus_dir / f"{page}.md").write_text(text, encoding="utf-8")
    index = _index_with_page(built, encoder, write_document, "feet-leaflet", "## Feet\n\nKeep feet dry.\n")
    assert pointed_documents(index, question)[0] == {page}


def test_a_quoted_sentence_brings_the_next_that_names_what_it_described(built, encoder, write_document):
    from rag.answer import with_following

    index = _index_with_page(built, encoder, write_document, "naming-leaflet",
                             "## Cold water\n\nYour body reacts with a sudden gasp and fast breathing. "
                             "This is called cold shock. It passes within a minute.\n")
    gasp = _sentence(index, "naming-leaflet", "Your body reacts")
    out = with_following(index, [_quoted(index, gasp)])
    assert [index.sentence_text(c.sentence) for c in out] == [
        "Your body reacts with a sudden gasp and fast breathing.", "This is called cold shock."]
    named = gasp + 1  # quoted on its own, the name brings nothing after it
    assert [c.sentence for c in with_following(index, [_quoted(index, named)])] == [named]


def test_asked_what_to_do_a_quoted_sentence_brings_the_instruction_after_it(built, encoder, write_document):
    from rag.answer import with_following

    index = _index_with_page(built, encoder, write_document, "advice-leaflet",
                             "## Allergy\n\nIf the lips swell after a dose, this could be an allergic reaction. "
                             "Call 999 straight away. Allergies are rare.\n")
    quoted = [_quoted(index, _sentence(index, "advice-leaflet", "If the lips swell"))]
    assert [index.sentence_text(c.sentence) for c in with_following(index, quoted, advice=True)][1:] == [
        "Call 999 straight away."]
    assert [c.sentence for c in with_following(index, quoted)] == [quoted[0].sentence]  # not asked what to do


PITCH = "Our clinic provides a personal experience guided by ketamine trained professionals."


def _sentence(index, doc_id: str | None, words: str) -> int:
    """The first sentence (of `doc_id`, if given) whose text holds `words`."""
    return next(i for i in range(len(index.sentences)) if words in index.sentence_text(i)
                and doc_id in (None, index.sentences[i].doc_id))


def _candidates(index, settings, scored):
    """Hand-scored candidates, each (sentence, probability), likeliest first, each with its page's tier rank."""
    from rag.answer import Candidate

    rank = settings.retrieval.tier_rank
    return sorted((Candidate(s, index.sentences[s].chunk, p, rank(index.documents[index.sentences[s].doc_id]
                                                                  .evidence_tier)) for s, p in scored),
                  key=lambda c: -c.relevance)


def _chosen(engine, query, scored: list[tuple[int, float, int]]) -> list[int]:
    """`choose_and_order` over hand-scored candidates, each (sentence, probability, tier rank): the policy alone,
    whatever the scorer would have said."""
    from rag.answer import Candidate, choose_and_order

    index = engine.index
    candidates = [Candidate(s, index.sentences[s].chunk, p, tier) for s, p, tier in scored]
    ordered, _ = choose_and_order(index, query, candidates, engine.settings)
    return [c.sentence for c in ordered]


def test_a_question_weighing_the_evidence_quotes_more_than_a_factual_one(engine):
    """Whether it works is answered by weighing sides (the finding, its caveats, the claims against it), which
    takes more room than saying what a thing is: among a dozen short sentences, all about as likely, the one
    question quotes more of them than the other."""
    from rag.chunk import sentence_tokens

    index, rules = engine.index, engine.settings.answer
    short = [i for i, s in enumerate(index.sentences) if s.kind == "text" and s.doc_id != REVIEW
             and sentence_tokens(index.sentence_text(i), engine.settings.chunking.encoding) <= 30][:12]
    scored = [(s, 0.9 - 0.001 * n, 2) for n, s in enumerate(short)]
    weighing = _chosen(engine, engine.query("Is ketamine effective for chronic pain?"), scored)
    factual = _chosen(engine, engine.query("What is ketamine?"), scored)
    assert len(factual) == rules.max_sentences
    assert len(weighing) == rules.budget(True)[0] > rules.max_sentences


def test_on_a_factual_question_the_stronger_tier_opens_only_among_sentences_answering_as_well(engine):
    """"How many trials were there?" is answered by its likeliest sentence whatever the tier; but a weaker page
    all but as likely (a leaflet repeating the review's figure) does not open before the review."""
    review = _sentence(engine.index, REVIEW, "no clear proof")
    other = _sentence(engine.index, "thurston-chronic-pain", "Ketamine infusions have been reported")
    query = engine.query("How many trials were there?")
    assert _chosen(engine, query, [(other, 0.998, 1), (review, 0.995, 0)])[0] == review
    assert _chosen(engine, query, [(other, 0.998, 1), (review, 0.9, 0)])[0] == other


def test_sales_talk_alone_still_leaves_an_answer(engine):
    """On a safety question, a weaker page's pitch is set aside; when it was all the scorer liked, the answer falls
    back to what remains instead of quoting nothing."""
    pitch, review = _sentence(engine.index, None, PITCH), _sentence(engine.index, REVIEW, "adverse")
    assert _chosen(engine, engine.query("Is ketamine safe?"), [(pitch, 0.9, 2), (review, 0.05, 0)]) == [review]


def test_the_page_asked_about_is_not_set_aside_as_sales_talk(engine):
    """Asked how safe the Propel blog says ketamine is, the blog's own talk to its reader is the answer asked for."""
    pitch, review = _sentence(engine.index, None, PITCH), _sentence(engine.index, REVIEW, "adverse")
    query = engine.query("How safe is ketamine according to the Propel blog?")
    assert query.pointed == {"propel-neuropathic"}
    assert pitch in _chosen(engine, query, [(pitch, 0.9, 2), (review, 0.05, 0)])


def test_a_sentence_that_asks_is_never_quoted_as_an_answer(built, encoder, write_document):
    """"Worried about side effects?" echoes a safety question closely and answers none of it."""
    from rag.answer import Candidate, choose_and_order
    from rag.build import build_index
    from rag.index import load_index

    write_document(built.corpus_dir, "acme-shop", "Worried about Acme side effects? Acme is gentle.\n\n"
                   "**Is Acme safe?**\n", tier="promotional")
    build_index(built, encoder)
    index = load_index(built)
    text = "Is Acme safe?"
    query = _query(index, encoder, text)
    worried, gentle, bold = (i for i in range(len(index.sentences)) if index.sentences[i].doc_id == "acme-shop")
    scored = ((worried, 0.95), (bold, 0.9), (gentle, 0.6))
    candidates = [Candidate(s, index.sentences[s].chunk, p, 2) for s, p in scored]
    assert [c.sentence for c in choose_and_order(index, query, candidates, built)[0]] == [gentle]


def test_a_question_asking_for_a_place_gets_the_likeliest_sentence_that_holds_one(engine):
    """However much better other sentences echo the question, an address question is answered by an address."""
    echo, address = _sentence(engine.index, None, PITCH), _sentence(engine.index, None, "1010 Hurley Way")
    assert engine.index.sentence_text(address).startswith("1010 Hurley Way")
    query = engine.query("What is the address of the clinic?")
    assert _chosen(engine, query, [(echo, 0.9, 2), (address, 0.3, 2)]) == [address, echo]


def test_a_question_asking_for_a_kind_of_answer_hears_the_likeliest_holder_first_whatever_its_tier(engine):
    """"How long does it take to help?" asks about efficacy and for a duration: the sentence likeliest to give the
    duration opens, though a stronger tier's less likely one holds a duration too."""
    index = engine.index
    quick = _sentence(index, "propel-neuropathic", "within minutes")
    review = _sentence(index, REVIEW, "three months or longer")
    chosen = _chosen(engine, engine.query("How long does ketamine take to help with pain?"),
                     [(quick, 0.9, 2), (review, 0.6, 0)])
    assert chosen[0] == quick and review in chosen


@pytest.mark.parametrize("question", ["How confident are the reviewers in what they found?",
                                      "How much trust can be placed in the research on ketamine?",
                                      "Can the findings on ketamine for pain be trusted?"])
def test_asked_how_sure_the_evidence_is_a_sentence_grading_it_opens(engine, question):
    """Asked how sure someone is of a finding, or whether it can be trusted, the sentence saying how sure the
    evidence is opens, though a pitch echoes the question's words more closely."""
    pitch, graded = _sentence(engine.index, None, PITCH), _sentence(engine.index, REVIEW, "no clear proof")
    assert _chosen(engine, engine.query(question), [(pitch, 0.9, 2), (graded, 0.5, 0)])[0] == graded


@pytest.mark.parametrize("question, review_first", [("Does ketamine change how the brain handles signals?", True),
                                                     ("How does ketamine change how the brain handles signals?", False)])
def test_a_yes_or_no_question_hears_the_strongest_tier_first_among_equals(engine, question, review_first):
    """Asked for a yes or a no, the review goes first among sentences that answer about as well, even when no
    topic word (works, safe, evidence) is in the question; a factual question keeps the likeliest first."""
    pitch, review = _sentence(engine.index, None, PITCH), _sentence(engine.index, REVIEW, "adverse")
    chosen = _chosen(engine, engine.query(question), [(pitch, 0.9, 2), (review, 0.85, 0)])
    assert chosen[0] == (review if review_first else pitch)


def test_a_pointed_source_s_sentences_are_measured_against_its_own_best(engine):
    """Asked what the review looked at, its likeliest sentence is quoted (first) though another page's sentence
    echoes the wording better than the review's best."""
    pitch, review = _sentence(engine.index, None, PITCH), _sentence(engine.index, REVIEW, "memantine")
    query = engine.query("What drugs did the review look at?")
    assert query.pointed == {REVIEW}
    assert _chosen(engine, query, [(pitch, 0.7, 2), (review, 0.3, 0)])[0] == review


def test_a_pointed_source_is_quoted_though_likelier_pages_could_fill_the_answer(engine):
    index = engine.index
    others = [i for i in range(len(index.sentences)) if index.sentences[i].doc_id != REVIEW
              and index.sentences[i].kind == "text"][:engine.settings.answer.max_sentences + 1]
    review = _sentence(index, REVIEW, "memantine")
    query = engine.query("What drugs did the review look at?")
    scored = [(s, 0.95 - 0.01 * n, 2) for n, s in enumerate(others)] + [(review, 0.5, 0)]
    assert review in _chosen(engine, query, scored)


def test_a_mixed_review_is_quoted_on_both_sides(built, encoder, write_document):
    """"Unlikely to cause serious harm" and "skin problems affected 6 in 100": a safety question hears both."""
    from rag.answer import Candidate, strongest_finding
    from rag.build import build_index
    from rag.disagree import StanceReader
    from rag.index import load_index

    write_document(built.corpus_dir, "mixed-review", "## Harms\n\nThe device is unlikely to cause serious harm. "
                   "It is well tolerated by most people. Skin irritation affected 6 in 100 people.\n",
                   tier="systematic-review")
    build_index(built, encoder)
    index = load_index(built)
    ids = [i for i in range(len(index.sentences)) if index.sentences[i].doc_id == "mixed-review"
           and index.sentences[i].kind != "heading"]
    candidates = [Candidate(s, index.sentences[s].chunk, p, 0) for s, p in zip(ids, (0.9, 0.8, 0.5))]
    finding = strongest_finding(index, ("safety",), candidates, built, StanceReader(index))
    assert [index.sentence_text(c.sentence) for c in finding] == [
        "The device is unlikely to cause serious harm.", "It is well tolerated by most people.",
        "Skin irritation affected 6 in 100 people."]


@pytest.mark.parametrize("question, figure", [
    ("Is it true that Acme gel cuts knee pain by 60%?", "About 21 in 100 people using the gel"),
    ("Does Acme gel work for 9 out of 10 people, as the clinic says?", "About 21 in 100 people using the gel"),
    ("Does Acme gel really double your chance of walking without pain?", "People using it scored 4 points lower"),
    ("Does Acme gel work for knee pain?", None),
    ("Is it true that only 1 in 100 people get side effects from Acme gel?", "Side effects, mostly skin redness"),
])
def test_asked_whether_a_claimed_figure_holds_the_strongest_tier_s_own_figure_is_quoted(
        built, encoder, write_document, question, figure):
    """"Does it cut pain by 60%?" is answered by what the trials measured: the review's own share when the claim is a
    share, any figure of its own when the claim is a multiple, whether or not the sentence takes a side. A share of
    harms answers only a claim about harms, however likely the sentence giving it."""
    from rag.answer import Candidate, claimed_figure
    from rag.build import build_index
    from rag.index import load_index

    write_document(built.corpus_dir, "acme-review", "Acme gel made little difference to knee pain. Side effects, "
                   "mostly skin redness, affected 5 in 100 people using the gel. People using it scored 4 points "
                   "lower on a 100-point pain scale. About 21 in 100 people using the gel said their pain halved, "
                   "against 18 in 100 using a dummy gel.\n", tier="systematic-review")
    write_document(built.corpus_dir, "acme-clinic", "Acme gel cuts knee pain by 60%.\n", tier="promotional")
    build_index(built, encoder)
    index = load_index(built)
    ids = [i for i in range(len(index.sentences)) if index.sentences[i].doc_id in {"acme-review", "acme-clinic"}]
    tiers = {"acme-review": 0, "acme-clinic": 2}
    candidates = [Candidate(s, index.sentences[s].chunk, p, tiers[index.sentences[s].doc_id])
                  for s, p in zip(sorted(ids, key=lambda s: index.sentences[s].doc_id == "acme-review"),
                                  (0.95, 0.9, 0.8, 0.6, 0.4))]
    query = _query(index, encoder, question)
    quoted = [index.sentence_text(c.sentence) for c in claimed_figure(index, query, answer_topics(question),
                                                                     candidates, built)]
    assert (quoted[0].startswith(figure) if figure else not quoted), quoted


def test_a_page_s_support_in_words_no_cue_lists_is_heard_through_the_stance_layer(built, encoder, write_document,
                                                                                  engine):
    """The review finds the gel no better than a dummy one; the clinic claims the opposite in words no stance rule
    lists. The served stance layer hears the clinic's side, so the two are set against each other; the rules alone
    hear only the review."""
    from rag.build import build_index
    from rag.disagree import StanceReader, add_disagreement
    from rag.index import load_index

    write_document(built.corpus_dir, "acme-review", "Acme gel was no better than a dummy gel for knee pain.\n",
                   tier="systematic-review")
    write_document(built.corpus_dir, "acme-clinic", "Thousands of happy clients have already left their knee pain "
                   "behind with Acme gel.\n", tier="promotional")
    build_index(built, encoder)
    index = load_index(built)
    review, clinic = _sentence(index, "acme-review", "dummy"), _sentence(index, "acme-clinic", "Thousands")
    candidates = _candidates(index, built, ((review, 0.9), (clinic, 0.8)))
    question = "Does Acme gel work for knee pain?"
    chosen, sides = add_disagreement(index, question, candidates, candidates[:1], built,
                                     StanceReader(index, engine.scorer.stance))
    assert sides == {"efficacy": ([review], [clinic])} and [c.sentence for c in chosen] == [review, clinic]
    assert add_disagreement(index, question, candidates, candidates[:1], built, StanceReader(index))[1] == {}


def test_a_reported_claim_is_judged_by_the_stronger_tier_whatever_words_it_asks_in(built, encoder, write_document):
    """"The clinic says its clients rarely get bloating. How common is bloating really?" names no topic word, yet it
    asks whether the clinic's claim holds: the review judges it. Asked without the claim, the clinic answers."""
    from rag.answer import claim_judges
    from rag.build import build_index
    from rag.index import load_index

    write_document(built.corpus_dir, "acme-clinic", "Our clients rarely get bloating on the Acme plan.\n",
                   tier="promotional")
    write_document(built.corpus_dir, "acme-review", "Bloating affected about 12 in 100 people on the plan.\n",
                   tier="systematic-review")
    build_index(built, encoder)
    index = load_index(built)
    candidates = _candidates(index, built, ((_sentence(index, "acme-clinic", "rarely"), 0.9),
                                            (_sentence(index, "acme-review", "12 in 100"), 0.6)))

    def judges(text: str) -> frozenset[str]:
        return claim_judges(index, _query(index, encoder, text, frozenset({"acme-clinic"})), answer_topics(text),
                            candidates, built)

    assert judges("The Acme clinic says its clients rarely get bloating. How common is bloating really?") == {
        "acme-review"}
    # A claim is reported in other words than "says": a page argues, thinks, calls it something.
    assert judges("The Acme clinic argues that its clients rarely get bloating. How common is bloating really?") == {
        "acme-review"}
    assert judges("How common is bloating on the Acme clinic's plan?") == frozenset()


def test_a_stronger_page_answering_a_reported_claim_far_better_than_the_review_judges_it_and_opens(
        built, encoder, write_document):
    """"The listicle says Acme is safe for everyone. Is it safe after a transplant?": the leaflet's warning
    answers it and the review's harms in its trials hardly do. The review still judges the claim, but it can no
    longer crowd the leaflet out of the answer, and the leaflet opens. When the leaflet answers no better, the
    review alone judges."""
    from rag.answer import Candidate, choose_and_order, claim_judges

    index = _index_with_pages(built, encoder, write_document, {
        "acme-listicle": ("Acme tablets are completely safe for everyone.\n", "unsourced"),
        "acme-leaflet": ("Acme tablets are not for people who have had an organ transplant.\n", "expert-opinion"),
        "acme-review": ("Side effects affected about 3 in 100 people in the trials.\n", "systematic-review")})
    text = "The acme listicle says Acme tablets are safe for everyone. Is it safe to take them after a transplant?"
    query = _query(index, encoder, text, frozenset({"acme-listicle"}))

    def candidates(leaflet: float) -> list[Candidate]:
        return _candidates(index, built, ((_sentence(index, "acme-leaflet", "transplant"), leaflet),
                                          (_sentence(index, "acme-review", "3 in 100"), 0.69),
                                          (_sentence(index, "acme-listicle", "safe"), 0.48)))

    assert claim_judges(index, query, answer_topics(text), candidates(0.86), built) == {"acme-review", "acme-leaflet"}
    opening = choose_and_order(index, query, candidates(0.86), built)[0][0]
    assert index.sentences[opening.sentence].doc_id == "acme-leaflet"
    assert claim_judges(index, query, answer_topics(text), candidates(0.6), built) == {"acme-review"}


def test_when_the_strongest_tier_alone_judges_a_claim_its_finding_still_opens(built, encoder, write_document):
    """Judged by the review alone, its sentences keep their own order, the finding before a likelier sentence that
    follows it: no weaker judge answers far better, so none is moved to the front."""
    from rag.answer import choose_and_order

    index = _index_with_pages(built, encoder, write_document, {
        "acme-listicle": ("Acme tablets cure back pain in days.\n", "unsourced"),
        "acme-review": ("Acme tablets made little or no difference to back pain. We looked at trials of Acme tablets "
                        "for back pain.\n", "systematic-review")})
    text = "The acme listicle says Acme tablets cure back pain. Is that true?"
    query = _query(index, encoder, text, frozenset({"acme-listicle"}))
    candidates = _candidates(index, built, ((_sentence(index, "acme-review", "We looked"), 0.9),
                                            (_sentence(index, "acme-review", "little or no"), 0.8),
                                            (_sentence(index, "acme-listicle", "cure"), 0.85)))
    opening = choose_and_order(index, query, candidates, built)[0][0]
    assert "little or no" in index.sentence_text(opening.sentence)


def test_advice_holding_what_is_asked_for_is_no_sales_talk(built, encoder, write_document):
    """Asked how long to try it before deciding it is not helping, a leaflet's "we suggest a trial of four weeks"
    is quoted, though it talks to the reader; its chat around the duration is still set aside."""
    from rag.answer import Candidate, choose_and_order

    index = _index_with_pages(built, encoder, write_document, {
        "acme-leaflet": ("If you want to try Acme tablets, we suggest a trial of four weeks. We hope you enjoy your "
                         "visit to our friendly clinic.\n", "expert-opinion"),
        "acme-review": ("Acme tablets made little difference to pain in trials.\n", "systematic-review")})
    text = "How long should I take Acme tablets before deciding they are not helping?"
    query = _query(index, encoder, text)
    advice, chat = (i for i in range(len(index.sentences)) if index.sentences[i].doc_id == "acme-leaflet")
    finding = next(i for i in range(len(index.sentences)) if index.sentences[i].doc_id == "acme-review")
    candidates = [Candidate(advice, index.sentences[advice].chunk, 0.9, 1),
                  Candidate(chat, index.sentences[chat].chunk, 0.85, 1),
                  Candidate(finding, index.sentences[finding].chunk, 0.6, 0)]
    quoted = {c.sentence for c in choose_and_order(index, query, candidates, built)[0]}
    assert advice in quoted and chat not in quoted


def test_doc_filter_answers_only_from_that_document(engine):
    a = engine.ask("What side effects does ketamine have?", doc_ids=["propel-neuropathic"])
    assert {c.doc_id for c in a.citations} == {"propel-neuropathic"}


@pytest.mark.parametrize("question, words", [("", "non-empty"), ("   ", "non-empty"), ("x" * 1001, "limit is 1000")])
def test_bad_questions_are_refused(engine, question, words):
    with pytest.raises(QueryError, match=words):
        engine.ask(question)


@pytest.mark.parametrize("sentence, expected", [
    ("The review found no clear proof that intravenous ketamine consistently alleviates pain.", {("efficacy", -1), ("evidence", -1)}),
    ("Ketamine can be an effective treatment for neuropathic pain.", {("efficacy", 1)}),
    ("Ketamine was associated with increased risks of adverse effects like nausea.", {("safety", -1)}),
    ("Ketamine is relatively safe when used in a proper medical setting.", {("safety", 1)}),
    ("Glutamate is believed to play a role in mood regulation.", set()),
    # Language of trials, whatever the treatment: comparisons with a control, intervals, certainty, negation scope.
    ("Pain did not differ from sham stimulation at any time point.", {("efficacy", -1)}),
    ("Pain: SMD -0.12 (95% CI -0.25 to 0.01); 19 trials; low certainty.", {("efficacy", -1), ("evidence", -1)}),
    ("Sulfate: SMD -0.20 (95% CI -0.39 to -0.01); 9 trials.", {("efficacy", 1)}),
    ("No trial reported a serious adverse event.", {("safety", 1)}),
    ("The device has a low risk of addiction and dependency.", {("safety", 1)}),
    ("Side effects were mild and happened about as often as with dummy pills.", {("safety", 1)}),
    ("It is not without its drawbacks.", {("safety", -1)}),
    ("Our confidence in the evidence is low.", {("evidence", -1)}),
    # How a study measured is not what it found; another treatment's failings are not this one's; a duration is no
    # claim of lasting relief.
    ("Two reviewers assessed risk of bias with the standard tool.", set()),
    ("Heterogeneity was measured with the I² statistic.", set()),
    ("Traditional treatments are often ineffective for nerve pain.", set()),
    ("Unlike painkillers, the device does not upset your stomach.", {("safety", 1)}),
    ("Chronic pain is pain lasting three months or longer.", set()),
    ("Patients report long-lasting relief.", {("efficacy", 1)}),
    # Findings said without the usual words, and sales talk about any complaint.
    ("People on the supplement had about the same number of attacks as people on placebo.", {("efficacy", -1)}),
    ("The difference could easily have been due to chance.", {("efficacy", -1)}),
    ("Three participants withdrew because of skin reactions.", {("safety", -1)}),
    ("We downgraded the evidence for imprecision.", {("evidence", -1)}),
    ("Say goodbye to sleepless nights, starting tonight.", {("efficacy", 1)}),
    ("Made for zero stomach upset.", {("safety", 1)}),
    ("Serious adverse events: none attributed to the device.", {("safety", 1)}),
    ("It appears to carry little risk when used as directed.", {("safety", 1)}),
    ("A little more relief comes with each session.", {("efficacy", 1)}),
    ("Neither result was statistically significant.", {("efficacy", -1)}),
    ("Nine trials (688 participants) reported adverse events.", set()),
    ("Adverse events were reported in 21 trials.", set()),
    # A review that finds for a treatment, users who say it helped, and the doubts of a sceptic.
    ("The supplement probably lowers the chance of another attack.", {("efficacy", 1)}),
    ("Not one migraine since I started the drops!", {("efficacy", 1)}),
    ("For adults the ratio was 0.74, with a 95% confidence interval running from 0.55 to 0.99.", {("efficacy", 1)}),
    ("The drops do not treat an attack that has already started.", {("efficacy", -1)}),
    ("But the benefit is modest, and the right dose is unknown.", {("efficacy", -1)}),
    ("Any adverse event was similar to placebo.", {("safety", 1)}),
    ("Harms were not reported well, and only 16 of 49 trials gave the dose.", {("evidence", -1), ("safety", -1)}),
    ("We are moderately confident in this result.", {("evidence", 1)}),
    ("Any adverse event: risk ratio 1.12 (95% CI 0.84 to 1.49); the interval crossed 1.",
     {("safety", 1), ("evidence", -1)}),
    ("Taken at the wrong time, it can make the symptoms worse.", {("efficacy", -1), ("safety", -1)}),
    ("Every outcome was self-rated, and attrition exceeded 20%.", {("evidence", -1)}),
    ("The spray can make you drowsy.", {("safety", -1)}),
    ("Clinically proven to eliminate hay fever, so you can enjoy the summer.", {("efficacy", 1), ("evidence", 1)}),
    ("Non-habit-forming and 100% natural", {("safety", 1)}),
    ("Side effects happened only slightly more often than with placebo.", {("safety", 1)}),
    # Who paid matters when it is a seller; a caution is an instruction, not a harm; fewer harms than the comparison
    # is safety, not efficacy; whether subgroups differ says nothing of whether it works; the complaint going away
    # supports it, the benefit going away doubts it.
    ("The review was funded by a public research council, which had no role in the analysis.", set()),
    ("Four of the trials were funded by companies that sell the spray.", {("evidence", -1)}),
    ("Consult your doctor before use if you have a medical condition.", set()),
    ("Serious side effects are rare.", {("safety", 1)}),
    ("Adverse events: 12% versus 35% (RR 0.34, 95% CI 0.22 to 0.53).", {("safety", 1)}),
    ("Dose subgroups: no evidence of a difference between subgroups (P = 0.41).", set()),
    ("My back pain from gardening has basically disappeared.", {("efficacy", 1)}),
    ("Any difference between real and sham tape had disappeared within three months.", {("efficacy", -1)}),
    ("The difference is below the minimal important difference we set in advance.", {("efficacy", -1)}),
    ("These trials were small and open-label.", {("evidence", -1)}),
    # A negation or a condition governs every item of the list it opens; a title or a disclaimer claims nothing.
    ("Unlike pills, the device does not upset your stomach, make you drowsy or leave you foggy.", {("safety", 1)}),
    ("Take it off straight away if the skin itches, burns or blisters.", set()),
    ("Six trials had no registered protocol, a sign of selective reporting.", {("evidence", -1)}),  # no list
    ("Safety and Considerations", set()),
    ("Acme drops are not intended to diagnose, treat, cure or prevent any disease.", set()),
    # As often as with the dummy, or no telling: a doubt; over sooner: a benefit; advice is no finding about harm.
    ("People taking it caught about as many colds as people taking placebo.", {("efficacy", -1)}),
    ("The results of the trials varied a lot.", {("evidence", -1)}),
    ("In several trials people could probably tell whether they had been given the real tablet.", {("evidence", -1)}),
    ("Colds were about one day shorter in people who took it than in people who took placebo.", {("efficacy", 1)}),
    ("Some people notice a bad taste, but this fades quickly.", {("safety", 1)}),
    ("Do not use on broken skin.", set()),
    ("Extracts seemed to work about as well as standard medicines.", {("efficacy", 1)}),
    ("We are not sure whether the mixtures work.", {("efficacy", -1)}),
    ("It can interfere with the way some medicines are cleared from the body.", {("safety", -1)}),
    ("Serious events were reported in ten trials, and none was attributed to the extract.", {("safety", 1)}),
    ("Only about 3 in 100 people stopped taking it because of side effects.", {("safety", 1)}),
    ("Results differed a lot between trials, and the difference remains unexplained.", {("evidence", -1)}),
    ("The trials left out people who take other medicines, so they tell us little about them.", {("evidence", -1)}),
    ("The supplement is not a first-line treatment.", {("efficacy", -1)}),
    ("Two months on and I can't tell any difference.", {("efficacy", -1)}),
    ("Tiredness was the most common side effect.", {("safety", -1)}),
    ("The evidence for it is disappointing.", {("evidence", -1)}),
    ("No trial tested the gummies or the tea.", {("evidence", -1)}),
    ("People who can taste the capsule are not truly blinded.", {("evidence", -1)}),
    ("Studies show that the gel can actually shrink a swollen joint.", {("efficacy", 1), ("evidence", 1)}),
    ("Here the difference shrinks to about half a day.", {("efficacy", -1)}),
    ("Men in the placebo groups also improved by about two points.", {("efficacy", -1)}),
    ("The funder had no say in how the review was done.", {("evidence", 1)}),
    ("I think the review, careful as it is, overstates the case.", {("evidence", -1)}),
    ("Slightly more people had a side effect with the oil than with placebo.", {("safety", -1)}),
    ("It is basically side-effect free.", {("safety", 1)}),
    ("Every interval included zero.", {("efficacy", -1), ("evidence", -1)}),
    ("People did not walk further or faster with the brace than without it.", {("efficacy", -1)}),
    ("A few people felt too hot under the wrap.", {("safety", -1)}),
    ("Never use the pillow for a baby.", {("safety", -1)}),
    ("Most users correctly guessed which pillow they had.", {("evidence", -1)}),
    ("The finding rests on a single trial.", {("evidence", -1)}),
    ("Two trials had pillows free of charge from the maker.", {("evidence", -1)}),
    ("Bigger trials are needed.", {("evidence", -1)}),
    ("My knees have never felt better.", {("efficacy", 1)}),
    ("Our customers say the ache simply melts away.", {("efficacy", 1)}),
    ("There is nothing that can go wrong.", {("safety", 1)}),
    ("Scientists agree that the bark lowers your readings.", {("efficacy", 1)}),
    ("Within a month my numbers came down.", {("efficacy", 1)}),
    ("After three sessions I felt like a completely new person.", {("efficacy", 1)}),
    ("Put another way, one extra person in five will feel better who would not have felt better.", {("efficacy", 1)}),
    ("The drops are not a substitute for your prescribed medicine.", {("efficacy", -1)}),
    ("Limiting it to the careful trials reduced the effect to almost nothing.", {("efficacy", -1)}),
    ("The headline finding is disappointing but convincing.", {("efficacy", -1), ("evidence", -1)}),
    ("Large amounts can damage the kidneys.", {("safety", -1)}),
    ("No trial reported lasting damage to the skin.", {("safety", 1)}),
    ("Do not exceed the recommended daily dose.", set()),
    ("Headaches were more frequent with the device than with the dummy one.", {("safety", -1)}),
    ("There were signs that small trials showing no benefit may not have been published.",
     {("efficacy", -1), ("evidence", -1)}),
    ("Four trials did not use a placebo at all.", {("evidence", -1)}),
    ("There was no control group.", {("evidence", -1)}),
    ("We wanted to know whether the drops work better than a placebo.", set()),
    ("We are uncertain whether the gel reduces spots.", {("efficacy", -1), ("evidence", -1)}),
    ("We could not tell whether the spray works as well as the standard cream.", {("efficacy", -1), ("evidence", -1)}),
    ("Our certainty in the evidence about pain is very low.", {("evidence", -1)}),
    ("Some trials gave too little information about side effects for us to use.", {("evidence", -1)}),
    ("The review therefore cannot rule them out.", {("safety", -1)}),
    ("It is one of the safest treatments available.", {("safety", 1)}),
    ("Most customers see a visible difference within 7 days.", {("efficacy", 1)}),
    ("My skin calmed down in a week.", {("efficacy", 1)}),
    ("The bands have no clinically important effect on pain.", {("efficacy", -1)}),
    ("Effects on stiffness are probably small at most.", {("efficacy", -1)}),
    ("Nothing suggests that a stronger magnet works better.", {("efficacy", -1)}),
    ("Both groups improved over the eight weeks.", {("efficacy", -1)}),
    ("Our customers report feeling the difference within days.", {("efficacy", 1)}),
    ("Your bracelet keeps working for you all day.", {("efficacy", 1)}),
    ("The trials were short: none lasted longer than 16 weeks.", {("evidence", -1)}),
    ("Larger, well-designed trials are needed.", {("evidence", -1)}),
    ("People wearing real magnets were better at guessing which group they were in.", {("evidence", -1)}),
    ("Two of the four trials were funded by the app developer.", {("evidence", -1)}),
    ("Side effects were minor.", {("safety", 1)}),
    ("The marks wash off and are harmless.", {("safety", 1)}),
    ("Magnets must not be worn by people with a pacemaker.", {("safety", -1)}),
    ("You may feel some aching at first.", {("safety", -1)}),
    ("Patients who used the spray left hospital about 6 hours sooner.", {("efficacy", 1)}),
    ("Scores were almost identical in both arms.", {("efficacy", -1)}),
    ("Nobody recovers faster because of a drop of oil.", {("efficacy", -1)}),
    ("On modern wards the benefit was far smaller.", {("efficacy", -1)}),
    ("The benefit was smaller but still present.", {("efficacy", 1)}),
    ("No fainting episodes were reported.", {("safety", 1)}),
    ("Only 9 of the 40 studies reported harms.", {("evidence", -1)}),
    ("Blinding of the surgeons was not possible.", {("evidence", -1)}),
    ("About 20 patients would need to use the gel for one of them to avoid a scar.", {("efficacy", 1)}),
    ("In both groups the wounds closed in about the same time.", {("efficacy", -1)}),
    ("The patch is no substitute for a proper diet.", {("efficacy", -1)}),
    ("The lotion is non-toxic.", {("safety", 1)}),
    ("Do not drive if the drops blur your vision.", {("safety", -1)}),
    ("Eight of the ten trials were run by two research groups.", {("evidence", -1)}),
    ("Side-effect reporting was unsystematic.", {("evidence", -1)}),
    ("The spray does not clear the blockage.", {("efficacy", -1)}),
    ("Our cones gently draw the impurities out.", {("efficacy", 1)}),
    ("A paper cone cannot pull anything out of the nose.", {("efficacy", -1)}),
    ("Think of the tea as a natural detox.", {("efficacy", 1)}),
    ("The powder is not a detox.", {("efficacy", -1)}),
    ("Most customers feel results within a day.", {("efficacy", 1)}),
    ("For most people it is a sensible, low-cost first step.", {("efficacy", 1)}),
    ("The drops usually start to work within two days.", {("efficacy", 1)}),
    ("Walking scores were about the same in both arms.", {("efficacy", -1)}),
    ("People with the brace did not limp less than people with a sham brace.", {("efficacy", -1)}),
    ("Both intervals exclude a clinically important benefit.", {("efficacy", -1)}),
    ("Patients given the gel had more pain-free days than those given a placebo.", {("efficacy", 1)}),
    ("High dose: MD 2.1 (1.3 to 2.9), 4 trials.", {("efficacy", 1)}),
    ("Anyone with a pacemaker should never have the massage.", {("safety", -1)}),
    ("The mats are off limits for anyone with broken skin.", {("safety", -1)}),
    ("The oil can catch fire if it is heated.", {("safety", -1)}),
    ("There are case reports of choking on the tablets.", {("safety", -1)}),
    ("The gel can stop some medicines from being absorbed.", {("safety", -1)}),
    ("Most people never have any problems at all.", {("safety", 1)}),
    ("Heterogeneity was low (I² = 4%).", {("evidence", 1)}),
    ("The pilot study had only 40 people.", {("evidence", -1)}),
    ("Newsletters are not peer reviewed.", {("evidence", -1)}),
    ("My headache was gone by lunchtime.", {("efficacy", 1)}),
    ("I haven't had a proper migraine in months!", {("efficacy", 1)}),
    ("The spray can knock two days off a sore throat.", {("efficacy", 1)}),
    ("The herbal extracts showed nothing.", {("efficacy", -1)}),
    ("The half-point gain could easily be chance.", {("efficacy", -1)}),
    ("The benefit was roughly halved in the longer trials.", {("efficacy", -1)}),
    ("The interval did not cross the line of no effect.", {("efficacy", 1), ("evidence", 1)}),
    ("Isolated cases of kidney injury have been reported.", {("safety", -1)}),
    ("The oil may potentiate blood-pressure tablets.", {("safety", -1)}),
    ("Stop using the cream and see a doctor if your skin blisters.", {("safety", -1)}),
    ("The safety data are reassuring.", {("safety", 1)}),
    ("Smaller studies tended to report bigger effects than larger ones.", {("evidence", -1)}),
    ("Long-term effects remain unknown.", {("evidence", -1)}),
    ("Doses differed widely between trials.", {("evidence", -1)}),
    # Methods and plain instructions take no side.
    ("Pain scales differed between trials.", set()),
    ("Stop taking them if they upset you.", set()),
])
def test_stance_cues(sentence, expected):
    assert {(s.topic, s.polarity) for s in stances(sentence)} == expected


@pytest.mark.parametrize("sentence, topic, polarity", [
    ("The oil should never be taken by mouth.", "safety", -1),
    ("Never, ever swallow the gel.", "safety", -1),
    ("Leaving out the smallest trials did not change our main findings.", "evidence", 1),
    ("With so many trials agreeing, the question is settled.", "evidence", 1),
    ("Bleeding was too rare in the trials to measure.", "evidence", -1),
    ("There are rare reports of kidney problems with the tea.", "safety", -1),
    ("Allocation concealment: low risk.", "evidence", 1),
    ("The patch removed no fluid at all.", "efficacy", -1),
    ("Certainty about long-term harms was rated very low.", "evidence", -1),
])
def test_stance_on_one_topic(sentence, topic, polarity):
    assert {s.polarity for s in stances(sentence) if s.topic == topic} == {polarity}


def test_asked_whether_a_page_s_claim_holds_the_answer_weighs_whether_it_works():
    question = "Does it restore a strong stream, as the promotional pages claim?"
    assert question_topics(question) == () and answer_topics(question) == ("efficacy",)
    assert answer_topics("Is it safe for everyone, as the shop says?") == ("safety",)
    assert answer_topics("What does the shop say about delivery?") == ()
    # The claim reported first, then whether it holds.
    assert answer_topics("The clinic promises results within 7 days. Is that realistic?") == ("efficacy",)
    assert answer_topics("The shop says it feels gentler. Do the trials back that up?") == ("evidence",)
    assert answer_topics("The shop says to use it twice a day. Does the hospital agree?") == ()


def test_question_topics():
    assert question_topics("Is ketamine safe?") == ("safety",)
    assert question_topics("Does ketamine work for back pain?") == ("efficacy",)
    assert question_topics("How does ketamine work?") == ()
    assert question_topics("What is Spravato?") == ()
    assert question_topics("What is the phone number of the helpline?") == ()
    assert question_topics("Is ketamine safe and does it work for back pain?") == ("efficacy", "safety")
    # The verbs ask whether it works; the nouns only name a thing.
    assert question_topics("Does TENS treat back pain?") == ("efficacy",)
    assert question_topics("Is it a good treatment for cramps?") == ("efficacy",)
    # Medicines named for what they do are asked about as what else is taken, not whether this works.
    assert question_topics("Which opioid pain relievers does the leaflet flag alongside the herb?") == ()
    assert question_topics("Can I take it with pain relief tablets?") == ()
    assert question_topics("Does it give pain relief?") == ("efficacy",)
    assert question_topics("Is it a good pain reliever?") == ("efficacy",)
    # Lay ways to ask whether it works, harms, or is well supported; a mechanism or a plan is none of them.
    assert question_topics("does it actually stop the cramps or is that just hype") == ("efficacy",)
    assert question_topics("How well does it work?") == ("efficacy",)
    assert question_topics("Can I stop my tablets while I have it?") == ()
    assert question_topics("Will it leave me groggy?") == ("safety",)
    assert question_topics("Does it cause headaches?") == ("safety",)
    assert question_topics("do these exercises actually do anything or is it a waste of time") == ("efficacy",)
    assert question_topics("can doing them hurt you?") == ("safety",)
    # Kept free of the complaint is whether it works; a product free of an ingredient is not.
    assert question_topics("Will the Acme membership keep me cold-free all winter?") == ("efficacy",)
    assert question_topics("Is the gel fragrance-free?") == ()
    assert question_topics("What do I do if I miss a dose?") == ()
    assert question_topics("Are the cramps caused by a lack of it?") == ()
    assert question_topics("Could publication bias explain the positive results?") == ("evidence",)
    assert question_topics("Is it true that it cuts attacks by 90 percent?") == ("efficacy", "evidence")
    assert question_topics("Can it cut knee pain by 60%?") == ("efficacy",)
    assert question_topics("Do I need a referral for ketamine treatment?") == ()
    # Trials counted or measured are not evidence weighed; "risk of bias" is no harm.
    assert question_topics("How many trials and participants were included?") == ()
    assert question_topics("How many of the trials were at high risk of bias?") == ()
    assert question_topics("How much evidence is there from trials?") == ("evidence",)
    assert question_topics("Is there a risk of bleeding?") == ("safety",)
    assert question_topics("can i put the tape over a cut") == ()
    # Whether it protects, or can stand in for another treatment, is whether it works; changing the pads is not.
    assert question_topics("Do the lenses protect the retina?") == ("efficacy",)
    assert question_topics("Can a TENS unit replace my painkillers?") == ("efficacy",)
    assert question_topics("How often should I replace the pads?") == ()


WORDS = st.sampled_from(["ketamine", "pain", "review", "dose", "safe", "NMDA", "infusion", "evidence", "zebra",
                         "what", "is", "the", "for", "?", "chronic", "neuropathic", "side", "effects"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.lists(WORDS, min_size=1, max_size=12).map(" ".join), st.text(max_size=300)))
def test_any_question_gets_a_refusal_or_verbatim_citations(engine, question):
    try:
        answer = engine.ask(question)
    except QueryError as err:
        assert err.field == "question" and not question.strip()
        return
    assert_verbatim(engine, answer)
    assert answer.abstained == (not answer.citations)


def test_a_question_naming_a_source_is_answered_first_from_it(engine):
    # An efficacy question would lead with the review; naming the clinic's blog makes the blog the answer.
    answer = engine.ask("What side effects does the Propel blog mention?")
    assert not answer.abstained and answer.citations[0].doc_id == "propel-neuropathic"
    assert any("hallucinations" in c.quote for c in answer.citations if c.doc_id == "propel-neuropathic")


def test_a_question_asking_for_a_duration_is_answered_first_by_one(engine):
    # Two promotional sentences echo "long" and "last"; the review's sentence holds the duration.
    answer = engine.ask("How long does pain have to last to count as chronic?")
    assert "three months or longer" in answer.citations[0].quote


def test_the_words_pointing_at_a_source_are_not_what_is_asked(engine):
    from rag.answer import question_terms

    query = engine.query("What side effects does the Propel blog mention?")
    assert query.pointed == {"propel-neuropathic"}
    terms = question_terms(engine.index, query).terms
    assert "propel" not in terms and {"side", "effect"} <= set(terms)
    # A word only the source holds is still asked for when it is not how the question names it.
    assert "hallucin" in question_terms(engine.index, engine.query("Does the Propel blog mention hallucinations?")).terms


def test_the_words_framing_a_question_are_not_what_is_asked(engine):
    """"What kind of side effects": the kind is the frame, side effects are asked about; elsewhere "type" is a word."""
    from rag.answer import question_terms

    framed = question_terms(engine.index, engine.query("What kind of side effects does ketamine have?")).terms
    assert "kind" not in framed and {"side", "effect"} <= set(framed)
    assert "type" in question_terms(engine.index, engine.query("Does ketamine help type 2 diabetes pain?")).terms


def test_who_wrote_a_page_is_answered_by_its_byline_first(built, encoder):
    """The byline sits at the column's foot, in a passage retrieval did not bring; the review the question also
    names is a stronger tier and echoes the question better, and still the byline opens the answer."""
    from rag.answer import choose_and_order, weigh_evidence
    from rag.build import build_index
    from rag.engine import Engine
    from rag.index import load_index
    from rag.retrieve import search

    def page(doc_id: str, kind: str, tier: str, author: str, body: str) -> None:
        (built.corpus_dir / f"{doc_id}.md").write_text(
            f"---\nid: {doc_id}\ntitle: {doc_id}\nsource_type: {kind}\nevidence_tier: {tier}\n"
            f"author: {author}\npublisher: null\npublished: null\nurl: null\n---\n{body}\n", encoding="utf-8")

    page("acme-column", "podiatry column", "expert-opinion", "Dr Jo Quill, podiatrist",
         "The Quillford review was too quick to dismiss insoles.\n\n*Dr Jo Quill is a foot specialist at Wexbury.*")
    page("quillford-review", "systematic review", "systematic-review", "null",
         "This review of insoles was written up by the Quillford Collaboration. Insoles made little difference.")
    build_index(built, encoder)
    index = load_index(built)
    byline = index.byline("acme-column")
    assert byline is not None and index.sentence_text(byline) == "*Dr Jo Quill is a foot specialist at Wexbury.*"
    assert index.byline("quillford-review") is None
    engine = Engine(index, encoder, built)
    query = engine.query("Who wrote the column responding to the Quillford review?")
    hits = search(index, query, 3, built.retrieval, ["quillford-review"])
    candidates = weigh_evidence(index, query, hits, built, engine.scorer).candidates
    assert byline in {c.sentence for c in candidates}
    assert choose_and_order(index, query, candidates, built)[0][0].sentence == byline
    # The question model hears that a byline answers, though it shares no word with the question.
    from rag.answer import question_terms
    assert question_terms(index, query).byline_asked
    assert not question_terms(index, engine.query("What did the column say about the Quillford review?")).byline_asked
    # Asked what its author does, the byline answers too.
    assert question_terms(index, engine.query("What is Jo Quill's job?")).byline_asked
    assert question_terms(index, engine.query("Where does Dr Quill work?")).byline_asked


@pytest.mark.parametrize("question, specialist", [
    ("Is gabapentin better than ketamine for nerve pain?", True),  # another drug the corpus never names
    ("Does ketamine interact with warfarin?", True),
    ("shoud i take ketamine", False),  # a slip of the keyboard, not a subject
    ("Can I get my money back?", False),  # everyday words a page may put otherwise
    ("What does Lehfeldt say?", False),  # named only in a page's front matter, as its author
])
def test_a_specialist_word_the_corpus_never_uses_is_told_apart(engine, question, specialist):
    from rag.answer import question_terms

    assert question_terms(engine.index, engine.query(question)).unknown_specialist is specialist


@pytest.mark.parametrize("question, unknown", [
    ("Does IV ketamine reduce pain?", False),  # a common abbreviation the pages write out ("intravenous")
    ("Does ketamine work better than CGRP antibodies?", True),  # a rare one the corpus never uses
    ("How much does the StrapRight infusion cost?", True),  # a product the corpus never names
])
def test_a_common_abbreviation_is_no_unknown_name(engine, question, unknown):
    from rag.answer import question_terms

    assert question_terms(engine.index, engine.query(question)).unknown_name is unknown


@pytest.mark.parametrize("question, asks", [("For how many nights should acmeprofen be continued?", True),
                                            ("when should i go to the doctor", True),
                                            ("my skin is red under the tape what do i do", True),
                                            ("How should the doses be spaced?", True),
                                            ("How many nights did the trials last?", False),
                                            ("Who should not use it?", False)])
def test_a_question_asking_what_to_do_is_told_apart(question, asks):
    from rag.answer import asks_advice

    assert asks_advice(question) is asks


@pytest.mark.parametrize("sentence, instructs", [
    ("Remove the tape immediately if you notice redness or itching.", True),
    ("Get urgent medical help if a child swallows the oil.", True),
    ("Seek advice from your pharmacist first.", True),
    ("Skin reactions occurred in 17 of 294 participants given real tape.", False)])
def test_an_instruction_is_told_apart_from_an_account(sentence, instructs):
    from rag.answer import advises

    assert advises(sentence) is instructs


def test_asked_what_to_do_an_instruction_leads_a_reviews_account_of_its_trials(built, encoder):
    """Both sentences answer "for how many nights?"; the review's is a little likelier and a stronger tier, but it
    says what trials did, and the leaflet tells the reader what to do."""
    from conftest import document

    from rag.answer import Candidate, choose_and_order
    from rag.build import build_index
    from rag.engine import Engine
    from rag.index import load_index

    (built.corpus_dir / "acme-review.md").write_text(document(
        "acme-review", "In most trials people took acmeprofen at bedtime and continued for two to five days.",
        "systematic-review"), encoding="utf-8")
    (built.corpus_dir / "acme-leaflet.md").write_text(document(
        "acme-leaflet", "Carry on taking one acmeprofen dose at bedtime for 2 to 5 nights.", "expert-opinion"),
        encoding="utf-8")
    build_index(built, encoder)
    index = load_index(built)
    engine = Engine(index, encoder, built)
    review, leaflet = (next(i for i in range(len(index.sentences)) if index.sentences[i].doc_id == d)
                       for d in ("acme-review", "acme-leaflet"))

    def first(question: str, leaflet_relevance: float) -> int:
        candidates = [Candidate(review, index.sentences[review].chunk, 0.95, 0),
                      Candidate(leaflet, index.sentences[leaflet].chunk, leaflet_relevance, 1)]
        return choose_and_order(index, engine.query(question), candidates, built)[0][0].sentence

    assert first("For how many nights should acmeprofen be continued?", 0.85) == leaflet
    assert first("For how many nights did people take acmeprofen in the trials?", 0.85) == review
    assert first("For how many nights should acmeprofen be continued?", 0.5) == review  # not about as well


@pytest.mark.parametrize("question, review_first", [
    ("Does the Propel blog's ketamine really cut pain scores by 50%?", True),
    ("The Propel blog says ketamine cuts pain scores by 50%. What did the trials find?", True),
    ("Does ketamine lower pain scores by 50%, as the Propel blog claims?", True),  # names no topic
    ("The Propel blog says ketamine cuts pain scores by 50%; how large was the effect in trials?", True),
    ("What does the Propel blog say ketamine does to pain scores?", False),
    ("Will the Propel blog refund me if ketamine does not help?", False)])
def test_asked_whether_a_page_s_claim_holds_the_stronger_tier_judges_it_first(engine, question, review_first):
    """A yes or a no on whether a named page's claim about efficacy holds, or a question after the claim is reported,
    puts the review first, the claim after; asked what the page says, or about something only conditional on
    efficacy (a refund), the page answers first."""
    claim = _sentence(engine.index, "propel-neuropathic", "by an average of 50%")
    review = _sentence(engine.index, REVIEW, "no clear proof")
    query = engine.query(question)
    assert query.pointed == {"propel-neuropathic"}
    chosen = _chosen(engine, query, [(claim, 0.95, 2), (review, 0.5, 0)])
    assert chosen[0] == (review if review_first else claim)
    # The review is measured against its own best, not against the claim that echoes the question: a plausible
    # sentence of it taking no side is still quoted, and first.
    plain = _sentence(engine.index, REVIEW, "Researchers sought to investigate")
    chosen = _chosen(engine, query, [(claim, 0.95, 2), (plain, 0.3, 0)])
    assert (chosen[0] == plain) if review_first else (plain not in chosen)


def test_a_word_pointing_at_a_page_names_it_only_where_its_title_or_publisher_does(built, encoder, write_document):
    """Asked the price of the Acme Junior blanket, "Acme" names the shop's page (its title holds it) and "Junior"
    only points at it, being on no other page: what the price is asked of, which the page may not price."""
    from rag.answer import pointed_documents, question_terms
    from rag.retrieve import Query

    write_document(built.corpus_dir, "acme-blanket-shop", "The Acme Single costs £89.\n\nOur Acme Junior suits "
                   "children aged three and over.\n", tier="promotional", title="Acme Blanket | Acme Living")
    index = _index_with_pages(built, encoder, write_document, {})
    text = "How much does the Acme Junior blanket cost?"
    query = Query(text, encoder.encode([text])[0], index.lexicon.query_terms(text), *pointed_documents(index, text))
    assert query.pointed == {"acme-blanket-shop"}
    terms = question_terms(index, query)
    assert [t for t, _ in terms.pointing_described] == index.lexicon.terms("junior")
    assert terms.pointing_weight == pytest.approx(float(index.lexicon.idf(index.lexicon.terms("acme")).sum()))


def test_a_sentence_two_pages_share_is_quoted_from_the_stronger_one(built, encoder, write_document):
    """A guide copying a leaflet's list item is quoted as the leaflet when it answers about as well, however
    slightly likelier the guide's copy; two pages' own opening hours, alike in meaning, are two facts: the guide's
    is not taken for the leaflet's."""
    from rag.answer import select_sentences

    index = _index_with_pages(built, encoder, write_document, {
        "acme-guide": ("Ask a pharmacist first if:\n\n- you are pregnant or breastfeeding;\n\n"
                       "Opening hours: Monday to Friday 9am to 5pm.\n", "unsourced"),
        "acme-leaflet": ("Speak to a doctor first if:\n\n- you are pregnant or breastfeeding;\n\n"
                         "Opening hours: Monday to Saturday 8am to 6pm.\n", "expert-opinion")})

    def quoted(words: str, guide: float, leaflet: float) -> list[str]:
        candidates = _candidates(index, built, ((_sentence(index, "acme-guide", words), guide),
                                                (_sentence(index, "acme-leaflet", words), leaflet)))
        return [index.sentences[c.sentence].doc_id for c in select_sentences(index, candidates, built)]

    assert quoted("pregnant", 0.96, 0.95) == ["acme-leaflet"]
    assert quoted("pregnant", 0.96, 0.5) == ["acme-guide"]  # the leaflet's copy answers far less well
    assert quoted("Opening hours", 0.96, 0.95)[0] == "acme-guide"


def test_a_publisher_no_title_names_points_at_its_pages(built, encoder, write_document):
    """"The Acme review of ..." points at the pages the Acme group publishes, though a column names the review in its
    text and no title holds the name; before, nothing was pointed at and the column's echo led."""
    from rag.answer import pointed_documents

    pages = {"acme-review-plain": ("systematic-review", "Acme Evidence Group", "We found 12 trials with 900 adults."),
             "acme-review-stats": ("systematic-review", "Acme Evidence Group", "We included 12 RCTs (900 people)."),
             "gp-column": ("expert-opinion", "The Consulting Room", "The new Acme review of 12 trials is sound.")}
    for doc_id, (tier, publisher, body) in pages.items():
        write_document(built.corpus_dir, doc_id, body, tier=tier, title="Gel for sore knees", publisher=publisher)
    index = _index_with_pages(built, encoder, write_document, {})
    assert pointed_documents(index, "How many trials did the Acme review of the gel include?")[0] == {
        "acme-review-plain", "acme-review-stats"}


def test_a_page_the_asking_sentence_names_answers_a_reported_claim_whatever_its_tier(engine):
    """"Acme says X. Does the physician agree?" asks the physician: the review, though stronger and likelier, does
    not take the physician's place first."""
    physician = _sentence(engine.index, "thurston-chronic-pain", "Ketamine infusions have been reported")
    review = _sentence(engine.index, REVIEW, "no clear proof")
    query = engine.query("The Propel blog says ketamine cuts pain scores by 50%. Does the physician agree?")
    assert query.pointed == {"thurston-chronic-pain"}
    assert engine.query("The Propel blog calls ketamine a game-changer. Does the physician agree?").pointed == {
        "thurston-chronic-pain"}
    # Two pages making one promise are both asked about.
    assert engine.query("Both the physician and the directory promise relief within days. Is that realistic?"
                        ).pointed == {"thurston-chronic-pain", "ketamine-net-pain"}
    assert _chosen(engine, query, [(review, 0.95, 0), (physician, 0.6, 1)])[0] == physician


@pytest.mark.parametrize("question, yes_no", [
    ("Does it help?", True), ("im pregnant, can i take them for my cold??", True),
    ("my mum is on warfarin can she take it", True), ("I take warfarin. Can I use it when I travel?", True),
    ("What should I do?", False), ("how long till it kicks in", False),
    # Told what happened, then asked what to do: an action is asked for, not a yes or a no.
    ("my skin is red under the tape, what should i do", False), ("havent slept in 3 days what can i do", False),
    ("What is the price, and is it worth it?", False)])
def test_a_question_asking_for_a_yes_or_a_no_is_told_apart_after_what_the_asker_tells(question, yes_no):
    from rag.answer import asks_yes_no

    assert asks_yes_no(question) is yes_no


def test_each_source_asked_about_is_measured_against_its_own_best(engine):
    from rag.answer import Candidate, select_sentences

    idx = engine.index
    echo, judge = "thurston-chronic-pain", "nmda-review-2025"
    ids = {d: [s for s in range(len(idx.sentences)) if idx.sentences[s].doc_id == d
               and idx.sentences[s].kind != "heading"][:3] for d in (echo, judge)}
    # The page making the claim echoes the question; the page asked to judge it answers far less closely.
    candidates = sorted([Candidate(s, idx.sentences[s].chunk, p, 0) for s, p in zip(ids[echo], (0.95, 0.9, 0.85))] +
                        [Candidate(s, idx.sentences[s].chunk, p, 0) for s, p in zip(ids[judge], (0.3, 0.1, 0.05))],
                        key=lambda c: -c.relevance)
    both = select_sentences(idx, candidates, engine.settings, frozenset({echo, judge}))
    assert ids[judge][0] in [c.sentence for c in both]
    assert ids[judge][1] not in [c.sentence for c in both]  # below the floor outright
    alone = select_sentences(idx, candidates, engine.settings, frozenset({echo}))
    assert ids[judge][0] not in [c.sentence for c in alone]


def test_passages_further_down_may_be_quoted_but_do_not_judge_the_question(engine):
    """Sentences of the passages ranked after top_k may answer, but whether the question is answered at all is
    judged on the top_k alone: the same confidence, and some answer quotes a further passage."""
    from dataclasses import replace
    from pathlib import Path

    from rag.engine import Engine
    from rag.evaluation.gold import load_gold
    from rag.retrieve import search_further

    rules = engine.settings.retrieval
    narrow = Engine(engine.index, engine.encoder, engine.settings.with_(retrieval=replace(rules, quote_k=rules.top_k)),
                    engine.scorer)
    gold = load_gold(Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl")[0]
    quoted_further = 0
    for q in gold:
        wide, plain = engine.ask(q.question), narrow.ask(q.question)
        # Equal but for the last digit: the sentence model's product over more rows may sum in another order.
        assert wide.abstained == plain.abstained and wide.confidence == pytest.approx(plain.confidence, abs=2e-4)
        further = search_further(engine.index, engine.query(q.question), rules.top_k, rules)[1]
        spans = [(c.doc_id, c.char_start, c.char_end) for c in (engine.index.chunks[h.chunk] for h in further)]
        quoted_further += any(doc == c.doc_id and start <= c.char_start < end
                              for c in wide.citations if c.quote not in {p.quote for p in plain.citations}
                              for doc, start, end in spans)
    assert quoted_further


def test_what_a_review_set_out_to_learn_ranks_below_what_it_found(built, encoder, write_document):
    """"We wanted to find out whether the gel makes knee pain go away faster" echoes the question best, but says
    what was asked, not what was found: the ranker puts the finding above it."""
    from rag.answer import weigh_evidence
    from rag.build import build_index
    from rag.engine import Engine
    from rag.index import load_index
    from rag.retrieve import search

    write_document(built.corpus_dir, "acme-review", "## Summary\n\nWe wanted to find out whether rubbing Acme gel on "
                   "a sore knee makes the pain go away faster. Knee pain did not go away any faster with Acme gel "
                   "than with a dummy gel. Skin redness was the most common side effect.\n", tier="systematic-review")
    build_index(built, encoder)
    index = load_index(built)
    engine = Engine(index, encoder, built)
    query = engine.query("Does rubbing Acme gel on my knee make the pain go away faster?")
    candidates = weigh_evidence(index, query, search(index, query, 3, built.retrieval), built, engine.scorer).candidates
    ranked = [index.sentence_text(c.sentence) for c in candidates]
    assert ranked.index("Knee pain did not go away any faster with Acme gel than with a dummy gel.") < ranked.index(
        "We wanted to find out whether rubbing Acme gel on a sore knee makes the pain go away faster."), ranked


def test_a_word_the_pages_never_use_counts_as_alien_only_when_it_resembles_none_of_theirs(built, encoder,
                                                                                       write_document):
    """"Pee" is a word the leaflet never uses, but it says "urine": the question paraphrases. "Alcohol" resembles
    nothing the pages say: the question asks of something they do not cover."""
    from rag.answer import question_terms
    from rag.build import build_index
    from rag.engine import Engine
    from rag.features import ALIEN_COSINE
    from rag.index import load_index

    write_document(built.corpus_dir, "acme-leaflet", "Acme tablets can make your urine darker. Some people pass "
                   "urine more often while taking them. Stop taking the tablets if your skin turns yellow.\n",
                   tier="expert-opinion")
    build_index(built, encoder)
    index = load_index(built)
    engine = Engine(index, encoder, built)
    paraphrase = question_terms(index, engine.query("Do Acme tablets make you pee more?"))
    elsewhere = question_terms(index, engine.query("Can I drink alcohol while taking Acme tablets?"))
    assert paraphrase.resembled is not None and elsewhere.resembled is not None
    assert dict(zip(paraphrase.terms, paraphrase.resembled))["pee"] >= ALIEN_COSINE
    assert max(r for t, r in zip(elsewhere.terms, elsewhere.resembled) if t in ("drink", "alcohol")) < ALIEN_COSINE
    assert paraphrase.alien < paraphrase.unseen and elsewhere.alien == elsewhere.unseen > 0
