import json

import numpy as np
import pytest

from rag.evaluation.fit import collect, fit_scorer
from rag.evaluation.gold import GoldQuestion, load_gold, load_suite, matches
from rag.evaluation.harness import Outcome, run_questions, score
from rag.evaluation.stance import fit_on, judged, labelled, stance_scores
from rag.features import QUESTION_FEATURES, RANKING_FEATURES, SENTENCE_SIGNS
from rag.scorer import Trees, fit_logistic, fit_threshold, fit_trees, load_scorer, save_scorer, tree_classifier

from conftest import ROOT


def gold(answerable=True, must=(("nausea",),), sources=("nmda-review-2025",), lead="nmda-review-2025", kind=None):
    return GoldQuestion("q", "Q?", answerable, list(sources), [list(g) for g in must], lead, kind)


def outcome(g, abstained, ranks=(), keys=(), docs=(), tiers=(), lead_tier=None, latency=10.0):
    return Outcome(g, 0.5, abstained, list(ranks), list(keys), list(docs), list(tiers), lead_tier, True, latency)


def test_malformed_lines_are_reported_with_their_line_number_and_skipped(tmp_path):
    path = tmp_path / "gold.jsonl"
    good = {"id": "a", "question": "Is it safe?", "answerable": True, "sources": [], "must_include": [], "lead_source": None}
    path.write_text("\n".join([json.dumps(good), "{not json", json.dumps({"id": "b"}),
                               json.dumps({**good, "question": "  "}), json.dumps({**good, "kind": "odd"}),
                               json.dumps({**good, "kind": "near-miss"})]) + "\n")
    questions, problems = load_gold(path)
    assert [q.kind for q in questions] == [None, "near-miss"]
    assert [p.split(":")[1] for p in problems] == ["2", "3", "4", "5"]


def test_key_phrase_groups_match_any_alternative_case_insensitively():
    assert matches("Nausea and PSYCHOTOMIMETIC reactions", [["nausea"], ["vomiting", "psychotomimetic"], ["x"]]) == [True, True, False]
    assert matches("**Eye test**: £35 [1]", [["Eye test: £35"]]) == [True]  # read as the page shows it


def test_scores_follow_their_definitions():
    answered = outcome(gold(), False, [False, True], [True], ["nmda-review-2025", "role-of-ketamine"],
                       ["systematic-review", "unsourced"], "systematic-review")
    missed = outcome(gold(), False, [False] * 10, [False], ["role-of-ketamine"], ["unsourced"], "systematic-review")
    refused = outcome(gold(False, (), (), None, "near-miss"), True)
    answered_wrongly = outcome(gold(False, (), (), None, "near-miss"), False)
    m = score([answered, missed, refused, answered_wrongly])
    assert m["hit@1"] == 0 and m["hit@5"] == 0.5 and m["mrr"] == pytest.approx(0.25)
    assert m["key_recall"] == 0.5 and m["lead_source"] == 0.5
    assert m["citation_precision"] == pytest.approx(1 / 3)
    assert m["abstain_precision"] == 1.0 and m["abstain_recall"] == 0.5 and m["abstain_accuracy"] == 0.75
    assert m["near_miss_abstained"] == 0.5


def test_threshold_fits_between_the_classes():
    p = np.array([0.6, 0.7, 0.8, 0.9, 0.95, 0.0, 0.1, 0.2, 0.3, 0.4])
    t = fit_threshold(p, np.array([True] * 5 + [False] * 5))
    assert 0.4 < t <= 0.6


def test_overlapping_classes_cut_where_a_false_answer_costs_more_than_a_missed_one():
    # An unanswerable question at 0.65 above an answerable one at 0.5: cutting under both costs one false answer,
    # cutting over both one missed answer, which weighs less.
    p = np.array([0.5, 0.85, 0.9, 0.95, 0.65, 0.1, 0.2])
    t = fit_threshold(p, np.array([True, True, True, True, False, False, False]))
    assert 0.65 < t < 0.85


def test_the_cut_does_not_jump_with_one_question():
    rng = np.random.default_rng(3)
    answerable = np.array([True] * 60 + [False] * 30)
    p = np.clip(np.where(answerable, rng.normal(0.7, 0.15, 90), rng.normal(0.3, 0.15, 90)), 0, 1)
    cuts = [fit_threshold(np.delete(p, i), np.delete(answerable, i)) for i in range(90)]
    assert max(cuts) - min(cuts) < 0.05


