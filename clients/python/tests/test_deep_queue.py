"""ReadEvents never loses a report: with no limit (the default) the client reads
reply after reply until Last, however deep the queue. What must never happen:
a reply too big for gRPC's 4 MiB receive limit drains the queue and is then
refused, losing every report in it."""

from __future__ import annotations

from memory import PAGE, Memory, madvise_dontneed

import ummunotify
from ummunotify import Invalidation, Last

PENDING = 200_000


def queue_reports(umn: ummunotify.Client, mem: Memory) -> None:
    """PENDING registrations on one page, then one madvise of it: PENDING reports queued."""
    a = mem.map(1)
    for first in range(0, PENDING, 50_000):
        umn.register_many([(a, PAGE, cookie) for cookie in range(first + 1, first + 50_001)])
    madvise_dontneed(a, PAGE)
    assert umn.info().pending_reports == PENDING


def test_no_limit_returns_every_report_once_then_last(umn: ummunotify.Client, mem: Memory) -> None:
    queue_reports(umn, mem)
    reports = umn.read_events()
    assert len(reports) == PENDING + 1
    assert all(isinstance(r, Invalidation) for r in reports[:-1])
    assert isinstance(reports[-1], Last)
    assert len({r.cookie for r in reports if isinstance(r, Invalidation)}) == PENDING
    assert umn.read_events() == []
    assert umn.info().pending_reports == 0


def test_a_limit_is_one_reply_of_at_most_max_reports_per_read_and_the_rest_stays_queued(umn: ummunotify.Client, mem: Memory) -> None:
    queue_reports(umn, mem)
    per_read = umn.info().max_reports_per_read
    assert 0 < per_read < PENDING
    first = umn.read_events(max_reports=(1 << 32) - 1)
    assert len(first) == per_read and all(isinstance(r, Invalidation) for r in first)
    assert umn.info().pending_reports == PENDING - per_read
    rest = umn.read_events()
    assert isinstance(rest[-1], Last)
    assert len({r.cookie for r in first + rest if isinstance(r, Invalidation)}) == PENDING
