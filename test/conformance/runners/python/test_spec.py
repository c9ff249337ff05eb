"""The runner's own checks: a scenario asking for anything the format does
not define is rejected before any step runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from errors import ScenarioError
from spec import load

GOOD_STEP = {"op": "mmap", "name": "a", "pages": 1}


def scenario(tmp_path: Path, steps: list[object] | None = None, top: dict[str, object] | None = None) -> Path:
    data: dict[str, object] = {"description": "d", "rule": "r", "steps": steps if steps is not None else [GOOD_STEP]}
    data.update(top or {})
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    return path


def test_a_well_formed_scenario_loads_with_the_defaults(tmp_path: Path) -> None:
    s = load(scenario(tmp_path))
    assert (s.engines, s.daemon_args, s.attach) == (("uffd", "device"), (), True)


@pytest.mark.parametrize(
    "top",
    [{"extra": 1}, {"engines": ["simulated"]}, {"engines": []}, {"attach": "yes"}, {"daemon_args": "--x"}, {"description": ""}],
)
def test_bad_top_level_fields_are_rejected(tmp_path: Path, top: dict[str, object]) -> None:
    with pytest.raises(ScenarioError):
        load(scenario(tmp_path, top=top))


@pytest.mark.parametrize(
    "step",
    [
        {"op": "mmapp", "name": "a", "pages": 1},
        {"op": "mmap", "name": "a", "pages": 1, "flags": 2},
        {"op": "mmap", "name": "a"},
        {"op": "mmap", "name": "A", "pages": 1},
        {"op": "mmap", "name": "a", "pages": 1, "type": "huge"},
        {"op": "mmap", "name": "a", "pages": 1, "prot": "none"},
        {"op": "munmap", "at": "a", "length": "1p", "error": {"code": "INVALID_ARGUMENT"}},
        {"op": "madvise", "at": "a", "length": "1p", "advice": "free"},
        {"op": "register", "cookie": 1, "at": "a"},
        {"op": "register", "cookie": 1, "at": "a", "length": "1p", "batch": []},
        {"op": "register", "batch": [{"cookie": 1, "at": "a", "length": "1p", "x": 0}]},
        {"op": "register", "cookie": 1 << 53, "at": "a", "length": "1p"},
        {"op": "register", "cookie": 1, "at": "a", "length": "1p", "error": {"code": "NOPE"}},
        {"op": "register", "cookie": 1, "at": "a", "length": "1p", "error": {"code": "NOT_FOUND", "errno": "einval"}},
        {"op": "register", "cookie": 1, "at": "a", "length": "1p", "error": {"code": "NOT_FOUND", "message": "m"}},
        {"op": "unregister", "cookie": 1, "cookies": [1]},
        {"op": "read-events"},
        {"op": "read-events", "expect": [{"invalidation": {"cookie": 1, "counter": 3}}]},
        {"op": "read-events", "expect": [{"invalidation": {"cookie": 1, "sources": ["swap"]}}]},
        {"op": "read-events", "expect": [{"last": {"counter": 3}}]},
        {"op": "read-events", "expect": [{"last": {}, "invalidation": {"cookie": 1}}]},
        {"op": "read-events", "expect": [{"lost": {}}]},
        {"op": "stream-expect", "name": "s", "expect": [{"last": {}}]},
        {"op": "stream-expect", "name": "s", "expect": []},
        {"op": "info", "expect": {"counter": 3}},
        {"op": "info", "expect": {"engine": "simulated"}},
        {"op": "check-counter", "changed": 1},
        {"op": "subscribe", "name": "s", "expect": []},
    ],
)
def test_bad_steps_are_rejected(tmp_path: Path, step: dict[str, object]) -> None:
    with pytest.raises(ScenarioError):
        load(scenario(tmp_path, [GOOD_STEP, step]))


def test_malformed_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{")
    with pytest.raises(ScenarioError, match="not valid JSON"):
        load(path)
