"""The memory steps, done by this process (the target) with the system
calls the scenario names, and the bookkeeping that lets the runner give back
exactly what a scenario left mapped, and nothing it did not map."""

from __future__ import annotations

import ctypes
import mmap
import os
import platform
import signal
import tempfile

from errors import StepFailed

PAGE = mmap.PAGESIZE

MADV_DONTNEED = 4
MADV_NOHUGEPAGE = 15
MADV_PAGEOUT = 21
ADVICE = {"dontneed": MADV_DONTNEED, "pageout": MADV_PAGEOUT}
MREMAP_MAYMOVE = 1
MREMAP_FIXED = 2
MAP_FIXED = 0x10
_MAP_FAILED = ctypes.c_void_p(-1).value
_SYS = {"mremap": 25, "pause": 34, "fork": 57}

libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
libc.sbrk.restype = ctypes.c_void_p
libc.sbrk.argtypes = [ctypes.c_long]
libc.syscall.restype = ctypes.c_long
# The fork is made with the GIL held (PyDLL does not release it), so the
# child wakes up owning it and never waits for a thread that did not come along.
_held = ctypes.PyDLL("libc.so.6", use_errno=True)
_held.syscall.restype = ctypes.c_long


def _fail(what: str) -> StepFailed:
    err = ctypes.get_errno()
    return StepFailed(f"{what} failed: {os.strerror(err)} ({err})")


def pages_of(addr: int, length: int) -> range:
    """The page addresses overlapping [addr, addr + length)."""
    first = addr - addr % PAGE
    return range(first, addr + length, PAGE)


def read_each_page(addr: int, length: int) -> None:
    for page in pages_of(addr, length):
        # The read faults the page in, without writing to it.
        ctypes.c_char.from_address(page).value


def _new_file(length: int, writable: bool) -> int:
    """An fd for a new regular file of `length` bytes, already unlinked; read-only unless `writable`."""
    fd, path = tempfile.mkstemp(prefix="ummunotify-scenario-", dir=os.environ.get("TMPDIR") or "/tmp")
    try:
        os.ftruncate(fd, length)
        if writable:
            return fd
        # Opened O_RDONLY, so that no mprotect can ever make the mapping writable.
        readonly = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except BaseException:
        os.close(fd)
        raise
    finally:
        os.unlink(path)
    os.close(fd)
    return readonly


def is_mapped(page: int) -> bool:
    """Whether anything is mapped at `page` (mincore fails with ENOMEM where nothing is)."""
    vec = ctypes.c_ubyte()
    return bool(libc.mincore(page, PAGE, ctypes.byref(vec)) == 0)


def touch(addr: int, length: int) -> None:
    """Writes one byte in every page overlapping [addr, addr + length)."""
    for page in pages_of(addr, length):
        ctypes.c_char.from_address(page).value = b"\x01"


