"""P7: start-up cost of `simtui --version` against a bare interpreter, whole processes alternated.

Usage: python benchmarks/startup.py [RUNS]

Both commands run alternately RUNS times after one untimed run of each (file cache),
each measured with `wait4` (`_paired.run_process`). Reported: the median and min–max of
the paired ratios of wall time (what the user waits for) and of CPU time (user + system,
steadier on a shared machine).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _paired import alternate, print_machine, ratios, run_process, summarize  # noqa: E402


def main(runs: int = 21) -> None:
    bare = [sys.executable, "-c", "pass"]
    simtui = [sys.executable, "-m", "simtui", "--version"]
    got = alternate(runs, {"bare": lambda: run_process(bare),
                           "simtui": lambda: run_process(simtui)}, warmup=True)
    b, s = got["bare"], got["simtui"]
    print_machine()
    print(f"python -c pass     wall {summarize([c.wall * 1e3 for c in b]).show('.1f', ' ms')}, "
          f"CPU {summarize([c.cpu * 1e3 for c in b]).show('.1f', ' ms')}")
    print(f"simtui --version   wall {summarize([c.wall * 1e3 for c in s]).show('.1f', ' ms')}, "
          f"CPU {summarize([c.cpu * 1e3 for c in s]).show('.1f', ' ms')}")
    wall = summarize(ratios([c.wall for c in s], [c.wall for c in b]))
    cpu = summarize(ratios([c.cpu for c in s], [c.cpu for c in b]))
    print(f"P7 ratio, {runs} alternated pairs: wall {wall.show(unit='×')}, "
          f"CPU {cpu.show(unit='×')}  (target ≤ 3)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 21)
