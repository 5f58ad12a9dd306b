from pathlib import Path

import pytest

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
