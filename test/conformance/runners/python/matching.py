"""Matching an answer's reports against a scenario's `expect`
(test/conformance/README.md, "Matching reports")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from expressions import Expr

import ummunotify

SOURCE_NAMES = ("unmap", "madvise", "mremap", "fork")


@dataclass(frozen=True)
class InvalidationMatcher:
    cookie: int
    hint: bool | None
    start: Expr | None
    end: Expr | None
    sources: tuple[str, ...] | None


@dataclass(frozen=True)
class OtherMatcher:
    kind: str  # "last" or "target_exited"


Matcher = InvalidationMatcher | OtherMatcher


def kind_of(report: ummunotify.Report) -> str:
    if isinstance(report, ummunotify.Invalidation):
        return "invalidation"
    return "last" if isinstance(report, ummunotify.Last) else "target_exited"


def describe(report: ummunotify.Report) -> str:
    if isinstance(report, ummunotify.Invalidation):
        return (
            f"invalidation(cookie {report.cookie}, hint {str(report.hint).lower()}, "
            f"[{report.start:#x}, {report.end:#x}), sources [{', '.join(report.sources)}])"
        )
    if isinstance(report, ummunotify.Last):
        return f"last(counter {report.counter})"
    return f"target_exited(pid {report.pid})"


def describe_all(reports: Sequence[ummunotify.Report]) -> str:
    return "[" + ", ".join(describe(r) for r in reports) + "]"


def invalidation_mismatch(
    report: ummunotify.Invalidation, matcher: InvalidationMatcher, evaluate: Callable[[Expr], int], knows_sources: bool
) -> str | None:
    """Why `report` does not match `matcher`, or None. Absent fields are not compared."""
    if matcher.hint is not None and report.hint != matcher.hint:
        return f"hint {str(report.hint).lower()}, expected {str(matcher.hint).lower()}"
    for field, value, expr in (("start", report.start, matcher.start), ("end", report.end, matcher.end)):
        if expr is not None and value != evaluate(expr):
            return f"{field} {value:#x}, expected {evaluate(expr):#x} ({expr})"
    # Only an engine that knows causes reports them; the device must report none.
    expected_sources = matcher.sources if knows_sources else ()
    if expected_sources is not None and report.sources != expected_sources:
        return f"sources [{', '.join(report.sources)}], expected [{', '.join(expected_sources)}]"
    return None


def mismatch(
    reports: Sequence[ummunotify.Report],
    matchers: Sequence[Matcher],
    evaluate: Callable[[Expr], int],
    knows_sources: bool,
    coalesced: bool = True,
) -> str | None:
    """Why the answer does not match, or None.

    Invalidations are compared as a set keyed by cookie (with `coalesced`, a
    cookie twice in one answer is itself a mismatch); the other reports must
    follow every invalidation, in the order of their matchers. Without
    `coalesced` (a stream's reports, gathered from several batches) a
    cookie's reports are matched in order against that cookie's matchers.
    """
    invalidations = [r for r in reports if isinstance(r, ummunotify.Invalidation)]
    first_other = next((i for i, r in enumerate(reports) if not isinstance(r, ummunotify.Invalidation)), len(reports))
    if any(isinstance(r, ummunotify.Invalidation) for r in reports[first_other:]):
        return "an invalidation follows a last or target_exited report"

    got: dict[int, list[ummunotify.Invalidation]] = {}
    for r in invalidations:
        got.setdefault(r.cookie, []).append(r)
    want: dict[int, list[InvalidationMatcher]] = {}
    for m in matchers:
        if isinstance(m, InvalidationMatcher):
            want.setdefault(m.cookie, []).append(m)
    if coalesced:
        twice = sorted(c for c, rs in got.items() if len(rs) > 1)
        if twice:
            return f"cookie(s) {twice} reported more than once in one answer (reports coalesce)"
    if sorted((c, len(rs)) for c, rs in got.items()) != sorted((c, len(ms)) for c, ms in want.items()):
        return f"invalidated cookies {sorted(c for r in invalidations for c in [r.cookie])}, expected {sorted(c for c, ms in want.items() for _ in ms)}"
    for cookie, ms in want.items():
        for report, matcher in zip(got[cookie], ms):
            why = invalidation_mismatch(report, matcher, evaluate, knows_sources)
            if why is not None:
                return f"cookie {cookie}: {why}"

    other_kinds = [kind_of(r) for r in reports[first_other:]]
    want_kinds = [m.kind for m in matchers if isinstance(m, OtherMatcher)]
    if other_kinds != want_kinds:
        return f"reports after the invalidations [{', '.join(other_kinds)}], expected [{', '.join(want_kinds)}]"
    return None
