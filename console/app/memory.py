"""Allocator settings for a process that holds one large network (glibc on Linux; elsewhere nothing changes).

A console with a million pipes keeps ~1 GB of small objects (geometries, strings) and churns through large numpy
temporaries while it reads, prepares the map and builds analysis caches in worker threads. glibc's defaults suit
neither: every thread that allocates gets its own arena (up to 8 per core), whose freed memory stays with it; and
after the first large array is freed the threshold for serving big blocks by ``mmap`` climbs (up to 32 MB), so
later temporaries land in the heap, where one small object allocated after them keeps their pages resident. Peak
RSS at a million pipes grows by ~100 MB (see the README's performance table).

:func:`tune_allocator` fixes the arena count at two and the ``mmap`` threshold at 256 KiB (blocks above it go back
to the system when freed), and trims the heap top from 1 MiB. A ``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` in the environment wins over its setting here.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["tune_allocator"]

# mallopt parameters (glibc malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_SETTINGS = (
    ("MALLOC_ARENA_MAX", _M_ARENA_MAX, 2),
    ("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, 256 * 1024),
    ("MALLOC_TRIM_THRESHOLD_", _M_TRIM_THRESHOLD, 1024 * 1024),
)


def tune_allocator() -> bool:
    """Apply the settings above; True when glibc took them (call it early, before worker threads start)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    ok = True
    for variable, param, value in _SETTINGS:
        if variable not in os.environ:
            ok = mallopt(param, value) == 1 and ok
    return ok
