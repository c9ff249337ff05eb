"""Where a scenario's daemon comes from (test/conformance/README.md,
"Sidecars"): a sidecar of its own for a scenario with daemon arguments or a
manual attach, otherwise the one shared sidecar, brought back to a clean
state first. A daemon start costs seconds under QEMU's software emulation,
so the runner starts as few as it can."""

from __future__ import annotations

import time
from collections.abc import Collection

from spec import Scenario

import ummunotify

# Refusals are the point of many scenarios; the daemon need not log each one.
QUIET = ("--log-level", "warn")
POLL_INTERVAL_S = 0.010
WAIT_S = 5.0


class NotClean(Exception):
    """The shared sidecar did not come back to a clean state."""


def needs_own_sidecar(scenario: Scenario) -> bool:
    return bool(scenario.daemon_args) or not scenario.attach


def open_own(scenario: Scenario, engine: str) -> ummunotify.Client:
    """A sidecar for this scenario alone, started with its arguments (attached unless it says otherwise)."""
    return ummunotify.open(engine=engine, daemon_args=[*QUIET, *scenario.daemon_args], attach=scenario.attach)


def make_clean(umn: ummunotify.Client, leftover: Collection[int]) -> None:
    """Steps 2 to 4 of "Sidecars" (the subscriptions are cancelled when their scenario ends)."""
    if leftover:
        umn.unregister_many(sorted(leftover))
    while umn.read_events():
        pass
    # A cancelled subscription leaves the daemon a moment later; registrations
    # and pending reports have no such excuse.
    deadline = time.monotonic() + WAIT_S
    while True:
        info = umn.info()
        if info.registrations or info.pending_reports:
            raise NotClean(f"{info.registrations} registrations and {info.pending_reports} pending reports left")
        if info.subscribers == 0:
            return
        if time.monotonic() >= deadline:
            raise NotClean(f"still {info.subscribers} subscribers after {WAIT_S:g} s")
        time.sleep(POLL_INTERVAL_S)


class SharedSidecar:
    """The sidecar every scenario without daemon arguments or a manual attach runs on."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self._client: ummunotify.Client | None = None
        self.opened = 0
        """How many daemons this has started."""
        self.replaced: list[str] = []
        """Why each sidecar that did not come clean was replaced."""

    @property
    def client(self) -> ummunotify.Client | None:
        """The open shared client, if there is one."""
        return self._client

    def clean(self, leftover: Collection[int]) -> ummunotify.Client:
        """The shared sidecar, clean; `leftover` are the cookies the previous scenario left registered on it.

        One that does not come clean is closed and replaced by a new one.
        """
        if self._client is not None:
            try:
                make_clean(self._client, leftover)
                return self._client
            except Exception as e:
                self.replaced.append(f"{type(e).__name__}: {e}")
                self.close()
        self._client = ummunotify.open(engine=self.engine, daemon_args=QUIET)
        self.opened += 1
        return self._client

    def close(self) -> None:
        """Stops the shared sidecar, if one is open (a target has one daemon at a time)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()
