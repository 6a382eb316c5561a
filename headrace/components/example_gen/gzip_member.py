"""Compressing one gzip member with the fastest deflate at hand.

libdeflate compresses level-1 deflate about 1.7 times faster than zlib here, with smaller
output. It is a C library (Debian's libdeflate0), not a Python package, so it is loaded with
ctypes when present and zlib is used otherwise; both write standard gzip members that every
gzip reader accepts. ctypes releases the GIL during the call, as zlib does, so members still
compress in parallel threads.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import zlib

import numpy as np


class _Compressor:
    """One libdeflate compressor, freed with its thread's local storage."""

    def __init__(self, library: ctypes.CDLL, level: int) -> None:
        self._library = library
        self.handle = library.libdeflate_alloc_compressor(level)
        if not self.handle:
            raise MemoryError("libdeflate could not allocate a compressor")

    def __del__(self) -> None:
        if self.handle:
            self._library.libdeflate_free_compressor(self.handle)
            self.handle = None


class _LibDeflate:
    def __init__(self, library: ctypes.CDLL) -> None:
        library.libdeflate_alloc_compressor.restype = ctypes.c_void_p
        library.libdeflate_alloc_compressor.argtypes = [ctypes.c_int]
        library.libdeflate_gzip_compress_bound.restype = ctypes.c_size_t
        library.libdeflate_gzip_compress_bound.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        library.libdeflate_free_compressor.restype = None
        library.libdeflate_free_compressor.argtypes = [ctypes.c_void_p]
        library.libdeflate_gzip_compress.restype = ctypes.c_size_t
        library.libdeflate_gzip_compress.argtypes = [
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_void_p,
            ctypes.c_size_t,
        ]
        self._library = library
        # A compressor is not thread-safe: one per thread and level, freed when the thread
        # ends (work units start and stop their own compression threads).
        self._local = threading.local()

    def compress(self, data: bytes | memoryview, level: int) -> memoryview:
        compressors = self._local.__dict__.setdefault("by_level", {})
        compressor = compressors.get(level)
        if compressor is None:
            compressor = compressors[level] = _Compressor(self._library, level)
        handle = compressor.handle
        # numpy views, not ctypes buffers: any buffer goes in without a copy (Arrow's are
        # read-only) and the output is not zero-filled first; the result views `out`.
        source = np.frombuffer(data, np.uint8)
        bound = self._library.libdeflate_gzip_compress_bound(handle, len(source))
        out = np.empty(bound, np.uint8)
        size = self._library.libdeflate_gzip_compress(
            handle, source.ctypes.data, len(source), out.ctypes.data, bound
        )
        if size == 0:
            raise RuntimeError("libdeflate: output buffer too small")
        return memoryview(out[:size])


def _load() -> _LibDeflate | None:
    name = ctypes.util.find_library("deflate")
    if name is None:
        return None
    try:
        return _LibDeflate(ctypes.CDLL(name))
    except (OSError, AttributeError):
        return None


_LIBDEFLATE = _load()
BACKEND = "libdeflate" if _LIBDEFLATE is not None else "zlib"


def compress_member(data: bytes | memoryview, level: int) -> bytes | memoryview:
    """`data` (any buffer) as one complete gzip member (levels 0-9 as for zlib)."""
    if _LIBDEFLATE is not None and level > 0:
        return _LIBDEFLATE.compress(data, level)
    return zlib.compress(data, level, 31)
