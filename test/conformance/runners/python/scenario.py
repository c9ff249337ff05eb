"""Runs scenarios with this process as the target: each on a sidecar of its
own or on the shared one, made clean first (sidecars.py), every step in
order, then the scenario's subscriptions cancelled, its own sidecar (if it
had one) stopped and its memory given back, whether it passed or not
(test/conformance/README.md)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from errors import ScenarioError, StepFailed
from expressions import Expr, evaluate
from matching import describe_all, mismatch
from sidecars import SharedSidecar, needs_own_sidecar, open_own
from spec import ExpectedError, Scenario, Step
from target import PAGE, Target

import ummunotify

POLL_INTERVAL_S = 0.010
WAIT_S = 5.0
_END = object()


def describe_error(e: ummunotify.Error) -> str:
    return f"{e.code.name}" + (f" {e.errno_name}" if e.errno_name else "") + f": {e.message}"


class Subscription:
    """A StreamEvents subscription, read by a thread so that waiting for reports can time out."""

    def __init__(self, stream: ummunotify.EventStream) -> None:
        self.stream = stream
        self.received: queue.Queue[object] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for report in self.stream:
                self.received.put(report)
        except ummunotify.Error as e:
            self.received.put(e)
        finally:
            self.received.put(_END)

    def close(self) -> None:
        self.stream.close()
        self._reader.join(WAIT_S)


@dataclass
class Run:
    scenario: Scenario
    engine: str
    target: Target = field(default_factory=Target)
    names: dict[str, int] = field(default_factory=dict)
    seen: int | None = None
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    client: ummunotify.Client | None = None
    registered: set[int] = field(default_factory=set)
    """Cookies of successful register calls, minus those of successful unregister calls."""

    @property
    def umn(self) -> ummunotify.Client:
        assert self.client is not None
        return self.client

    def value(self, expr: Expr | None, step: Step, what: str) -> int:
        assert expr is not None, f"{what} was validated as present"
        try:
            return evaluate(expr, self.names, PAGE, what)
        except ScenarioError as e:
            raise StepFailed(str(e)) from e

    def evaluator(self, step: Step) -> Callable[[Expr], int]:
        return lambda expr: self.value(expr, step, "expect")

    def attached(self) -> None:
        """What holds after any successful attach: GetInfo agrees on the engine; seen starts here."""
        reported = self.umn.info().engine
        if reported != self.engine:
            raise StepFailed(f"GetInfo says engine {reported!r} after attach, but the runner handed over {self.engine!r}")
        if self.seen is None:
            self.seen = self.umn.counter.value

    def call(self, step: Step, body: Callable[[], None]) -> bool:
        """Runs a daemon call that must fail with step.error, or succeed without it. True if it succeeded."""
        try:
            body()
        except ummunotify.Error as e:
            if step.error is None:
                raise StepFailed(f"expected success, got {describe_error(e)}") from e
            check_error(step, step.error, e)
            return False
        if step.error is not None:
            raise StepFailed(f"expected {step.error.code}" + (f" {step.error.errno}" if step.error.errno else "") + ", but the call succeeded")
        return True


def check_error(step: Step, expected: ExpectedError, e: ummunotify.Error) -> None:
    if e.code.name != expected.code or (expected.errno is not None and e.errno_name != expected.errno):
        want = expected.code + (f" {expected.errno}" if expected.errno else "")
        raise StepFailed(f"expected {want}, got {describe_error(e)}")


def wait_for_subscribers(run: Run, step: Step, count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        now = run.umn.info().subscribers
        if now == count:
            return
        if time.monotonic() >= deadline:
            raise StepFailed(f"GetInfo still says {now} subscribers after {WAIT_S:g} s, expected {count}")
        time.sleep(POLL_INTERVAL_S)


def do_step(run: Run, step: Step) -> None:
    op, t = step.op, run.target
    if op == "mmap":
        assert step.name is not None and step.pages is not None
        at = None if step.at is None else run.value(step.at, step, "at")
        run.names[step.name] = t.mmap(step.pages, step.type, at, writable=step.prot == "read-write")
    elif op == "munmap":
        t.munmap(run.value(step.at, step, "at"), run.value(step.length, step, "length"))
    elif op == "madvise":
        assert step.advice is not None
        t.madvise(run.value(step.at, step, "at"), run.value(step.length, step, "length"), step.advice)
    elif op == "mremap":
        length = run.value(step.length, step, "length")
        new_length = length if step.new_length is None else run.value(step.new_length, step, "new_length")
        to = None if step.to is None else run.value(step.to, step, "to")
        t.mremap(run.value(step.at, step, "at"), length, new_length, to)
    elif op == "brk-grow":
        assert step.name is not None and step.pages is not None
        run.names[step.name] = t.brk_grow(step.pages)
    elif op == "brk-shrink":
        assert step.pages is not None
        t.brk_shrink(step.pages)
    elif op == "write":
        t.write(run.value(step.at, step, "at"), run.value(step.length, step, "length"))
    elif op == "fork-write":
        t.fork_write(run.value(step.at, step, "at"), run.value(step.length, step, "length"))
    elif op == "attach":
        if run.call(step, lambda: void(run.umn.attach())):
            run.attached()
    elif op == "register":
        do_register(run, step)
    elif op == "unregister":
        do_unregister(run, step)
    elif op == "read-events":
        do_read_events(run, step)
    elif op == "check-counter":
        do_check_counter(run, step)
    elif op == "info":
        do_info(run, step)
    elif op == "subscribe":
        do_subscribe(run, step)
    elif op == "stream-expect":
        do_stream_expect(run, step)
    elif op == "unsubscribe":
        do_unsubscribe(run, step)
    else:
        raise ScenarioError(f"{step.where}: no such op")


def void(_: object) -> None:
    pass


def do_register(run: Run, step: Step) -> None:
    entries = [(run.value(e.at, step, "at"), run.value(e.length, step, "length"), e.cookie) for e in step.entries]

    def register() -> None:
        if step.batch:
            run.umn.register_many(entries)
        else:
            [(addr, length, cookie)] = entries
            run.umn.register(addr, length, cookie)
        # Noted as soon as the call succeeds, even if the step expected it to fail.
        run.registered.update(cookie for _, _, cookie in entries)

    run.call(step, register)


def do_unregister(run: Run, step: Step) -> None:
    def unregister() -> None:
        if step.batch:
            run.umn.unregister_many(step.cookies)
        else:
            run.umn.unregister(step.cookies[0])
        run.registered.difference_update(step.cookies)

    run.call(step, unregister)


def do_read_events(run: Run, step: Step) -> None:
    answer: list[ummunotify.Report] = []

    def read() -> None:
        answer.extend(run.umn.read_events(step.max_reports))

    if not run.call(step, read):
        return
    # Read at once: nothing has run since the call, so a Last report must show this counter.
    counter_now = run.umn.counter.value
    assert step.matchers is not None
    why = mismatch(answer, step.matchers, run.evaluator(step), knows_sources=run.engine == "uffd")
    if why is not None:
        raise StepFailed(f"{why}; the answer was {describe_all(answer)}")
    for report in answer:
        if isinstance(report, ummunotify.Last):
            if report.counter != counter_now:
                raise StepFailed(f"the last report's counter is {report.counter}, but the counter page says {counter_now}")
            run.seen = report.counter


def do_check_counter(run: Run, step: Step) -> None:
    if run.seen is None:
        raise StepFailed(f"no counter has been seen yet (the client is not attached)")
    value = run.umn.counter.value
    changed = run.umn.changed_since(run.seen)
    if changed != step.changed:
        raise StepFailed(f"changed_since(seen={run.seen}) is {changed} (the page says {value}), expected {step.changed}")


def do_info(run: Run, step: Step) -> None:
    answer: list[ummunotify.Info] = []
    if not run.call(step, lambda: answer.append(run.umn.info())):
        return
    assert step.info_expect is not None
    info = answer[0]
    for key, expected in step.info_expect:
        got = getattr(info, key)
        if got != expected:
            raise StepFailed(f"{key} is {got!r}, expected {expected!r}")


def do_subscribe(run: Run, step: Step) -> None:
    assert step.name is not None
    if step.name in run.subscriptions:
        raise StepFailed(f"a subscription named {step.name!r} is already open")
    before = run.umn.info().subscribers
    subscription = Subscription(run.umn.stream_events())
    if step.error is not None:
        # A refused StreamEvents shows its status on the first read.
        try:
            item = subscription.received.get(timeout=WAIT_S)
        except queue.Empty:
            item = None
        subscription.close()
        if not isinstance(item, ummunotify.Error):
            raise StepFailed(f"expected {step.error.code}, but the stream {'delivered ' + repr(item) if item is not None else 'stayed open'}")
        check_error(step, step.error, item)
        return
    run.subscriptions[step.name] = subscription
    wait_for_subscribers(run, step, before + 1)


def do_stream_expect(run: Run, step: Step) -> None:
    assert step.name is not None and step.matchers is not None
    subscription = run.subscriptions.get(step.name)
    if subscription is None:
        raise StepFailed(f"no open subscription named {step.name!r}")
    reports: list[ummunotify.Report] = []
    deadline = time.monotonic() + WAIT_S
    while len(reports) < len(step.matchers):
        try:
            item = subscription.received.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise StepFailed(
                f"{len(reports)} of {len(step.matchers)} invalidations within {WAIT_S:g} s: {describe_all(reports)}"
            ) from None
        if item is _END or isinstance(item, ummunotify.Error):
            subscription.received.put(_END)
            raise StepFailed(f"the stream ended ({item if item is not _END else 'no error'}) after {describe_all(reports)}")
        assert isinstance(item, (ummunotify.Invalidation, ummunotify.Last, ummunotify.TargetExited))
        reports.append(item)
    why = mismatch(reports, step.matchers, run.evaluator(step), knows_sources=run.engine == "uffd", coalesced=False)
    if why is not None:
        raise StepFailed(f"{why}; the stream delivered {describe_all(reports)}")


def do_unsubscribe(run: Run, step: Step) -> None:
    assert step.name is not None
    subscription = run.subscriptions.pop(step.name, None)
    if subscription is None:
        raise StepFailed(f"no open subscription named {step.name!r}")
    before = run.umn.info().subscribers
    subscription.close()
    wait_for_subscribers(run, step, before - 1)


class Runner:
    """Runs scenarios one after another, on their own sidecars or on the shared one."""

    def __init__(self, engine: str, shared: SharedSidecar) -> None:
        self.engine = engine
        self.shared = shared
        self._leftover: set[int] = set()

    def run(self, scenario: Scenario) -> None:
        """Runs every step; raises StepFailed (or ScenarioError) naming the step. Cleans up in every case."""
        own = needs_own_sidecar(scenario)
        leftover, self._leftover = self._leftover, set()
        run = Run(scenario, self.engine)
        problems: list[str] = []
        try:
            try:
                if own:
                    # A target has one daemon at a time: the shared one makes way.
                    self.shared.close()
                    run.client = open_own(scenario, self.engine)
                else:
                    run.client = self.shared.clean(leftover)
                if scenario.attach:
                    run.attached()
            except (StepFailed, ummunotify.Error) as e:
                raise StepFailed(f"opening the client: {e}") from e
            for step in scenario.steps:
                try:
                    do_step(run, step)
                except StepFailed as e:
                    raise StepFailed(f"{step.where}: {e}") from e
                except ummunotify.Error as e:
                    raise StepFailed(f"{step.where}: unexpected {describe_error(e)}") from e
        finally:
            for subscription in run.subscriptions.values():
                subscription.close()
            if own:
                if run.client is not None:
                    run.client.close()
            else:
                self._leftover = run.registered
            problems = run.target.release()
        if problems:
            raise StepFailed("cleanup: " + "; ".join(problems))

    def close(self) -> None:
        self.shared.close()
