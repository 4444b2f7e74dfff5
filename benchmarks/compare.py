"""A comparison's wall time: four lanes of gather10 against one run of it, whole processes.

Usage: python benchmarks/compare.py [--rounds N] [--quick]

The lanes of `simtui compare` share nothing but the cores, and runs that only wait (the
ten sleeps of gather10) all wait at once, so a 4-lane compare of gather10 at time scale 1
should take the ~3 s of one run plus start-up. Measured per round, alternated, whole
processes (`_paired.run_process`):

- `compare`: `simtui compare gather10 --vary gevent.monkey_patch=true,false` (asyncio,
  gevent patched and unpatched, threads: 4 lanes), JSON to a file;
- `one run`: `simtui run gather10 --format jsonl -o FILE` (asyncio), the single-lane baseline;
- `compare -j 1`: the same 4 lanes one at a time, for contrast.

Reported: each one's wall time, the paired ratio of `compare` to `one run` (≈ 1 when the
lanes wait at once; ≈ 4 one at a time), and what `compare` spent beyond its longest run's
own `elapsed` (start-up of the workers and of the command, measuring, printing).
`--quick` is a smoke run (time scale 0.05, one round), not a figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _paired import alternate, print_machine, ratios, run_process, stderr, summarize  # noqa: E402

LANES = ["--vary", "gevent.monkey_patch=true,false"]


def main(rounds: int, time_scale: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="simtui-bench-compare-"))
    out = folder / "compare.json"
    simtui = [sys.executable, "-m", "simtui"]
    scale = ["--time-scale", repr(time_scale)]
    compare = [*simtui, "compare", "gather10", *LANES, *scale, "--format", "json", "-o",
               str(out)]
    single = [*simtui, "run", "gather10", *scale, "--format", "jsonl", "-o",
              str(folder / "one.jsonl")]
    beyond: list[float] = []

    def measured_compare() -> float:
        cost = run_process(compare)
        if cost.returncode != 0:
            raise RuntimeError(f"simtui compare exited {cost.returncode}")
        runs = json.loads(out.read_text(encoding="utf-8"))["runs"]
        if len(runs) != 4:
            raise RuntimeError(f"expected 4 lanes, got {len(runs)}")
        beyond.append(cost.wall - max(r["elapsed"] for r in runs))
        return cost.wall

    def measured(argv: list[str]) -> float:
        cost = run_process(argv)
        if cost.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[2:4])} exited {cost.returncode}")
        return cost.wall

    stderr(f"{rounds} rounds of: compare (4 lanes), one run, compare -j 1")
    got = alternate(rounds, {
        "compare": measured_compare,
        "one": lambda: measured(single),
        "serial": lambda: measured([*compare, "-j", "1"]),
    })
    print_machine()
    print(f"gather10 at time scale {time_scale:g}: the ten sleeps take {3 * time_scale:g} s")
    print(f"compare, 4 lanes        wall {summarize(got['compare']).show('.2f', ' s')}")
    print(f"one run (asyncio)       wall {summarize(got['one']).show('.2f', ' s')}")
    print(f"compare, 4 lanes, -j 1  wall {summarize(got['serial']).show('.2f', ' s')}")
    print(f"compare beyond its longest run's elapsed: {summarize(beyond).show('.2f', ' s')} "
          "(start-up, measuring, printing)")
    ratio = summarize(ratios(got["compare"], got["one"]))
    serial = summarize(ratios(got["serial"], got["one"]))
    print(f"compare ÷ one run, {rounds} alternated rounds: {ratio.show(unit='×')}  "
          f"(target ≈ 1: the lanes wait at once); -j 1 ÷ one run: {serial.show(unit='×')}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="benchmarks/compare.py")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="a smoke run, not a figure")
    a = p.parse_args()
    if a.quick:
        main(1, 0.05)
    else:
        main(max(1, a.rounds), 1.0)
