import json

import pytest

from rag.evaluate import GoldQuestion, Outcome, cross_validate, fit_threshold, load_gold, matches, run_config, score


def gold(answerable=True, must=(("nausea",),), sources=("nmda-review-2025",), lead="nmda-review-2025"):
    return GoldQuestion("q", "Q?", answerable, list(sources), [list(g) for g in must], lead)


def test_malformed_lines_are_reported_with_their_line_number_and_skipped(tmp_path):
    path = tmp_path / "gold.jsonl"
    good = {"id": "a", "question": "Is it safe?", "answerable": True, "sources": [], "must_include": [], "lead_source": None}
    path.write_text("\n".join([json.dumps(good), "{not json", json.dumps({"id": "b"}),
                               json.dumps({**good, "question": "  "}), json.dumps({**good, "extra": 1})]) + "\n")
    questions, problems = load_gold(path)
    assert [q.id for q in questions] == ["a", "a"]
    assert [p.split(":")[1] for p in problems] == ["2", "3", "4"]


def test_key_phrase_groups_match_any_alternative_case_insensitively():
    assert matches("Nausea and PSYCHOTOMIMETIC reactions", [["nausea"], ["vomiting", "psychotomimetic"], ["x"]]) == [True, True, False]


def test_scores_follow_their_definitions():
    answered = Outcome(gold(), 0.9, [False, True], [True], ["nmda-review-2025", "role-of-ketamine"], True, 10.0)
    missed = Outcome(gold(), 0.2, [False] * 10, [False], ["role-of-ketamine"], True, 20.0)
    refused = Outcome(gold(answerable=False, must=(), sources=(), lead=None), 0.1, [], [], [], True, 30.0)
    m = score([answered, missed, refused], threshold=0.5)
    assert m["hit@1"] == 0 and m["hit@5"] == 0.5 and m["mrr"] == pytest.approx(0.25)
    assert m["key_recall"] == 0.5 and m["citation_precision"] == 0.5 and m["lead_source"] == 0.5
    assert m["abstain_precision"] == 0.5 and m["abstain_recall"] == 1.0 and m["abstain_accuracy"] == pytest.approx(2 / 3)


def test_threshold_fits_between_the_classes_and_cross_validation_holds_folds_out():
    outcomes = [Outcome(gold(), c, [], [], [], True, 1.0) for c in (0.6, 0.7, 0.8, 0.9, 0.95)]
    outcomes += [Outcome(gold(answerable=False), c, [], [], [], True, 1.0) for c in (0.0, 0.1, 0.2, 0.3, 0.4)]
    t = fit_threshold(outcomes)
    assert 0.4 < t <= 0.6
    held_out, thresholds = cross_validate(outcomes, folds=5)
    assert len(thresholds) == 5 and held_out["abstain_accuracy"] == 1.0


def test_real_questions_run_through_the_ask_path(engine):
    questions = [GoldQuestion("1", "Where is the Propel Therapeutics clinic located?", True, ["propel-neuropathic"],
                              [["Sacramento"]], "propel-neuropathic"),
                 GoldQuestion("2", "What is the capital of France?", False, [], [], None)]
    outcomes = run_config(engine, questions)
    assert outcomes[0].key_matches == [True] and outcomes[0].citation_docs[0] == "propel-neuropathic"
    assert any(outcomes[0].ranks[:5]) and all(o.verbatim for o in outcomes)
    assert outcomes[1].confidence < outcomes[0].confidence
