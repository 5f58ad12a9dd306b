"""The numbers a text states, read as values: digits, number words, shares as percentages or fractions; and
which of a generated sentence's numbers its cited quotes never state."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DASHES = str.maketrans({"–": "-", "—": "-", "−": "-", "‑": "-", "‒": "-", "\u00a0": " "})
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_DECADES = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS: dict[str, float] = {
    **{w: float(i) for i, w in enumerate(_UNITS)}, **{w: float(20 + 10 * i) for i, w in enumerate(_DECADES)},
    "hundred": 100.0, "thousand": 1000.0, "million": 1e6, "billion": 1e9, "dozen": 12.0, "twice": 2.0,
    "thrice": 3.0, "half": 0.5, "quarter": 0.25, "once": 1.0,
}
_QUANTITY = re.compile(
    r"(?P<digits>\d+(?:\.\d+)?)(?:s\b)?"
    rf"|\b(?P<decade>{'|'.join(_DECADES)})[- ](?P<unit>{'|'.join(_UNITS[1:10])})\b"
    rf"|\b(?P<word>{'|'.join(sorted(NUMBER_WORDS, key=len, reverse=True))})\b", re.I)
# "One" and "once" are as often an article or a manner of speaking ("one of the most used", "once
# considered") as a count; a sentence is not held to them, though a quote may still supply them.
_LOOSE_ONE = {"one", "once"}
_FOLLOWER = re.compile(r"\s?(%|[A-Za-z]+)")


@dataclass(frozen=True)
class Quantity:
    value: float
    text: str  # as written, with the word after it: "40%", "12 weeks"


def quantities(text: str, strict: bool = True) -> list[Quantity]:
    """The numbers a text states, as values; number words count, thousands separators and dash forms do not
    matter. `strict=False` also reads "one" and "once" as 1."""
    clean = _THOUSANDS.sub("", text.translate(_DASHES))
    found = []
    for m in _QUANTITY.finditer(clean):
        if m["digits"]:
            value = float(m["digits"])
        elif m["decade"]:
            value = NUMBER_WORDS[m["decade"].lower()] + NUMBER_WORDS[m["unit"].lower()]
        else:
            if strict and m["word"].lower() in _LOOSE_ONE:
                continue
            value = NUMBER_WORDS[m["word"].lower()]
        follower = _FOLLOWER.match(clean, m.end())
        found.append(Quantity(value, m[0] + (follower[0] if follower else "")))
    return found


def _same_number(value: float, known: set[float]) -> bool:
    # A share may be written as a percentage or a fraction ("half" and "50%").
    return any(abs(value - k) < 1e-9 or abs(value * 100 - k) < 1e-6 or abs(value - k * 100) < 1e-6
               for k in known)


def unstated_number(sentence: str, quotes: list[str]) -> str | None:
    known = {q.value for quote in quotes for q in quantities(quote, strict=False)}
    missing = next((q for q in quantities(sentence) if not _same_number(q.value, known)), None)
    return f"states {missing.text.strip()} which no cited quote contains" if missing else None
