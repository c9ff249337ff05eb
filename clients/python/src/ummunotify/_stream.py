"""A StreamEvents subscription as an iterator of reports."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from types import TracebackType
from typing import Protocol

import grpc

from ._errors import from_rpc_error
from ._fences import FenceReader
from ._reports import Invalidation, Report, from_wire
from .v1 import ummunotify_pb2 as pb


class _StreamCall(Iterator[pb.StreamEventsResponse], Protocol):
    def cancel(self) -> bool: ...


class EventStream(Iterator[Report]):
    """Every invalidation as it happens; ends after a TargetExited report.

    close() (or leaving a `with` block) cancels the call at once, so the
    daemon drops this subscriber and its queue; a thread blocked in next()
    then sees the iteration end.
    """

    def __init__(self, call: _StreamCall, fences: FenceReader) -> None:
        self._call = call
        self._fences = fences
        # Received reports with the epoch of their batch, checked against the
        # client's unregistrations as they are handed out.
        self._pending: deque[tuple[Report, int]] = deque()
        self._closed = threading.Event()
        self.counter: int | None = None
        """The generation counter when the latest batch was taken."""

    def _wait_subscribed(self) -> None:
        """Blocks until the daemon's first message: from then on every invalidation reaches this stream.

        The first message has no reports, or what was queued by then; they
        are kept for the caller. A refusal (not attached yet, say) raises here.
        """
        try:
            message = next(self._call)
        except StopIteration:
            self._closed.set()
            return
        except grpc.RpcError as e:
            self._closed.set()
            self._fences.close()
            raise from_rpc_error(e) from e
        self.counter = message.counter
        self._pending.extend((from_wire(r), message.epoch) for r in message.reports)

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> Report:
        while True:
            while self._pending:
                report, epoch = self._pending.popleft()
                if self._fences.admits(report.cookie if isinstance(report, Invalidation) else None, epoch):
                    return report
            if self._closed.is_set():
                self._fences.close()
                raise StopIteration
            try:
                message = next(self._call)
            except StopIteration:
                self._closed.set()
                self._fences.close()
                raise
            except grpc.RpcError as e:
                self._fences.close()
                if self._closed.is_set():
                    raise StopIteration from None
                self._closed.set()
                raise from_rpc_error(e) from e
            self.counter = message.counter
            self._pending.extend((from_wire(r), message.epoch) for r in message.reports)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._fences.close()
            self._call.cancel()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
