from hypothesis import given, strategies as st

from rag.segment import split_sentences

ALPHABET = st.sampled_from(list("abc XYZ.?!\n#-•(),1’”\t|") + ["U.S.", "Dr. ", "## ", "- ", "(7,8) ", "\n\n",
                                                                  "|---|", "\n--- | ---\n"])


def texts(text):
    return [(s.kind, text[s.start:s.end]) for s in split_sentences(text)]


def test_paragraphs_headings_and_items():
    text = "## What is it?\n\nIt is a drug. It works fast!\n\n- Joint Pain\n- Stiffness\n\nDone? Yes."
    assert texts(text) == [
        ("heading", "What is it?"), ("text", "It is a drug."), ("text", "It works fast!"),
        ("item", "Joint Pain"), ("item", "Stiffness"), ("text", "Done?"), ("text", "Yes."),
    ]


def test_abbreviations_initials_and_reference_markers_do_not_end_sentences():
    text = "Clinics in the U.S. offer care. John M. Thurston wrote it. Pain fell.(7,8) Opioid use fell."
    assert [t for _, t in texts(text)] == [
        "Clinics in the U.S. offer care.", "John M. Thurston wrote it.", "Pain fell.(7,8)", "Opioid use fell."]


def test_an_abbreviation_inside_emphasis_does_not_end_a_sentence():
    text = "*Dr. Jo Acme is a consultant. She has no links.*"
    assert [t for _, t in texts(text)] == ["*Dr. Jo Acme is a consultant.", "She has no links.*"]


def test_sentences_carry_their_section():
    text = "Intro line.\n\n## Safety\n\nIt can cause nausea."
    sections = [s.section for s in split_sentences(text)]
    assert sections == ["", "Safety", "Safety"]


def test_each_table_row_is_a_sentence_under_its_header_row():
    """A summary-of-findings table is quoted a row at a time, without its outer borders; the header row labels the
    rows as a heading does, and the text after the table is under the page's heading again."""
    text = ("## Results\n\nSee the table.\n| Outcome | Effect (95% CI) |\n|---|:---:|\n| Pain | MD -0.4 (-0.9 to 0.1) |\n"
            "| Sleep | RR 1.1 |\n\nAfter it.\nDose | Use\n--- | ---\n5 mg | nightly\n")
    assert texts(text) == [
        ("heading", "Results"), ("text", "See the table."), ("heading", "Outcome | Effect (95% CI)"),
        ("item", "Pain | MD -0.4 (-0.9 to 0.1)"), ("item", "Sleep | RR 1.1"), ("text", "After it."),
        ("heading", "Dose | Use"), ("item", "5 mg | nightly")]
    assert [s.section for s in split_sentences(text)][2:6] == ["Results: Outcome | Effect (95% CI)"] * 3 + ["Results"]


@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_spans_round_trip_trimmed_ordered_and_disjoint(text):
    previous_end = 0
    for s in split_sentences(text):
        piece = text[s.start:s.end]
        assert piece and piece == piece.strip()
        assert s.start >= previous_end
        previous_end = s.end
