import numpy as np
import pytest

from rag import store
from rag.index import load_index
from rag.lexical import terms_of
from rag.term_vectors import TermVectors, build_term_vectors, needed, question_vectors, resemblance

PAGES = ["Unopened boxes can be returned within 30 days for a full refund.",
         "In older adults, the supplement did not reduce the number of falls.",
         "Standard delivery takes three to five working days."]


@pytest.fixture(scope="module")
def table(encoder) -> TermVectors:
    return build_term_vectors(PAGES, encoder.encode_tokens, 8)


def covered(encoder, table: TermVectors, question: str) -> np.ndarray:
    """How much of the question each page covers, every term counted alike."""
    terms = terms_of(question)
    vectors = question_vectors(question, encoder.encode_tokens([question])[0], terms)
    return resemblance(table, terms, vectors, [frozenset(terms_of(p)) for p in PAGES]).mean(axis=1)


@pytest.mark.parametrize("question, page", [("Can I get my money back?", 0),  # "refund"
                                            ("Did it stop people toppling over?", 1),  # "falls"
                                            ("How long does shipping take?", 2)])  # "delivery"
def test_a_question_s_word_meets_the_page_s_word_for_the_same_thing(encoder, table, question, page):
    scores = covered(encoder, table, question)
    assert int(np.argmax(scores)) == page, scores


def test_a_term_the_set_holds_counts_whole_and_an_empty_set_resembles_nothing(encoder, table):
    question = "How long does delivery take?"
    terms = terms_of(question)
    vectors = question_vectors(question, encoder.encode_tokens([question])[0], terms)
    held = resemblance(table, terms, vectors, [frozenset(terms_of(PAGES[2])), frozenset()])
    assert held[0, terms.index("deliveri")] == 1.0 and (held[1] == 0.0).all()
    assert (resemblance(table, terms, None, [frozenset({"deliveri"})]) == 0.0).all()  # no token vectors


def test_a_term_is_read_from_as_few_sentences_as_its_uses_need():
    sentences = ["Ginger eases nausea."] * 5 + ["Ginger tea is warming."]
    assert needed(sentences, uses=2) == [0, 1, 5]  # "tea" and "warming" are new in the last


def test_the_index_holds_a_unit_vector_for_every_term_of_its_sentences(engine, tmp_path):
    table = engine.index.term_vectors
    terms = {t for i in range(len(engine.index.sentences)) for t in engine.index.sentence_terms(i)}
    assert terms <= set(table.terms)
    np.testing.assert_allclose(np.linalg.norm(table.vectors, axis=1), 1.0, atol=1e-2)
    table.save(tmp_path)
    again = TermVectors.load(tmp_path)
    assert again.terms == table.terms and np.array_equal(again.vectors, table.vectors)


def test_a_build_with_the_same_sentences_takes_the_term_vectors_over(built):
    from rag.build import build_index
    from rag.embed import TorchEncoder

    before = store.current_build(built.index_dir)
    build_index(built, TorchEncoder(built.model))
    index = load_index(built)
    assert index.manifest["term_vectors"]["read"] == 0
    assert (index.path / "term_vectors.npy").read_bytes() == (before / "term_vectors.npy").read_bytes()