def test_an_unconstrained_fit_is_scikit_learns_regularised_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3)) * [1.0, 5.0, 0.1] + [0.0, 2.0, 1.0]
    y = x[:, 0] - x[:, 1] / 5 + rng.normal(size=400) > 0.5
    ours = fit_logistic(x, y, ("a", "b", "c"))
    theirs = LogisticRegression(class_weight="balanced", max_iter=5000).fit((x - x.mean(0)) / x.std(0), y)
    assert np.allclose(ours.coef, theirs.coef_[0], atol=2e-3) and abs(ours.intercept - theirs.intercept_[0]) < 2e-3
    weights = rng.uniform(0.1, 3.0, 400)
    ours = fit_logistic(x, y, ("a", "b", "c"), sample_weight=weights)
    # The classes are balanced by their counts, as before, and the weights come on top.
    balanced = {True: 0.5 / y.mean(), False: 0.5 / (1 - y.mean())}
    theirs = LogisticRegression(class_weight=balanced, max_iter=5000).fit(
        (x - x.mean(0)) / x.std(0), y, sample_weight=weights / weights.mean())
    assert np.allclose(ours.coef, theirs.coef_[0], atol=2e-3) and abs(ours.intercept - theirs.intercept_[0]) < 2e-3


def test_a_feature_held_to_a_sign_never_pushes_the_other_way():
    # "b" predicts the positive class, but it is held to a negative sign: the fit leaves it at zero and leans on
    # the free feature instead.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 2))
    y = x[:, 0] + 2 * x[:, 1] > 0
    free = fit_logistic(x, y, ("a", "b"))
    held = fit_logistic(x, y, ("a", "b"), {"b": -1})
    assert free.coef[1] > 1 and held.coef[1] == 0 and held.coef[0] > 0


def test_every_signed_feature_is_one_the_models_compute():
    assert set(SENTENCE_SIGNS) <= set(RANKING_FEATURES) and set(SENTENCE_SIGNS.values()) <= {-1, 1}


def test_the_flattened_trees_give_lightgbms_own_probabilities_and_survive_a_round_trip():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(600, 3))
    # An interaction no single feature shows: the positives are where a and b agree in sign.
    y = (x[:, 0] * x[:, 1] > 0) & (x[:, 2] > -1.5)
    trees = fit_trees(x, y, ("a", "b", "c"))
    model = tree_classifier().fit(x, y.astype(int))
    probe = rng.normal(size=(300, 3))
    assert np.allclose(trees.probability(probe), model.predict_proba(probe)[:, 1], atol=1e-9)
    assert trees.slope.any(), "the leaves are lines in their branch's features, not constants"
    # The interaction is learnt, which a logistic model over the same columns cannot.
    held = probe[:, 0] * probe[:, 1] > 0
    assert trees.probability(probe)[held].mean() > trees.probability(probe)[~held].mean() + 0.3
    again = Trees.from_dict(json.loads(json.dumps(trees.to_dict())))
    assert np.array_equal(again.probability(probe), trees.probability(probe)) and again.depth == trees.depth


def test_trees_too_few_to_split_give_one_probability_for_every_question():
    x = np.arange(20, dtype=float)[:, None]
    trees = fit_trees(x, x[:, 0] > 12, ("a",))
    p = trees.probability(np.array([[0.0], [19.0]]))
    assert trees.depth == 0 and p[0] == p[1]


@pytest.mark.parametrize("answerable", [True, False])
def test_trees_fitted_on_one_class_say_that_class_whatever_the_row(answerable):
    rng = np.random.default_rng(3)
    trees = fit_trees(rng.normal(size=(80, 2)), np.full(80, answerable), ("a", "b"))
    p = trees.probability(rng.normal(size=(5, 2)))
    assert np.allclose(p, 0.99 if answerable else 0.01)


