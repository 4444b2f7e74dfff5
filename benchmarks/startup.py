"""P7: start-up cost of `simtui --version` against a bare interpreter, whole processes alternated.

Usage: python benchmarks/startup.py [RUNS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(runs: int = 21) -> None:
    bare = [sys.executable, "-c", "pass"]
    simtui = [sys.executable, "-m", "simtui", "--version"]
    _time(bare), _time(simtui)  # warm the file cache
    ratios, a, b = [], [], []
    for _ in range(runs):
        t_bare, t_simtui = _time(bare), _time(simtui)
        a.append(t_bare)
        b.append(t_simtui)
        ratios.append(t_simtui / t_bare)
    print(f"python -c pass          median {statistics.median(a) * 1e3:6.1f} ms")
    print(f"simtui --version        median {statistics.median(b) * 1e3:6.1f} ms")
    print(f"P7 ratio (median of {runs} alternated pairs): {statistics.median(ratios):.2f}  "
          "(target ≤ 3)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
