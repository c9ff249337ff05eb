"""Collects every scenario file as one test, for the engine under test.

The engine is UMMUNOTIFY_ENGINE if set, else auto (the device where
/dev/ummunotify exists, else uffd). A scenario whose `engines` leave that
engine out is not collected; the summary line says how many, and which.
The tests share one Runner, and with it the shared sidecar (closed when the
session ends); the summary says how many daemons it started, and why it
replaced any that did not come clean.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from scenario import Runner
from sidecars import SharedSidecar
from spec import read_engines

RUNNER = Path(__file__).resolve().parent
REPO = RUNNER.parents[3]
SCENARIOS = REPO / "test" / "conformance" / "scenarios"

os.environ.setdefault("UMMUNOTIFYD", str(REPO / "bin" / "ummunotifyd"))
# The runner starts its sidecars itself; it never connects to an inherited one.
os.environ.pop("UMMUNOTIFY_SOCKET", None)

_LEFT_OUT = pytest.StashKey[list[str]]()
_COLLECTED = pytest.StashKey[int]()
_SHARED = pytest.StashKey[SharedSidecar]()


def engine_under_test() -> str:
    name = os.environ.get("UMMUNOTIFY_ENGINE") or "auto"
    if name == "auto":
        return "device" if os.path.exists("/dev/ummunotify") else "uffd"
    if name not in ("uffd", "device"):
        raise pytest.UsageError(f"UMMUNOTIFY_ENGINE: expected device, uffd or auto, got {name!r}")
    return name


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--scenarios", default=str(SCENARIOS), help="directory of scenario files (default: test/conformance/scenarios)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_LEFT_OUT] = []
    config.stash[_COLLECTED] = 0


def pytest_report_header(config: pytest.Config) -> str:
    return f"conformance: engine {engine_under_test()}, scenarios in {config.getoption('--scenarios')}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "scenario_path" not in metafunc.fixturenames:
        return
    engine = engine_under_test()
    run: list[Path] = []
    for path in sorted(Path(metafunc.config.getoption("--scenarios")).glob("*.json")):
        engines = read_engines(path)
        # A file whose engines cannot be read is run, and fails saying why.
        if engines is not None and engine not in engines:
            metafunc.config.stash[_LEFT_OUT].append(path.stem)
        else:
            run.append(path)
    metafunc.config.stash[_COLLECTED] = len(run)
    metafunc.parametrize("scenario_path", run, ids=[p.stem for p in run])


@pytest.fixture(scope="session")
def engine() -> str:
    return engine_under_test()


@pytest.fixture(scope="session")
def runner(engine: str, pytestconfig: pytest.Config) -> Iterator[Runner]:
    """The one runner of this session; its shared sidecar is stopped when the session ends."""
    shared = SharedSidecar(engine)
    pytestconfig.stash[_SHARED] = shared
    run = Runner(engine, shared)
    try:
        yield run
    finally:
        run.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # Under CI nothing may skip: a missing dependency fails the run.
    if os.environ.get("CI") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where nothing may skip: {report.longrepr}"
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    engine = engine_under_test()
    left_out = config.stash[_LEFT_OUT]
    line = f"conformance ({engine} engine): {config.stash[_COLLECTED]} scenarios collected, {len(left_out)} left out (not for the {engine} engine)"
    terminalreporter.write_line(line + (": " + ", ".join(left_out) if left_out else ""))
    shared = config.stash.get(_SHARED, None)
    if shared is not None:
        terminalreporter.write_line(f"conformance: the shared sidecar was started {shared.opened} times, {len(shared.replaced)} of them because it did not come clean")
        for why in shared.replaced:
            terminalreporter.write_line(f"  replaced: {why}")
