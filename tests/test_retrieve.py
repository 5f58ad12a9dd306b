import numpy as np
import pytest

from rag.errors import QueryError, UnknownDocumentError
from rag.retrieve import fuse, reciprocal_rank
from rag.settings import RetrievalSettings

REVIEW = "nmda-review-2025"


def doc_of(engine, hit):
    return engine.index.chunks[hit.chunk].doc_id


def test_reciprocal_rank_scales_first_place_to_one_half():
    rr = reciprocal_rank(np.array([0.1, 0.9, 0.5]), k=60)
    assert rr[1] == pytest.approx(0.5) and rr[1] > rr[2] > rr[0]


@pytest.mark.parametrize("mode, expected", [("dense", [0.8, 0.0]), ("bm25", [0.1, 1.0])])
def test_single_retriever_modes_use_one_signal(mode, expected):
    got = fuse(np.array([0.8, -0.2]), np.array([0.1, 1.0]), RetrievalSettings(mode=mode))
    assert got.tolist() == pytest.approx(expected)


def test_score_fusion_is_a_convex_mix():
    got = fuse(np.array([0.5]), np.array([1.0]), RetrievalSettings(dense_share=0.6))
    assert got[0] == pytest.approx(0.7)


def test_hits_report_a_consistent_score_breakdown(engine):
    hits = engine.search("ketamine side effects nausea", k=6)
    assert len(hits) == 6
    assert [h.final for h in hits] == sorted((h.final for h in hits), reverse=True)
    for h in hits:
        tier = engine.index.documents[doc_of(engine, h)].evidence_tier
        assert h.weight == engine.settings.retrieval.tier_weights[tier]
        assert h.final == pytest.approx(h.fused * h.weight)
        assert 0 <= h.lexical <= 1


def test_weighting_favours_the_review_where_it_is_relevant(engine):
    hits = engine.search("Is ketamine an effective treatment for chronic pain?")
    assert doc_of(engine, hits[0]) == REVIEW
    unweighted = engine.settings.with_(retrieval=RetrievalSettings(weighting=False))
    from rag.retrieve import search
    plain = search(engine.index, engine.query("Is ketamine an effective treatment for chronic pain?"), 8,
                   unweighted.retrieval)
    assert doc_of(engine, plain[0]) != REVIEW  # the weight, not the text alone, puts the review first


def test_weighting_does_not_drag_the_review_in_where_it_is_not(engine):
    hits = engine.search("Where is the Propel Therapeutics clinic?")
    assert doc_of(engine, hits[0]) == "propel-neuropathic"
    assert hits[0].final > 2 * max(h.final for h in hits if doc_of(engine, h) == REVIEW)


def test_weighting_does_not_shut_out_the_passage_that_matches_best(engine):
    """The weight orders the hits, but the best match before weighting keeps a place among them: of three hits for
    a question an unsourced page answers most closely, the review's weight would otherwise give all three to the
    others."""
    from rag.retrieve import search
    question = "Can pregnant women take ketamine?"
    deep = search(engine.index, engine.query(question), 40, engine.settings.retrieval)
    best = max(deep, key=lambda h: h.fused)
    assert best.chunk not in [h.chunk for h in deep[:3]]  # what the weight alone would give
    hits = engine.search(question, k=3)
    assert [h.chunk for h in hits] == [h.chunk for h in deep[:2]] + [best.chunk]


def test_doc_filter_restricts_hits(engine):
    hits = engine.search("ketamine safety", k=20, doc_ids=["role-of-ketamine"])
    assert hits and {doc_of(engine, h) for h in hits} == {"role-of-ketamine"}


def test_bad_search_requests_are_refused(engine):
    with pytest.raises(UnknownDocumentError, match="nope"):
        engine.search("pain", doc_ids=["nope"])
    with pytest.raises(QueryError, match="k: must be an integer"):
        engine.search("pain", k=0)
    with pytest.raises(QueryError, match="query: must be a non-empty"):
        engine.search("   ")


@pytest.mark.parametrize("question, pointed", [
    ("What risks does the directory site list?", {"ketamine-net-pain"}),
    ("What does the content farm article say about dosing?", {"role-of-ketamine"}),
    # "pain" describes no document alone and fills every page: it points nowhere; "contentious" only looks like
    # the start of "content farm".
    ("Is ketamine good for pain?", set()),
    ("Is the contentious claim true?", set()),
])
def test_a_question_points_at_a_document_by_what_it_is(engine, question, pointed):
    from rag.answer import pointed_documents

    documents, pointing = pointed_documents(engine.index, question)
    assert documents == pointed and bool(pointing) == bool(pointed)


