from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.corpus import REQUIRED_FIELDS, load_corpus, parse_document
from rag.errors import CorpusError
from rag.settings import Settings

TIERS = Settings().retrieval.tiers
SEED_IDS = {"nmda-review-2025", "ketamine-net-pain", "propel-neuropathic", "thurston-chronic-pain", "role-of-ketamine"}
GOOD = """---
id: doc-a
title: A title
source_type: blog post
evidence_tier: promotional
author: null
publisher: null
published: 2024-01-02
url: null
---
Body sentence one. Body sentence two.
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_real_corpus_has_the_five_seed_documents_with_clean_bodies():
    docs = load_corpus(Path(__file__).parent.parent / "corpus", TIERS)
    assert {d.id for d in docs} == SEED_IDS
    for d in docs:
        assert d.text and "\\n" not in d.text
        for leftover in ("top of page", "See more", "views0 comments", "external source", "Find more details"):
            assert leftover not in d.text, (d.id, leftover)
    review = next(d for d in docs if d.id == "nmda-review-2025")
    assert review.evidence_tier == TIERS[0] and review.published == "2025-08-21"


def test_glued_headings_are_separated():
    docs = {d.id: d for d in load_corpus(Path(__file__).parent.parent / "corpus", TIERS)}
    assert "Symptoms?Chronic" not in docs["ketamine-net-pain"].text
    assert "## What are Some Chronic Pain Symptoms?\n" in docs["ketamine-net-pain"].text


def test_good_document_parses():
    doc = parse_document(Path("doc-a.md"), GOOD.encode(), TIERS)
    assert doc.id == "doc-a" and doc.published == "2024-01-02" and doc.author is None
    assert doc.text == "Body sentence one. Body sentence two."


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
def test_missing_field_is_named(field):
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith(f"{field}:")) + "\n"
    with pytest.raises(CorpusError) as err:
        parse_document(Path("doc-a.md"), text.encode(), TIERS)
    assert err.value.field == field and "doc-a.md" in str(err.value) and "missing" in str(err.value)


@pytest.mark.parametrize("old, new, field, words", [
    ("evidence_tier: promotional", "evidence_tier: gospel", "evidence_tier", "unknown tier 'gospel'"),
    ("published: 2024-01-02", "published: last spring", "published", "ISO date"),
    ("title: A title", "title: null", "title", "must not be empty"),
    ("id: doc-a", "id: Doc A", "id", "lower-case"),
    ("url: null", "url: null\ncolour: red", "colour", "unknown field"),
    ("url: null", "url: javascript:alert(1)", "url", "http:// or https://"),
])
def test_bad_field_values_are_named(old, new, field, words):
    with pytest.raises(CorpusError) as err:
        parse_document(Path("doc-a.md"), GOOD.replace(old, new).encode(), TIERS)
    assert err.value.field == field and words in str(err.value)


@pytest.mark.parametrize("raw, words", [
    (GOOD.replace("Body sentence one. Body sentence two.\n", "\n  \n"), "body is empty"),
    ("no front matter here", "no YAML front matter"),
    ("---\nid: [unclosed\n---\nbody", "not valid YAML"),
    (GOOD.encode("utf-8").replace(b"Body", b"B\xff\xfedy"), "not valid UTF-8"),
])
def test_broken_files_are_refused(raw, words):
    with pytest.raises(CorpusError, match=words):
        parse_document(Path("doc-a.md"), raw.encode() if isinstance(raw, str) else raw, TIERS)


def test_duplicate_ids_are_refused_naming_both_files(tmp_path):
    write(tmp_path, "doc-a.md", GOOD)
    write(tmp_path, "doc-b.md", GOOD)
    with pytest.raises(CorpusError, match=r"doc-b.md: field 'id': duplicate id 'doc-a' \(also in doc-a.md\)"):
        load_corpus(tmp_path, TIERS)


def test_file_name_must_match_id(tmp_path):
    write(tmp_path, "other.md", GOOD)
    with pytest.raises(CorpusError, match="expected doc-a.md"):
        load_corpus(tmp_path, TIERS)


def test_empty_or_missing_corpus_folder_is_refused(tmp_path):
    with pytest.raises(CorpusError, match="no documents"):
        load_corpus(tmp_path, TIERS)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope", TIERS)


HOSTILE = GOOD.replace("Body sentence one. Body sentence two.", (
    "Markup <script>alert('x')</script> and <img src=x onerror=alert(1)> stay text. "
    "A [markdown link](javascript:alert(1)) too. Hebrew \u05e9\u05dc\u05d5\u05dd with \u202eRTL override "
    "and zero\u200bwidth\u200d joiners."))


def test_hostile_markup_is_kept_as_plain_text_and_invisible_controls_are_dropped(tmp_path):
    doc = parse_document(write(tmp_path, "doc-a.md", HOSTILE), HOSTILE.encode(), TIERS)
    assert "<script>alert('x')</script>" in doc.text and "<img src=x onerror=alert(1)>" in doc.text
    assert "[markdown link](javascript:alert(1))" in doc.text and "\u05e9\u05dc\u05d5\u05dd" in doc.text
    assert not {"\u200b", "\u200d", "\u202e"} & set(doc.text)


def test_an_oversized_document_is_refused_by_name_without_being_read(tmp_path):
    folder = tmp_path / "corpus"
    write(folder, "doc-a.md", GOOD)
    write(folder, "huge.md", GOOD.replace("doc-a", "huge") + "word " * (5 * 2**20 // 5))
    with pytest.raises(CorpusError, match=r"huge\.md: is 5\.0 MiB; the limit is 2 MiB"):
        load_corpus(folder, TIERS)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_give_a_document_or_a_corpus_error(raw):
    try:
        doc = parse_document("x.md", raw, TIERS)
    except CorpusError as err:
        assert str(err).startswith("x.md")
    else:
        assert doc.text and doc.text == doc.text.strip()


FIELD_VALUES = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                         st.lists(st.text(max_size=5), max_size=3), st.dates().map(str))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(list(REQUIRED_FIELDS) + ["extra", "id"]), FIELD_VALUES, max_size=10),
       st.text(max_size=200))
def test_any_front_matter_gives_a_document_or_an_error_naming_the_file(meta, body):
    import yaml

    raw = ("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body).encode()
    try:
        parse_document("doc-a.md", raw, TIERS)
    except CorpusError as err:
        assert str(err).startswith("doc-a.md")
