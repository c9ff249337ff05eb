"""The registration-cache example runs with one command and evicts the stale entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "regcache.py"


def test_regcache_evicts_the_stale_registration_and_registers_b_fresh() -> None:
    result = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "evict: cookie 1 for" in out and "(unmap)" in out
    assert "stale entry for a (cookie 1) evicted: yes" in out
    assert "b registered fresh (cookie 2): yes" in out
    # The second send(a) is a hit, the send(b) after munmap(a) never is.
    lines = out.splitlines()
    send_b = lines.index("send(b)")
    assert not any("hit:" in line for line in lines[send_b:])
