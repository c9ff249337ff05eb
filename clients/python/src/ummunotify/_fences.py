"""What this client unregistered, and from which stream epoch on the daemon
names those cookies no more (UnregisterResponse.epoch in the proto).

A stream batch taken before an Unregister may still be on its way when the
call returns; its epoch is older, and the client's own streams drop its
reports for those cookies, so that after unregister() returns no report for
them reaches the caller. Streams iterate on gRPC's threads and the caller's,
so everything here is under one lock.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable


class UnregisterFences:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fences: dict[int, int] = {}  # cookie -> the epoch its latest Unregister returned
        self._readers: weakref.WeakSet[FenceReader] = weakref.WeakSet()
        self._highest = 0

    def record(self, cookies: Iterable[int], epoch: int) -> None:
        """An Unregister of `cookies` returned `epoch`."""
        with self._lock:
            self._highest = max(self._highest, epoch)
            # A stream opened from now on only gets batches taken at this
            # epoch or later: without one open, there is nothing to filter.
            if not self._readers:
                return
            for cookie in cookies:
                self._fences[cookie] = epoch

    def reader(self) -> FenceReader:
        """One stream's view; close it with the stream."""
        with self._lock:
            reader = FenceReader(self, self._highest)
            self._readers.add(reader)
            return reader

    def __len__(self) -> int:
        with self._lock:
            return len(self._fences)

    def _admits(self, reader: FenceReader, cookie: int | None, epoch: int) -> bool:
        with self._lock:
            if epoch > reader.seen:
                reader.seen = epoch
                self._prune()
            fence = self._fences.get(cookie) if cookie is not None else None
            return fence is None or epoch >= fence

    def _drop(self, reader: FenceReader) -> None:
        with self._lock:
            self._readers.discard(reader)
            self._prune()

    def _prune(self) -> None:
        if not self._fences:
            return
        oldest = min((r.seen for r in self._readers), default=None)
        self._fences = {c: f for c, f in self._fences.items() if oldest is not None and f > oldest}


class FenceReader:
    def __init__(self, fences: UnregisterFences, seen: int) -> None:
        self._fences = fences
        self.seen = seen
        """The newest batch epoch this stream's caller has been handed: batches come in epoch order."""

    def admits(self, cookie: int | None, epoch: int) -> bool:
        """Whether the caller may be handed a report for `cookie` from a batch taken at `epoch`.

        Asked as each report is handed over, not as it arrives, so a report
        already received when unregister() was called is dropped too.
        """
        return self._fences._admits(self, cookie, epoch)

    def close(self) -> None:
        self._fences._drop(self)
