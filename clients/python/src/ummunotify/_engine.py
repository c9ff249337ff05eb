"""The target's notification fd: which engine, and creating it."""

from __future__ import annotations

import os
from typing import Literal

from . import _libc
from ._errors import EngineError, from_os_error

EngineName = Literal["device", "uffd"]

DEVICE_PATH = "/dev/ummunotify"
ENGINE_ENV = "UMMUNOTIFY_ENGINE"
# <linux/userfaultfd.h>: no privilege needed, kernel faults are not ours to see.
UFFD_USER_MODE_ONLY = 1


def choose_engine(requested: str | None = None) -> EngineName:
    """The argument, else $UMMUNOTIFY_ENGINE, else auto: the device where the module is loaded."""
    name = requested if requested is not None else (os.environ.get(ENGINE_ENV) or "auto")
    if name == "auto":
        return "device" if os.path.exists(DEVICE_PATH) else "uffd"
    if name == "device":
        return "device"
    if name == "uffd":
        return "uffd"
    origin = "engine" if requested is not None else ENGINE_ENV
    raise ValueError(f"{origin}: expected device, uffd or auto, got {name!r}")


def create_fd(engine: EngineName) -> int:
    """A new notification fd of this process, close-on-exec, for Attach.

    The uffd gets no UFFDIO_API call: the daemon makes it, choosing the
    features it will read.
    """
    if engine == "device":
        try:
            return os.open(DEVICE_PATH, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            raise from_os_error(EngineError, f"cannot open {DEVICE_PATH}", e) from e
    try:
        return _libc.userfaultfd(os.O_CLOEXEC | os.O_NONBLOCK | UFFD_USER_MODE_ONLY)
    except OSError as e:
        raise from_os_error(EngineError, "cannot create a userfaultfd (UFFD_USER_MODE_ONLY)", e) from e
