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
CORPORA = ("ketamine", "glucosamine", "tens", "magnesium", "taping", "cranberry", "melatonin", "acupuncture", "bluelight")

REVIEW = "For pain and function, the supplement did not differ from placebo in 31 trials with 6,120 participants."
HEDGED = "The treatment may provide rapid relief from stiffness in some patients."
STUDY = "A study published in a journal found that the device reduced stiffness scores by an average of 50%."


@pytest.fixture(scope="module")
def verifier(encoder: TorchEncoder) -> Verifier:
    return Verifier(encoder, VerifySettings())


@pytest.mark.parametrize("sentence, quotes", [
    ("Across 31 trials with 6,120 participants, the supplement made no difference compared with placebo for pain "
     "or function.", [REVIEW]),
    ("The treatment may give some patients rapid relief from stiffness.", [HEDGED]),
    ("One study found the device reduced stiffness scores by an average of 50%.", [STUDY]),
], ids=["paraphrase", "hedge kept", "study attributed"])
def test_a_faithful_sentence_is_supported(verifier: Verifier, sentence: str, quotes: list[str]) -> None:
    verdict = verifier.check(sentence, quotes)
    assert verdict.supported, verdict.reason
    assert verdict.reason is None


@pytest.mark.parametrize("sentence, quotes, named", [
    ("Across 31 trials, the supplement cut pain by 40% compared with placebo.", [REVIEW], "40%"),
    ("The review pooled forty-one trials with 6,120 participants.", [REVIEW], "forty-one"),
    ("For pain and function, the supplement worked better than placebo in 31 trials.", [REVIEW], ""),
    ("The product is approved by the regulator for joint stiffness.",
     ["The product is not currently approved by the regulator for joint stiffness."], "approved"),
    ("The treatment provides rapid relief from stiffness.", [HEDGED], "may"),
    ("There is strong evidence that the device reduces stiffness.",
     ["There is limited, low-certainty evidence that the device reduces stiffness."], ""),
    ("For pain and function, the supplement did not differ from placebo in 31 trials, though it lowered cholesterol "
     "and improved eyesight in pregnant women.", [REVIEW], "cholesterol"),
    ("The device reduces stiffness scores by an average of 50%.", [STUDY], "single study"),
    ("Because the device is battery-powered, a study found it reduced stiffness scores by an average of 50%.",
     ["The device is a small battery-powered unit.", STUDY], "Because"),
], ids=["invented figure", "changed number in words", "flipped negation", "asserted what the quote negates",
        "hedge made certain", "low certainty told as strong", "unrelated content word", "one study as general truth",
        "invented cause between quotes"])
def test_an_unsupported_sentence_fails_with_a_reason_naming_the_fault(verifier: Verifier, sentence: str,
                                                                      quotes: list[str], named: str) -> None:
    verdict = verifier.check(sentence, quotes)
    assert not verdict.supported
    assert verdict.reason and named in verdict.reason


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
    assert {(r["corpus"], r["kind"]) for r in rows} == {(c, k) for c in CORPORA for k in KINDS}
    assert all(r["supported"] == (r["kind"] in SUPPORTED_KINDS) for r in rows)
    assert 0.4 <= sum(r["supported"] for r in rows) / len(rows) <= 0.6
    assert max(Counter(r["sentence"] for r in rows).values()) == 1


# --- the harness and its gate ---------------------------------------------------------------------------------

def test_the_harness_fits_held_out_and_lists_what_got_through(encoder: TorchEncoder, tmp_path: Path) -> None:
    lines = [line for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    subset = tmp_path / "subset.jsonl"
    subset.write_text("\n".join(lines[::6]) + "\n", encoding="utf-8")  # every corpus, both labels
    report = verification_report(encoder, subset, VerifySettings())
    assert set(report["held_out"]) == set(CORPORA)
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
