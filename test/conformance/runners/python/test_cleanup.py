"""The runner's own checks, against the real daemon: a failing scenario
names its step and what happened, and still leaves nothing behind (no
process but the shared sidecar, no mapping, the program break given back).
How the shared sidecar is made clean for the next scenario: test_sidecars.py."""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path

import pytest
from errors import StepFailed
from scenario import Runner
from spec import load
from target import PAGE, libc


def scenario(tmp_path: Path, steps: list[dict[str, object]]) -> Path:
    path = tmp_path / "scratch.json"
    path.write_text(json.dumps({"description": "runner self-check", "rule": "test/conformance/README.md, Failing", "steps": steps}))
    return path


def children() -> list[int]:
    """Our child processes that are still running (not zombies): sidecars, forked children."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.append(int(entry))
    return found


def strays(runner: Runner) -> list[int]:
    """Our running child processes other than the shared sidecar."""
    shared = runner.shared.client
    return [pid for pid in children() if shared is None or pid != shared.sidecar_pid]


def scenario_files_mapped() -> list[str]:
    """Mappings of the runner's scenario files (type "file"), which /proc names."""
    return [line for line in Path("/proc/self/maps").read_text().splitlines() if "ummunotify-scenario-" in line]


def test_a_failing_step_is_named_and_everything_is_given_back(tmp_path: Path, runner: Runner) -> None:
    brk_before = libc.sbrk(0)
    path = scenario(
        tmp_path,
        [
            {"op": "mmap", "name": "a", "pages": 4, "type": "file"},
            {"op": "brk-grow", "name": "h", "pages": 2},
            {"op": "register", "cookie": 1, "at": "a", "length": "4p"},
            {"op": "register", "cookie": 2, "at": "h", "length": "2p"},
            {"op": "subscribe", "name": "s"},
            {"op": "munmap", "at": "a", "length": "1p"},
            {"op": "check-counter", "changed": False},
        ],
    )
    with pytest.raises(StepFailed, match=r"^step 6 \(check-counter\): changed_since\(seen=\d+\) is True"):
        runner.run(load(path))
    assert strays(runner) == []
    assert scenario_files_mapped() == []
    assert libc.sbrk(0) == brk_before


def test_a_fixed_mapping_never_replaces_memory_the_scenario_does_not_own(tmp_path: Path, runner: Runner) -> None:
    libc.mmap.restype = ctypes.c_void_p
    foreign = libc.mmap(None, PAGE, 3, 0x22, -1, 0)
    assert foreign not in (None, ctypes.c_void_p(-1).value)
    try:
        ctypes.c_char.from_address(foreign).value = b"k"
        path = scenario(tmp_path, [{"op": "mmap", "name": "b", "pages": 1, "at": foreign}])
        with pytest.raises(StepFailed, match=r"^step 0 \(mmap\): mmap at: 0x[0-9a-f]+ holds a mapping of the runner's own"):
            runner.run(load(path))
        assert ctypes.c_char.from_address(foreign).value == b"k"
    finally:
        libc.munmap(foreign, PAGE)


def test_an_unexpected_status_is_reported_with_its_errno_and_message(tmp_path: Path, runner: Runner) -> None:
    path = scenario(
        tmp_path,
        [
            {"op": "mmap", "name": "a", "pages": 1},
            {"op": "register", "cookie": 1, "at": "a", "length": "1p"},
            {"op": "register", "cookie": 1, "at": "a", "length": "1p"},
        ],
    )
    with pytest.raises(StepFailed) as caught:
        runner.run(load(path))
    message = str(caught.value)
    assert message.startswith("step 2 (register): expected success, got ALREADY_EXISTS EINVAL: ")
    assert "already registered" in message


def test_the_wrong_expected_error_fails(tmp_path: Path, runner: Runner) -> None:
    path = scenario(
        tmp_path,
        [{"op": "unregister", "cookie": 5, "error": {"code": "NOT_FOUND", "errno": "ENOENT"}}],
    )
    with pytest.raises(StepFailed, match=r"expected NOT_FOUND ENOENT, got NOT_FOUND EINVAL"):
        runner.run(load(path))


def test_a_stream_expectation_that_never_comes_times_out(tmp_path: Path, runner: Runner) -> None:
    path = scenario(
        tmp_path,
        [
            {"op": "mmap", "name": "a", "pages": 2},
            {"op": "register", "cookie": 1, "at": "a", "length": "1p"},
            {"op": "subscribe", "name": "s"},
            {"op": "munmap", "at": "a+1p", "length": "1p"},
            {"op": "stream-expect", "name": "s", "expect": [{"invalidation": {"cookie": 1}}]},
        ],
    )
    with pytest.raises(StepFailed, match=r"^step 4 \(stream-expect\): 0 of 1 invalidations within 5 s"):
        runner.run(load(path))
    assert strays(runner) == []
