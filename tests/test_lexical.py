from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rag.lexical import Matches

QUESTIONS = ["Is ketamine an effective treatment for chronic pain?", "side effects nausea nausea",
             "what about zebrafish telemetry", "pain pain pain relief infusion", ""]


def full_scores(lexicon, terms, mask=None):
    """bm25s's own scoring of every passage, the reference the sparse path must equal."""
    if not lexicon._ids(terms):
        return np.zeros(lexicon.bm25.scores["num_docs"], dtype=np.float32)
    return lexicon.bm25.get_scores(terms, weight_mask=None if mask is None else mask.astype(np.float32))


@pytest.mark.parametrize("question", QUESTIONS)
def test_matches_and_scores_at_equal_bm25s_scoring_every_passage(engine, question):
    lexicon = engine.index.lexicon
    terms = lexicon.terms(question)
    reference = full_scores(lexicon, terms)
    found = lexicon.matches(terms)
    assert sorted(found.ids.tolist()) == np.flatnonzero(reference > 0).tolist()
    assert np.array_equal(found.values, reference[found.ids])
    everyone = list(range(len(reference)))
    assert np.array_equal(lexicon.scores_at(terms, everyone), reference)
    assert found.top(7) == [int(i) for i in np.argsort(-reference, kind="stable")[:7] if reference[i] > 0]


def test_a_mask_keeps_only_its_passages(engine):
    lexicon = engine.index.lexicon
    terms = lexicon.terms("ketamine pain relief")
    mask = engine.index.chunk_mask(["nmda-review-2025"])
    found = lexicon.matches(terms, mask)
    assert len(found.ids) and mask[found.ids].all()
    assert np.array_equal(found.values, full_scores(lexicon, terms, mask)[found.ids])


def test_threads_scoring_at_once_get_the_same_scores(engine):
    lexicon = engine.index.lexicon
    terms = [lexicon.terms(q) for q in QUESTIONS] * 20
    expected = [full_scores(lexicon, t) for t in terms]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lexicon.matches, terms))
    for found, reference in zip(results, expected):
        assert np.array_equal(found.values, reference[found.ids])


def test_top_matches_a_full_stable_sort_of_all_passages():
    rng = np.random.default_rng(0)
    for _ in range(200):
        scores = rng.integers(0, 4, size=rng.integers(0, 60)).astype(np.float32)
        held = rng.permutation(np.flatnonzero(scores > 0))  # matches come in posting order, not id order
        depth = int(rng.integers(1, 20))
        assert Matches(held, scores[held]).top(depth) == [int(i) for i in np.argsort(-scores, kind="stable")[:depth]
                                                          if scores[i] > 0]


@pytest.mark.parametrize("question, mended, kept", [
    ("does ketamin work for chronic pian", "pain", "pian"),  # a typo of a corpus word, and no English word
    ("can i take it if im pregnant", None, "im"),  # a contraction without its apostrophe is a stop word
    ("Is it OK to take it at night?", None, "ok"),  # so is chat that asks nothing, however it is typed
    ("what about a sprain", None, None),  # an English word the corpus lacks is another subject, not a typo
    ("Is ketamine sold as Pian?", None, None),  # a capitalised word past the first is a name, not a slip
    # a word the corpus spells the other way round the Atlantic, however common in English
    ("is ketamine an anaesthetic", "anesthet", "anaesthet"),
    ("is it licensed for paediatric use", "pediatr", "paediatr"),
    # another form of an English word is no typo ("repot" is not "report"); the corpus's own form of it stands in
    ("how do i repot a fern", None, None),
    ("is the pain unhelped by ketamine", "help", "unhelp"),
    # a slip of a common word is that word, though its stem is nothing like the word's ("condtion": condit), and a
    # slip of a stop word is a stop word, not a subject the corpus lacks
    ("is it safe with a heart condtion", "condit", "condtion"),
    ("how shoud ketamine be given", None, "shoud"), ("whats the dose becasue i worry", None, "becasu"),
    # a rare word one change from a corpus word at its first letter is another word, not a slip of the keys
    ("is esketamine better", None, None),
    # and a number is another number: a decade the corpus lacks is not a typo of the decade it holds
    ("what changed in the 2010s", None, None),
    # a trial's control the corpus never names asks whether it works at all, not about something else
    ("is it better than a placebo for back pain", None, "placebo"), ("did it beat dummy pills", None, "dummi"),
])
def test_query_terms_mend_typos_only(engine, question, mended, kept):
    lexicon = engine.index.lexicon
    terms = lexicon.query_terms(question)
    if mended:
        assert mended in terms
    if kept:
        assert kept not in terms
    assert [t for t in terms if t not in lexicon.terms(question)] == ([mended] if mended else [])


