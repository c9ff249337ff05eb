"""The Python registration-cache example, run as a long-lived service.

clients/python/examples/regcache.py shows the stale-registration failure once
and exits: too short-lived to be a container's main process next to a
sidecar. This runs the same scenario (register a, munmap a, mmap b at the same
address, look b up: the cache must miss) every REGCACHE_INTERVAL_S seconds on
one cache and one connection, until SIGTERM, or REGCACHE_ROUNDS times.
Exit status 1 as soon as a round hands out a stale registration.

    UMMUNOTIFY_SOCKET=/run/ummunotify/target.sock python regcache_service.py
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

# The example sits next to this file in the image, and in the repository under clients/.
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "clients" / "python" / "examples")]

import ummunotify  # noqa: E402
from regcache import RegistrationCache, map_page, send, unmap_page  # noqa: E402


def one_round(cache: RegistrationCache) -> bool:
    a = map_page()
    cookie_a = send(cache, a, b"first message")
    unmap_page(a)
    b = map_page()
    try:
        cookie_b = send(cache, b, b"second message")
    finally:
        unmap_page(b)
    stale_evicted = any(cookie == cookie_a for cookie, _, _ in cache.evicted)
    return stale_evicted and cookie_b != cookie_a


def main() -> int:
    interval = float(os.environ.get("REGCACHE_INTERVAL_S", "10"))
    rounds = int(os.environ.get("REGCACHE_ROUNDS", "0"))  # 0: until SIGTERM
    stop = threading.Event()
    # As a container's pid 1 we get no default SIGTERM action: without a
    # handler `docker stop` would wait its whole timeout and then SIGKILL.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ummunotify.open() as umn:
        print(f"pid {os.getpid()}: attached on the {umn.info().engine} engine", flush=True)
        cache = RegistrationCache(umn, log=lambda _line: None)
        done = 0
        while not stop.is_set():
            ok = one_round(cache)
            done += 1
            print(f"round {done}: stale registration {'evicted' if ok else 'HANDED OUT'}", flush=True)
            if not ok:
                return 1
            if rounds and done >= rounds:
                break
            stop.wait(interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
