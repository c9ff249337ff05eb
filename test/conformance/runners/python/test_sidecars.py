"""The runner's own checks of test/conformance/README.md, "Sidecars", against
the real daemon: scenarios share one sidecar, made clean before each of them
(also after a failure), scenarios with daemon arguments or a manual attach get
their own while the shared one makes way, and a shared sidecar that does not
come clean is replaced."""

from __future__ import annotations

import ctypes
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from errors import StepFailed
from scenario import Runner
from spec import Scenario, load
from target import PAGE, libc
from test_cleanup import children

CLEAN: list[dict[str, object]] = [
    {"op": "info", "expect": {"registrations": 0, "pending_reports": 0, "subscribers": 0, "target_alive": True}},
    # seen starts once the sidecar is clean: nothing has changed since.
    {"op": "check-counter", "changed": False},
    {"op": "read-events", "expect": []},
]


def scenario(tmp_path: Path, name: str, steps: list[dict[str, object]], **fields: object) -> Scenario:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"description": "runner self-check", "rule": "test/conformance/README.md, Sidecars", **fields, "steps": steps}))
    return load(path)


def shared_pid(runner: Runner) -> int | None:
    """The pid of the shared sidecar, if one is open."""
    client = runner.shared.client
    return None if client is None else client.sidecar_pid


def test_a_failed_scenario_leaves_the_shared_sidecar_clean_for_the_next(tmp_path: Path, runner: Runner) -> None:
    failing = scenario(
        tmp_path,
        "failing",
        [
            {"op": "mmap", "name": "a", "pages": 4},
            {"op": "register", "cookie": 1, "at": "a", "length": "1p"},
            {"op": "register", "batch": [{"cookie": 2, "at": "a+1p", "length": "1p"}, {"cookie": 3, "at": "a+2p", "length": "1p"}]},
            {"op": "unregister", "cookie": 3},
            # Succeeds, though the step says it must fail: the cookie is registered all the same.
            {"op": "register", "cookie": 4, "at": "a+3p", "length": "1p", "error": {"code": "ALREADY_EXISTS"}},
        ],
    )
    with pytest.raises(StepFailed, match=r"^step 4 \(register\): expected ALREADY_EXISTS, but the call succeeded"):
        runner.run(failing)
    before, replaced = shared_pid(runner), len(runner.shared.replaced)
    assert before is not None
    failing = scenario(
        tmp_path,
        "failing-later",
        [
            {"op": "mmap", "name": "a", "pages": 2},
            {"op": "register", "cookie": 5, "at": "a", "length": "2p"},
            {"op": "subscribe", "name": "s"},
            {"op": "madvise", "at": "a", "length": "1p", "advice": "dontneed"},
            {"op": "info", "expect": {"registrations": 7}},
        ],
    )
    # Made clean first: cookies 1, 2 and 4 unregistered (not 3: unregistering
    # it again would fail), so the one registration is this scenario's.
    with pytest.raises(StepFailed, match=r"^step 4 \(info\): registrations is 1, expected 7"):
        runner.run(failing)
    # Cookie 5 unregistered, the invalidation read, the subscription gone:
    # clean twice, and never a new daemon.
    runner.run(scenario(tmp_path, "next", CLEAN))
    assert shared_pid(runner) == before
    assert len(runner.shared.replaced) == replaced


def test_own_sidecar_scenarios_run_between_shared_ones(tmp_path: Path, runner: Runner) -> None:
    runner.run(
        scenario(
            tmp_path,
            "shared-first",
            [{"op": "mmap", "name": "a", "pages": 1}, {"op": "register", "cookie": 1, "at": "a", "length": "1p"}],
        )
    )
    first = shared_pid(runner)
    assert first is not None
    replaced = len(runner.shared.replaced)
    runner.run(
        scenario(
            tmp_path,
            "own-args",
            [*CLEAN, {"op": "info", "expect": {"max_registrations": 3}}],
            daemon_args=["--max-registrations", "3"],
        )
    )
    # The shared sidecar made way (one daemon per target) and stays closed.
    assert runner.shared.client is None
    assert first not in children()
    runner.run(
        scenario(
            tmp_path,
            "own-attach",
            [
                {"op": "info", "expect": {"registrations": 0, "engine": "unspecified"}},
                {"op": "attach"},
                *CLEAN,
                {"op": "mmap", "name": "a", "pages": 1},
                {"op": "register", "cookie": 2, "at": "a", "length": "1p"},
            ],
            attach=False,
        )
    )
    assert runner.shared.client is None
    assert children() == []
    runner.run(scenario(tmp_path, "shared-again", CLEAN))
    again = shared_pid(runner)
    assert again is not None and again != first
    assert children() == [again]
    # A new shared sidecar: what the first one held (cookie 1) is not asked of it.
    assert len(runner.shared.replaced) == replaced


def _foreign_registration(runner: Runner, page: int) -> None:
    """A registration the runner does not know of, made behind its back."""
    assert runner.shared.client is not None
    runner.shared.client.register(page, PAGE, 99)


def _unregistered_behind_its_back(runner: Runner, page: int) -> None:
    """The runner's cookie 1 unregistered without it knowing, so that its own unregister fails."""
    assert runner.shared.client is not None
    runner.shared.client.unregister(1)


@pytest.mark.parametrize(
    ("meddle", "why"),
    [
        (_foreign_registration, r"^NotClean: 1 registrations and 0 pending reports left$"),
        (_unregistered_behind_its_back, r"^NotFound: "),
    ],
    ids=["a-registration-left", "the-unregister-fails"],
)
def test_a_shared_sidecar_that_does_not_come_clean_is_replaced(tmp_path: Path, runner: Runner, meddle: Callable[[Runner, int], None], why: str) -> None:
    libc.mmap.restype = ctypes.c_void_p
    page = libc.mmap(None, PAGE, 3, 0x22, -1, 0)
    assert page not in (None, ctypes.c_void_p(-1).value)
    try:
        runner.run(
            scenario(tmp_path, "first", [{"op": "mmap", "name": "a", "pages": 1}, {"op": "register", "cookie": 1, "at": "a", "length": "1p"}])
        )
        before, replaced = shared_pid(runner), len(runner.shared.replaced)
        meddle(runner, page)
        runner.run(scenario(tmp_path, "next", CLEAN))
        after = shared_pid(runner)
        assert after is not None and after != before
        assert before not in children()
        assert len(runner.shared.replaced) == replaced + 1
        assert re.search(why, runner.shared.replaced[-1]), runner.shared.replaced[-1]
    finally:
        libc.munmap(page, PAGE)


def test_the_shared_sidecar_logs_warnings_only(tmp_path: Path, runner: Runner) -> None:
    runner.run(scenario(tmp_path, "any", CLEAN))
    pid = shared_pid(runner)
    assert pid is not None
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"--log-level" in argv and argv[argv.index(b"--log-level") + 1] == b"warn"
