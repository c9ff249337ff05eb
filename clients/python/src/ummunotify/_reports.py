"""Reports, the answer to ReadEvents and the content of streams, as plain values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Union

from .v1 import ummunotify_pb2 as pb

# EventSource numbers as the names callers use; 0 means the engine does not know.
SOURCE_NAMES: dict[int, str] = {
    pb.EVENT_SOURCE_UNMAP: "unmap",
    pb.EVENT_SOURCE_MADVISE: "madvise",
    pb.EVENT_SOURCE_MREMAP: "mremap",
    pb.EVENT_SOURCE_FORK: "fork",
}


@dataclass(frozen=True)
class Invalidation:
    """Registration `cookie` was invalidated at least once since it was last reported.

    With `hint`, exactly one invalidation hit it and [start, end) is that
    invalidation clipped to the registration; otherwise [start, end) is the
    whole registration. `sources` names the causes folded in ("unmap",
    "madvise", "mremap", "fork"), each once, in the order first seen; it is
    empty where the engine does not know causes (the device).
    """

    cookie: int
    hint: bool
    start: int
    end: int
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Last:
    """The queue emptied; `counter` is the generation counter at that moment."""

    counter: int


@dataclass(frozen=True)
class TargetExited:
    """The target process exited: nothing more will come."""

    pid: int


Report = Union[Invalidation, Last, TargetExited]


def source_name(number: int) -> str:
    return SOURCE_NAMES.get(number, "unspecified" if number == 0 else f"unknown({number})")


def from_wire(report: pb.Report) -> Report:
    kind = report.WhichOneof("kind")
    if kind == "invalidation":
        inv = report.invalidation
        return Invalidation(inv.cookie, inv.hint, inv.start, inv.end, tuple(source_name(s) for s in inv.sources))
    if kind == "last":
        return Last(report.last.counter)
    if kind == "target_exited":
        return TargetExited(report.target_exited.pid)
    raise ValueError(f"a report of unknown kind {kind!r} from the daemon")


def all_from_wire(reports: Iterable[pb.Report]) -> list[Report]:
    return [from_wire(r) for r in reports]
