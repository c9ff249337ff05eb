"""Fast-path driver for Python (bench/fastpath): opens a client with
ummunotify.open() (this process is the target; engine --engine, uffd on
the host, device in a guest), then times `checks`
counter checks (Client.counter.changed_since) and `calls` GetInfo round
trips per batch, `batches` times each. Prints one JSON line of batch means
on stdout: {"lang":"python","counter_ns":[...],"getinfo_us":[...],...}.
Run with <repo>/.venv/bin/python; UMMUNOTIFYD names the daemon to spawn.
"""

import argparse
import json
import sys
import time

import ummunotify


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", choices=("uffd", "device"), required=True)
    ap.add_argument("--checks", type=int, required=True)
    ap.add_argument("--calls", type=int, required=True)
    ap.add_argument("--batches", type=int, required=True)
    a = ap.parse_args()

    with ummunotify.open(engine=a.engine, daemon_args=["--log-level", "warn"]) as client:
        counter = client.counter  # the mapped page, as a cache would hold it
        seen = counter.value
        engine = client.info().engine
        changed = 0
        check = counter.changed_since
        # Warm-up, untimed; the daemon's JIT takes thousands of GetInfo calls to settle.
        for _ in range(min(a.checks, 100_000)):
            changed += check(seen)
        for _ in range(min(a.calls * 10, 5000)):
            client.info()

        counter_ns = []
        getinfo_us = []
        for _ in range(a.batches):
            t0 = time.perf_counter_ns()
            for _ in range(a.checks):
                if check(seen):
                    changed += 1
            t1 = time.perf_counter_ns()
            counter_ns.append((t1 - t0) / a.checks)

            t0 = time.perf_counter_ns()
            for _ in range(a.calls):
                client.info()
            t1 = time.perf_counter_ns()
            getinfo_us.append((t1 - t0) / a.calls / 1000)

    json.dump({"lang": "python", "engine": str(engine), "counter_ns": counter_ns, "getinfo_us": getinfo_us, "changed": changed}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
