"""Chunk and sentence records as Arrow IPC files, memory-mapped at load and read as lightweight records.

Millions of records as Python objects cost gigabytes and seconds to parse; as Arrow columns they cost nothing
until read, and the numeric columns are numpy views of the mapped file, so whole-column work stays vectorised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Generic, TypeAlias, TypeVar, overload

import numpy as np
import pyarrow as pa

# Numbers fit int32: records and character offsets stay below 2**31, and half the bytes of int64 is half the
# pages a column lookup touches.
_INT = pa.int32()
_CODED = pa.dictionary(pa.int32(), pa.string())


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


# Strings that repeat (document ids, sections, kinds) are dictionary-encoded: one copy of each, int32 codes.
CHUNK_SCHEMA = pa.schema([("id", pa.string()), ("doc_id", _CODED), ("char_start", _INT), ("char_end", _INT),
                          ("section", _CODED), ("first", _INT), ("last", _INT)])
SENTENCE_SCHEMA = pa.schema([("doc_id", _CODED), ("char_start", _INT), ("char_end", _INT), ("kind", _CODED),
                             ("section", _CODED), ("chunk", _INT)])


@dataclass(frozen=True)
class Coded:
    """A dictionary-encoded column given as codes into a fixed list of values, the same for every batch."""
    codes: np.ndarray
    values: pa.Array


class RecordWriter:
    """Writes record batches of one schema to an Arrow IPC file; use as a context manager.

    An IPC file holds one dictionary per column, so a writer of several batches gives dictionary columns as
    Coded with the same values every time.
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.schema = schema
        self._sink = pa.OSFile(str(path), "wb")
        self._writer = pa.ipc.new_file(self._sink, schema)

    def write(self, columns: Mapping[str, Any]) -> None:
        """One batch from a column per field: a sequence, a numpy array, or Coded codes and values."""
        arrays = [_array(columns[f.name], f.type) for f in self.schema]
        self._writer.write_batch(pa.record_batch(arrays, schema=self.schema))

    def close(self) -> None:
        self._writer.close()
        self._sink.close()

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _array(values: Any, kind: pa.DataType) -> pa.Array:
    if isinstance(values, Coded):
        return pa.DictionaryArray.from_arrays(pa.array(np.asarray(values.codes, dtype=np.int32)), values.values)
    return pa.array(values, type=kind)


def write_records(path: Path, schema: pa.Schema, records: Sequence[Any]) -> None:
    """Dataclass records written as one batch."""
    with RecordWriter(path, schema) as writer:
        writer.write({f.name: [getattr(r, f.name) for r in records] for f in schema})


R = TypeVar("R")
# Built records kept per sequence: all of a small corpus's, the recently used of a large one's.
MADE_LIMIT = 500_000


class Records(Sequence[R], Generic[R]):
    """A read-only sequence of records over a mapped Arrow table; `records[i]` builds record i on access."""

    def __init__(self, table: pa.Table, make: Callable[..., R]) -> None:
        self.table = table
        self._make = make
        self._len = table.num_rows
        names = [f.name for f in fields(make)]  # type: ignore[arg-type]
        self._columns = {name: _column(table.column(name)) for name in names}
        self._getters = tuple(_getter(self._columns[name]) for name in names)
        # Records built, kept: answering reads the same few thousand again and again, and building one from its
        # columns costs more than the rest of choosing a sentence.
        self._made: dict[int, R] = {}

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, i: int) -> R: ...

    @overload
    def __getitem__(self, i: slice) -> list[R]: ...

    def __getitem__(self, i: int | slice) -> R | list[R]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._len))]
        at = i + self._len if i < 0 else i
        made = self._made.get(at)
        if made is None:
            if not 0 <= at < self._len:
                raise IndexError(f"record {i} out of range")
            if len(self._made) >= MADE_LIMIT:  # a huge index would otherwise end up held twice
                self._made.clear()
            made = self._made[at] = self._make(*(get(at) for get in self._getters))
        return made

    def __iter__(self) -> Iterator[R]:
        return (self[i] for i in range(self._len))

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """A dictionary-encoded column as its codes (one per record) and the values they index."""
        column = self._columns[name]
        assert isinstance(column, tuple), f"{name} is not dictionary-encoded"
        return column

    def numbers(self, name: str) -> np.ndarray:
        column = self._columns[name]
        assert isinstance(column, np.ndarray), f"{name} is not numeric"
        return column


Column: TypeAlias = "np.ndarray | tuple[np.ndarray, list[str]] | pa.ChunkedArray"


def _column(column: pa.ChunkedArray) -> Column:
    """Numbers as one numpy array (a view of the mapped file when written as one batch), dictionary columns as
    codes and values, other strings left in Arrow."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        dictionary = column.chunk(0).dictionary if column.num_chunks else pa.array([], pa.string())
        if any(not c.dictionary.equals(dictionary) for c in column.chunks[1:]):
            raise ValueError("batches of a column disagree on its dictionary")
        return _numbers([c.indices for c in column.chunks]), dictionary.to_pylist()
    if pa.types.is_integer(kind):
        return _numbers(column.chunks)
    return column


def _numbers(chunks: list[pa.Array]) -> np.ndarray:
    parts = [c.to_numpy(zero_copy_only=True) for c in chunks]
    if len(parts) == 1:
        return parts[0]
    # Several batches cannot be one view; the copy is 4 bytes a record, read once at load.
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int32)


def _getter(column: Column) -> Callable[[int], Any]:
    if isinstance(column, np.ndarray):
        return lambda i: int(column[i])
    if isinstance(column, tuple):
        codes, values = column
        return lambda i: values[codes[i]]
    return lambda i: column[i].as_py()


def read_records(path: Path, make: Callable[..., R]) -> Records[R]:
    """The records of an Arrow IPC file, memory-mapped: pages are read from disk as they are used."""
    table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    return Records(table, make)
