"""The verifier of generated sentences, with the real encoder, and the labelled set it is measured on."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rag.corpus import parse_document
from rag.embed import TorchEncoder
from rag.evaluation.gold import load_suite
from rag.evaluation.report import check
from rag.evaluation.verification import load_cases, verification_report
from rag.settings import Settings, VerifySettings
from rag.numbers import quantities
from rag.verify import Verifier

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "eval" / "verification.jsonl"
KINDS = {"faithful_paraphrase", "faithful_summary_of_two_quotes", "exact_restatement", "invented_number",
         "changed_number", "flipped_negation", "hedge_made_certain", "wrong_citation", "stitched",
         "overgeneralisation", "unsupported_addition"}
SUPPORTED_KINDS = {"faithful_paraphrase", "faithful_summary_of_two_quotes", "exact_restatement"}

REVIEW = "For pain and function, the supplement did not differ from placebo in 31 trials with 6,120 participants."
HEDGED = "The treatment may provide rapid relief from stiffness in some patients."
STUDY = "A study published in a journal found that the device reduced stiffness scores by an average of 50%."


@pytest.fixture(scope="module")
def verifier(encoder: TorchEncoder) -> Verifier:
    return Verifier(encoder, VerifySettings())


def test_a_faithful_paraphrase_is_supported(verifier: Verifier) -> None:
    verdict = verifier.check("Across 31 trials with 6,120 participants, the supplement made no difference "
                             "compared with placebo for pain or function.", [REVIEW])
    assert verdict.supported, verdict.reason
    assert verdict.reason is None


def test_an_invented_figure_is_named(verifier: Verifier) -> None:
    verdict = verifier.check("Across 31 trials, the supplement cut pain by 40% compared with placebo.", [REVIEW])
    assert not verdict.supported
    assert verdict.reason and "40%" in verdict.reason


def test_a_changed_number_written_in_words_is_caught(verifier: Verifier) -> None:
    verdict = verifier.check("The review pooled forty-one trials with 6,120 participants.", [REVIEW])
    assert not verdict.supported
    assert verdict.reason and "forty-one" in verdict.reason


def test_a_flipped_negation_fails(verifier: Verifier) -> None:
    verdict = verifier.check("For pain and function, the supplement worked better than placebo in 31 trials.",
                             [REVIEW])
    assert not verdict.supported
    assert verdict.reason


def test_an_asserted_claim_the_quote_negates_fails(verifier: Verifier) -> None:
    verdict = verifier.check("The product is approved by the regulator for joint stiffness.",
                             ["The product is not currently approved by the regulator for joint stiffness."])
    assert not verdict.supported
    assert verdict.reason and "approved" in verdict.reason


def test_a_hedge_made_certain_fails(verifier: Verifier) -> None:
    verdict = verifier.check("The treatment provides rapid relief from stiffness.", [HEDGED])
    assert not verdict.supported
    assert verdict.reason and "may" in verdict.reason
    assert verifier.check("The treatment may give some patients rapid relief from stiffness.", [HEDGED]).supported


def test_low_certainty_told_as_strong_evidence_fails(verifier: Verifier) -> None:
    verdict = verifier.check("There is strong evidence that the device reduces stiffness.",
                             ["There is limited, low-certainty evidence that the device reduces stiffness."])
    assert not verdict.supported


def test_an_unrelated_content_word_fails(verifier: Verifier) -> None:
    verdict = verifier.check("For pain and function, the supplement did not differ from placebo in 31 trials, "
                             "though it lowered cholesterol and improved eyesight in pregnant women.", [REVIEW])
    assert not verdict.supported
    assert verdict.reason and "cholesterol" in verdict.reason


def test_one_study_told_as_a_general_truth_fails(verifier: Verifier) -> None:
    told = verifier.check("The device reduces stiffness scores by an average of 50%.", [STUDY])
    assert not told.supported
    assert told.reason and "single study" in told.reason
    assert verifier.check("One study found the device reduced stiffness scores by an average of 50%.",
                          [STUDY]).supported


def test_two_quotes_welded_by_an_invented_cause_fail(verifier: Verifier) -> None:
    quotes = ["The device is a small battery-powered unit.", STUDY]
    verdict = verifier.check("Because the device is battery-powered, a study found it reduced stiffness scores "
                             "by an average of 50%.", quotes)
    assert not verdict.supported
    assert verdict.reason and "because" in verdict.reason.lower()


def test_a_sentence_without_quotes_is_not_supported(verifier: Verifier) -> None:
    assert verifier.check("The supplement works.", []) == verifier.check("The supplement works.", [" "])
    assert not verifier.check("The supplement works.", []).supported


def test_numbers_read_alike_however_written() -> None:
    def values(text: str) -> list[float]:
        return [q.value for q in quantities(text)]

    assert values("three months") == values("3 months") == [3.0]
    assert values("1,500 mg") == [1500.0]
    assert values("twenty-four hours") == [24.0]
    assert values("6–12 weeks") == values("6-12 weeks") == [6.0, 12.0]
    assert values("one of the most used") == []  # an article, not a count


# --- the labelled set ---------------------------------------------------------------------------------------

def _bodies() -> dict[str, dict[str, str]]:
    tiers = Settings().retrieval.tiers
    out = {}
    for c in load_suite(ROOT / "eval" / "suite.toml"):
        out[c.name] = {p.stem: parse_document(p, p.read_bytes(), tiers).text for p in c.corpus_dir.glob("*.md")}
    return out


def test_every_quote_is_verbatim_in_its_document() -> None:
    bodies = _bodies()
    missing = [(r.corpus, q["doc_id"], q["text"][:60]) for r in load_cases(LABELS) for q in r.quotes
               if q["text"] not in bodies[r.corpus].get(q["doc_id"], "")]
    assert not missing


def test_the_labelled_set_covers_every_kind_on_every_corpus() -> None:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 150
    assert all(set(r) == {"corpus", "sentence", "quotes", "supported", "kind"} for r in rows)
    assert {(r["corpus"], r["kind"]) for r in rows} == {(c, k) for c in ("ketamine", "glucosamine", "tens")
                                                        for k in KINDS}
    assert all(r["supported"] == (r["kind"] in SUPPORTED_KINDS) for r in rows)
    assert 0.4 <= sum(r["supported"] for r in rows) / len(rows) <= 0.6
    assert max(Counter(r["sentence"] for r in rows).values()) == 1


# --- the harness and its gate ---------------------------------------------------------------------------------

def test_the_harness_fits_held_out_and_lists_what_got_through(encoder: TorchEncoder, tmp_path: Path) -> None:
    lines = [line for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    subset = tmp_path / "subset.jsonl"
    subset.write_text("\n".join(lines[::6]) + "\n", encoding="utf-8")  # every corpus, both labels
    report = verification_report(encoder, subset, VerifySettings())
    assert set(report["held_out"]) == {"ketamine", "glucosamine", "tens"}
    for name, held in report["held_out"].items():
        assert name not in held["fitted_on"]
        assert 0 <= held["precision"] <= 1 and 0 <= held["recall"] <= 1
    assert report["cases"] == len(lines[::6])
    assert all(not f["kind"] in SUPPORTED_KINDS for f in report["false_positives"])
    assert all(f["reason"] for f in report["false_negatives"])


def test_the_gate_fails_a_verifier_below_its_minimum(tmp_path: Path) -> None:
    gates = tmp_path / "thresholds.toml"
    gates.write_text("[verifier]\nprecision = 0.95\nrecall = 0.85\n", encoding="utf-8")
    report: dict = {"corpora": {}, "verification": {"overall": {"precision": 0.90, "recall": 0.99}}}
    problems = check(report, gates)
    assert problems == ["verifier: precision = 0.900 is below the minimum 0.95"]
    report["verification"]["overall"]["precision"] = 0.97
    assert check(report, gates) == []
