"""Vectors a build takes over from the published index instead of embedding them again.

Every embedded text is keyed by a hash of itself and of what made its vector: the model's files byte for
byte, and the device and number format it ran at. A text whose key the published index holds gets that
index's vector; only the others are embedded. Chunking and dense settings are not in the key, because a
vector does not depend on them: a change there changes the texts, and so their keys, where it matters.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from . import store
from .embed import ONNX_FILE, Advance, model_path
from .errors import IndexDamagedError
from .settings import ModelSettings
from .term_vectors import TERMS, VECTORS

log = logging.getLogger("rag.build")

KEY_BYTES = 32


class Embedder(Protocol):
    """What embeds a build's new texts: the torch model in this process, or a pool of them on a Ray cluster.

    `settings` and `precision()` name what the vectors come from, so that they are keyed by it.
    """

    @property
    def settings(self) -> ModelSettings: ...

    def precision(self) -> str: ...

    def encode(self, texts: Sequence[str], progress: Advance | None = None) -> np.ndarray: ...


def model_fingerprint(encoder: Embedder) -> str:
    """A digest of the model's files and the precision it runs at; computed without loading the model."""
    digest = hashlib.sha256()
    folder = model_path(encoder.settings)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with path.open("rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    digest.update(encoder.precision().encode())
    return digest.hexdigest()


def text_keys(texts: Sequence[str], fingerprint: str) -> np.ndarray:
    """One key per text, as the rows of a (len(texts), 32) uint8 array."""
    salt = bytes.fromhex(fingerprint)  # fixed length, so no text can shift where the salt ends
    keys = np.empty((len(texts), KEY_BYTES), dtype=np.uint8)
    for i, text in enumerate(texts):
        keys[i] = np.frombuffer(hashlib.sha256(salt + text.encode("utf-8")).digest(), dtype=np.uint8)
    return keys


@dataclass
class Reusable:
    """The published index's vectors by key, and where its query encoder export lies when it can be copied."""
    rows: dict[bytes, int] = field(default_factory=dict)
    vectors: np.ndarray | None = None
    build_id: str | None = None
    onnx: tuple[Path, str] | None = None  # (file, its sha256 in that build's manifest)
    terms: tuple[str, Path] | None = None  # (the digest of the sentences its term vectors read, its folder)


def previous(index_dir: Path, fingerprint: str, backend: str) -> Reusable:
    """What the published index offers for reuse; nothing when there is no index, it was made with another
    model, it predates keys, or its files fail their checksums (a damaged vector must not live on)."""
    folder = store.current_build(index_dir)
    if folder is None:
        return Reusable()
    try:
        return _read(folder, fingerprint, backend)
    except (OSError, ValueError, KeyError, TypeError, IndexDamagedError) as err:
        log.warning("embedding everything: the published index cannot be reused (%s)", err)
        return Reusable()


def _read(folder: Path, fingerprint: str, backend: str) -> Reusable:
    manifest = json.loads((folder / store.MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("manifest_sha256") != store.manifest_digest(manifest):
        raise IndexDamagedError(f"{store.MANIFEST} fails its checksum")
    if manifest.get("embedding", {}).get("fingerprint") != fingerprint:
        return Reusable()  # another model, or built before vectors were keyed
    files = manifest["files"]
    store.verify_files(folder, {name: files[name] for name in (store.TEXT_KEYS, store.CHUNK_VECTORS,
                                                                  store.SENTENCE_VECTORS)})
    keys = np.load(folder / store.TEXT_KEYS)
    vectors = np.vstack([np.load(folder / store.CHUNK_VECTORS), np.load(folder / store.SENTENCE_VECTORS)])
    if len(keys) != len(vectors):
        raise IndexDamagedError("keys and vectors differ in number")
    same_export = (manifest.get("identity", {}).get("backend") == backend and ONNX_FILE in files
                   and manifest.get("format") == store.FORMAT)
    readings = manifest.get("term_vectors", {}).get("readings") if manifest.get("format") == store.FORMAT else None
    if readings:
        store.verify_files(folder, {name: files[name] for name in (TERMS, VECTORS)})
    return Reusable({k.tobytes(): i for i, k in enumerate(keys)}, vectors, manifest.get("build_id") or folder.name,
                    (folder / ONNX_FILE, files[ONNX_FILE]) if same_export else None,
                    (readings, folder) if readings else None)


def readings_digest(readings: Sequence[str], fingerprint: str) -> str:
    """What a build's term vectors come from: the model and the sentences read, in order."""
    h = hashlib.sha256(bytes.fromhex(fingerprint))
    for text in readings:
        h.update(hashlib.sha256(text.encode("utf-8")).digest())
    return h.hexdigest()


@dataclass(frozen=True)
class Embedded:
    vectors: np.ndarray
    reused: int
    embedded: int  # distinct texts sent to the model; a text repeated in the corpus is embedded once


def embed_reusing(encoder: Embedder, texts: Sequence[str], keys: np.ndarray, old: Reusable,
                  progress: Callable[[int, int], None] | None = None) -> Embedded:
    """A vector per text: taken from `old` where its key is there, embedded otherwise."""
    found = [old.rows.get(k.tobytes()) for k in keys]
    fresh: dict[bytes, int] = {}  # key -> first text with it among those to embed
    for i, row in enumerate(found):
        if row is None:
            fresh.setdefault(keys[i].tobytes(), i)
    todo = list(fresh.values())
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(todo))

    if progress:
        progress(0, len(todo))
    new = encoder.encode([texts[i] for i in todo], progress=advance) if todo else None
    dimension = new.shape[1] if new is not None else old.vectors.shape[1]  # type: ignore[union-attr]
    vectors = np.empty((len(texts), dimension), dtype=np.float32)
    slot = {k: n for n, k in enumerate(fresh)}
    for i, row in enumerate(found):
        vectors[i] = old.vectors[row] if row is not None else new[slot[keys[i].tobytes()]]  # type: ignore
    reused = sum(row is not None for row in found)
    return Embedded(vectors, reused, len(todo))


def copy_export(old: Reusable, dest: Path) -> bool:
    """Take over the published index's query encoder export when it came from the same model for the same
    backend; False when there is none to take. A published build is never written again, so the new build
    shares the file by a hard link (some 90 MB a build) and copies it only where links are not to be had. The
    result is checked against that build's manifest, so a damaged file is exported afresh rather than passed on
    under a new checksum."""
    if old.onnx is None:
        return False
    source, expected = old.onnx
    try:
        try:
            os.link(source, dest)
        except OSError:
            shutil.copyfile(source, dest)
        if store.digest(dest) == expected:
            return True
    except OSError:
        pass
    dest.unlink(missing_ok=True)
    log.warning("exporting the query encoder afresh: the published one could not be copied intact")
    return False
