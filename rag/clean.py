"""Normalise a document body into the clean text that offsets and quotes refer to."""

from __future__ import annotations

import re
import unicodedata

# Characters that change nothing visible but break matching and offsets: zero-width spaces and joiners,
# bidi controls, the BOM, and C0/C1 controls other than newline and tab.
_INVISIBLE = re.compile(
    "[\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
)

# Whole lines that scrapers leave behind and that are never content.
_LEFTOVER_LINES = re.compile(
    r"^\s*(?:\\n|top of page|bottom of page|more stories|see more|related posts|"
    r"\d+\s*views?\s*\d+\s*comments?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def clean_text(body: str) -> str:
    """NFC-normalise, unify newlines, drop invisible characters and scraper leftover lines, trim blank runs."""
    text = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    text = _LEFTOVER_LINES.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
