"""Pack retrieved passages into a numbered, cited context block for a caller's own LLM prompt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .answer import Citation
from .chunk import count_tokens, encoding
from .index import Index
from .retrieve import Hit

PREAMBLE = ("Evidence from the document corpus, strongest evidence tier first. "
            "Answer only from it and cite passages as [n].\n\n")


@dataclass(frozen=True)
class Context:
    question: str
    context: str
    tokens: int
    max_tokens: int
    citations: list[Citation]


def pack_context(index: Index, question: str, hits: list[Hit], tier_rank: Callable[[str], int], max_tokens: int,
                 encoding_name: str) -> Context:
    """Passages in tier order, then score, each added whole while the block stays within max_tokens."""
    enc = encoding(encoding_name)
    ordered = sorted(hits, key=lambda h: (tier_rank(index.documents[index.chunks[h.chunk].doc_id].evidence_tier),
                                          -h.final))
    text = PREAMBLE
    citations: list[Citation] = []
    if count_tokens(enc, text) > max_tokens:
        return Context(question, "", 0, max_tokens, [])
    for hit in ordered:
        chunk = index.chunks[hit.chunk]
        doc = index.documents[chunk.doc_id]
        n = len(citations) + 1
        quote = index.chunk_text(chunk)
        entry = f"[{n}] {doc.title} ({doc.evidence_tier}; {doc.id}, characters {chunk.char_start}-{chunk.char_end})\n{quote}\n\n"
        if count_tokens(enc, text + entry) > max_tokens:
            continue
        text += entry
        citations.append(Citation(n, doc.id, doc.title, doc.source_type, doc.evidence_tier, chunk.id, quote,
                                  chunk.char_start, chunk.char_end))
    text = text.rstrip("\n") + "\n"
    return Context(question, text, count_tokens(enc, text), max_tokens, citations)
