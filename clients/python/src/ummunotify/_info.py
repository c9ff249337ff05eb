"""GetInfo's answer as a plain value, enums as lower-case names."""

from __future__ import annotations

from dataclasses import dataclass

from ._reports import source_name
from .v1 import ummunotify_pb2 as pb

ENGINE_NAMES: dict[int, str] = {
    pb.ENGINE_UNSPECIFIED: "unspecified",
    pb.ENGINE_DEVICE: "device",
    pb.ENGINE_UFFD: "uffd",
}

MAPPING_NAMES: dict[int, str] = {
    pb.MAPPING_TYPE_ANONYMOUS: "anonymous",
    pb.MAPPING_TYPE_SHMEM: "shmem",
    pb.MAPPING_TYPE_HUGETLB: "hugetlb",
    pb.MAPPING_TYPE_FILE: "file",
}


def engine_name(number: int) -> str:
    return ENGINE_NAMES.get(number, f"unknown({number})")


@dataclass(frozen=True)
class Info:
    """The target, the engine and what it can see, the counter, counts and limits."""

    target_pid: int
    target_alive: bool
    engine: str
    features: tuple[str, ...]
    sources: tuple[str, ...]
    blind_spots: tuple[str, ...]
    watchable_mappings: tuple[str, ...]
    counter: int
    registrations: int
    max_registrations: int
    pending_reports: int
    subscribers: int
    max_reports_per_read: int

    @classmethod
    def from_wire(cls, r: pb.GetInfoResponse) -> Info:
        return cls(
            target_pid=r.target_pid,
            target_alive=r.target_alive,
            engine=engine_name(r.engine),
            features=tuple(r.features),
            sources=tuple(source_name(s) for s in r.sources),
            blind_spots=tuple(r.blind_spots),
            watchable_mappings=tuple(MAPPING_NAMES.get(m, f"unknown({m})") for m in r.watchable_mappings),
            counter=r.counter,
            registrations=r.registrations,
            max_registrations=r.max_registrations,
            pending_reports=r.pending_reports,
            subscribers=r.subscribers,
            max_reports_per_read=r.max_reports_per_read,
        )
