"""The counter page: fetched once as an fd over the daemon's SCM_RIGHTS
socket, mapped read-only, then read with one memory load, no system call."""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import socket

from ._errors import CounterError, from_os_error

# <linux/fcntl.h>
F_GET_SEALS = 1034
F_SEAL_SEAL = 0x0001
F_SEAL_SHRINK = 0x0002
F_SEAL_GROW = 0x0004
F_SEAL_FUTURE_WRITE = 0x0010
REQUIRED_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE

# Room for more fds than the one expected, so that a second one shows up in
# the count instead of hiding behind MSG_CTRUNC.
_MAX_FDS = 4
_RECEIVE_TIMEOUT_S = 10.0


class Counter:
    """The daemon's generation counter, mapped into this process."""

    def __init__(self, page: mmap.mmap) -> None:
        self._page = page
        # memoryview's native 'Q' item read is one aligned 8-byte load (a
        # memcpy of constant size), never a byte-by-byte assembly that could
        # tear against the daemon's concurrent increment.
        self._word: memoryview | None = memoryview(page).cast("Q")

    @property
    def value(self) -> int:
        """The counter now: one load from the mapped page."""
        if self._word is None:
            raise CounterError("the counter page is unmapped (the client was closed)", errno=errno.EBADF)
        return int(self._word[0])

    def changed_since(self, seen: int) -> bool:
        """True if the counter moved since `seen`, the counter of the last Last report read."""
        return self.value != seen

    def close(self) -> None:
        if self._word is not None:
            self._word.release()
            self._word = None
            self._page.close()


def receive_fd(path: str) -> int:
    """The one fd the daemon sends on connecting to its SOCK_SEQPACKET socket at `path`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
        sock.settimeout(_RECEIVE_TIMEOUT_S)
        try:
            sock.connect(path)
            data, fds, flags, _ = socket.recv_fds(sock, 16, _MAX_FDS, socket.MSG_CMSG_CLOEXEC)
        except OSError as e:
            raise from_os_error(CounterError, f"cannot receive the counter fd from {path}", e) from e
    if flags & socket.MSG_CTRUNC or len(fds) != 1 or len(data) < 1:
        for fd in fds:
            _close_quietly(fd)
        why = "its control data was truncated" if flags & socket.MSG_CTRUNC else f"{len(fds)} fds and {len(data)} bytes"
        raise CounterError(f"the counter socket {path} sent not exactly one fd with at least one byte: {why}", errno=errno.EPROTO)
    return fds[0]


def check_seals(fd: int, path: str) -> None:
    """Refuses a memfd that anybody but the daemon could write, shrink or unseal."""
    try:
        seals = fcntl.fcntl(fd, F_GET_SEALS)
    except OSError as e:
        raise from_os_error(CounterError, f"cannot read the seals of the counter fd from {path}", e) from e
    if seals & REQUIRED_SEALS != REQUIRED_SEALS:
        raise CounterError(
            f"the counter fd from {path} has seals {seals:#x}, not all of {REQUIRED_SEALS:#x} "
            "(seal, shrink, grow, future write); refusing to trust it",
            errno=errno.EPERM,
        )


def map_counter(path: str, sealed_memfd: bool) -> Counter:
    """Fetches, checks and maps the counter page; the fd is closed whatever happens."""
    fd = receive_fd(path)
    try:
        if sealed_memfd:
            check_seals(fd, path)
        try:
            page = mmap.mmap(fd, mmap.PAGESIZE, mmap.MAP_SHARED, mmap.PROT_READ)
        except OSError as e:
            raise from_os_error(CounterError, f"cannot map the counter fd from {path}", e) from e
        return Counter(page)
    finally:
        _close_quietly(fd)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
