"""Gold question files (JSONL) and the suite of corpora they belong to."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import RagError

KINDS = ("direct", "paraphrase", "lay", "contested", "near-miss", "off-topic")


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    answerable: bool
    sources: list[str]
    must_include: list[list[str]]
    lead_source: str | None
    kind: str | None = None


def load_gold(path: Path) -> tuple[list[GoldQuestion], list[str]]:
    """Questions from a JSONL file, and one message per malformed line (which is skipped)."""
    questions, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            q = GoldQuestion(str(row["id"]), row["question"], bool(row["answerable"]), list(row.get("sources") or []),
                             [list(g) for g in row.get("must_include") or []], row.get("lead_source"),
                             row.get("kind"))
            if not isinstance(q.question, str) or not q.question.strip():
                raise ValueError("question must be a non-empty string")
            if not all(isinstance(a, str) for g in q.must_include for a in g):
                raise ValueError("must_include must be a list of lists of strings")
            if q.kind is not None and q.kind not in KINDS:
                raise ValueError(f"kind must be one of {', '.join(KINDS)}")
            questions.append(q)
        except (ValueError, KeyError, TypeError) as err:
            problems.append(f"{path.name}:{number}: skipped ({err.__class__.__name__}: {err})")
    return questions, problems


# Markdown's emphasis markers: a quote keeps them (it is the source, character for character), a reader of the
# page never sees them, and a key phrase is written as read ("Eye test: £35" in "**Eye test**: £35").
_EMPHASIS = re.compile(r"\*\*|__|`")


def matches(text: str, groups: list[list[str]]) -> list[bool]:
    low = _EMPHASIS.sub("", text).lower()
    return [any(alt.lower() in low for alt in group) for group in groups]


@dataclass(frozen=True)
class SuiteCorpus:
    name: str
    corpus_dir: Path
    gold: Path
    stance: Path | None


def suite_verification(path: Path) -> Path | None:
    """The suite's labelled set of generated sentences (its `verification` key), relative to the file; None
    when it names none."""
    try:
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("verification")
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise RagError(f"{path}: not a usable suite file ({err.__class__.__name__}: {err})") from None
    return path.parent / name if name else None


def load_suite(path: Path) -> list[SuiteCorpus]:
    """The corpora named in a suite file, paths relative to the file's folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        base = path.parent
        corpora = [SuiteCorpus(c["name"], base / c["corpus"], base / c["gold"],
                               base / c["stance"] if c.get("stance") else None) for c in data["corpus"]]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as err:
        raise RagError(f"{path}: not a usable suite file ({err.__class__.__name__}: {err})") from None
    for c in corpora:
        for p in (c.corpus_dir, c.gold):
            if not p.exists():
                raise RagError(f"{path}: corpus {c.name!r} names {p}, which does not exist")
    if len(corpora) < 2:
        raise RagError(f"{path}: leave-one-corpus-out needs at least two corpora")
    return corpora
