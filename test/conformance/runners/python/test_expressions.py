"""The runner's own checks: expressions evaluate as the README defines them."""

from __future__ import annotations

import pytest
from errors import ScenarioError
from expressions import check_syntax, evaluate

NAMES = {"a": 0x10000, "big_1": 0x7F0000000000}
PAGE = 4096


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("a", 0x10000),
        ("a+1p", 0x11000),
        ("a+1p+100", 0x11064),
        ("2p-1", 8191),
        ("0x800000000000", 0x800000000000),
        ("0x10p", 16 * PAGE),
        ("010", 10),
        ("big_1-a", 0x7F0000000000 - 0x10000),
        (12, 12),
    ],
)
def test_expressions_evaluate(expr: str | int, value: int) -> None:
    assert evaluate(check_syntax(expr, "x"), NAMES, PAGE, "x") == value


@pytest.mark.parametrize("expr", ["", "a+", "+a", "1q", "A", "a++1", "a*2", "1.5", "0x", True, None, [1], -1])
def test_malformed_expressions_are_rejected(expr: object) -> None:
    with pytest.raises(ScenarioError):
        check_syntax(expr, "x")


@pytest.mark.parametrize("expr", ["b", "1-2", "0x10000000000000000", "a-0x10001"])
def test_unbound_names_and_values_outside_u64_fail(expr: str) -> None:
    with pytest.raises(ScenarioError):
        evaluate(check_syntax(expr, "x"), NAMES, PAGE, "x")
