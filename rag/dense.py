"""The FAISS index over chunk vectors: exact while exact is cheap, an IVF index tuned to a recall target beyond,
and IVF-PQ with an exact re-rank of its shortlist where even fp16 vectors are too many to hold in memory."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any
from dataclasses import dataclass

import numpy as np

from .embed import normalised
from .settings import DenseSettings


# Beyond the compress limit: 4-bit PQ codes, two to a byte, scanned with SIMD lookups ("fast scan").
PQ_BITS = 4
PQ_CODES_PER_BYTE = 8 // PQ_BITS


@dataclass(frozen=True)
class DenseInfo:
    """What the manifest records about the dense index, so a reader knows how approximate its answers are."""
    kind: str  # flat-ip | ivf-fp16 | ivf-pq
    vectors: int
    nlist: int | None = None
    nprobe: int | None = None
    # Measured at build time on probe queries against exact search; 1.0 for exact search. For ivf-pq it is
    # measured after the re-rank, as queries are answered.
    recall_at_10: float = 1.0
    pq_bytes: int | None = None
    rerank: int | None = None


class Reranked:
    """An IVF-PQ index whose shortlist is re-ranked by exact inner product with fp16 vectors.

    PQ codes alone lose the order among close neighbours; a hundred exact products put it back for the cost
    of a hundred rows read from the mapped file. It answers `search` and `reconstruct_batch` as a FAISS
    index does, so the query path treats it as one.
    """

    def __init__(self, ivf: Any, vectors: "np.ndarray | RowFile", rerank: int) -> None:
        self.ivf, self.vectors, self.rerank = ivf, vectors, rerank

    @property
    def ntotal(self) -> int:
        return int(self.ivf.ntotal)

    @property
    def nlist(self) -> int:
        return int(self.ivf.nlist)

    @property
    def nprobe(self) -> int:
        return int(self.ivf.nprobe)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        self.ivf.nprobe = value

    def search(self, queries: np.ndarray, k: int, params: Any = None) -> tuple[np.ndarray, np.ndarray]:
        _, shortlists = self.ivf.search(queries, max(k, self.rerank), params=params)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        for row, (query, shortlist) in enumerate(zip(queries, shortlists)):
            found = np.sort(shortlist[shortlist >= 0])  # in file order: each page read once, forwards
            exact = self.reconstruct_batch(found) @ query
            best = np.argsort(-exact, kind="stable")[:k]
            scores[row, :len(best)], ids[row, :len(best)] = exact[best], found[best]
        return scores, ids

    def reconstruct_batch(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(self.vectors[ids], dtype=np.float32)


def build_dense(vectors: np.ndarray, settings: DenseSettings, seed: int = 0) -> tuple[Any, DenseInfo]:
    """A FAISS inner-product index over L2-normalised vectors and the facts about it.

    `vectors` may be a memory-mapped fp16 file: it is read in batches, never copied whole to float32.
    """
    import faiss

    n, dim = vectors.shape
    if n <= settings.exact_limit:
        flat = faiss.IndexFlatIP(dim)
        add_in_batches(flat, vectors, settings.add_batch)
        return flat, DenseInfo("flat-ip", n)
    nlist = settings.nlist or int(4 * math.sqrt(n))
    rng = np.random.default_rng(seed)
    index: Any
    if n <= settings.compress_limit:
        # Vectors kept as fp16: a search is bound by the bytes it scans, so half the bytes is about a third less
        # time and half the memory, while recall against exact search is the same to three decimals.
        index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist, faiss.ScalarQuantizer.QT_fp16,
                                              faiss.METRIC_INNER_PRODUCT)
    else:
        # 4-bit codes scanned with SIMD lookups ("fast scan"): at 1M vectors and the same bytes per vector, recall
        # 0.95-0.98 in half the time of 8-bit codes, which matters once a query scans a hundred thousand codes.
        index = faiss.IndexIVFPQFastScan(faiss.IndexFlatIP(dim), dim, nlist,
                                         pq_subquantizers(dim, PQ_CODES_PER_BYTE * settings.pq_bytes), PQ_BITS,
                                         faiss.METRIC_INNER_PRODUCT)
    sample = vectors[np.sort(rng.choice(n, min(n, settings.train_per_list * nlist), replace=False))]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    add_in_batches(index, vectors, settings.add_batch)
    if n <= settings.compress_limit:
        index.make_direct_map()  # so candidates can be rescored exactly by id
    else:
        index = Reranked(index, vectors if vectors.dtype == np.float16 else vectors.astype(np.float16),
                         settings.rerank)
    probes = probe_queries(vectors, settings.probe_queries, rng)
    truth = exact_neighbours(vectors, probes, 10)
    target = min(1.0, settings.target_recall + settings.recall_headroom)
    nprobe, recall = tune_nprobe(index, probes, truth, target)
    while isinstance(index, Reranked) and recall < target and index.rerank < settings.max_rerank:
        # From compressed codes a shortlist too short misses true neighbours however many lists are probed:
        # a longer one is read until the target is met.
        index.rerank = min(2 * index.rerank, settings.max_rerank)
        nprobe, recall = tune_nprobe(index, probes, truth, target)
    index.nprobe = nprobe
    if isinstance(index, Reranked):
        return index, DenseInfo("ivf-pq", n, nlist, nprobe, round(recall, 4), index.ivf.pq.M * PQ_BITS // 8,
                                index.rerank)
    return index, DenseInfo("ivf-fp16", n, nlist, nprobe, round(recall, 4))


def pq_subquantizers(dim: int, wanted: int) -> int:
    """The most sub-quantisers up to `wanted` that split the dimension evenly."""
    return max(m for m in range(1, min(wanted, dim) + 1) if dim % m == 0)


def add_in_batches(index: Any, vectors: np.ndarray, batch: int) -> None:
    for start in range(0, len(vectors), batch):
        index.add(np.ascontiguousarray(vectors[start:start + batch], dtype=np.float32))


def probe_queries(vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Stored vectors nudged off themselves, as stand-ins for questions near the data but not on it."""
    picked = np.asarray(vectors[rng.choice(len(vectors), min(count, len(vectors)), replace=False)], dtype=np.float32)
    noisy = picked + rng.standard_normal(picked.shape).astype(np.float32) * (0.6 / math.sqrt(picked.shape[1]))
    return normalised(noisy)


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int, block: int = 1_000_000) -> np.ndarray:
    """Ids of each query's k nearest by inner product; a large or fp16 collection is scanned block by block."""
    import faiss

    if len(vectors) <= block and vectors.dtype == np.float32:
        _, ids = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
        return ids
    best = np.empty((len(queries), 0), dtype=np.float32)
    best_ids = np.empty((len(queries), 0), dtype=np.int64)
    for start in range(0, len(vectors), block):
        part = np.ascontiguousarray(vectors[start:start + block], dtype=np.float32)
        scores, ids = faiss.knn(queries, part, min(k, len(part)), metric=faiss.METRIC_INNER_PRODUCT)
        best, best_ids = np.hstack([best, scores]), np.hstack([best_ids, ids + start])
        order = np.argsort(-best, axis=1, kind="stable")[:, :k]
        best, best_ids = np.take_along_axis(best, order, 1), np.take_along_axis(best_ids, order, 1)
    return best_ids


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each query's true neighbours that were found."""
    k = truth.shape[1]
    return float(np.mean([len(set(f[f >= 0]) & set(t)) / k for f, t in zip(found, truth)]))


