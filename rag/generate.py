"""Generated answers: a language model writes from the numbered evidence `/context` packs, and a sentence leaves
only when it cites passages that support it. Anything else falls back to the extractive answer, saying why.

The pure steps (prompt, sentence splitting, checking, assembling) come first; `Generator` runs them around
the engine and the model.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

from .answer import Answer, Citation, quoted_pieces
from .disagree import Disagreement, disagreement_between
from .context import Context
from .engine import Engine
from .index import Index
from .llm import Llm, LlmError, Messages
from .verify import Verifier

T = TypeVar("T")
Mode = Literal["extractive", "generate"]

SYSTEM = (
    "You answer a question only from the numbered evidence passages given with it. Write a short answer of "
    "plain sentences. End every sentence with the number of each passage it rests on, like [1] or [1][3]. "
    "State no number, dose, duration or finding that the passages you cite do not state, and keep their "
    "hedges: if a passage says something may help or lacks clear proof, say so. Where sources disagree, say so "
    "and give the strongest evidence tier first. If the passages do not answer, say only that. You are not "
    "giving medical advice; never advise anyone what to do."
)
MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# A sentence ends at . ! or ? (then any closing quote or bracket, then any citation markers) before the capital,
# digit or quote that opens the next one; "0.5" or "e.g. some" do not end one.
SENTENCE_END = re.compile(r"[.!?][\"”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*(?=\s+[A-Z0-9\"“‘(])")


@dataclass(frozen=True)
class Draft:
    """One generated sentence: its words without markers, and the passage numbers it cites."""
    text: str
    cites: tuple[int, ...]


@dataclass(frozen=True)
class Dropped:
    sentence: str
    reason: str


@dataclass(frozen=True)
class Verification:
    kept: int
    dropped: list[Dropped] = field(default_factory=list)


@dataclass(frozen=True)
class Generated:
    """An answer with how it was made: `mode` is what actually answered."""
    answer: Answer
    mode: Mode
    fallback_reason: str | None = None
    verification: Verification | None = None


# ---------------------------------------------------------------- pure steps

def disagreement_line(extractive: Answer, context: Context) -> str:
    """The extractive answer's disagreement, restated with the prompt's passage numbers."""
    d = extractive.disagreement
    if d is None:
        return ""
    strong = _numbers_of(context, _docs(extractive, d.stronger))
    weak = _numbers_of(context, _docs(extractive, d.weaker))
    marks = lambda ns: "".join(f"[{n}]" for n in ns)  # noqa: E731
    return (f"The sources disagree on {' and '.join(d.topics)}: the strongest evidence {marks(strong)} "
            f"contradicts lower-tier sources {marks(weak)}. Say so, strongest evidence first.\n\n")


def prompt(question: str, context: Context, disagreement: str) -> Messages:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"{context.context}\n{disagreement}Question: {question}"}]


def split_sentences(text: str) -> list[str]:
    """Generated text cut into sentences, each keeping its trailing markers."""
    pieces, start = [], 0
    for end in SENTENCE_END.finditer(text):
        pieces.append(text[start:end.end()])
        start = end.end()
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]


def complete_sentences(buffer: str) -> tuple[list[str], str]:
    """The sentences of a streamed reply known to be finished (the next has begun), and the rest."""
    ends = list(SENTENCE_END.finditer(buffer))
    if not ends:
        return [], buffer
    cut = ends[-1].end()
    return split_sentences(buffer[:cut]), buffer[cut:]


def draft(sentence: str) -> Draft:
    cites = tuple(int(n) for group in MARKER.findall(sentence) for n in group.split(","))
    words = re.sub(r"\s+([.,;:!?])", r"\1", MARKER.sub("", sentence))
    return Draft(" ".join(words.split()), tuple(dict.fromkeys(cites)))


def check(sentence: Draft, context: Context, index: Index, verifier: Verifier) -> str | None:
    """Why the sentence may not leave, or None when the passages it cites support it."""
    if not sentence.text.strip(" .!?"):
        return "it says nothing"
    if not sentence.cites:
        return "it cites no evidence"
    unknown = [n for n in sentence.cites if not 1 <= n <= len(context.citations)]
    if unknown:
        return f"it cites [{unknown[0]}], which is not among the {len(context.citations)} passages given"
    quotes = [index.sentence_text(i) for n in sentence.cites for i in _passage_sentences(index, context, n)]
    verdict = verifier.check(sentence.text, quotes)
    return None if verdict.supported else (verdict.reason or "the passages it cites do not support it")


def assemble(extractive: Answer, context: Context, kept: list[Draft], dropped: list[Dropped]) -> Generated:
    """The generated answer from the sentences that passed, citing the passages they cite, with the extractive
    answer's confidence and its disagreement (each side cited) carried over; the extractive answer when none
    passed."""
    if not kept:
        return fallback(extractive, "no generated sentence was supported by the passages it cited", dropped)
    cited = list(dict.fromkeys(n for s in kept for n in s.cites))
    text = " ".join(written(s) for s in kept)
    disagreement = _carried_disagreement(extractive, context, cited)
    if disagreement:
        text += " " + disagreement.note
    citations = [context.citations[n - 1] for n in sorted(set(cited))]
    answer = replace(extractive, answer=text, citations=citations, disagreement=disagreement)
    return Generated(answer, "generate", None, Verification(len(kept), dropped))


def written(sentence: Draft) -> str:
    """A kept sentence as the answer shows it: its words, then its markers."""
    return f"{sentence.text} {''.join(f'[{n}]' for n in sentence.cites)}"


def fallback(extractive: Answer, reason: str, dropped: list[Dropped] | None = None) -> Generated:
    verification = Verification(0, dropped) if dropped is not None else None
    return Generated(extractive, "extractive", reason, verification)


def _carried_disagreement(extractive: Answer, context: Context, cited: list[int]) -> Disagreement | None:
    """The sources' disagreement, renumbered to the passages: a side no kept sentence cites is cited by its
    first passage, so a generated answer can never hide that the strongest evidence says otherwise."""
    d = extractive.disagreement
    if d is None:
        return None
    sides = []
    for numbers in (d.stronger, d.weaker):
        passages = _numbers_of(context, _docs(extractive, numbers))
        if not passages:
            return None
        sides.append({n for n in passages if n in cited} or {passages[0]})
    cited.extend(n for side in sides for n in sorted(side) if n not in cited)
    tier = context.citations[min(sides[0]) - 1].evidence_tier
    return disagreement_between(d.topics, tier, sides[0], sides[1])


def _docs(answer: Answer, numbers: list[int]) -> set[str]:
    return {answer.citations[n - 1].doc_id for n in numbers}


def _numbers_of(context: Context, docs: set[str]) -> list[int]:
    return [c.n for c in context.citations if c.doc_id in docs]


def _passage_sentences(index: Index, context: Context, n: int) -> list[int]:
    c: Citation = context.citations[n - 1]
    return index.sentences_within(c.doc_id, c.char_start, c.char_end)


# ---------------------------------------------------------------- around the engine and the model

Run = Callable[[Callable[[], T]], Awaitable[T]]


class Generator:
    """Generated answers over one engine; `run` moves the engine's blocking work off the event loop."""

    def __init__(self, engine: Engine, llm: Llm | None, run: Run) -> None:
        self.engine = engine
        self.llm = llm
        self.run = run
        self.verifier = Verifier(engine.encoder, engine.settings.verify)

    async def evidence(self, question: str, top_k: int | None, doc_ids: list[str] | None,
                       timings: dict[str, float] | None = None) -> tuple[Answer, Context | None]:
        """The extractive answer, and the numbered evidence a model would write from (None when the corpus
        does not answer, or the question is confined to some documents, which `/context` cannot be)."""
        extractive = await self.run(lambda: self.engine.ask(question, top_k, doc_ids, timings))
        if extractive.abstained or doc_ids:
            return extractive, None
        limit = self.engine.settings.answer.context_tokens
        return extractive, await self.run(lambda: self.engine.context(question, limit))

    async def answer(self, question: str, top_k: int | None = None, doc_ids: list[str] | None = None,
                     timings: dict[str, float] | None = None) -> Generated:
        extractive, context = await self.evidence(question, top_k, doc_ids, timings)
        reason = self._why_not(extractive, context, doc_ids)
        if reason:
            return fallback(extractive, reason)
        assert context is not None and self.llm is not None  # or there would be a reason not to generate
        try:
            reply = await self.llm.complete(prompt(question, context, disagreement_line(extractive, context)))
        except LlmError as err:
            return fallback(extractive, str(err))
        return await self.verified(extractive, context, split_sentences(reply))

    async def verified(self, extractive: Answer, context: Context, sentences: list[str]) -> Generated:
        kept, dropped = await self.run(lambda: self.sort(context, sentences))
        return assemble(extractive, context, kept, dropped)

    def sort(self, context: Context, sentences: list[str]) -> tuple[list[Draft], list[Dropped]]:
        """The sentences that pass, and those that do not with the reason."""
        kept, dropped = [], []
        for sentence in sentences:
            d = draft(sentence)
            reason = check(d, context, self.engine.index, self.verifier)
            if reason is None:
                kept.append(d)
            else:
                dropped.append(Dropped(d.text, reason))
        return kept, dropped

    def _why_not(self, extractive: Answer, context: Context | None, doc_ids: list[str] | None) -> str | None:
        if self.llm is None:
            return "no language model is configured"
        if extractive.abstained:
            return "the documents do not answer this question, so nothing was generated"
        if doc_ids:
            return "answers confined to some documents are extractive only"
        if context is None or not context.citations:
            return "no evidence passages fit the context"
        return None

    async def stream(self, question: str, top_k: int | None = None, doc_ids: list[str] | None = None,
                     mode: Mode = "extractive", timings: dict[str, float] | None = None
                     ) -> AsyncIterator[tuple[str, object]]:
        """("citations", [...]), then ("delta", text) per sentence as it is verified, then ("done", Generated).

        The first event lists every passage a delta may cite; `done` carries the answer as `/ask` gives it.
        """
        extractive, context = await self.evidence(question, top_k, doc_ids, timings)
        reason = self._why_not(extractive, context, doc_ids) if mode == "generate" else None
        if mode == "extractive" or reason:
            yield "citations", extractive.citations
            pieces = ([extractive.answer] if extractive.abstained
                      else quoted_pieces(extractive.citations, extractive.disagreement))
            for piece in pieces:
                yield "delta", piece
            yield "done", fallback(extractive, reason) if reason else Generated(extractive, "extractive")
            return
        assert context is not None and self.llm is not None  # or there would be a reason not to generate
        yield "citations", context.citations
        async for event in self._generated_events(self.llm, question, extractive, context):
            yield event

    async def _generated_events(self, llm: Llm, question: str, extractive: Answer, context: Context
                                ) -> AsyncIterator[tuple[str, object]]:
        messages = prompt(question, context, disagreement_line(extractive, context))
        buffer, kept, dropped = "", [], []
        try:
            async for text in llm.stream(messages):
                done, buffer = complete_sentences(buffer + text)
                for sentence in done:
                    passed, failed = await self.run(lambda: self.sort(context, [sentence]))
                    kept += passed
                    dropped += failed
                    for d in passed:
                        yield "delta", written(d)
        except LlmError as err:
            yield "done", fallback(extractive, str(err))
            return
        passed, failed = await self.run(lambda: self.sort(context, split_sentences(buffer)))
        for d in passed:
            yield "delta", written(d)
        yield "done", assemble(extractive, context, kept + passed, dropped + failed)
