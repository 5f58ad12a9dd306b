"""Read and validate the Markdown documents of the corpus."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from .clean import clean_text
from .errors import CorpusError

NULLABLE_FIELDS = frozenset({"author", "publisher", "published", "url"})
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")
ID_SHAPE = "lower-case letters, digits and hyphens"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Metadata:
    """The front matter of a document: every field must be present, in this order."""
    id: str
    title: str
    source_type: str
    evidence_tier: str
    author: str | None
    publisher: str | None
    published: str | None
    url: str | None

    def metadata(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in REQUIRED_FIELDS}


REQUIRED_FIELDS = tuple(f.name for f in fields(Metadata))


@dataclass(frozen=True)
class Document(Metadata):
    text: str
    sha256: str
    path: str


def parse_document(path: Path | str, raw: bytes, tiers: Iterable[str]) -> Document:
    """Parse one file's bytes into a Document, or raise CorpusError naming the file and field."""
    path = Path(path)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CorpusError(path, f"not valid UTF-8 (byte {err.start})") from None
    source = source.removeprefix("\ufeff").replace("\r\n", "\n")
    match = _FRONT_MATTER.match(source)
    if not match:
        raise CorpusError(path, "no YAML front matter (the file must start with a '---' line and close it with '---')")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        raise CorpusError(path, f"front matter is not valid YAML ({_first_line(err)})") from None
    if not isinstance(meta, dict):
        raise CorpusError(path, "front matter must be a mapping of field: value")
    fields = _validate_fields(path, meta, tuple(tiers))
    text = clean_text(source[match.end():])
    if not text:
        raise CorpusError(path, "document body is empty")
    return Document(**fields, text=text,  # type: ignore[arg-type]  # id and title were checked non-empty
                    sha256=hashlib.sha256(raw).hexdigest(), path=path.name)


def _validate_fields(path: Path, meta: dict, tiers: tuple[str, ...]) -> dict[str, str | None]:
    unknown = sorted(str(k) for k in meta if k not in REQUIRED_FIELDS)
    if unknown:
        raise CorpusError(path, f"unknown field (expected only {', '.join(REQUIRED_FIELDS)})", unknown[0])
    fields: dict[str, str | None] = {}
    for name in REQUIRED_FIELDS:
        if name not in meta:
            raise CorpusError(path, "missing", name)
        fields[name] = _field_value(path, name, meta[name])
    if not ID_PATTERN.fullmatch(fields["id"] or ""):
        raise CorpusError(path, f"must be {ID_SHAPE}", "id")
    # A client may render the source link; only web addresses may reach it, never javascript: or data:.
    if fields["url"] is not None and not re.match(r"^https?://[^\s]+$", fields["url"]):
        raise CorpusError(path, "must be an http:// or https:// address", "url")
    if fields["evidence_tier"] not in tiers:
        raise CorpusError(path, f"unknown tier '{fields['evidence_tier']}' (expected one of {', '.join(tiers)})",
                          "evidence_tier")
    return fields


def _field_value(path: Path, name: str, value: object) -> str | None:
    if value is None:
        if name in NULLABLE_FIELDS:
            return None
        raise CorpusError(path, "must not be empty", name)
    if name == "published":
        return _iso_date(path, value)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
        raise CorpusError(path, "must be a non-empty string", name)
    return str(value).strip()


def _iso_date(path: Path, value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise CorpusError(path, f"'{value}' is not an ISO date (YYYY-MM-DD) or null", "published") from None


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0]


# Embedding costs grow with length: on a CPU a 5 MB page would take most of an hour, so it is refused
# (split it into parts) rather than silently stalling a reindex.
MAX_DOCUMENT_BYTES = 2 * 2**20


def is_document_name(name: str) -> bool:
    """Whether a file of this name in the corpus folder is a document: every `*.md` but a README."""
    return name.endswith(".md") and name.lower() != "readme.md"


def document_paths(corpus_dir: Path) -> list[Path]:
    """The files of the folder that are documents, in a stable order."""
    return [p for p in sorted(corpus_dir.glob("*.md")) if is_document_name(p.name)]


def check_size(path: Path | str, size: int, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
    if size > max_bytes:
        raise CorpusError(path, f"is {size / 2**20:.1f} MiB; the limit is {max_bytes / 2**20:.0f} MiB "
                                "(split it into several documents)")


def check_document(path: Path | str, raw: bytes, tiers: Iterable[str], max_bytes: int = MAX_DOCUMENT_BYTES,
                   seen: dict[str, str] | None = None) -> Document:
    """One file's bytes as the corpus would hold them under this name: within the size limit, valid, named
    after its id, and, given the ids `seen` so far (id: file name), not a second document with one of them.
    Raises CorpusError naming the file and field."""
    path = Path(path)
    check_size(path, len(raw), max_bytes)
    doc = parse_document(path, raw, tiers)
    if seen is not None:
        if doc.id in seen:
            raise CorpusError(path, f"duplicate id '{doc.id}' (also in {seen[doc.id]})", "id")
        seen[doc.id] = path.name
    if doc.id != path.stem:
        raise CorpusError(path, f"'{doc.id}' does not match the file name (expected {doc.id}.md)", "id")
    if not is_document_name(path.name):
        raise CorpusError(path, f"'{doc.id}' is not a document id the corpus can hold (its README is no document)",
                          "id")
    return doc


def read_document(path: Path, tiers: Iterable[str], max_bytes: int = MAX_DOCUMENT_BYTES,
                  seen: dict[str, str] | None = None) -> Document:
    """`check_document` on a file, refusing an oversized one before reading it."""
    if not path.is_file():
        raise CorpusError(path, "no such file")
    check_size(path, path.stat().st_size, max_bytes)
    return check_document(path, path.read_bytes(), tiers, max_bytes, seen)


def load_corpus(corpus_dir: Path, tiers: Iterable[str], max_bytes: int = MAX_DOCUMENT_BYTES) -> list[Document]:
    """Every `*.md` in corpus_dir, validated; raises on the first bad file so nothing is built from a bad corpus."""
    if not corpus_dir.is_dir():
        raise CorpusError(corpus_dir, "corpus folder does not exist")
    tiers = tuple(tiers)
    documents: list[Document] = []
    seen: dict[str, str] = {}
    for path in document_paths(corpus_dir):
        documents.append(read_document(path, tiers, max_bytes, seen))
    if not documents:
        raise CorpusError(corpus_dir, "no documents (*.md) found")
    return documents
