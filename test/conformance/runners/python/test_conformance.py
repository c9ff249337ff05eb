"""One test per scenario file, run with this pytest process as the target."""

from __future__ import annotations

from pathlib import Path

import pytest
from errors import ScenarioError, StepFailed
from scenario import Runner
from spec import load


def test_scenario(scenario_path: Path, runner: Runner) -> None:
    failure = None
    try:
        runner.run(load(scenario_path))
    except ScenarioError as e:
        failure = f"{scenario_path.name}: malformed scenario: {e}"
    except StepFailed as e:
        failure = f"{scenario_path.name}: {e}"
    # Outside the except block: the message alone, without a chained traceback.
    if failure is not None:
        pytest.fail(failure, pytrace=False)
