"""The index folder on disk: builds written apart, checksummed, fsynced and swapped in with one rename."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

from .errors import IndexDamagedError

FORMAT = 3
CURRENT = "current"
BUILDS = "builds"
MANIFEST = "manifest.json"
# Files checksummed in the manifest; the bm25 folder is covered file by file.
DOCUMENTS, CHUNKS, SENTENCES, DENSE, SENTENCE_VECTORS, LEXICAL = (
    "documents.json", "chunks.jsonl", "sentences.jsonl", "dense.faiss", "sentence_vectors.npy", "bm25")


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def manifest_digest(manifest: dict) -> str:
    """The manifest's own checksum, over its canonical JSON without this field: a flipped bit that still
    parses (a count, a file hash) must not pass as a different, valid manifest."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


def verify_files(folder: Path, files: dict[str, str]) -> None:
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            raise IndexDamagedError(f"index file {name} is missing (rebuild with `rag build`)")
        if sha256(path) != expected:
            raise IndexDamagedError(f"index file {name} fails its checksum (rebuild with `rag build`)")


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def new_scratch(root: Path) -> tuple[Path, str]:
    """A fresh hidden folder under builds/ to write a build into, and the name it will finish under."""
    builds = root / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    scratch = builds / f".partial-{stamp}"
    scratch.mkdir()
    return scratch, stamp


def finish(root: Path, scratch: Path, stamp: str) -> Path:
    """Make a written build durable, give it its final name, point `current` at it and drop old builds."""
    fsync_tree(scratch)
    final = root / BUILDS / stamp
    os.replace(scratch, final)
    point_current(root, final)
    prune(root / BUILDS, keep={final.name})
    return final


def fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with p.open("rb") as f:
                os.fsync(f.fileno())


def point_current(root: Path, target: Path) -> None:
    """Swap the `current` link in one rename, so readers see the old index or the new one, never a mix."""
    link = root / CURRENT
    tmp = root / f".{CURRENT}-{uuid.uuid4().hex[:8]}"
    os.symlink(Path(BUILDS) / target.name, tmp)
    os.replace(tmp, link)


def prune(builds: Path, keep: set[str]) -> None:
    """Drop old builds and leftovers of interrupted ones; the newest previous build stays as a fallback."""
    finished = sorted((p for p in builds.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)
    keep = keep | {p.name for p in finished[-2:]}
    for p in builds.iterdir():
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
