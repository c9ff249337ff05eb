"""Reading a scenario file, strictly (test/conformance/README.md, "Scenario
file" and "Steps"): an unknown field, op or value is a ScenarioError before
any step runs, so a scenario can never pass by asking for something this
runner does not do."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import grpc
from errors import ScenarioError
from expressions import NAME, Expr, check_syntax
from matching import SOURCE_NAMES, InvalidationMatcher, Matcher, OtherMatcher

ENGINES = ("uffd", "device")
MAPPING_TYPES = ("anonymous", "shared", "file")
PROTECTIONS = ("read-write", "read")
ADVICE = ("dontneed", "pageout")
COOKIE_LIMIT = 1 << 53
INFO_FIELDS: dict[str, type] = {
    "engine": str,
    "target_alive": bool,
    "registrations": int,
    "max_registrations": int,
    "pending_reports": int,
    "subscribers": int,
}
INFO_ENGINES = ("uffd", "device", "unspecified")
STATUS_NAMES = frozenset(code.name for code in grpc.StatusCode if code is not grpc.StatusCode.OK)
ERRNO_NAME = re.compile(r"E[A-Z0-9]+")

_TOP_REQUIRED = frozenset({"description", "rule", "steps"})
_TOP_OPTIONAL = frozenset({"engines", "daemon_args", "attach"})

# op -> (required fields, optional fields); "op" itself is implied.
_OPS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "mmap": (frozenset({"name", "pages"}), frozenset({"type", "at", "prot"})),
    "munmap": (frozenset({"at", "length"}), frozenset()),
    "madvise": (frozenset({"at", "length", "advice"}), frozenset()),
    "mremap": (frozenset({"at", "length"}), frozenset({"new_length", "to"})),
    "brk-grow": (frozenset({"name", "pages"}), frozenset()),
    "brk-shrink": (frozenset({"pages"}), frozenset()),
    "write": (frozenset({"at", "length"}), frozenset()),
    "fork-write": (frozenset({"at", "length"}), frozenset()),
    "attach": (frozenset(), frozenset({"error"})),
    "register": (frozenset(), frozenset({"cookie", "at", "length", "batch", "error"})),
    "unregister": (frozenset(), frozenset({"cookie", "cookies", "error"})),
    "read-events": (frozenset(), frozenset({"expect", "max_reports", "error"})),
    "check-counter": (frozenset({"changed"}), frozenset()),
    "info": (frozenset(), frozenset({"expect", "error"})),
    "subscribe": (frozenset({"name"}), frozenset({"error"})),
    "stream-expect": (frozenset({"name", "expect"}), frozenset()),
    "unsubscribe": (frozenset({"name"}), frozenset()),
}


@dataclass(frozen=True)
class ExpectedError:
    code: str
    errno: str | None


@dataclass(frozen=True)
class Entry:
    cookie: int
    at: Expr
    length: Expr


@dataclass(frozen=True)
class Step:
    index: int
    op: str
    name: str | None = None
    pages: int | None = None
    type: str = "anonymous"
    prot: str = "read-write"
    at: Expr | None = None
    length: Expr | None = None
    new_length: Expr | None = None
    to: Expr | None = None
    advice: str | None = None
    # register: the entries, unregister: the cookies; `batch` says which form was written.
    entries: tuple[Entry, ...] = ()
    cookies: tuple[int, ...] = ()
    batch: bool = False
    changed: bool | None = None
    max_reports: int = 0
    matchers: tuple[Matcher, ...] | None = None
    info_expect: tuple[tuple[str, object], ...] | None = None
    error: ExpectedError | None = None

    @property
    def where(self) -> str:
        return f"step {self.index} ({self.op})"


@dataclass(frozen=True)
class Scenario:
    path: Path
    description: str
    rule: str
    engines: tuple[str, ...]
    daemon_args: tuple[str, ...]
    attach: bool
    steps: tuple[Step, ...]


def read_engines(path: Path) -> tuple[str, ...] | None:
    """The engines a scenario is for, or None if the file cannot say (it will then fail when run)."""
    try:
        return load(path).engines
    except (ScenarioError, OSError):
        return None


def load(path: Path) -> Scenario:
    try:
        data = json.loads(path.read_text())
    except ValueError as e:
        raise ScenarioError(f"not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a JSON object")
    _check_keys(data, _TOP_REQUIRED, _TOP_OPTIONAL, "the scenario")
    description = _string(data["description"], "description")
    rule = _string(data["rule"], "rule")
    engines = tuple(_string_list(data.get("engines", list(ENGINES)), "engines"))
    if not engines or any(e not in ENGINES for e in engines) or len(set(engines)) != len(engines):
        raise ScenarioError(f"engines: expected a non-empty list of distinct names among {list(ENGINES)}, got {data.get('engines')!r}")
    daemon_args = tuple(_string_list(data.get("daemon_args", []), "daemon_args"))
    attach = data.get("attach", True)
    if not isinstance(attach, bool):
        raise ScenarioError(f"attach: expected true or false, got {attach!r}")
    raw_steps = data["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ScenarioError("steps: expected a non-empty list")
    steps = tuple(_step(i, raw) for i, raw in enumerate(raw_steps))
    return Scenario(path, description, rule, engines, daemon_args, attach, steps)


def _check_keys(obj: dict[str, object], required: frozenset[str], optional: frozenset[str], where: str) -> None:
    unknown = sorted(set(obj) - required - optional)
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {unknown} (known: {sorted(required | optional)})")
    missing = sorted(required - set(obj))
    if missing:
        raise ScenarioError(f"{where}: missing field(s) {missing}")


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _string_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(f"{where}: expected a list of strings, got {value!r}")
    return [str(v) for v in value]


def _int(value: object, where: str, low: int, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < limit:
        raise ScenarioError(f"{where}: expected a JSON integer in [{low}, {limit}), got {value!r}")
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{where}: expected true or false, got {value!r}")
    return value


def _choice(value: object, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise ScenarioError(f"{where}: expected one of {list(choices)}, got {value!r}")
    return str(value)


def _cookie(value: object, where: str) -> int:
    return _int(value, where, 0, COOKIE_LIMIT)


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: expected a JSON object, got {value!r}")
    return value


def _step(index: int, raw: object) -> Step:
    where = f"step {index}"
    step = _object(raw, where)
    op = step.get("op")
    if not isinstance(op, str) or op not in _OPS:
        raise ScenarioError(f"{where}: unknown op {op!r} (known: {sorted(_OPS)})")
    where = f"step {index} ({op})"
    required, optional = _OPS[op]
    fields = {k: v for k, v in step.items() if k != "op"}
    _check_keys(fields, required, optional, where)
    values: dict[str, object] = {}
    for key, value in fields.items():
        at = f"{where}.{key}"
        if key == "name":
            if not isinstance(value, str) or not NAME.fullmatch(value):
                raise ScenarioError(f"{at}: expected a name matching [a-z_][a-z0-9_]*, got {value!r}")
            values[key] = value
        elif key == "pages":
            values[key] = _int(value, at, 1, 1 << 32)
        elif key == "type":
            values[key] = _choice(value, MAPPING_TYPES, at)
        elif key == "prot":
            values[key] = _choice(value, PROTECTIONS, at)
        elif key in ("at", "length", "new_length", "to"):
            values[key] = check_syntax(value, at)
        elif key == "advice":
            values[key] = _choice(value, ADVICE, at)
        elif key == "changed":
            values[key] = _bool(value, at)
        elif key == "max_reports":
            values[key] = _int(value, at, 0, 1 << 32)
        elif key == "error":
            values[key] = _error(value, at)
    _shape(op, fields, values, where)
    return Step(index=index, op=op, **values)  # type: ignore[arg-type]


def _shape(op: str, fields: dict[str, object], values: dict[str, object], where: str) -> None:
    """The fields that depend on each other or on the op."""
    if op == "register":
        single = {"cookie", "at", "length"} & fields.keys()
        if ("batch" in fields) == bool(single) or (single and len(single) != 3):
            raise ScenarioError(f"{where}: give either cookie, at and length, or batch")
        if "batch" in fields:
            values["entries"] = tuple(_entry(e, f"{where}.batch[{i}]") for i, e in enumerate(_list(fields["batch"], f"{where}.batch")))
            values["batch"] = True
        else:
            values["entries"] = (Entry(_cookie(fields["cookie"], f"{where}.cookie"), check_syntax(fields["at"], f"{where}.at"), check_syntax(fields["length"], f"{where}.length")),)
        for key in ("cookie", "at", "length"):
            values.pop(key, None)
    elif op == "unregister":
        if ("cookie" in fields) == ("cookies" in fields):
            raise ScenarioError(f"{where}: give either cookie or cookies")
        if "cookies" in fields:
            values["cookies"] = tuple(_cookie(c, f"{where}.cookies[{i}]") for i, c in enumerate(_list(fields["cookies"], f"{where}.cookies")))
            values["batch"] = True
        else:
            values["cookies"] = (_cookie(fields["cookie"], f"{where}.cookie"),)
    elif op in ("read-events", "info"):
        if ("expect" in fields) == ("error" in fields):
            raise ScenarioError(f"{where}: give either expect (the call succeeds) or error")
        if "expect" in fields:
            if op == "read-events":
                values["matchers"] = _matchers(fields["expect"], f"{where}.expect", invalidations_only=False)
            else:
                values["info_expect"] = _info_expect(fields["expect"], f"{where}.expect")
    elif op == "stream-expect":
        values["matchers"] = _matchers(fields["expect"], f"{where}.expect", invalidations_only=True)
        if not values["matchers"]:
            raise ScenarioError(f"{where}.expect: expected at least one invalidation matcher")
    values.pop("expect", None)


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise ScenarioError(f"{where}: expected a list, got {value!r}")
    return value


def _entry(value: object, where: str) -> Entry:
    entry = _object(value, where)
    _check_keys(entry, frozenset({"cookie", "at", "length"}), frozenset(), where)
    return Entry(_cookie(entry["cookie"], f"{where}.cookie"), check_syntax(entry["at"], f"{where}.at"), check_syntax(entry["length"], f"{where}.length"))


def _error(value: object, where: str) -> ExpectedError:
    error = _object(value, where)
    _check_keys(error, frozenset({"code"}), frozenset({"errno"}), where)
    code = error["code"]
    if not isinstance(code, str) or code not in STATUS_NAMES:
        raise ScenarioError(f"{where}.code: expected a gRPC status name such as INVALID_ARGUMENT, got {code!r}")
    errno = error.get("errno")
    if errno is not None and (not isinstance(errno, str) or not ERRNO_NAME.fullmatch(errno)):
        raise ScenarioError(f"{where}.errno: expected an errno name such as EINVAL, got {errno!r}")
    return ExpectedError(code, errno)


def _matchers(value: object, where: str, invalidations_only: bool) -> tuple[Matcher, ...]:
    return tuple(_matcher(m, f"{where}[{i}]", invalidations_only) for i, m in enumerate(_list(value, where)))


def _matcher(value: object, where: str, invalidations_only: bool) -> Matcher:
    matcher = _object(value, where)
    kinds = ("invalidation",) if invalidations_only else ("invalidation", "last", "target_exited")
    if len(matcher) != 1 or next(iter(matcher)) not in kinds:
        raise ScenarioError(f"{where}: expected an object with exactly one of {list(kinds)}, got {value!r}")
    kind, body_value = next(iter(matcher.items()))
    body = _object(body_value, f"{where}.{kind}")
    if kind != "invalidation":
        _check_keys(body, frozenset(), frozenset(), f"{where}.{kind}")
        return OtherMatcher(kind)
    at = f"{where}.invalidation"
    _check_keys(body, frozenset({"cookie"}), frozenset({"hint", "start", "end", "sources"}), at)
    sources = None
    if "sources" in body:
        sources = tuple(_string_list(body["sources"], f"{at}.sources"))
        for s in sources:
            _choice(s, SOURCE_NAMES, f"{at}.sources")
    return InvalidationMatcher(
        cookie=_cookie(body["cookie"], f"{at}.cookie"),
        hint=_bool(body["hint"], f"{at}.hint") if "hint" in body else None,
        start=check_syntax(body["start"], f"{at}.start") if "start" in body else None,
        end=check_syntax(body["end"], f"{at}.end") if "end" in body else None,
        sources=sources,
    )


def _info_expect(value: object, where: str) -> tuple[tuple[str, object], ...]:
    expect = _object(value, where)
    _check_keys(expect, frozenset(), frozenset(INFO_FIELDS), where)
    for key, field_value in expect.items():
        at = f"{where}.{key}"
        if key == "engine":
            _choice(field_value, INFO_ENGINES, at)
        elif INFO_FIELDS[key] is bool:
            _bool(field_value, at)
        else:
            _int(field_value, at, 0, 1 << 64)
    return tuple(expect.items())
