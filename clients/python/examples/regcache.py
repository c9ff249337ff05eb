"""A registration cache that never hands out a stale registration.

An MPI or RDMA library caches (address, length) -> registration because
registering memory with the NIC is expensive. The classic failure:

    a = mmap(1 page); send(a); munmap(a); b = mmap(1 page)  # b == a, usually
    send(b)  # a cache hit for a: sends from a page that is not b's

This cache checks the counter page on every lookup (one memory load, no
system call); when it moved, it reads the reports and evicts what was
invalidated, so the lookup for b misses and registers b afresh.

    UMMUNOTIFYD=bin/ummunotifyd .venv/bin/python clients/python/examples/regcache.py
"""

from __future__ import annotations

import ctypes
import mmap
import os
import sys
from collections.abc import Callable

import ummunotify

PAGE = mmap.PAGESIZE


class RegistrationCache:
    """(address, length) -> cookie, kept valid through the daemon's reports."""

    def __init__(self, umn: ummunotify.Client, log: Callable[[str], None] = print) -> None:
        self._umn = umn
        self._log = log
        self._by_range: dict[tuple[int, int], int] = {}
        self._by_cookie: dict[int, tuple[int, int]] = {}
        self._next_cookie = 1
        # Nothing is cached yet, so any counter value is a fine start.
        self._seen = umn.counter.value
        self.evicted: list[tuple[int, int, int]] = []

    def refresh(self) -> None:
        """Evicts whatever was invalidated since the last look; free when nothing was."""
        if self._umn.changed_since(self._seen):
            self._evict_invalidated()

    def lookup(self, addr: int, length: int) -> int:
        """The cookie of a registration valid for [addr, addr + length) now."""
        self.refresh()
        cookie = self._by_range.get((addr, length))
        if cookie is not None:
            self._log(f"  hit:   [{addr:#x}, +{length}) is cookie {cookie}")
            return cookie
        # A miss registers anew: this is also what makes the uffd engine watch
        # memory that was mapped over an old registration.
        cookie = self._next_cookie
        self._next_cookie += 1
        self._umn.register(addr, length, cookie)
        self._by_range[(addr, length)] = cookie
        self._by_cookie[cookie] = (addr, length)
        self._log(f"  miss:  [{addr:#x}, +{length}) registered fresh as cookie {cookie}")
        return cookie

    def _evict_invalidated(self) -> None:
        while True:
            reports = self._umn.read_events()
            stale = []
            for report in reports:
                if isinstance(report, ummunotify.Invalidation) and report.cookie in self._by_cookie:
                    addr, length = self._by_cookie.pop(report.cookie)
                    del self._by_range[(addr, length)]
                    stale.append(report.cookie)
                    self.evicted.append((report.cookie, addr, length))
                    causes = ", ".join(report.sources) or "invalidated"
                    self._log(f"  evict: cookie {report.cookie} for [{addr:#x}, +{length}) is stale ({causes})")
                elif isinstance(report, ummunotify.Last):
                    self._seen = report.counter
            if stale:
                # The daemon would otherwise keep watching ranges nobody caches.
                self._umn.unregister_many(stale)
            if not reports or isinstance(reports[-1], (ummunotify.Last, ummunotify.TargetExited)):
                return


libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]


def map_page(hint: int | None = None) -> int:
    """One fresh anonymous page; at `hint` if that address is free (the kernel's choice otherwise)."""
    addr = libc.mmap(hint, PAGE, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    if addr is None or addr == ctypes.c_void_p(-1).value:
        raise OSError(ctypes.get_errno(), "mmap")
    return int(addr)


def unmap_page(addr: int) -> None:
    if libc.munmap(addr, PAGE) != 0:
        raise OSError(ctypes.get_errno(), "munmap")


def send(cache: RegistrationCache, addr: int, text: bytes) -> int:
    """Stands in for an RDMA send: fill the buffer, then use its registration."""
    ctypes.memmove(addr, text, len(text))
    return cache.lookup(addr, PAGE)


def main() -> int:
    with ummunotify.open() as umn:
        print(f"pid {os.getpid()}: sidecar attached on the {umn.info().engine} engine")
        cache = RegistrationCache(umn)

        a = map_page()
        print(f"a = mmap(1 page) = {a:#x}; send(a) twice")
        cookie_a = send(cache, a, b"first message")
        send(cache, a, b"first message, again")

        print("munmap(a); b = mmap(1 page)")
        unmap_page(a)
        b = map_page()
        print(f"b = {b:#x}" + (" == a: the kernel reused the address" if b == a else " (a different address this time)"))
        print("send(b)")
        cookie_b = send(cache, b, b"second message")
        unmap_page(b)

        stale_evicted = any(cookie == cookie_a for cookie, _, _ in cache.evicted)
        fresh = cookie_b != cookie_a
        print(f"stale entry for a (cookie {cookie_a}) evicted: {'yes' if stale_evicted else 'NO'}")
        print(f"b registered fresh (cookie {cookie_b}): {'yes' if fresh else 'NO'}")
        return 0 if stale_evicted and fresh else 1


if __name__ == "__main__":
    sys.exit(main())
