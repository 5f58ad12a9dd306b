"""One exception type per kind of mistake a user can make; the CLI and HTTP layers turn them into messages."""

from __future__ import annotations

import re
from pathlib import Path


class RagError(Exception):
    """Base class: every error the user can fix by changing input, files or settings."""


class CorpusError(RagError):
    """A corpus file is unreadable or its front matter is wrong."""

    def __init__(self, path: Path | str, problem: str, field: str | None = None) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: field '{field}'" if field else self.path
        super().__init__(f"{where}: {problem}")


def without_advice(err: RagError) -> str:
    """The message less its closing advice to run `rag build`, for a caller about to build by itself."""
    return re.sub(r" \((run|rebuild with) `rag build`\)$", "", str(err))


class IndexMissingError(RagError):
    """No index has been built yet."""


class IndexStaleError(RagError):
    """The index was built from another corpus or with other settings."""


class IndexDamagedError(RagError):
    """An index file is missing, truncated or altered."""


class QueryError(RagError):
    """A question or search request is malformed (empty, too long, bad parameter)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class UnknownDocumentError(RagError):
    """A document id that the index does not hold."""

    # A request may repeat an id thousands of times; the message names each once, and only the first few.
    SHOWN = 10

    def __init__(self, doc_ids: list[str]) -> None:
        self.doc_ids = list(dict.fromkeys(doc_ids))
        more = len(self.doc_ids) - self.SHOWN
        self.listing = ", ".join(self.doc_ids[: self.SHOWN]) + (f" and {more:,} more" if more > 0 else "")
        super().__init__(f"unknown document id(s): {self.listing}")


class BuildError(RagError):
    """A build run in another process failed; the message is its reason, prefixed with the error's kind."""


class BuildBusyError(RagError):
    """Another build of the same index folder is running (in this process or another); try again after it."""

    def __init__(self, index_dir: Path, holder: str) -> None:
        by = f" (process {holder})" if holder.isdigit() else ""
        super().__init__(f"another build of {index_dir}/ is running{by}; try again once it has finished")


class ModelError(RagError):
    """The embedding model cannot be loaded from the configured local path."""


class SettingsError(RagError):
    """A RAG_* environment variable, or a file it names, holds a value that cannot be used."""


class ClusterError(RagError):
    """A Ray cluster to build on cannot be reached or joined."""
