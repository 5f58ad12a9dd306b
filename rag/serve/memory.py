"""glibc's allocator tuned for a long-running threaded server; a no-op on other C libraries."""

from __future__ import annotations

import gc
import platform
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _glibc() -> Any:
    """The C library when it is glibc, whose allocator the two helpers below tune; None elsewhere."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name) if name and platform.libc_ver()[0] == "glibc" else None


def fewer_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas. By default each busy thread can get its own, up to eight per core, and
    memory freed in one is not reused by the others, so a long-running threaded server creeps upwards."""
    if libc := _glibc():
        M_ARENA_MAX = -8
        libc.mallopt(M_ARENA_MAX, arenas)


def give_back_memory() -> None:
    """Collect dropped engines and hand their freed pages back to the system: a reindex frees a whole
    encoder session and index, which glibc would otherwise keep for itself."""
    gc.collect()
    if libc := _glibc():
        libc.malloc_trim(0)
