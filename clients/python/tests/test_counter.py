"""The counter page: a sealed memfd from the daemon, mapped read-only,
checked with one load."""

from __future__ import annotations

import fcntl
import mmap
import os

import pytest
from memory import PAGE, Memory, madvise_dontneed, munmap

import ummunotify
from ummunotify import Last
from ummunotify._counter import REQUIRED_SEALS, F_GET_SEALS, check_seals, receive_fd
from ummunotify._spawn import spawn


def test_the_counter_starts_where_getinfo_says(umn: ummunotify.Client) -> None:
    assert umn.counter.value == umn.info().counter


def test_an_invalidation_moves_the_counter_before_the_syscall_returns(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(2)
    seen = umn.counter.value
    umn.register(a, PAGE, 1)
    assert not umn.changed_since(seen)
    madvise_dontneed(a, PAGE)
    assert umn.changed_since(seen)
    assert umn.counter.changed_since(seen)
    reports = umn.read_events()
    last = reports[-1]
    assert isinstance(last, Last)
    assert last.counter == umn.counter.value
    assert not umn.changed_since(last.counter)


def test_memory_nobody_watches_leaves_the_counter_alone(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(2)
    umn.register(a, PAGE, 1)
    seen = umn.counter.value
    munmap(a + PAGE, PAGE)
    assert not umn.changed_since(seen)
    assert umn.read_events() == []


def test_the_daemon_sends_one_fd_sealed_against_writes_and_truncation() -> None:
    sidecar = spawn(os.getpid(), ["--log-level", "warn"])
    try:
        with ummunotify.open(engine="uffd", socket=sidecar.socket) as umn:
            assert umn.sidecar_pid is None
            fd = receive_fd(sidecar.counter_socket)
            try:
                seals = fcntl.fcntl(fd, F_GET_SEALS)
                assert seals & REQUIRED_SEALS == REQUIRED_SEALS
                check_seals(fd, sidecar.counter_socket)
                # Sealed against future writes: no writable shared mapping, even for root.
                with pytest.raises(PermissionError):
                    mmap.mmap(fd, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            finally:
                os.close(fd)
            assert umn.counter.value == umn.info().counter
    finally:
        sidecar.stop()


def test_an_unsealed_memfd_is_refused() -> None:
    fd = os.memfd_create("not-a-counter", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        with pytest.raises(ummunotify.CounterError) as caught:
            check_seals(fd, "a test memfd")
        assert caught.value.errno_name == "EPERM"
        assert "refusing to trust it" in caught.value.message
    finally:
        os.close(fd)

