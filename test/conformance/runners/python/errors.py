"""The two ways a scenario fails: it is malformed, or a step did not do what it says."""

from __future__ import annotations


class ScenarioError(Exception):
    """The scenario file asks for something the format does not define."""


class StepFailed(Exception):
    """A step did not do what the scenario says (or the runner could not carry it out)."""