def test_a_pointed_document_joins_the_hits(engine):
    from rag.retrieve import search, search_pointed, within_pointed

    from dataclasses import replace

    query = engine.query("What does the content farm article say about the review's findings?")
    assert query.pointed == {"role-of-ketamine"}
    rules = engine.settings.retrieval
    plain = search(engine.index, query, 2, rules)
    hits = search_pointed(engine.index, query, 2, rules)
    # The pointed document's best few passages come first, then the plain hits not already among them, then the
    # pointed document's next best, which must not push the plain hits out of the first places.
    pointed = search(engine.index, within_pointed(query), rules.pointed_hits, rules, ["role-of-ketamine"])
    first, rest = pointed[:rules.pointed_lead], pointed[rules.pointed_lead:]
    assert rules.pointed_lead < rules.pointed_hits and len(rest) == rules.pointed_hits - rules.pointed_lead
    middle = [h for h in plain if h.chunk not in {f.chunk for f in first}]
    assert hits == first + middle + [h for h in rest if h.chunk not in {m.chunk for m in middle}]
    assert {engine.index.chunks[h.chunk].doc_id for h in pointed} == {"role-of-ketamine"}
    assert search_pointed(engine.index, replace(query, pointed=frozenset()), 2, rules) == plain
    # /search keeps to k hits, the pointed document's leading.
    searched = engine.search("What does the content farm article say about the review's findings?", 2)
    assert searched == first[:2]


def test_the_further_passages_follow_the_hits_from_the_same_ranking(engine):
    from rag.retrieve import search, search_further, search_pointed

    from dataclasses import replace

    rules = engine.settings.retrieval
    for question in ("What does the content farm article say about the review's findings?",
                     "Does ketamine work for chronic pain?"):
        query = engine.query(question)
        hits, further = search_further(engine.index, query, rules.top_k, rules)
        # The passages the question is judged on are search_pointed's, whatever is quoted besides.
        assert hits == search_pointed(engine.index, query, rules.top_k, rules)
        ranked = search(engine.index, query, rules.quote_k, rules)
        assert further == [h for h in ranked[rules.top_k:] if h.chunk not in {h.chunk for h in hits}]
        assert further
    query = engine.query("Does ketamine work for chronic pain?")
    assert search_further(engine.index, query, rules.top_k, replace(rules, quote_k=rules.top_k))[1] == []
    # Asked for more passages than quote_k, there are none further.
    assert search_further(engine.index, query, rules.quote_k, rules)[1] == []


def test_inside_the_pointed_pages_the_words_that_point_are_left_out(engine):
    from rag.retrieve import within_pointed

    query = engine.query("According to the content farm article, who should not have ketamine?")
    inside = within_pointed(query)
    assert query.pointing and set(query.pointing) <= set(query.terms)
    # Every page it points at is that article: its masthead would match them, not its answer.
    assert inside.terms == [t for t in query.terms if t not in query.pointing]
    assert inside.vector is query.vector and inside.pointed == query.pointed
    # A question of nothing but pointing words is asked whole.
    bare = engine.query("What is in the content farm article?")
    assert within_pointed(bare).terms == bare.terms


@pytest.mark.parametrize("question_term, describing, names", [
    ("columnist", "column", True), ("blogger", "blog", True), ("leaflet", "leaflet", True),
    ("rheumatoid", "rheumatologist", False), ("contenti", "content", False),
])
def test_a_maker_names_what_it_makes_and_a_shared_start_names_nothing(question_term, describing, names):
    from rag.index import _names

    assert _names(question_term, describing) is names


def test_the_strongest_tier_is_heard_when_one_weaker_page_holds_most_hits(engine):
    """Asked whether it works, hits all from one promotional page are joined by the review's best passages; asked
    where the clinic is, or with hits spread over pages, nothing joins them."""
    from rag.retrieve import search, with_strongest_tier

    rules = engine.settings.retrieval
    query = engine.query("Does ketamine work for nerve pain?")
    one_page = search(engine.index, query, 4, rules, ["propel-neuropathic"])
    joined = with_strongest_tier(engine.index, query, one_page, rules)
    assert joined[:len(one_page)] == one_page
    assert {doc_of(engine, h) for h in joined[len(one_page):]} == {REVIEW}
    where = engine.query("Where is the Propel Therapeutics clinic?")
    factual = search(engine.index, where, 4, rules, ["propel-neuropathic"])
    assert with_strongest_tier(engine.index, where, factual, rules) == factual
    spread = [h for d in ("propel-neuropathic", "role-of-ketamine", "ketamine-net-pain")
              for h in search(engine.index, query, 2, rules, [d])]
    assert with_strongest_tier(engine.index, query, spread, rules) == spread