def test_trees_pointing_outside_themselves_are_refused():
    trees = fit_trees(np.arange(200, dtype=float)[:, None], np.arange(200) > 90, ("a",)).to_dict()
    with pytest.raises(ValueError, match="node it does not have"):
        Trees.from_dict({**trees, "left": [n + len(trees["left"]) for n in trees["left"]]})
    with pytest.raises(ValueError, match="feature it does not have"):
        Trees.from_dict({**trees, "feature": [1] * len(trees["feature"])})
    with pytest.raises(ValueError, match="feature it does not have"):
        Trees.from_dict({**trees, "slope_feature": [[1] * len(row) for row in trees["slope_feature"]]})
    with pytest.raises(ValueError, match="one row a node"):
        Trees.from_dict({**trees, "slope": trees["slope"][1:]})


def test_the_suite_names_existing_corpora_each_with_its_gold_and_stance_labels():
    corpora = load_suite(ROOT / "eval" / "suite.toml")
    assert len(corpora) >= 3 and all(c.corpus_dir.is_dir() and c.gold.is_file() for c in corpora)
    for c in corpora:
        questions, problems = load_gold(c.gold)
        assert not problems and len(questions) >= 60


def test_stance_scores_count_each_polarity(tmp_path, encoder):
    path = tmp_path / "stance.jsonl"
    rows = [("There was no statistically significant difference compared with sham.", "efficacy", -1),
            ("The device is completely safe and has no side effects.", "safety", 1),
            ("Pain was rated on a scale from 0 to 10.", "efficacy", 0)]
    path.write_text("".join(json.dumps({"sentence": s, "doc_id": "a", "topic": t, "polarity": p}) + "\n"
                            for s, t, p in rows))
    scores = stance_scores(judged(labelled(path, encoder, {"a": "expert-opinion"}), None))
    assert scores["sentences"] == 3
    assert all(scores[name]["labelled"] == 1 for name in ("supports", "doubts", "neutral"))
    assert scores["doubts"]["recall"] == 1.0 and scores["supports"]["recall"] == 1.0


def test_a_scorer_fitted_on_real_questions_ranks_answering_sentences_higher_and_round_trips(engine, tmp_path):
    questions = load_gold(ROOT / "eval" / "gold.jsonl")[0]
    samples = collect(engine, questions)
    tiers = {d.id: d.evidence_tier for d in engine.index.documents.values()}
    scorer = fit_scorer(samples, ("ketamine",),
                        fit_on([labelled(ROOT / "eval" / "stance.jsonl", engine.encoder, tiers)]))
    x = np.vstack([s.x for s in samples if len(s.x)])
    y = np.concatenate([s.y for s in samples if len(s.x)])
    p, ranked = scorer.sentence_probabilities(x)
    assert p[y].mean() > p[~y].mean() + 0.2 and ranked[y].mean() > ranked[~y].mean() + 0.2
    save_scorer(scorer, tmp_path / "scorer.json")
    # A key a line, not a number a line: the question trees alone hold thousands of numbers.
    assert len((tmp_path / "scorer.json").read_text(encoding="utf-8").splitlines()) < 50
    again = load_scorer(tmp_path / "scorer.json")
    assert again.fitted_on == ("ketamine",)
    assert again.stance is not None and scorer.stance is not None
    assert np.allclose(again.stance.coef, scorer.stance.coef, atol=1e-6)
    assert all(np.allclose(a, b, atol=1e-4) for a, b in zip(again.sentence_probabilities(x), (p, ranked)))


def test_real_questions_run_through_the_ask_path(engine):
    questions = [GoldQuestion("1", "Where is the Propel Therapeutics clinic located?", True, ["propel-neuropathic"],
                              [["Sacramento"]], "propel-neuropathic"),
                 GoldQuestion("2", "What is the capital of France?", False, [], [], None)]
    outcomes = run_questions(engine, questions)
    assert outcomes[0].key_matches == [True] and outcomes[0].citation_docs[0] == "propel-neuropathic"
    assert any(outcomes[0].ranks[:5]) and all(o.verbatim for o in outcomes)
    assert outcomes[1].abstained and not outcomes[0].abstained


