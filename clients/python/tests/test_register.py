"""Register, read, unregister: the semantics of DESIGN section 3 through the client."""

from __future__ import annotations

import pytest
from memory import PAGE, Memory, madvise_dontneed, munmap, mremap

import ummunotify
from ummunotify import Invalidation, Last


def test_munmap_of_part_of_a_registration_is_reported_with_the_clipped_hint(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(4)
    umn.register(a, 4 * PAGE, 1)
    munmap(a + PAGE, PAGE)
    reports = umn.read_events()
    assert reports == [Invalidation(1, True, a + PAGE, a + 2 * PAGE, ("unmap",)), Last(umn.counter.value)]
    assert umn.read_events() == []


def test_two_invalidations_coalesce_into_one_report_without_hint(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(4)
    umn.register(a, 4 * PAGE, 7)
    madvise_dontneed(a, PAGE)
    munmap(a + 2 * PAGE, PAGE)
    reports = umn.read_events()
    assert reports[0] == Invalidation(7, False, a, a + 4 * PAGE, ("madvise", "unmap"))
    assert isinstance(reports[1], Last)
    assert len(reports) == 2


def test_mremap_moving_a_range_reports_mremap(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(2)
    b = mem.map(2)
    umn.register(a, 2 * PAGE, 3)
    mremap(a, 2 * PAGE, 2 * PAGE, to=b)
    [inval, last] = umn.read_events()
    assert isinstance(inval, Invalidation) and inval.cookie == 3 and inval.sources == ("mremap",)
    assert isinstance(last, Last)


def test_max_reports_limits_the_answer_and_last_comes_once_the_queue_is_empty(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(3)
    umn.register_many([(a, PAGE, 1), (a + PAGE, PAGE, 2), (a + 2 * PAGE, PAGE, 3)])
    munmap(a, 3 * PAGE)
    first = umn.read_events(max_reports=2)
    assert [type(r) for r in first] == [Invalidation, Invalidation]
    rest = umn.read_events()
    assert [type(r) for r in rest] == [Invalidation, Last]
    assert {r.cookie for r in first + rest if isinstance(r, Invalidation)} == {1, 2, 3}


def test_after_unregister_no_report_for_the_cookie(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(2)
    umn.register(a, 2 * PAGE, 1)
    umn.register(a, 2 * PAGE, 2)
    madvise_dontneed(a, PAGE)
    umn.unregister(1)
    reports = umn.read_events()
    assert [r.cookie for r in reports if isinstance(r, Invalidation)] == [2]
    assert umn.info().registrations == 1


def test_register_many_is_one_call_all_or_nothing(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(2)
    umn.register_many([(a, PAGE, 1), (a + PAGE, PAGE, 2)])
    assert umn.info().registrations == 2
    # One bad entry (a duplicate within the batch) and nothing of the batch is registered.
    with pytest.raises(ummunotify.InvalidArgument):
        umn.register_many([(a, PAGE, 10), (a, PAGE, 11), (a, PAGE, 10)])
    # One already-registered cookie, likewise.
    with pytest.raises(ummunotify.AlreadyExists):
        umn.register_many([(a, PAGE, 12), (a, PAGE, 2)])
    assert umn.info().registrations == 2
    munmap(a, 2 * PAGE)
    assert {r.cookie for r in umn.read_events() if isinstance(r, Invalidation)} == {1, 2}


def test_unregister_many_is_all_or_nothing(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(1)
    umn.register_many([(a, PAGE, 1), (a, PAGE, 2), (a, PAGE, 3)])
    with pytest.raises(ummunotify.NotFound):
        umn.unregister_many([1, 2, 99])
    assert umn.info().registrations == 3
    umn.unregister_many([1, 2])
    assert umn.info().registrations == 1
