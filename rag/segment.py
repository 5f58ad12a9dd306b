"""Split clean text into sentences with exact character spans.

Headings and list items are their own units, and so is each row of a table (its header row labels the rows below
it, as a heading does); paragraphs are split at sentence ends. Every span satisfies
`text[start:end] == sentence` with no surrounding whitespace, so a quote can always be checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["heading", "item", "text"]
Block = Literal["heading", "header", "row", "item", "text"]

_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_ITEM = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+(?=\S)")
# A table's rule under its header row ("|---|:---:|"), and a row: a line with a cell border in it.
_TABLE_RULE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+(?:[ \t]*:?-{3,}:?[ \t]*)?$")
_ROW = re.compile(r"^[ \t]*\|?[ \t]*(.*?\S.*?)[ \t]*\|?[ \t]*$")
# A sentence ends at . ! or ? (plus closing quotes/brackets and a numeric reference such as "(7,8)"),
# followed by whitespace and something that can start a sentence.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?:\(\d+(?:[,–-]\s?\d+)*\))?(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    "dr mr mrs ms prof st vs etc al fig no approx e.g i.e u.s u.k jr sr inc ltd co dept vol".split()
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    kind: Kind
    section: str


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of the text, in order, each tagged with its kind and the heading it sits under."""
    sentences: list[Sentence] = []
    heading = section = ""
    for start, end, kind in _blocks(text):
        if kind == "heading":
            heading = text[start:end]
        if kind == "header":  # a table's rows sit under its heading and their columns' names alike
            section = f"{heading}: {text[start:end]}" if heading else text[start:end]
        elif kind != "row":
            section = heading
        if kind == "text":
            sentences.extend(Sentence(s, e, "text", section) for s, e in _paragraph_sentences(text, start, end))
        else:
            sentences.append(Sentence(start, end, "heading" if kind in ("heading", "header") else "item", section))
    return sentences


def _blocks(text: str) -> list[tuple[int, int, Block]]:
    """Headings, list items, a table's header and other rows, and paragraphs as trimmed (start, end, kind) spans."""
    blocks: list[tuple[int, int, Block]] = []
    paragraph: tuple[int, int] | None = None
    table = False
    offset = previous = 0
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        if _TABLE_RULE.match(line) and paragraph and "|" in text[previous:line_start]:
            # The line above the rule was the header row, not the paragraph's last line.
            if paragraph[0] < previous:
                blocks.append((paragraph[0], previous, "text"))
            blocks.append((*_cells(text, previous, line_start - 1), "header"))
            paragraph, table = None, True
            continue
        previous = line_start
        table = table and "|" in line
        if table:
            blocks.append((*_cells(text, line_start, line_start + len(line)), "row"))
            continue
        heading, item = _HEADING.match(line), _ITEM.match(line)
        if not line.strip() or heading or item:
            if paragraph:
                blocks.append((*paragraph, "text"))
                paragraph = None
        if heading and heading.group(2):
            blocks.append((line_start + heading.start(2), line_start + heading.end(2), "heading"))
        elif item:
            blocks.append((*_trim(text, line_start + item.end(), line_start + len(line)), "item"))
        elif line.strip():
            paragraph = (paragraph[0] if paragraph else line_start, line_start + len(line))
    if paragraph:
        blocks.append((*paragraph, "text"))
    return [(s, e, k) for s, e, k in ((*_trim(text, s, e), k) for s, e, k in blocks) if s < e]


def _cells(text: str, start: int, end: int) -> tuple[int, int]:
    """A table row without its outer borders: "| a | b |" quotes as "a | b"."""
    row = _ROW.match(text[start:end])
    return (start + row.start(1), start + row.end(1)) if row else (start, end)


def _paragraph_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for match in _END.finditer(text, start, end):
        if _is_abbreviation(text, cursor, match.start()):
            continue
        spans.append(_trim(text, cursor, match.end()))
        cursor = match.end()
    spans.append(_trim(text, cursor, end))
    return [(s, e) for s, e in spans if s < e]


def _is_abbreviation(text: str, start: int, dot: int) -> bool:
    """True when the '.' at `dot` closes an abbreviation or an initial rather than a sentence."""
    if text[dot] != ".":
        return False
    word = text[start:dot].rsplit(None, 1)[-1].lstrip("(\"'“‘[*_") if text[start:dot].strip() else ""
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
