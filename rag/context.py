"""Pack the evidence for a question into a numbered, cited context block for a caller's own LLM prompt.

Passages are chosen and ordered as `/ask` chooses sentences: those holding the answer's sentences first, in the
answer's order (strongest relevant tier first), then other relevant passages, strongest tier first; a passage
overlapping one already packed is left out, so the block never repeats itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from .answer import Citation, Evidence, choose_and_order
from .chunk import count_tokens, encoding
from .index import Index
from .retrieve import Query
from .settings import Settings
from .stance_layer import StanceLayer

PREAMBLE = ("Evidence from the document corpus, strongest evidence tier first. "
            "Answer only from it and cite passages as [n].\n\n")


@dataclass(frozen=True)
class Context:
    question: str
    context: str
    tokens: int
    max_tokens: int
    # P(the evidence answers the question), as `/ask` reports it; below the threshold `/ask` would abstain.
    confidence: float
    answerable: bool
    citations: list[Citation]


def evidence_chunks(index: Index, query: Query, evidence: Evidence, settings: Settings,
                    layer: StanceLayer | None = None) -> list[int]:
    """Chunk ids in packing order, without overlaps."""
    if not evidence.candidates:
        return []
    ordered, _ = choose_and_order(index, query, evidence.candidates, settings, layer)
    first = list(dict.fromkeys(c.chunk for c in ordered))
    floor = evidence.candidates[0].relevance * settings.answer.disagreement_floor
    best: dict[int, tuple[int, float]] = {}
    for c in evidence.candidates:
        if c.relevance >= floor and c.chunk not in best:
            best[c.chunk] = (c.tier_rank, -c.relevance)
    rest = sorted((c for c in best if c not in first), key=lambda c: best[c])
    chosen: list[int] = []
    for chunk in first + rest:
        if not any(_overlap(index, chunk, other) for other in chosen):
            chosen.append(chunk)
    return chosen


def _overlap(index: Index, a: int, b: int) -> bool:
    x, y = index.chunks[a], index.chunks[b]
    return x.doc_id == y.doc_id and x.char_start < y.char_end and y.char_start < x.char_end


def pack_context(index: Index, question: str, chunks: list[int], confidence: float, answerable: bool,
                 max_tokens: int, encoding_name: str) -> Context:
    """The chunks in the given order, each added whole while the block stays within max_tokens."""
    enc = encoding(encoding_name)
    text = PREAMBLE
    citations: list[Citation] = []
    if count_tokens(enc, text) > max_tokens:
        return Context(question, "", 0, max_tokens, confidence, answerable, [])
    for c in chunks:
        chunk = index.chunks[c]
        doc = index.documents[chunk.doc_id]
        n = len(citations) + 1
        quote = index.chunk_text(chunk)
        entry = (f"[{n}] {doc.title} ({doc.evidence_tier}; {doc.id}, characters {chunk.char_start}-{chunk.char_end})"
                 f"\n{quote}\n\n")
        if count_tokens(enc, text + entry) > max_tokens:
            continue
        text += entry
        citations.append(Citation(n, doc.id, doc.title, doc.source_type, doc.evidence_tier, chunk.id, quote,
                                  chunk.char_start, chunk.char_end))
    text = text.rstrip("\n") + "\n"
    return Context(question, text, count_tokens(enc, text), max_tokens, confidence, answerable, citations)
