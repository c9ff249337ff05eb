"""Address and size expressions of the scenario format
(test/conformance/README.md, "Values")."""

from __future__ import annotations

import re

from errors import ScenarioError

U64_LIMIT = 1 << 64
NAME = re.compile(r"[a-z_][a-z0-9_]*")
_TERM = re.compile(r"(?:(?P<name>[a-z_][a-z0-9_]*)|(?P<number>0x[0-9a-fA-F]+|[0-9]+)(?P<pages>p?))")

Expr = str | int


def check_syntax(value: object, where: str) -> Expr:
    """The expression itself, or ScenarioError if it cannot be one (names are checked when evaluated)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ScenarioError(f"{where}: expected an expression such as \"a+1p\" or a JSON integer, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ScenarioError(f"{where}: {value} is negative")
        return value
    _terms(value, where)
    return value


def _terms(text: str, where: str) -> list[tuple[int, re.Match[str]]]:
    terms: list[tuple[int, re.Match[str]]] = []
    position, sign = 0, 1
    while True:
        match = _TERM.match(text, position)
        if match is None or match.end() == position:
            raise ScenarioError(f"{where}: cannot read {text!r} at offset {position} (expected a name, a number or a number of pages)")
        terms.append((sign, match))
        position = match.end()
        if position == len(text):
            return terms
        if text[position] not in "+-":
            raise ScenarioError(f"{where}: cannot read {text!r} at offset {position} (expected + or -)")
        sign = 1 if text[position] == "+" else -1
        position += 1


def evaluate(value: Expr, names: dict[str, int], page_size: int, where: str) -> int:
    """The expression's value in bytes, which must lie in [0, 2^64)."""
    if isinstance(value, int):
        total = value
    else:
        total = 0
        for sign, match in _terms(value, where):
            name = match.group("name")
            if name is not None:
                if name not in names:
                    raise ScenarioError(f"{where}: {value!r}: nothing is named {name!r} (names come from mmap and brk-grow steps)")
                amount = names[name]
            else:
                digits = match.group("number")
                number = int(digits, 16) if digits.startswith("0x") else int(digits, 10)
                amount = number * (page_size if match.group("pages") else 1)
            total += sign * amount
    if not 0 <= total < U64_LIMIT:
        raise ScenarioError(f"{where}: {value!r} = {total}, outside [0, 2^64)")
    return total
