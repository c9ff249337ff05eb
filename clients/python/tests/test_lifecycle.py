"""Who starts and stops the sidecar: open() spawns one unless
UMMUNOTIFY_SOCKET names one; close() stops only the one it started."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator, Sequence

import pytest
from memory import PAGE, Memory, munmap

import ummunotify
from ummunotify import Invalidation
from ummunotify._spawn import Sidecar, parse_ready_line, spawn


def process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_close_stops_the_daemon_it_spawned_and_its_sockets_go() -> None:
    umn = ummunotify.open(engine="uffd")
    pid = umn.sidecar_pid
    assert pid is not None
    assert os.path.exists(umn.socket_path)
    umn.close()
    # close() waits for the daemon, so it is reaped and its socket removed by now.
    assert process_is_gone(pid)
    assert not os.path.exists(umn.socket_path)
    umn.close()


def test_calls_after_close_fail_as_unavailable() -> None:
    umn = ummunotify.open(engine="uffd")
    umn.close()
    with pytest.raises(ummunotify.Unavailable, match="closed"):
        umn.info()
    with pytest.raises(ummunotify.Unavailable, match="closed"):
        umn.changed_since(0)


def test_a_failed_open_stops_the_daemon_it_spawned(monkeypatch: pytest.MonkeyPatch) -> None:
    # The device engine fails on a host without the module, after the spawn.
    assert not os.path.exists("/dev/ummunotify"), "this test is for hosts without the module"
    spawned: list[int] = []

    def recording_spawn(pid: int, args: Sequence[str] = ()) -> Sidecar:
        sidecar = spawn(pid, args)
        spawned.append(sidecar.pid)
        return sidecar

    monkeypatch.setattr("ummunotify._client.spawn", recording_spawn)
    with pytest.raises(ummunotify.EngineError):
        ummunotify.open(engine="device")
    assert len(spawned) == 1 and process_is_gone(spawned[0])


@pytest.fixture
def own_daemon() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """bin/ummunotifyd --pid <our pid>, started by the test as a deployment would."""
    daemon = subprocess.Popen([os.environ["UMMUNOTIFYD"], "--pid", str(os.getpid()), "--log-level", "warn"], stdout=subprocess.PIPE)
    try:
        assert daemon.stdout is not None
        ready = parse_ready_line(daemon.stdout.readline().decode())
        assert ready is not None, "the daemon printed no ready line"
        yield daemon, ready.socket
    finally:
        daemon.terminate()
        daemon.wait(10)
        if daemon.stdout is not None:
            daemon.stdout.close()


def test_ummunotify_socket_names_the_sidecar_to_use(
    own_daemon: tuple[subprocess.Popen[bytes], str], monkeypatch: pytest.MonkeyPatch, mem: Memory
) -> None:
    daemon, socket_path = own_daemon
    monkeypatch.setenv("UMMUNOTIFY_SOCKET", socket_path)
    a = mem.map(1)
    with ummunotify.open(engine="uffd") as umn:
        assert umn.sidecar_pid is None
        assert umn.socket_path == socket_path
        assert umn.info().engine == "uffd"
        umn.register(a, PAGE, 1)
        munmap(a, PAGE)
        assert [r.cookie for r in umn.read_events() if isinstance(r, Invalidation)] == [1]
    # Not ours to stop: the daemon keeps serving after the client closes.
    time.sleep(0.2)
    assert daemon.poll() is None
    # The state is the daemon's: a later client of the same sidecar sees it.
    with ummunotify.open(attach=False) as again:
        assert again.info().registrations == 1
