from hypothesis import given, strategies as st

from rag.clean import clean_text


def test_scraper_leftover_lines_are_removed():
    raw = "top of page\nIntro.\n\\n\nBody text.\nmore stories\nSee more\n5 views0 comments\nbottom of page\n"
    assert clean_text(raw) == "Intro.\n\nBody text."


def test_invisible_characters_and_windows_newlines_are_normalised():
    assert clean_text("a\u200bb\r\nc\u202ed\ufeff") == "ab\ncd"


def test_leftover_words_inside_sentences_are_kept():
    assert clean_text("See more of the data in table 2.") == "See more of the data in table 2."


@given(st.text())
def test_cleaning_is_idempotent_and_leaves_no_carriage_returns(raw):
    once = clean_text(raw)
    assert clean_text(once) == once
    assert "\r" not in once
    assert once == once.strip()
