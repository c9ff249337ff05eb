"""Two MPI ranks exchange messages from buffers they free and map again.

Each rank is what an MPI library's registration cache lives in: it sends
from a page registered through a cache (regcache.py's RegistrationCache),
then munmaps that page and maps a new one, asking for the same address: the
classic stale-registration hazard, on purpose, every round. The cache must
evict exactly the entries of the pages that were freed, never the receive
buffer that stays, and every new page must be registered fresh. Each rank
checks that against what it freed itself, prints one summary line, and exits
non-zero if anything differs.

One sidecar per rank, started by the launcher line (npm run example:mpi):

    mpirun -np 2 bin/ummunotifyd run -- .venv/bin/python clients/python/examples/mpi_regcache.py

mpi4py comes from Debian's python3-mpi4py; test/mpi/mpirun.sh puts it (and
only it) on this interpreter's path. MPI_REGCACHE_VERBOSE=1 shows every
lookup and eviction.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import sys
from types import ModuleType

import ummunotify
from regcache import PAGE, RegistrationCache, map_page, unmap_page

ROUNDS = 8


def load_mpi() -> ModuleType:
    try:
        # Imported by name: the type checker runs without mpi4py installed.
        return importlib.import_module("mpi4py.MPI")
    except ImportError as e:
        sys.exit(f"mpi_regcache: cannot import mpi4py ({e}); run it through test/mpi/mpirun.sh (Debian: apt-get install python3-mpi4py openmpi-bin)")


def page_bytes(addr: int) -> ctypes.Array[ctypes.c_char]:
    """The page as a buffer MPI can send from and receive into, without a copy."""
    return (ctypes.c_char * PAGE).from_address(addr)


def message(rank: int, round_: int) -> bytes:
    return f"rank {rank}, round {round_}".encode()


def main() -> int:
    mpi = load_mpi()
    comm = mpi.COMM_WORLD
    rank: int = comm.Get_rank()
    size: int = comm.Get_size()
    if size % 2 != 0:
        print(f"rank {rank}: needs an even number of ranks (pairs), got {size}", file=sys.stderr)
        return 2
    partner = rank ^ 1
    quiet = os.environ.get("MPI_REGCACHE_VERBOSE") != "1"
    log = (lambda _line: None) if quiet else (lambda line: print(f"[rank {rank}] {line}", flush=True))

    with ummunotify.open() as umn:
        # Under `ummunotifyd run` the sidecar was started for this rank; the
        # client connects to it ($UMMUNOTIFY_SOCKET) instead of spawning one.
        how = f"via UMMUNOTIFY_SOCKET={umn.socket_path}" if umn.sidecar_pid is None else f"spawned (daemon pid {umn.sidecar_pid})"
        info = umn.info()
        cache = RegistrationCache(umn, log)

        # The receive buffer stays mapped all along: it must never be evicted.
        inbox = map_page()
        inbox_cookie = cache.lookup(inbox, PAGE)
        freed: set[int] = set()
        seen: set[int] = {inbox_cookie}
        reused = fresh = intact = frees = 0
        buf = map_page()
        cookie = 0
        for round_ in range(ROUNDS):
            if round_ > 0:
                # Free the last send buffer and map a new one where it was.
                old = buf
                unmap_page(old)
                frees += 1
                freed.add(cookie)
                buf = map_page(hint=old)
                reused += buf == old
            cookie = cache.lookup(buf, PAGE)
            if cookie not in seen:
                fresh += 1
            seen.add(cookie)
            text = message(rank, round_)
            ctypes.memmove(buf, text, len(text))
            # Both ranks' receive buffers are registered, as for RDMA.
            cache.lookup(inbox, PAGE)
            comm.Sendrecv([page_bytes(buf), mpi.BYTE], dest=partner, sendtag=round_, recvbuf=[page_bytes(inbox), mpi.BYTE], source=partner, recvtag=round_)
            expected = message(partner, round_)
            intact += ctypes.string_at(inbox, len(expected)) == expected
        # The last send buffer is freed too; one more look evicts it.
        unmap_page(buf)
        frees += 1
        freed.add(cookie)
        cache.refresh()
        unmap_page(inbox)

        evicted = {c for c, _, _ in cache.evicted}
        # Each freed buffer had its own entry, evicted once: sets equal and no repeats.
        exact = evicted == freed and len(cache.evicted) == len(freed) == frees
        ok = exact and fresh == ROUNDS and intact == ROUNDS and inbox_cookie not in evicted
        # One write for the whole line: mpirun forwards each rank's output as it
        # reads it, and a newline written on its own lets another rank's line in.
        summary = (
            f"rank {rank} of {size}: pid {os.getpid()}, sidecar {how}, engine {info.engine}; "
            f"freed {frees} buffers, evicted {len(evicted)} entries: {'exact' if exact else 'MISMATCH'}"
            f" (unexpected {sorted(evicted - freed)}, missed {sorted(freed - evicted)}); "
            f"same address {reused}/{ROUNDS - 1}, fresh registrations {fresh}/{ROUNDS}, messages intact {intact}/{ROUNDS}: "
            f"{'ok' if ok else 'FAILED'}\n"
        )
        sys.stdout.write(summary)
        sys.stdout.flush()
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
