"""The client: one connection to one target's daemon."""

from __future__ import annotations

import errno
import os
import weakref
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import TypeVar

import grpc

from ._counter import Counter, map_counter
from ._engine import EngineName, choose_engine, create_fd
from ._errors import Error, InvalidArgument, Unavailable, from_rpc_error
from ._fences import UnregisterFences
from ._info import Info, engine_name
from ._ptracer import name_daemon_ptracer
from ._reports import Invalidation, Report, all_from_wire
from ._spawn import Sidecar, spawn
from ._stream import EventStream
from .v1 import ummunotify_pb2 as pb
from .v1 import ummunotify_pb2_grpc as pb_grpc

SOCKET_ENV = "UMMUNOTIFY_SOCKET"
CONNECT_TIMEOUT_S = 10.0
_U64_LIMIT = 1 << 64

_Request = TypeVar("_Request")
_Response = TypeVar("_Response")


def _u64(what: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _U64_LIMIT:
        raise InvalidArgument(f"{what}: {value!r} is not an unsigned 64-bit integer", errno=errno.EINVAL)
    return value


def _registration(addr: int, length: int, cookie: int) -> pb.Registration:
    start = _u64("address", addr)
    return pb.Registration(cookie=_u64("cookie", cookie), start=start, end=_u64("address + length", start + length))


class Client:
    """A connection to the sidecar of this process (see `ummunotify.open`)."""

    def __init__(self, socket_path: str, engine: EngineName, sidecar: Sidecar | None = None) -> None:
        self.socket_path = socket_path
        self.engine: EngineName = engine
        """The engine attach() hands over (chosen when the client was opened)."""
        self._sidecar = sidecar
        self._channel = grpc.insecure_channel(f"unix:{socket_path}")
        self._stub = pb_grpc.UmmunotifyServiceStub(self._channel)
        self._counter: Counter | None = None
        self._streams: weakref.WeakSet[EventStream] = weakref.WeakSet()
        # What we unregistered, so that our streams drop reports taken before it.
        self._fences = UnregisterFences()
        self._closed = False
        try:
            grpc.channel_ready_future(self._channel).result(timeout=CONNECT_TIMEOUT_S)
        except grpc.FutureTimeoutError:
            self._channel.close()
            raise Unavailable(f"no daemon answers on {socket_path} within {CONNECT_TIMEOUT_S:g} s", errno=errno.ETIMEDOUT) from None

    @property
    def sidecar_pid(self) -> int | None:
        """The pid of the daemon this client started, or None if it connected to one."""
        return self._sidecar.pid if self._sidecar is not None else None

    def _call(self, method: grpc.UnaryUnaryMultiCallable[_Request, _Response], request: _Request) -> _Response:
        if self._closed:
            raise Unavailable("the client is closed", errno=errno.EBADF)
        try:
            return method(request)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e

    def attach(self) -> str:
        """Hands a new notification fd of this process to the daemon and maps the counter page.

        Our own copy of the fd is closed whatever happens: with the uffd
        engine a copy left here would keep this process blocked on a daemon
        that died. Returns the engine the daemon reports ("uffd", "device").
        """
        fd = create_fd(self.engine)
        name_daemon_ptracer(self.socket_path)
        try:
            response = self._call(self._stub.Attach, pb.AttachRequest(fd=fd))
        finally:
            os.close(fd)
        self._map_counter()
        return engine_name(response.engine)

    def _map_counter(self) -> Counter:
        if self._counter is None:
            endpoint = self._call(self._stub.GetCounterEndpoint, pb.GetCounterEndpointRequest())
            self._counter = map_counter(endpoint.socket_path, endpoint.sealed_memfd)
        return self._counter

    @property
    def counter(self) -> Counter:
        """The mapped counter page (mapped on first use if the client was opened without attaching)."""
        if self._closed:
            raise Unavailable("the client is closed", errno=errno.EBADF)
        return self._map_counter()

    def changed_since(self, seen: int) -> bool:
        """One load: whether the counter moved since `seen`, the counter of the last Last report."""
        return self.counter.changed_since(seen)

    def info(self) -> Info:
        return Info.from_wire(self._call(self._stub.GetInfo, pb.GetInfoRequest()))

    def register(self, addr: int, length: int, cookie: int) -> None:
        """Watches the bytes [addr, addr + length) under `cookie`."""
        self._call(self._stub.Register, pb.RegisterRequest(registrations=[_registration(addr, length, cookie)]))

    def register_many(self, registrations: Iterable[tuple[int, int, int]]) -> None:
        """Watches every (addr, length, cookie) in one call: all are registered or none."""
        regs = [_registration(addr, length, cookie) for addr, length, cookie in registrations]
        self._call(self._stub.Register, pb.RegisterRequest(registrations=regs))

    def unregister(self, cookie: int) -> None:
        """After this returns, neither read_events() nor a stream of this client delivers a report for `cookie`."""
        self.unregister_many([cookie])

    def unregister_many(self, cookies: Iterable[int]) -> None:
        """Unregisters every cookie in one call: all or none."""
        checked = [_u64("cookie", c) for c in cookies]
        response = self._call(self._stub.Unregister, pb.UnregisterRequest(cookies=checked))
        self._fences.record(checked, response.epoch)

    def read_events(self, max_reports: int = 0) -> list[Report]:
        """Drains the queue like read(2): invalidations, then Last once it is empty; [] if nothing is pending.

        With no limit (0), reads reply after reply until Last, however many
        reports are queued; with a limit, one reply of at most that many (and
        at most the daemon's max_reports_per_read).
        """
        if not 0 <= max_reports < 1 << 32:
            raise InvalidArgument(f"max_reports: {max_reports} is not an unsigned 32-bit integer", errno=errno.EINVAL)
        reports: list[Report] = []
        while True:
            response = self._call(self._stub.ReadEvents, pb.ReadEventsRequest(max_reports=max_reports))
            reply = all_from_wire(response.reports)
            reports.extend(reply)
            if max_reports != 0 or not reply or any(not isinstance(r, Invalidation) for r in reply):
                return reports

    def stream_events(self) -> EventStream:
        """Subscribes to every invalidation as it happens; close the stream to unsubscribe.

        Returns once the daemon has the subscription in place: every
        invalidation after this returns is delivered to the stream.
        """
        if self._closed:
            raise Unavailable("the client is closed", errno=errno.EBADF)
        stream = EventStream(self._stub.StreamEvents(pb.StreamEventsRequest()), self._fences.reader())
        stream._wait_subscribed()
        self._streams.add(stream)
        return stream

    def close(self) -> None:
        """Ends streams, unmaps the counter page, closes the channel, and stops a sidecar we started."""
        if self._closed:
            return
        self._closed = True
        for stream in list(self._streams):
            stream.close()
        if self._counter is not None:
            self._counter.close()
        self._channel.close()
        if self._sidecar is not None:
            self._sidecar.stop()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def open(
    engine: str | None = None,
    daemon_args: Sequence[str] = (),
    attach: bool = True,
    socket: str | None = None,
) -> Client:
    """Connects this process to its sidecar and hands over its notification fd.

    The sidecar is the daemon at `socket`, else at $UMMUNOTIFY_SOCKET, else
    one started now for this process ($UMMUNOTIFYD, else ummunotifyd on
    PATH, with `--pid <our pid>` and `daemon_args`, which apply only to a
    daemon started here; it is stopped by close()).
    The engine is `engine`, else $UMMUNOTIFY_ENGINE, else auto (the device
    where /dev/ummunotify exists, else a userfaultfd). With attach=False
    the fd is handed over only when attach() is called.
    """
    chosen = choose_engine(engine)
    path = socket or os.environ.get(SOCKET_ENV)
    sidecar = None
    if not path:
        sidecar = spawn(os.getpid(), daemon_args)
        path = sidecar.socket
    client: Client | None = None
    try:
        client = Client(path, chosen, sidecar)
        if attach:
            client.attach()
        return client
    except BaseException:
        if client is not None:
            client.close()
        elif sidecar is not None:
            sidecar.stop()
        raise