class Target:
    """This process's memory as a scenario changes it."""

    def __init__(self) -> None:
        if platform.machine() != "x86_64":
            raise StepFailed(f"the python runner knows the system call numbers of x86_64 only, not {platform.machine()}")
        self._pages: set[int] = set()
        self._brk_start: int | None = None
        self._brk: int | None = None

    def _mapped(self, addr: int, length: int) -> None:
        self._pages.update(pages_of(addr, length))

    def _unmapped(self, addr: int, length: int) -> None:
        self._pages.difference_update(pages_of(addr, length))

    def _refuse_foreign(self, addr: int, length: int, op: str) -> None:
        """MAP_FIXED and MREMAP_FIXED replace whatever is there: only the scenario's own pages, or none.

        Once a scenario unmaps a range, this process (gRPC's threads, the
        allocator) may map something else there before a later step maps
        over it again; replacing that would corrupt the runner, not test a rule.
        """
        for page in pages_of(addr, length):
            if page not in self._pages and is_mapped(page):
                raise StepFailed(
                    f"{op}: {page:#x} holds a mapping of the runner's own, not the scenario's (it took the address after "
                    "the scenario unmapped it); refusing to replace it: the runner cannot do this step, which says nothing about the rule"
                )

    def mmap(self, pages: int, kind: str, at: int | None, writable: bool = True) -> int:
        length = pages * PAGE
        if at is not None:
            self._refuse_foreign(at, length, "mmap at")
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
        fixed = 0 if at is None else MAP_FIXED
        fd = -1
        if kind == "anonymous":
            flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
        elif kind == "shared":
            flags = mmap.MAP_SHARED | mmap.MAP_ANONYMOUS
        else:
            fd = _new_file(length, writable)
            flags = mmap.MAP_SHARED
        try:
            addr = libc.mmap(at, length, prot, flags | fixed, fd, 0)
        finally:
            if fd >= 0:
                os.close(fd)
        if addr is None or addr == _MAP_FAILED:
            raise _fail(f"mmap({kind}, {pages} pages)")
        self._mapped(addr, length)
        # A transparent huge page would make invalidations wider than the pages a scenario names.
        if kind == "anonymous" and libc.madvise(addr, length, MADV_NOHUGEPAGE) != 0:
            raise _fail("madvise(MADV_NOHUGEPAGE)")
        if writable:
            touch(addr, length)
        else:
            read_each_page(addr, length)
        return int(addr)

    def munmap(self, addr: int, length: int) -> None:
        if libc.munmap(addr, length) != 0:
            raise _fail(f"munmap({addr:#x}, {length:#x})")
        self._unmapped(addr, length)

    def madvise(self, addr: int, length: int, advice: str) -> None:
        if libc.madvise(addr, length, ADVICE[advice]) != 0:
            raise _fail(f"madvise({addr:#x}, {length:#x}, MADV_{advice.upper()})")

    def mremap(self, addr: int, length: int, new_length: int, to: int | None) -> int:
        flags, new_addr = (0, 0) if to is None else (MREMAP_MAYMOVE | MREMAP_FIXED, to)
        if to is not None:
            self._refuse_foreign(to, new_length, "mremap to")
        result = libc.syscall(
            ctypes.c_long(_SYS["mremap"]),
            ctypes.c_ulong(addr),
            ctypes.c_ulong(length),
            ctypes.c_ulong(new_length),
            ctypes.c_ulong(flags),
            ctypes.c_ulong(new_addr),
        )
        if result < 0:
            raise _fail(f"mremap({addr:#x}, {length:#x}, {new_length:#x}, {flags:#x}, {new_addr:#x})")
        self._unmapped(addr, length)
        self._mapped(result, new_length)
        return int(result)

    def _sbrk(self, increment: int) -> int:
        old = libc.sbrk(increment)
        if old is None or old == _MAP_FAILED:
            raise _fail(f"sbrk({increment})")
        return int(old)

    def _check_break(self, op: str) -> None:
        now = self._sbrk(0)
        if self._brk is not None and now != self._brk:
            raise StepFailed(
                f"{op}: the program break is at {now:#x}, not at {self._brk:#x} where this runner left it "
                "(malloc moved it): the runner cannot do this step, which says nothing about the rule"
            )

    def brk_grow(self, pages: int) -> int:
        self._check_break("brk-grow")
        now = self._sbrk(0)
        if self._brk_start is None:
            self._brk_start = now
        start = -(-now // PAGE) * PAGE
        self._sbrk(start - now + pages * PAGE)
        self._brk = start + pages * PAGE
        touch(start, pages * PAGE)
        return start

    def brk_shrink(self, pages: int) -> None:
        if self._brk is None:
            raise StepFailed("brk-shrink: no brk-grow came before it")
        self._check_break("brk-shrink")
        self._sbrk(-pages * PAGE)
        self._brk -= pages * PAGE

    def write(self, addr: int, length: int) -> None:
        touch(addr, length)

    def fork_write(self, addr: int, length: int) -> None:
        """Forks a child that only waits, breaks copy-on-write here, then kills and reaps the child.

        A raw fork(2): no Python or gRPC at-fork handler runs, and the child
        never returns into the runner: it blocks every signal and pauses
        until SIGKILL.
        """
        pid = _held.syscall(ctypes.c_long(_SYS["fork"]))
        if pid == 0:
            try:
                signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
                while True:
                    _held.syscall(ctypes.c_long(_SYS["pause"]))
            finally:
                os._exit(127)
        if pid < 0:
            raise _fail("fork")
        try:
            touch(addr, length)
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)

    def release(self) -> list[str]:
        """Unmaps what the scenario left mapped and gives back the break it grew; says what it could not."""
        problems = []
        for start, length in _runs(sorted(self._pages)):
            if libc.munmap(start, length) != 0:
                problems.append(str(_fail(f"munmap({start:#x}, {length:#x})")))
        self._pages.clear()
        if self._brk_start is not None and self._brk is not None:
            now = self._sbrk(0)
            if now == self._brk:
                self._sbrk(self._brk_start - now)
            else:
                problems.append(f"the program break moved to {now:#x} (malloc); left as it is")
        self._brk_start = self._brk = None
        return problems


def _runs(pages: list[int]) -> list[tuple[int, int]]:
    """Contiguous runs of sorted page addresses, as (start, length)."""
    runs: list[tuple[int, int]] = []
    for page in pages:
        if runs and runs[-1][0] + runs[-1][1] == page:
            runs[-1] = (runs[-1][0], runs[-1][1] + PAGE)
        else:
            runs.append((page, PAGE))
    return runs