def tune_nprobe(index, probes: np.ndarray, truth: np.ndarray, target: float) -> tuple[int, float]:
    """The fewest lists to visit that reach the recall target on the probes, whose true neighbours are `truth`
    (all lists if none does).

    Doubling finds a bracket, bisection its lower end: search time grows with nprobe, so every list saved counts.
    """
    k = truth.shape[1]

    def recall(nprobe: int) -> float:
        index.nprobe = nprobe
        return recall_at(index.search(probes, k)[1], truth)

    low, high = 0, 1  # recall(low) misses the target (0 stands for "not tried"), recall(high) is unknown
    while (found := recall(high)) < target and high < index.nlist:
        low, high = high, min(high * 2, index.nlist)
    if found < target:
        return high, found
    best = (high, found)
    while high - low > 1:
        middle = (low + high) // 2
        if (found := recall(middle)) >= target:
            high, best = middle, (middle, found)
        else:
            low = middle
    index.nprobe = best[0]
    return best


def search_params(index, ids: np.ndarray | None):
    """Search parameters restricting results to `ids`, of the kind this index type accepts."""
    import faiss

    if ids is None:
        return None
    if isinstance(index, Reranked):
        index = index.ivf
    selector = faiss.IDSelectorBatch(ids.astype(np.int64))
    if isinstance(index, faiss.IndexIVF):
        # The SWIG bindings' stubs declare no keyword arguments, though the constructors take them.
        return faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)  # type: ignore[call-arg]
    return faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]


def save_dense(index: Any, path: Path, vectors_path: Path) -> None:
    """The FAISS file, and beside a re-ranked index its fp16 vectors (unless they are mapped from there already)."""
    import faiss

    if not isinstance(index, Reranked):
        faiss.write_index(index, str(path))
        return
    faiss.write_index(index.ivf, str(path))
    source = getattr(index.vectors, "filename", None)
    # Mapped from that very file (or a link to it) already: writing it again would truncate what is being read.
    if source is None or not (vectors_path.exists() and os.path.samefile(source, vectors_path)):
        assert isinstance(index.vectors, np.ndarray), "a loaded index is saved where it was loaded from"
        np.save(vectors_path, index.vectors)


class RowFile:
    """The rows of a 2-D .npy file, read with pread where asked for.

    A memory map would do, but each row read through one maps the cached pages around it as well (the kernel's
    fault-around, some 64 KiB for a 768-byte row, whatever madvise says): at 10M vectors a few hundred
    re-ranked queries left 4 GB mapped into the server that no query needed.
    """

    def __init__(self, path: Path) -> None:
        with path.open("rb") as f:
            major, _ = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(f)
            self.offset = f.tell()
        if len(shape) != 2 or fortran:
            raise ValueError(f"{path.name}: not a C-ordered 2-D array")
        self.shape, self.dtype = shape, dtype
        self.row_bytes = shape[1] * dtype.itemsize
        self._fd = os.open(path, os.O_RDONLY)

    def __len__(self) -> int:
        return int(self.shape[0])

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        rows = b"".join(os.pread(self._fd, self.row_bytes, self.offset + int(i) * self.row_bytes) for i in ids)
        return np.frombuffer(rows, dtype=self.dtype).reshape(len(ids), self.shape[1])

    def __del__(self) -> None:
        os.close(self._fd)


def load_dense(path: Path, vectors_path: Path, info: dict) -> Any:
    """The dense index as built, with the search-time settings FAISS does not keep in its file."""
    import faiss

    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = int(info["nprobe"])
    if info["kind"] == "ivf-pq":
        # Only the rows of each query's shortlist are ever read.
        return Reranked(index, RowFile(vectors_path), int(info["rerank"]))
    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()
    return index
