"""Build the index (FAISS + BM25 + records + manifest) in a scratch folder and swap it in; load and verify it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .chunk import chunk_text
from .corpus import Document, load_corpus
from .dense import DenseInfo, build_dense, prepare_loaded
from .embed import ONNX_FILE, Encoder, export_onnx
from .errors import BuildError, IndexDamagedError, IndexMissingError, IndexStaleError
from .lexical import Lexicon, build_lexicon, load_lexicon, save_lexicon
from .settings import Settings

FORMAT = 3
CURRENT = "current"
BUILDS = "builds"
# Files checksummed in the manifest; the bm25 folder is covered file by file.
DOCUMENTS, CHUNKS, SENTENCES, DENSE, SENTENCE_VECTORS, LEXICAL = (
    "documents.json", "chunks.jsonl", "sentences.jsonl", "dense.faiss", "sentence_vectors.npy", "bm25")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ChunkRecord:
    id: str
    doc_id: str
    char_start: int
    char_end: int
    section: str
    # Range [first, last) in the index-wide sentence list.
    first: int
    last: int


@dataclass(frozen=True)
class SentenceRecord:
    doc_id: str
    char_start: int
    char_end: int
    kind: str
    section: str
    chunk: int


@dataclass
class Index:
    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[ChunkRecord]
    sentences: list[SentenceRecord]
    sentence_vectors: np.ndarray
    dense: object  # faiss.Index
    lexicon: Lexicon
    doc_of_chunk: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        doc_ids = sorted(self.documents)
        position = {d: i for i, d in enumerate(doc_ids)}
        self._doc_order = doc_ids
        self._terms: dict[int, frozenset[str]] = {}
        self.doc_of_chunk = np.array([position[c.doc_id] for c in self.chunks], dtype=np.int32)

    def chunk_text(self, chunk: ChunkRecord) -> str:
        return self.documents[chunk.doc_id].text[chunk.char_start:chunk.char_end]

    def sentence_text(self, i: int) -> str:
        s = self.sentences[i]
        return self.documents[s.doc_id].text[s.char_start:s.char_end]

    def sentence_terms(self, i: int) -> frozenset[str]:
        """BM25 terms of sentence i, computed once per sentence on first use."""
        terms = self._terms.get(i)
        if terms is None:
            terms = self._terms[i] = frozenset(self.lexicon.terms(self.sentence_text(i)))
        return terms

    def chunk_mask(self, doc_ids: list[str] | None) -> np.ndarray | None:
        """Boolean mask over chunks restricted to doc_ids, or None for all."""
        if not doc_ids:
            return None
        wanted = [self._doc_order.index(d) for d in doc_ids]
        return np.isin(self.doc_of_chunk, wanted)


def passage_text(doc: Document, section: str, text: str) -> str:
    """What gets embedded and BM25-indexed for a chunk: its words plus the title and heading it sits under."""
    return "\n".join(part for part in (doc.title, section, text) if part)


# ---------------------------------------------------------------- build


def build_index(settings: Settings, encoder: Encoder, progress: Progress | None = None) -> Path:
    """Build from the corpus into a fresh folder, then point `current` at it. Returns the new folder."""
    import faiss

    documents = load_corpus(settings.corpus_dir, settings.retrieval.tiers)
    chunks, sentences, passages = _plan(documents, settings)
    root = settings.index_dir
    builds = root / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    scratch = builds / f".partial-{stamp}"
    scratch.mkdir()
    try:
        by_id = {d.id: d for d in documents}
        texts = passages + [by_id[s.doc_id].text[s.char_start:s.char_end] for s in sentences]
        total, done = len(texts), 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, total)

        vectors = encoder.encode(texts, progress=advance)
        chunk_vectors, sentence_vectors = vectors[: len(passages)], vectors[len(passages):]
        dense, dense_info = build_dense(chunk_vectors, settings.dense)
        faiss.write_index(dense, str(scratch / DENSE))
        if settings.model.backend != "torch":
            export_onnx(encoder, scratch / ONNX_FILE, quantize=settings.model.backend == "onnx-int8")
        np.save(scratch / SENTENCE_VECTORS, sentence_vectors)
        save_lexicon(build_lexicon(passages), scratch / LEXICAL)
        _write_json(scratch / DOCUMENTS, [asdict(d) for d in documents])
        _write_jsonl(scratch / CHUNKS, [asdict(c) for c in chunks])
        _write_jsonl(scratch / SENTENCES, [asdict(s) for s in sentences])
        manifest = _manifest(settings, encoder, documents, chunks, sentences, dense_info, scratch)
        _write_json(scratch / "manifest.json", {**manifest, "manifest_sha256": _manifest_digest(manifest)})
        _fsync_tree(scratch)
        final = builds / stamp
        os.replace(scratch, final)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    _point_current(root, final)
    _prune(builds, keep={final.name})
    return final


def build_apart(settings: Settings) -> Path:
    """`build_index` in a fresh process, for a server: it never holds the torch model or the build's peak
    memory, and a build that dies takes nothing of the server's with it. Raises BuildError with the reason."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            folder, failure = pool.submit(_build_for_parent, settings).result()
        except BrokenProcessPool as err:  # killed, or out of memory: the scratch folder is all it left
            raise BuildError(f"the build process died before finishing ({err})") from None
    if failure:
        raise BuildError(failure)
    return Path(folder)


