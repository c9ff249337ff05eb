"""Failures raise ummunotify.Error subclasses carrying the status, the
daemon's message and the errno from the trailing metadata; local failures
carry the errno of the system call that failed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import grpc
import pytest
from memory import PAGE, Memory, munmap

import ummunotify


def test_an_empty_range_is_invalid_argument_with_einval(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(1)
    with pytest.raises(ummunotify.InvalidArgument) as caught:
        umn.register(a, 0, 1)
    e = caught.value
    assert isinstance(e, ummunotify.Error)
    assert e.code is grpc.StatusCode.INVALID_ARGUMENT
    assert (e.errno, e.errno_name) == (22, "EINVAL")
    assert "must be below end" in e.message
    assert "INVALID_ARGUMENT" in str(e) and "EINVAL" in str(e)


def test_a_range_beyond_user_space_is_invalid_argument(umn: ummunotify.Client) -> None:
    with pytest.raises(ummunotify.InvalidArgument) as caught:
        umn.register(0x800000000000, PAGE, 1)
    assert caught.value.errno_name == "EINVAL"
    assert "beyond the user address space" in caught.value.message


def test_a_duplicate_cookie_is_already_exists_with_einval(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(1)
    umn.register(a, PAGE, 5)
    with pytest.raises(ummunotify.AlreadyExists) as caught:
        umn.register(a, PAGE, 5)
    assert caught.value.code is grpc.StatusCode.ALREADY_EXISTS
    assert caught.value.errno_name == "EINVAL"


def test_an_unknown_cookie_is_not_found(umn: ummunotify.Client) -> None:
    with pytest.raises(ummunotify.NotFound) as caught:
        umn.unregister(404)
    assert caught.value.code is grpc.StatusCode.NOT_FOUND
    assert caught.value.errno_name == "EINVAL"


def test_unmapped_memory_is_failed_precondition(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(1)
    munmap(a, PAGE)
    with pytest.raises(ummunotify.FailedPrecondition) as caught:
        umn.register(a, PAGE, 1)
    assert caught.value.errno_name == "EINVAL"
    assert "not mapped" in caught.value.message
    assert umn.info().registrations == 0


def test_the_registration_cap_is_resource_exhausted_with_enospc(mem: Memory) -> None:
    a = mem.map(1)
    with ummunotify.open(engine="uffd", daemon_args=["--max-registrations", "2"]) as umn:
        assert umn.info().max_registrations == 2
        with pytest.raises(ummunotify.ResourceExhausted) as caught:
            umn.register_many([(a, PAGE, 1), (a, PAGE, 2), (a, PAGE, 3)])
        assert caught.value.errno_name == "ENOSPC"
        assert umn.info().registrations == 0


def test_calls_before_attach_are_failed_precondition() -> None:
    with ummunotify.open(engine="uffd", attach=False) as umn:
        with pytest.raises(ummunotify.FailedPrecondition, match="not attached"):
            umn.read_events()
        with pytest.raises(ummunotify.FailedPrecondition, match="not attached"):
            umn.counter


def test_values_that_do_not_fit_64_bits_are_refused_locally(umn: ummunotify.Client) -> None:
    with pytest.raises(ummunotify.InvalidArgument) as caught:
        umn.register(-1, PAGE, 1)
    assert caught.value.errno_name == "EINVAL"
    with pytest.raises(ummunotify.InvalidArgument):
        umn.unregister(1 << 64)


def test_a_missing_daemon_executable_is_a_spawn_error_with_enoent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UMMUNOTIFYD", str(tmp_path / "no-such-daemon"))
    with pytest.raises(ummunotify.SpawnError) as caught:
        ummunotify.open()
    assert caught.value.errno_name == "ENOENT"
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE


def test_a_daemon_that_exits_before_ready_is_an_error_with_its_exit_status() -> None:
    # The real daemon, refusing an argument it does not know.
    with pytest.raises(ummunotify.SpawnError) as caught:
        ummunotify.open(daemon_args=["--no-such-flag"])
    assert caught.value.exit_status == 2
    assert "before it was ready" in caught.value.message


def test_a_socket_nobody_serves_is_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("UMMUNOTIFY_SOCKET", str(tmp_path / "nobody.sock"))
    monkeypatch.setattr("ummunotify._client.CONNECT_TIMEOUT_S", 0.5)
    with pytest.raises(ummunotify.Unavailable) as caught:
        ummunotify.open()
    assert caught.value.errno_name == "ETIMEDOUT"


def test_a_daemon_that_is_not_executable_is_a_spawn_error_with_eacces(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    script = tmp_path / "ummunotifyd"
    script.write_text("#!/bin/sh\n")
    os.chmod(script, stat.S_IRUSR)
    monkeypatch.setenv("UMMUNOTIFYD", str(script))
    with pytest.raises(ummunotify.SpawnError) as caught:
        ummunotify.open()
    assert caught.value.errno_name == "EACCES"
