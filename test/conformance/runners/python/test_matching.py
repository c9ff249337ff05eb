"""The runner's own checks: matching accepts exactly the answers the README describes."""

from __future__ import annotations

from matching import InvalidationMatcher, Matcher, OtherMatcher, mismatch

from ummunotify import Invalidation, Last, Report, TargetExited


def inv(cookie: int, hint: bool | None = None, start: int | None = None, sources: tuple[str, ...] | None = None) -> InvalidationMatcher:
    return InvalidationMatcher(cookie, hint, start, None, sources)


LAST = OtherMatcher("last")


def check(reports: list[Report], matchers: list[Matcher], knows_sources: bool = True, coalesced: bool = True) -> str | None:
    return mismatch(reports, matchers, lambda e: int(e), knows_sources, coalesced)


def test_invalidations_match_as_a_set_then_the_others_in_order() -> None:
    answer: list[Report] = [Invalidation(2, True, 0, 1, ("unmap",)), Invalidation(1, False, 0, 9), Last(5)]
    assert check(answer, [inv(1, hint=False), inv(2, start=0, sources=("unmap",)), LAST]) is None
    assert check(answer, [inv(1), LAST]) is not None
    assert check(answer, [inv(1), inv(2), inv(3), LAST]) is not None
    assert check(answer, [inv(1), inv(2)]) is not None
    assert check(answer, [inv(1), inv(2), LAST, OtherMatcher("target_exited")]) is not None


def test_each_present_field_is_compared() -> None:
    answer: list[Report] = [Invalidation(1, True, 0x1000, 0x2000, ("madvise",))]
    assert check(answer, [inv(1, hint=False)]) is not None
    assert check(answer, [inv(1, start=0)]) is not None
    assert check(answer, [inv(1, sources=("unmap",))]) is not None
    assert check(answer, [inv(1, sources=("madvise", "unmap"))]) is not None


def test_an_engine_without_causes_must_report_none() -> None:
    assert check([Invalidation(1, True, 0, 1, ())], [inv(1, sources=("unmap",))], knows_sources=False) is None
    assert check([Invalidation(1, True, 0, 1, ("unmap",))], [inv(1)], knows_sources=False) is not None


def test_an_empty_expectation_means_no_report_at_all() -> None:
    assert check([], []) is None
    assert check([Last(3)], []) is not None


def test_a_cookie_twice_in_one_answer_is_a_mismatch_but_not_across_stream_batches() -> None:
    twice: list[Report] = [Invalidation(1, True, 0, 1), Invalidation(1, True, 1, 2)]
    assert check(twice, [inv(1), inv(1)]) is not None
    assert check(twice, [inv(1, start=0), inv(1, start=1)], coalesced=False) is None


def test_an_invalidation_after_last_is_a_mismatch() -> None:
    assert check([Last(1), Invalidation(1, True, 0, 1)], [inv(1), LAST]) is not None
    assert check([Invalidation(1, True, 0, 1), TargetExited(7)], [inv(1), OtherMatcher("target_exited")]) is None
