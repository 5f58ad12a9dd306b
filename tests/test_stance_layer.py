"""The stance layer, learnt from labelled sentences: it speaks where the rules are silent, and only there."""

import json

import numpy as np
import pytest

from conftest import ROOT, page_tiers
from rag.errors import RagError
from rag.evaluation.gold import load_suite
from rag.evaluation.stance import Labelled, fit_on, judged, labelled, stance_scores
from rag.stance import Stance, stances
from rag.stance_layer import StanceLayer, stances_with

HELD_OUT = ("acupuncture", "cinnamon", "valerian", "stockings", "earcandles")
SUITE = {c.name: c for c in load_suite(ROOT / "eval" / "suite.toml")}


def _labels(name: str, encoder) -> Labelled:
    corpus = SUITE[name]
    assert corpus.stance is not None
    return labelled(corpus.stance, encoder, page_tiers(corpus.corpus_dir))


@pytest.fixture(scope="module")
def layer(encoder):
    """Fitted on every labelled corpus but the held-out ones (the served corpus first, then the others by name)."""
    names = ["ketamine", *sorted(n for n in SUITE if n != "ketamine" and n not in HELD_OUT)]
    return fit_on([_labels(n, encoder) for n in names])


def test_the_layer_finds_stances_the_rules_miss_on_corpora_it_never_saw(layer, encoder):
    held = [_labels(n, encoder) for n in HELD_OUT]
    rules = stance_scores([pair for h in held for pair in judged(h, None)])
    both = stance_scores([pair for h in held for pair in judged(h, layer)])
    # Sales talk is said in more ways than findings: most of what the rules miss is a page's support.
    assert both["supports"]["recall"] >= rules["supports"]["recall"] + 0.05
    assert both["doubts"]["recall"] >= rules["doubts"]["recall"] + 0.01
    for polarity in ("supports", "doubts"):
        assert both[polarity]["precision"] >= rules[polarity]["precision"] - 0.05


def test_the_rules_stand_where_they_decide_and_what_asks_claims_nothing(layer, encoder):
    sales = ["Our customers sleep through the night from the very first week.",
             "Thousands of happy clients have already left their aches behind."]
    finding = "There was no statistically significant difference compared with sham."
    asking = "Want to sleep through the night from the very first week?"
    texts = [*sales, finding, asking]
    vectors = encoder.encode(texts)
    tiers = ["promotional", "promotional", "systematic-review", "promotional"]
    said = stances_with(texts, vectors, tiers, layer)
    for n, text in enumerate(sales):
        assert stances(text) == () and Stance("efficacy", 1) in said[n]
    assert stances_with(texts, vectors, tiers, None) == [stances(t) for t in texts]
    # Another model's embeddings say nothing to a layer fitted on this one's.
    assert stances_with(texts, vectors[:, :100], tiers, layer) == [stances(t) for t in texts]
    assert said[2][:len(stances(finding))] == stances(finding)
    assert [s for s in said[2] if s.topic == "efficacy"] == [Stance("efficacy", -1)]
    assert said[3] == ()


def test_the_layer_hears_the_kind_of_page_a_sentence_is_on(layer, encoder):
    # A review reporting that pain fell over its trials' weeks claims nothing for the treatment (it fell on the
    # dummy too); a shop's page saying so is selling it.
    text = "Pain scores fell over the eight weeks."
    vectors = encoder.encode([text, text])
    review, shop = stances_with([text, text], vectors, ["systematic-review", "promotional"], layer)
    assert stances(text) == ()
    assert Stance("efficacy", 1) in shop and not any(s.topic == "efficacy" for s in review)
    assert layer.tiers == ("expert-opinion", "promotional", "systematic-review", "unsourced")


def test_the_layer_speaks_on_a_topic_only_for_a_sentence_about_it(layer, encoder):
    # On a shop's page a list of side effects reads like the page's sales talk; it says nothing of whether the
    # treatment works.
    texts = ["Side effects can include dizziness, nausea and a dry mouth.", "Allergy advice: contains tree nuts.",
             "Our customers sleep through the night from the very first week."]
    vectors = encoder.encode(texts)
    tiers = ["promotional"] * len(texts)
    about = layer.about(vectors, tiers)
    said = stances_with(texts, vectors, tiers, layer)
    assert [layer.topics[i] for i in about.argmax(axis=1)] == ["safety", "safety", "efficacy"]
    assert not any(s.topic == "efficacy" for s in said[0] + said[1])
    assert Stance("efficacy", 1) in said[2]
    # Saved and read back, it says the same; saved before it learnt topics, it spoke on every one.
    assert stances_with(texts, vectors, tiers, StanceLayer.from_dict(layer.to_dict())) == said
    saved = {k: v for k, v in layer.to_dict().items() if not k.startswith("about")}
    assert Stance("efficacy", 1) in stances_with(texts, vectors, tiers, StanceLayer.from_dict(saved))[0]
    # The eval report counts what a layer says off a labelled sentence's topic.
    labels = Labelled(texts[:2], ["safety", "safety"], np.array([-1, 0]), vectors[:2], tiers[:2])
    assert stance_scores(judged(labels, layer))["elsewhere"] == 0
    assert stance_scores(judged(labels, StanceLayer.from_dict(saved)))["elsewhere"] >= 1


def test_labels_of_a_page_the_corpus_does_not_hold_or_of_no_page_are_refused(tmp_path, encoder):
    path = tmp_path / "stance.jsonl"
    path.write_text(json.dumps({"sentence": "It works.", "doc_id": "gone", "topic": "efficacy", "polarity": 1}) + "\n")
    with pytest.raises(RagError, match="gone"):
        labelled(path, encoder, {"here": "promotional"})
    path.write_text("\n" + json.dumps({"sentence": "It works.", "topic": "efficacy", "polarity": 1}) + "\n")
    with pytest.raises(RagError, match=r"stance\.jsonl:2: .*doc_id"):
        labelled(path, encoder, {"here": "promotional"})
    for topic, polarity in (("price", 1), ("efficacy", 2)):
        path.write_text(json.dumps({"sentence": "It works.", "doc_id": "here", "topic": topic, "polarity": polarity}))
        with pytest.raises(RagError, match=rf"stance\.jsonl:1: .*{topic!r} and {polarity}"):
            labelled(path, encoder, {"here": "promotional"})
