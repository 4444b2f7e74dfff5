"""`simtui bench` through the real command line: the ratios agree with the times it prints."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.tracehelp import ROOT

LINE = re.compile(r"^  (\w+)\s+([0-9.]+) µs  ×\s*([0-9.]+)  ")


def test_each_ratio_is_its_time_over_the_greenlet_switch() -> None:
    proc = subprocess.run([sys.executable, "-m", "simtui", "bench", "--repeats", "3"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    rows = [LINE.match(line) for line in proc.stdout.splitlines()]
    found = [(m.group(1), float(m.group(2)), float(m.group(3))) for m in rows if m]
    assert [name for name, _, _ in found] != [] and {n for n, _, _ in found} == {
        "greenlet", "gevent", "asyncio", "threads"}
    times = dict((name, us) for name, us, _ in found)
    base = times["greenlet"]
    ratios = [ratio for _, _, ratio in found]
    # Printed fastest first: a slower runtime never shows a smaller ratio.
    assert ratios == sorted(ratios), proc.stdout
    for name, us, ratio in found:
        # Both are printed rounded (µs to 0.01, the ratio to 0.1).
        expected = us / base
        slack = expected * (0.005 / us + 0.005 / base) + 0.05
        assert abs(ratio - expected) <= slack, (name, us, ratio, expected, proc.stdout)
