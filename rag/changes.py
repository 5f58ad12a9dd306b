"""Documents into and out of the corpus, all or nothing: each file is checked by the corpus's own rules, written
atomically, and published by a build under the build lock; when that build fails, the files and `current`
are put back as they were, so the corpus folder and the served index never disagree."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import store
from .corpus import ID_PATTERN, Document, check_document
from .errors import CorpusError, UnknownDocumentError
from .settings import Settings

# Runs the build that publishes a change, holding the build lock the change took; returns the build folder.
Build = Callable[[], Path]


@dataclass(frozen=True)
class Change:
    added: tuple[Document, ...]
    replaced: tuple[str, ...]  # ids of added documents that were in the corpus before
    removed: tuple[str, ...]
    build: Path


def check_incoming(settings: Settings, files: Sequence[tuple[str, bytes]]) -> list[Document]:
    """Each (file name, bytes) checked as the corpus loader would check it under that name, ids unique among them."""
    seen: dict[str, str] = {}
    return [check_document(name, raw, settings.retrieval.tiers, seen=seen) for name, raw in files]


def add_documents(settings: Settings, files: Sequence[tuple[str, bytes]], build: Build) -> Change:
    """Write each document as `<id>.md` (replacing one with its id) and publish them with `build`."""
    documents = check_incoming(settings, files)
    if not settings.corpus_dir.is_dir():
        raise CorpusError(settings.corpus_dir, "corpus folder does not exist")
    with store.BuildLock(settings.index_dir):
        undo: list[Callable[[], None]] = []
        replaced = []
        for doc, (_, raw) in zip(documents, files):
            path = settings.corpus_dir / f"{doc.id}.md"
            if path.exists():
                replaced.append(doc.id)
            undo.append(_put_back(path))
            write_atomically(path, raw)
        folder = _publish(settings, build, undo)
    return Change(tuple(documents), tuple(replaced), (), folder)


def remove_documents(settings: Settings, doc_ids: Sequence[str], build: Build) -> Change:
    """Take each document out of the corpus folder and publish the corpus without them with `build`."""
    with store.BuildLock(settings.index_dir):
        paths = present(settings, doc_ids)
        undo: list[Callable[[], None]] = []
        aside = []
        for path in paths:
            # Renamed aside rather than deleted, so a failed build can put it back as it was; the new name ends
            # in no `.md`, so the corpus loader passes over it, and a leftover of a crash harms nothing.
            hidden = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.removed")
            os.replace(path, hidden)
            undo.append(_renamed_back(hidden, path))
            aside.append(hidden)
        _fsync_dir(settings.corpus_dir)
        folder = _publish(settings, build, undo)
    for hidden in aside:
        hidden.unlink(missing_ok=True)
    return Change((), (), tuple(dict.fromkeys(doc_ids)), folder)


def present(settings: Settings, doc_ids: Sequence[str]) -> list[Path]:
    """The corpus files of these ids; UnknownDocumentError naming every id that has none (or is not an id)."""
    unknown = [d for d in doc_ids if not ID_PATTERN.fullmatch(d) or not (settings.corpus_dir / f"{d}.md").is_file()]
    if unknown or not doc_ids:
        raise UnknownDocumentError(unknown or ["(none given)"])
    return [settings.corpus_dir / f"{d}.md" for d in dict.fromkeys(doc_ids)]


def _publish(settings: Settings, build: Build, undo: list[Callable[[], None]]) -> Path:
    """Run the build; if it fails, undo the file changes and point `current` back where it was."""
    before = store.current_build(settings.index_dir)
    try:
        return build()
    except BaseException:
        for step in reversed(undo):
            step()
        _fsync_dir(settings.corpus_dir)
        if before is not None and store.current_build(settings.index_dir) != before:
            store.point_current(settings.index_dir, before)  # a build that got as far as its swap
        raise


def _renamed_back(hidden: Path, path: Path) -> Callable[[], None]:
    return lambda: os.replace(hidden, path)


def _put_back(path: Path) -> Callable[[], None]:
    """How to restore `path` to what it holds now: its old bytes, or no file at all."""
    if not path.exists():
        return lambda: path.unlink(missing_ok=True)
    old = path.read_bytes()
    return lambda: write_atomically(path, old)


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never part of one; both the bytes and the name are durable."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
