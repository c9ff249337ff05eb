"""open() does the whole handoff: sidecar, notification fd, Attach, counter page."""

from __future__ import annotations

import os

import pytest

import ummunotify


def userfaultfds_of_this_process() -> list[int]:
    fds = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == "anon_inode:[userfaultfd]":
                fds.append(int(name))
        except OSError:
            pass  # the fd of the listing itself, gone by now
    return fds


def test_open_attaches_this_process_with_a_userfaultfd(umn: ummunotify.Client) -> None:
    info = umn.info()
    assert info.target_pid == os.getpid()
    assert info.target_alive
    assert info.engine == "uffd"
    assert set(info.sources) == {"unmap", "madvise", "mremap", "fork"}
    assert "anonymous" in info.watchable_mappings
    assert info.registrations == 0
    assert umn.sidecar_pid is not None


def test_our_copy_of_the_userfaultfd_is_closed_after_attach(umn: ummunotify.Client) -> None:
    # A copy left here would keep us blocked on a daemon that died.
    assert userfaultfds_of_this_process() == []


def test_open_without_attach_then_attach() -> None:
    with ummunotify.open(engine="uffd", attach=False) as umn:
        assert umn.info().engine == "unspecified"
        with pytest.raises(ummunotify.FailedPrecondition):
            umn.register(0x10000, 4096, 1)
        assert umn.attach() == "uffd"
        assert umn.info().engine == "uffd"
        assert userfaultfds_of_this_process() == []
        assert umn.counter.value == umn.info().counter


def test_a_second_attach_is_refused_and_leaves_no_fd_behind(umn: ummunotify.Client) -> None:
    with pytest.raises(ummunotify.FailedPrecondition) as caught:
        umn.attach()
    assert caught.value.code.name == "FAILED_PRECONDITION"
    assert "already attached" in caught.value.message
    assert userfaultfds_of_this_process() == []
    assert umn.info().engine == "uffd"


def test_the_engine_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UMMUNOTIFY_ENGINE", "uffd")
    with ummunotify.open() as umn:
        assert umn.engine == "uffd"
        assert umn.info().engine == "uffd"


def test_auto_picks_uffd_without_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UMMUNOTIFY_ENGINE", "auto")
    with ummunotify.open(attach=False) as umn:
        assert umn.engine == ("device" if os.path.exists("/dev/ummunotify") else "uffd")


def test_an_unknown_engine_is_refused_before_anything_starts() -> None:
    with pytest.raises(ValueError, match="expected device, uffd or auto"):
        ummunotify.open(engine="simulated")


def test_the_device_engine_without_the_module_fails_with_enoent() -> None:
    if os.path.exists("/dev/ummunotify"):
        pytest.fail("this test is for hosts without the module; /dev/ummunotify exists here")
    with pytest.raises(ummunotify.EngineError) as caught:
        ummunotify.open(engine="device")
    assert caught.value.errno_name == "ENOENT"
    assert caught.value.code.name == "FAILED_PRECONDITION"
