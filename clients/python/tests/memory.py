"""Memory operations of the test process (the target), through libc, so
that the tests control exactly which system call touches which pages."""

from __future__ import annotations

import ctypes
import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager

PAGE = mmap.PAGESIZE

PROT_READ_WRITE = mmap.PROT_READ | mmap.PROT_WRITE
MAP_FAILED = ctypes.c_void_p(-1).value
MADV_DONTNEED = 4
MADV_NOHUGEPAGE = 15
SYS_MREMAP = 25  # x86_64
MREMAP_MAYMOVE = 1
MREMAP_FIXED = 2

libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.syscall.restype = ctypes.c_long


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def touch(addr: int, length: int) -> None:
    """Writes one byte in every page overlapping [addr, addr + length)."""
    page = addr - addr % PAGE
    while page < addr + length:
        ctypes.c_char.from_address(page).value = b"x"
        page += PAGE


def map_anonymous(pages: int, shared: bool = False) -> int:
    """Maps `pages` pages of anonymous memory (private, no THP) and touches each."""
    flags = (mmap.MAP_SHARED if shared else mmap.MAP_PRIVATE) | mmap.MAP_ANONYMOUS
    addr = libc.mmap(None, pages * PAGE, PROT_READ_WRITE, flags, -1, 0)
    if addr is None or addr == MAP_FAILED:
        err = ctypes.get_errno()
        raise OSError(err, f"mmap: {os.strerror(err)}")
    if not shared:
        # A transparent huge page would make invalidations wider than the pages we name.
        _check(libc.madvise(addr, pages * PAGE, MADV_NOHUGEPAGE), "madvise(MADV_NOHUGEPAGE)")
    touch(addr, pages * PAGE)
    return int(addr)


def munmap(addr: int, length: int) -> None:
    _check(libc.munmap(addr, length), "munmap")


def madvise_dontneed(addr: int, length: int) -> None:
    _check(libc.madvise(addr, length, MADV_DONTNEED), "madvise(MADV_DONTNEED)")


def mremap(addr: int, length: int, new_length: int, to: int | None = None) -> int:
    """mremap(2) by its system call: in place, or moved onto `to`."""
    flags, target = (0, 0) if to is None else (MREMAP_MAYMOVE | MREMAP_FIXED, to)
    result = libc.syscall(
        ctypes.c_long(SYS_MREMAP), ctypes.c_ulong(addr), ctypes.c_ulong(length), ctypes.c_ulong(new_length), ctypes.c_ulong(flags), ctypes.c_ulong(target)
    )
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mremap: {os.strerror(err)}")
    return int(result) & ((1 << 64) - 1)


class Memory:
    """The test's mappings; whatever is still mapped at the end is unmapped."""

    def __init__(self) -> None:
        self._mapped: list[tuple[int, int]] = []

    def map(self, pages: int, shared: bool = False) -> int:
        addr = map_anonymous(pages, shared)
        self._mapped.append((addr, pages * PAGE))
        return addr

    def release(self) -> None:
        # munmap of a range that is already gone succeeds, so this is safe after the test's own munmaps.
        for addr, length in reversed(self._mapped):
            libc.munmap(addr, length)
        self._mapped.clear()


@contextmanager
def memory() -> Iterator[Memory]:
    mem = Memory()
    try:
        yield mem
    finally:
        mem.release()