@pytest.mark.slow
def test_fit_and_eval_from_the_command_line_leave_the_served_scorer_alone(tmp_path):
    import subprocess
    import sys

    suite = tmp_path / "suite.toml"
    suite.write_text("".join(f'[[corpus]]\nname = "{n}"\ncorpus = "{c}"\ngold = "{g}"\n\n' for n, c, g in [
        ("ketamine", ROOT / "corpus", ROOT / "eval" / "gold.jsonl"),
        ("glucosamine", ROOT / "eval/corpora/glucosamine/corpus", ROOT / "eval/corpora/glucosamine/gold.jsonl")]))
    served = (ROOT / "rag" / "scorer.json").read_bytes()

    def rag(*args):
        return subprocess.run([sys.executable, "-m", "rag.cli", *args, "--suite", str(suite),
                               "--cache", str(tmp_path / "indexes")], capture_output=True, text=True, cwd=tmp_path)

    fitted = rag("fit", "--out", str(tmp_path / "scorer.json"))
    assert fitted.returncode == 0, fitted.stderr
    assert load_scorer(tmp_path / "scorer.json").fitted_on == ("ketamine", "glucosamine")
    evaluated = rag("eval", "--out", str(tmp_path / "report"))
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads((tmp_path / "report" / "latest.json").read_text())
    assert report["corpora"]["ketamine"]["fitted_on"] == ["glucosamine"]
    assert report["corpora"]["glucosamine"]["fitted_on"] == ["ketamine"]
    assert (tmp_path / "report" / "latest.png").stat().st_size > 0
    assert (ROOT / "rag" / "scorer.json").read_bytes() == served


def test_the_gate_fails_a_stance_polarity_below_its_minimum(tmp_path):
    from rag.evaluation.report import check

    gates = tmp_path / "thresholds.toml"
    gates.write_text("[stance.doubts]\nprecision = 0.8\nrecall = 0.7\n", encoding="utf-8")
    report: dict = {"corpora": {}, "stance": {"doubts": {"precision": 0.85, "recall": 0.6}}}
    assert check(report, gates) == ["stance: doubts recall = 0.600 is below the minimum 0.7"]
    report["stance"]["doubts"]["recall"] = 0.75
    assert check(report, gates) == []


def test_the_gate_fails_a_stance_layer_leaning_off_its_sentences_topics(tmp_path):
    from rag.evaluation.report import check

    gates = tmp_path / "thresholds.toml"
    gates.write_text("[stance_layer]\nelsewhere = 10\n", encoding="utf-8")
    report: dict = {"corpora": {}, "stance": {"elsewhere": 11}}
    assert check(report, gates) == ["stance: the layer took 11 stances on a topic other than the labelled one, more "
                                    "than the most allowed, 10"]
    report["stance"]["elsewhere"] = 10
    assert check(report, gates) == []


def _within_question_auc(samples, scores) -> float:
    """How often, within one question, an answering candidate is ranked above one that does not answer."""
    aucs = []
    for s, p in zip(samples, scores):
        if s.y.any() and (~s.y).any():
            aucs.append(float((p[s.y][:, None] > p[~s.y][None, :]).mean()))
    return float(np.mean(aucs))


def test_the_ranker_orders_each_questions_candidates_at_least_as_well_as_the_sentence_model(engine):
    samples = collect(engine, load_gold(ROOT / "eval" / "gold.jsonl")[0])
    scorer = fit_scorer(samples, ("ketamine",), None)
    pairs = [scorer.sentence_probabilities(s.x) if len(s.x) else (np.zeros(0), np.zeros(0)) for s in samples]
    ranked = _within_question_auc(samples, [r for _, r in pairs])
    assert ranked > 0.8
    assert ranked >= _within_question_auc(samples, [p for p, _ in pairs])


def test_the_question_model_learns_from_the_candidates_the_service_weighs(engine):
    """On a contested question the service also weighs the passages beside the review's hits; the question model's
    training rows must be the rows the service computes, or its probabilities mean something else when served."""
    from rag.answer import weigh_evidence
    from rag.retrieve import search_further

    questions = [q for q in load_gold(ROOT / "eval" / "gold.jsonl")[0] if q.answerable][:20]
    samples = collect(engine, questions)
    widened = 0
    for sample in samples:
        query = engine.query(sample.gold.question)
        hits, further = search_further(engine.index, query, engine.settings.retrieval.top_k,
                                       engine.settings.retrieval)
        served = weigh_evidence(engine.index, query, hits, engine.settings, engine.scorer, further)
        row = sample.question_row(engine.scorer.sentence)
        assert engine.scorer.question.probability(row[None, :])[0] == pytest.approx(served.confidence)
        assert len(sample.served) == len(served.candidates) >= len(sample.x)
        widened += len(sample.served) > len(sample.x)
    assert widened  # some question's candidates go beyond the retrieved passages
