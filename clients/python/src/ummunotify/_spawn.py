"""Starting the sidecar daemon for our own process, when none was started for us."""

from __future__ import annotations

import errno
import json
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ._errors import SpawnError

DAEMON_ENV = "UMMUNOTIFYD"
READY_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0


@dataclass(frozen=True)
class Ready:
    socket: str
    counter_socket: str


def parse_ready_line(line: str) -> Ready | None:
    """The daemon's {"ready":true,"socket":...,"counterSocket":...} line, or None for any other line."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("ready") is not True:
        return None
    sock, counter = value.get("socket"), value.get("counterSocket")
    if not isinstance(sock, str) or not isinstance(counter, str):
        return None
    return Ready(sock, counter)


def daemon_executable() -> str:
    """$UMMUNOTIFYD, else ummunotifyd on PATH."""
    named = os.environ.get(DAEMON_ENV)
    if named:
        return named
    found = shutil.which("ummunotifyd")
    if found is None:
        raise SpawnError(f"cannot find ummunotifyd: set {DAEMON_ENV} or put it on PATH", errno=errno.ENOENT)
    return found


class Sidecar:
    """A daemon we started; stop() ends it so that nothing outlives the client."""

    def __init__(self, process: subprocess.Popen[bytes], ready: Ready, drain: threading.Thread) -> None:
        self.process = process
        self.socket = ready.socket
        self.counter_socket = ready.counter_socket
        self._drain = drain

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, grace_s: float = STOP_GRACE_S) -> int:
        """SIGTERM, wait for the orderly stop; SIGKILL after `grace_s`. Returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._drain.join(1.0)
        return self.process.returncode


def spawn(pid: int, daemon_args: Sequence[str] = (), timeout_s: float = READY_TIMEOUT_S) -> Sidecar:
    """Starts `ummunotifyd --pid PID ARGS...` (stderr inherited) and waits for its ready line."""
    executable = daemon_executable()
    argv = [executable, "--pid", str(pid), *daemon_args]
    try:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    except OSError as e:
        raise SpawnError(f"cannot start {executable}: {e.strerror}", errno=e.errno) from e
    assert process.stdout is not None
    out = process.stdout.fileno()
    try:
        ready = _read_ready(process, out, executable, timeout_s)
    except BaseException:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
        raise
    # Anything the daemon prints later is read and dropped, so it can never
    # block on a full pipe.
    drain = threading.Thread(target=_drain, args=(process,), name=f"ummunotifyd-{process.pid}-stdout", daemon=True)
    drain.start()
    return Sidecar(process, ready, drain)


def _read_ready(process: subprocess.Popen[bytes], fd: int, name: str, timeout_s: float) -> Ready:
    deadline = time.monotonic() + timeout_s
    buffered = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                ready = parse_ready_line(line.decode(errors="replace"))
                if ready is not None:
                    return ready
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise SpawnError(
                    f"{name} (pid {process.pid}) printed no ready line within {timeout_s:g} s",
                    errno=errno.ETIMEDOUT,
                )
            chunk = os.read(fd, 65536)
            if not chunk:
                status = process.wait()
                raise SpawnError(f"{name} exited (status {status}) before it was ready", exit_status=status)
            buffered += chunk


def _drain(process: subprocess.Popen[bytes]) -> None:
    stdout = process.stdout
    if stdout is None:
        return
    try:
        while os.read(stdout.fileno(), 65536):
            pass
    except OSError:
        pass
    finally:
        stdout.close()