def _build_for_parent(settings: Settings) -> tuple[str | None, str | None]:
    # The reason travels as text: our errors' constructors take more than a message, so they do not unpickle.
    os.nice(10)  # queries in the parent come first
    try:
        return str(build_index(settings, Encoder(settings.model).load())), None
    except Exception as err:
        return None, f"{err.__class__.__name__}: {err}"


def _plan(documents: list[Document], settings: Settings) -> tuple[list[ChunkRecord], list[SentenceRecord], list[str]]:
    chunks: list[ChunkRecord] = []
    sentences: list[SentenceRecord] = []
    passages: list[str] = []
    for doc in documents:
        doc_sentences, doc_chunks = chunk_text(doc.text, settings.chunking)
        base = len(sentences)
        owner = [-1] * len(doc_sentences)
        for n, c in enumerate(doc_chunks):
            for k in range(c.first, c.last):
                if owner[k] < 0:
                    owner[k] = len(chunks) + n
        for k, s in enumerate(doc_sentences):
            sentences.append(SentenceRecord(doc.id, s.start, s.end, s.kind, s.section, owner[k]))
        for n, c in enumerate(doc_chunks):
            chunks.append(ChunkRecord(f"{doc.id}#{n}", doc.id, c.start, c.end, c.section, base + c.first, base + c.last))
            passages.append(passage_text(doc, c.section, doc.text[c.start:c.end]))
    return chunks, sentences, passages


def _manifest(settings: Settings, encoder: Encoder, documents: list[Document], chunks: list, sentences: list,
              dense: DenseInfo, folder: Path) -> dict:
    import faiss
    import bm25s
    import sentence_transformers
    import tiktoken

    return {
        "format": FORMAT,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "identity": settings.index_identity(),
        "model": {"name": encoder.name, "dimension": encoder.dimension, "query_backend": settings.model.backend},
        "dense_index": asdict(dense),
        "corpus": {d.path: d.sha256 for d in documents},
        "counts": {"documents": len(documents), "chunks": len(chunks), "sentences": len(sentences)},
        "versions": {
            "rag": __version__, "python": platform.python_version(), "faiss": faiss.__version__,
            "bm25s": bm25s.__version__, "sentence_transformers": sentence_transformers.__version__,
            "tiktoken": tiktoken.__version__,
        },
        "files": _checksums(folder),
    }


