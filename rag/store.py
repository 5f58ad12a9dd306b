"""The index folder on disk: builds written apart, checksummed, fsynced and swapped in with one rename."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .errors import BuildBusyError, IndexDamagedError

# 4: chunk and sentence records as Arrow IPC files, BM25's per-token arrays saved beside it, fp16 re-rank vectors.
# 5: contractions typed without an apostrophe ("dont", "im") are stop words.
# 6: the exported query encoder also gives each question's token vectors.
# 7: an abbreviation inside emphasis ("*Dr. Jo Acme") does not end a sentence.
# 8: "ok" and "okay" are stop words.
# 9: each row of a table is a sentence of its own, under its header row.
# 10: each term's vector as the model reads it in context (`term_vectors`).
FORMAT = 10
CURRENT = "current"
BUILDS = "builds"
MANIFEST = "manifest.json"
# Files checksummed in the manifest; the bm25 folder is covered file by file.
DOCUMENTS, CHUNKS, SENTENCES, DENSE, SENTENCE_VECTORS, LEXICAL = (
    "documents.json", "chunks.arrow", "sentences.arrow", "dense.faiss", "sentence_vectors.npy", "bm25")
# The chunk vectors at fp16, for an exact re-rank of a compressed index's shortlist (only beside such an index).
DENSE_VECTORS = "dense_vectors.npy"
# What the next build reuses: exact chunk vectors (dense.faiss may hold them rounded to fp16) and one key per
# embedded text, chunks first, then sentences.
CHUNK_VECTORS, TEXT_KEYS = "chunk_vectors.npy", "text_keys.npy"
LOCK = ".build.lock"
# Files up to this size are hashed whole at every load. Hashing the gigabytes of vectors behind millions of chunks
# would keep a server from ready for a minute, so a bigger file's digest covers its size and evenly spaced
# blocks: truncation, a swapped or zeroed file and most damage are still caught, a single flipped bit may not be.
WHOLE_DIGEST_LIMIT = 256 * 2**20
SAMPLED_BLOCKS, SAMPLED_BLOCK_BYTES = 1024, 16 * 1024
SAMPLED = "sampled:"


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def digest(path: Path) -> str:
    """The file's checksum as the manifest records it: sha256 of it all, or of its size and sampled blocks."""
    size = path.stat().st_size
    return sha256(path) if size <= WHOLE_DIGEST_LIMIT else SAMPLED + sampled_sha256(path, size)


def sampled_sha256(path: Path, size: int) -> str:
    h = hashlib.sha256(str(size).encode())
    step = max(size // SAMPLED_BLOCKS, 1)
    with path.open("rb") as f:
        for at in range(0, size, step):
            f.seek(at)
            h.update(f.read(SAMPLED_BLOCK_BYTES))
    return h.hexdigest()


def _matches(path: Path, expected: str) -> bool:
    # An index from before sampled digests recorded whole ones; those are still checked whole.
    if expected.startswith(SAMPLED):
        return SAMPLED + sampled_sha256(path, path.stat().st_size) == expected
    return sha256(path) == expected


def manifest_digest(manifest: dict) -> str:
    """The manifest's own checksum, over its canonical JSON without this field: a flipped bit that still
    parses (a count, a file hash) must not pass as a different, valid manifest."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    paths = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return {p.relative_to(folder).as_posix(): found for p, found in zip(paths, pool.map(digest, paths))}


def verify_files(folder: Path, files: dict[str, str]) -> None:
    for name in files:
        if not (folder / name).is_file():
            raise IndexDamagedError(f"index file {name} is missing (rebuild with `rag build`)")
    # hashlib lets go of the GIL while it hashes, so a large index is checked on every core at once.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        intact = dict(zip(files, pool.map(lambda name: _matches(folder / name, files[name]), files)))
    for name in files:
        if not intact[name]:
            raise IndexDamagedError(f"index file {name} fails its checksum (rebuild with `rag build`)")


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


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


def current_build(root: Path) -> Path | None:
    """The build folder `current` points at now, or None when there is none."""
    try:
        return (root / CURRENT).resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None


class BuildLock:
    """One build at a time per index folder, across threads and processes: an exclusive flock on a file there.

    The kernel drops the lock when its holder dies, so a build killed outright never leaves it held. Acquiring
    never waits: a caller is told at once that a build is running. It may be released by another thread than
    the one that took it (a server takes it for a request and hands it to the worker that builds).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._fd: int | None = None

    def acquire(self) -> "BuildLock":
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise BuildBusyError(self.root, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)  # only to name the holder in a refusal
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor releases the lock

    def __enter__(self) -> "BuildLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
