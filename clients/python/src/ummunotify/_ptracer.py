"""Naming the daemon this process's ptracer before the handoff.

Under Yama's ptrace_scope 1 (Ubuntu's default) a process may take another's
fds with pidfd_getfd only from its own descendants or from a process that
named it with prctl(PR_SET_PTRACER). A sidecar is the target's child (spawned
by the library) or its sibling (`ummunotifyd run`), so neither would pass.
"""

from __future__ import annotations

import ctypes
import socket
import struct

from ._libc import libc

_PR_SET_PTRACER = 0x59616D61
_UCRED = struct.Struct("3i")  # pid, uid, gid


def name_daemon_ptracer(socket_path: str) -> None:
    """Best effort: asks the kernel who listens on the daemon's socket
    (SO_PEERCRED) and names that process. Nothing to do without Yama (prctl
    fails with EINVAL); any failure shows at Attach, whose error names the
    reasons."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(socket_path)
            pid, _, _ = _UCRED.unpack(s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
    except OSError:
        return
    # A pid of 0: the daemon is in a pid namespace we cannot see.
    if pid > 0:
        libc.prctl(_PR_SET_PTRACER, ctypes.c_ulong(pid), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
