"""The few system calls Python's standard library does not wrap."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform

# Per architecture: the libc `syscall()` numbers we need, from <asm/unistd.h>.
_SYS_USERFAULTFD = {"x86_64": 323, "aarch64": 282}


def _load() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    lib.syscall.restype = ctypes.c_long
    return lib


libc = _load()


def userfaultfd(flags: int) -> int:
    """userfaultfd(2); raises OSError with the kernel's errno."""
    number = _SYS_USERFAULTFD.get(platform.machine())
    if number is None:
        raise OSError(errno.ENOSYS, f"userfaultfd: no syscall number known for {platform.machine()}")
    fd = libc.syscall(ctypes.c_long(number), ctypes.c_long(flags))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"userfaultfd: {os.strerror(err)}")
    return int(fd)
