"""StreamEvents as an iterator: reports as they happen; closing it drops
the subscriber at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from memory import PAGE, Memory, madvise_dontneed, munmap

import ummunotify
from ummunotify import Invalidation


def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def subscribed(umn: ummunotify.Client, count: int) -> Callable[[], bool]:
    return lambda: umn.info().subscribers == count


def test_a_stream_delivers_each_invalidation(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(2)
    umn.register(a, 2 * PAGE, 1)
    with umn.stream_events() as stream:
        assert wait_until(subscribed(umn, 1))
        munmap(a, PAGE)
        report = next(stream)
        assert report == Invalidation(1, True, a, a + PAGE, ("unmap",))
        assert stream.counter == umn.counter.value


def test_closing_the_stream_drops_the_subscriber(umn: ummunotify.Client) -> None:
    stream = umn.stream_events()
    assert wait_until(subscribed(umn, 1))
    stream.close()
    assert wait_until(subscribed(umn, 0))
    assert list(stream) == []


def test_leaving_the_with_block_drops_the_subscriber(umn: ummunotify.Client) -> None:
    with umn.stream_events(), umn.stream_events():
        assert wait_until(subscribed(umn, 2))
    assert wait_until(subscribed(umn, 0))


def test_close_from_another_thread_ends_a_blocked_iteration(umn: ummunotify.Client) -> None:
    stream = umn.stream_events()
    assert wait_until(subscribed(umn, 1))
    received: list[object] = []
    reader = threading.Thread(target=lambda: received.extend(stream))
    reader.start()
    time.sleep(0.2)
    stream.close()
    reader.join(5.0)
    assert not reader.is_alive()
    assert received == []
    assert wait_until(subscribed(umn, 0))


def test_every_subscriber_gets_its_own_reports_and_the_read_queue_keeps_them(umn: ummunotify.Client, mem: Memory) -> None:
    a = mem.map(1)
    umn.register(a, PAGE, 9)
    with umn.stream_events() as first, umn.stream_events() as second:
        assert wait_until(subscribed(umn, 2))
        madvise_dontneed(a, PAGE)
        for stream in (first, second):
            report = next(stream)
            assert isinstance(report, Invalidation) and report.cookie == 9
    assert [r.cookie for r in umn.read_events() if isinstance(r, Invalidation)] == [9]


def test_closing_the_client_ends_its_streams(mem: Memory) -> None:
    umn = ummunotify.open(engine="uffd")
    stream = umn.stream_events()
    umn.close()
    assert stream.closed
    assert list(stream) == []


def test_after_unregister_returns_the_stream_never_hands_over_a_report_for_the_cookie(umn: ummunotify.Client, mem: Memory) -> None:
    # The batch naming the cookie is sent before the Unregister (the daemon
    # sends at once), so it is on its way when unregister() returns; the
    # stream must drop it. A marker registered after the Unregister is the
    # first thing the stream may hand over.
    a = mem.map(1)
    with umn.stream_events() as stream:
        assert wait_until(subscribed(umn, 1))
        for round in range(5):
            cookie, marker = 1 + round, 100 + round
            umn.register(a, PAGE, cookie)
            madvise_dontneed(a, PAGE)
            time.sleep(0.2)
            umn.unregister(cookie)
            umn.register(a, PAGE, marker)
            madvise_dontneed(a, PAGE)
            report = next(stream)
            assert isinstance(report, Invalidation) and report.cookie == marker
            umn.unregister(marker)


def test_stream_events_returns_once_subscribed_so_an_invalidation_right_after_is_delivered(umn: ummunotify.Client, mem: Memory) -> None:
    # No waiting on GetInfo's subscriber count: the contract's first message
    # says the subscription is in place, and stream_events() waits for it.
    for round in range(20):
        a = mem.map(1)
        umn.register(a, PAGE, 500 + round)
        with umn.stream_events() as stream:
            madvise_dontneed(a, PAGE)
            report = next(stream)
            assert isinstance(report, Invalidation) and report.cookie == 500 + round
        umn.unregister(500 + round)
