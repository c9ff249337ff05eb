"""Every test runs the real daemon (bin/ummunotifyd) as the sidecar of this
pytest process, which is the target: no mocks, no fake daemon."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from memory import Memory, memory

import ummunotify

REPO = Path(__file__).resolve().parents[3]
DAEMON = REPO / "bin" / "ummunotifyd"

os.environ.setdefault("UMMUNOTIFYD", str(DAEMON))
# These tests start their own sidecars; an inherited one would mix their state.
os.environ.pop("UMMUNOTIFY_SOCKET", None)


def pytest_sessionstart(session: pytest.Session) -> None:
    daemon = os.environ["UMMUNOTIFYD"]
    if not os.access(daemon, os.X_OK):
        raise pytest.UsageError(f"the daemon {daemon} is not executable: run npm ci first (or set UMMUNOTIFYD)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # Under CI a missing dependency must fail the run, never skip past it.
    if os.environ.get("CI") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where nothing may skip: {report.longrepr}"
    return report


@pytest.fixture
def umn() -> Iterator[ummunotify.Client]:
    """A sidecar of our own, attached with a userfaultfd (this host has no module)."""
    with ummunotify.open(engine="uffd") as client:
        yield client


@pytest.fixture
def mem() -> Iterator[Memory]:
    with memory() as m:
        yield m