def test_a_trials_control_is_the_one_the_corpus_names_most():
    from rag.lexical import build_lexicon

    lexicon = build_lexicon(["The sham procedure felt the same.", "Sham needling was used.", "A dummy pill was given."])
    assert lexicon.query_terms("Was it better than placebo?") == ["better", "sham"]
    assert lexicon.query_terms("Did the placebos work?") == ["sham", "work"]
    # a control it names is kept
    assert lexicon.query_terms("Was there a sham arm?") == ["sham", "arm"]
    # in any form of the word
    assert build_lexicon(["A sham procedure."]).query_terms("Were they given dummies?") == ["given", "sham"]


@pytest.mark.parametrize("term, spellings", [("apnea", {"apnoea", "apnaea"}), ("apnoea", {"apnea"}),
                                              ("color", {"colour"}), ("centr", {"center"}), ("organis", {"organiz"})])
def test_other_spellings_of_a_term_are_one_change_away(term, spellings):
    from rag.lexical import other_spellings

    assert spellings <= other_spellings(term)
    assert term not in other_spellings(term)


def test_a_term_spelt_the_other_way_is_one_the_corpus_holds(engine):
    lexicon = engine.index.lexicon
    assert lexicon.known("anesthet") and not lexicon.known("anaesthet")
    assert lexicon.respelt("anaesthet") == "anesthet" and lexicon.resembles("anaesthet")
    assert lexicon.respelt("anesthet") == "anesthet"  # a term the corpus holds is its own spelling
    assert lexicon.respelt("zzyzx") == "zzyzx"


@pytest.mark.parametrize("word, slip", [("shoud", True), ("wierd", True), ("wat", True), ("warfarin", False),
                                        ("gabapentin", False), ("rheumatoid", False)])
def test_a_slip_of_the_keyboard_is_one_edit_from_a_common_word(word, slip):
    from rag.lexical import COMMON_ZIPF, slip_of_common_word, zipf

    assert zipf(word) < COMMON_ZIPF <= zipf("should")
    assert slip_of_common_word(word) is slip


@pytest.mark.parametrize("word, expected", [("warfarin", True), ("acmeprofen-induced", True), ("shoud", False),
                                            ("disputing", False), ("unanswered", False), ("re-ran", False),
                                            ("money", False), ("columnist's", False), ("columnist’s", False),
                                            ("warfarin's", True),
                                            # another form or spelling of an everyday word is everyday
                                            ("instalments", False), ("exaggerating", False), ("unfavourable", False),
                                            ("haemophilia", True), ("diarrhoea", False),
                                            # a doubled consonant before a suffix
                                            ("gassy", False), ("swapped", False), ("shopper", False),
                                            # a y turned i before a suffix, and a noun made of a verb
                                            ("cherries", False), ("sleepiness", False), ("discolouration", False),
                                            # two everyday words run together, but not a bound form and a word
                                            ("bankroll", False), ("bankrolled", False), ("brainwave", False),
                                            ("antibody", True),
                                            # how trials compare, in any evidence page, however rare in English
                                            ("placebo", False), ("placebos", False), ("dummies", False)])
def test_a_specialist_word_is_rare_and_no_common_word_slipped_or_affixed(word, expected):
    from rag.lexical import specialist

    assert specialist(word) is expected


@pytest.mark.parametrize("typed, written", [
    ("a 30 yr old", "a 30 year old"), ("how long b4 i give up", "how long before i give up"),
    ("can u take it w/ food, r there risks?", "can you take it with food, are there risks?"),
    ("4 wks, 2 hrs a day", "4 weeks, 2 hours a day"), ("Yr 2", "year 2"),
    ("shud i stop b/c of sth", "should i stop because of something"),
    # In capitals they abbreviate something else; inside a word they are part of it.
    ("HR 0.8 (R 0.4)", "HR 0.8 (R 0.4)"), ("hours and your turn", "hours and your turn"),
])
def test_chat_spellings_are_written_out(typed, written):
    from rag.lexical import plain_chat

    assert plain_chat(typed) == written