def _manifest_digest(manifest: dict) -> str:
    """The manifest's own checksum, over its canonical JSON without this field: a flipped bit that still
    parses (a count, a file hash) must not pass as a different, valid manifest."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def _checksums(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with p.open("rb") as f:
                os.fsync(f.fileno())


def _point_current(root: Path, target: Path) -> None:
    """Swap the `current` link in one rename, so readers see the old index or the new one, never a mix."""
    link = root / CURRENT
    tmp = root / f".{CURRENT}-{uuid.uuid4().hex[:8]}"
    os.symlink(Path(BUILDS) / target.name, tmp)
    os.replace(tmp, link)


def _prune(builds: Path, keep: set[str]) -> None:
    """Drop old builds and leftovers of interrupted ones; the newest previous build stays as a fallback."""
    finished = sorted((p for p in builds.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)
    keep = keep | {p.name for p in finished[-2:]}
    for p in builds.iterdir():
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


# ---------------------------------------------------------------- load


def load_index(settings: Settings, check_corpus: bool = True) -> Index:
    """Load `index/current`, verifying checksums and, unless told not to, that corpus and settings still match."""
    import faiss

    folder = settings.index_dir / CURRENT
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise IndexMissingError(f"no index in {settings.index_dir}/ (run `rag build`)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = dict(manifest["files"])
    except (ValueError, KeyError, TypeError):
        raise IndexDamagedError(f"{manifest_path} is unreadable (rebuild with `rag build`)") from None
    if manifest.get("format") == FORMAT and manifest.get("manifest_sha256") != _manifest_digest(manifest):
        raise IndexDamagedError(f"{manifest_path} fails its checksum (rebuild with `rag build`)")
    if manifest.get("format") != FORMAT:
        raise IndexStaleError(f"index format {manifest.get('format')} is not {FORMAT} (rebuild with `rag build`)")
    _verify_files(folder, files)
    if check_corpus:
        ensure_fresh(manifest, settings)
    try:
        documents = {d["id"]: Document(**d) for d in json.loads((folder / DOCUMENTS).read_text("utf-8"))}
        chunks = [ChunkRecord(**json.loads(line)) for line in (folder / CHUNKS).open(encoding="utf-8")]
        sentences = [SentenceRecord(**json.loads(line)) for line in (folder / SENTENCES).open(encoding="utf-8")]
        dense = faiss.read_index(str(folder / DENSE))
        prepare_loaded(dense, manifest["dense_index"])
        sentence_vectors = np.load(folder / SENTENCE_VECTORS)
        lexicon = load_lexicon(folder / LEXICAL)
    except Exception as err:  # a file that passed its checksum but still will not parse is damage too
        raise IndexDamagedError(f"index in {folder} cannot be read ({err.__class__.__name__}: {err})") from None
    if dense.ntotal != len(chunks) or len(sentence_vectors) != len(sentences):
        raise IndexDamagedError(f"index in {folder} has mismatched counts (rebuild with `rag build`)")
    return Index(folder.resolve(), manifest, documents, chunks, sentences, sentence_vectors, dense, lexicon)


def _verify_files(folder: Path, files: dict[str, str]) -> None:
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            raise IndexDamagedError(f"index file {name} is missing (rebuild with `rag build`)")
        if _sha256(path) != expected:
            raise IndexDamagedError(f"index file {name} fails its checksum (rebuild with `rag build`)")


def stale_reasons(manifest: dict, settings: Settings) -> list[str]:
    """Why an index no longer matches the corpus folder and settings; empty when it does."""
    reasons = []
    if manifest.get("identity") != settings.index_identity():
        reasons.append("built with other model or chunking settings")
    current = {p.name: _sha256(p) for p in sorted(settings.corpus_dir.glob("*.md")) if p.name.lower() != "readme.md"}
    built = manifest.get("corpus", {})
    for name in sorted(set(current) | set(built)):
        if name not in built:
            reasons.append(f"{name} was added")
        elif name not in current:
            reasons.append(f"{name} was removed")
        elif current[name] != built[name]:
            reasons.append(f"{name} changed")
    return reasons


def ensure_fresh(manifest: dict, settings: Settings) -> None:
    reasons = stale_reasons(manifest, settings)
    if reasons:
        raise IndexStaleError(f"index is stale: {'; '.join(reasons)} (rebuild with `rag build`)")
