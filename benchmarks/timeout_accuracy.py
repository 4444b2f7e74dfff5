"""How close to the scenario's `timeout` a runaway run ends, per runtime and kind of runaway.

Usage: python benchmarks/timeout_accuracy.py [--timeout 2] [--reps 3]

Each scenario would run far longer than its timeout (a loop that never yields, a `cpu` or
`block` step of a minute, twenty busy threads, a greenlet that never switches, gevent with
and without monkey patching). It runs in a worker as the TUI runs it; reported per case:
the `end` status, `end.elapsed - timeout` (how late the worker's own clock says it
stopped; the target is within 0.5 s) and the wall time from starting the worker to the
`end` reaching the parent (which includes the worker's start-up). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simtui.scenario.loader import load_text  # noqa: E402
from simtui.trace.stream import WorkerProcess  # noqa: E402

LOOP = "- repeat: {times: 10000000, steps: [{print: x}]}"
CASES = {
    "asyncio loop": ("asyncio", "", [LOOP]),
    "asyncio cpu": ("asyncio", "", ["- cpu: 60"]),
    "asyncio block": ("asyncio", "", ["- block: 60"]),
    "greenlet loop": ("greenlet", "", [LOOP]),
    "greenlet cpu": ("greenlet", "", ["- cpu: 60"]),
    "gevent loop, unpatched": ("gevent", "monkey_patch: false", [LOOP]),
    "gevent loop, patched": ("gevent", "monkey_patch: true", [LOOP]),
    "gevent cpu": ("gevent", "monkey_patch: true", ["- cpu: 60"]),
    "gevent block, unpatched": ("gevent", "monkey_patch: false", ["- block: 60"]),
    "threads loop": ("threads", "", [LOOP]),
    "threads 20 x cpu": ("threads", "", ["- gather: w"]),
    "threads 20 x cpu, 20 ms interval": ("threads", "switch_interval: 0.02", ["- gather: w"]),
}


def scenario_text(runtime: str, option: str, steps: list[str], timeout: float) -> str:
    options = f"options: {{{runtime}: {{{option}}}}}\n" if option else ""
    main = "".join(f"    {s}\n" for s in steps)
    workers = "  w:\n    count: 20\n    steps:\n      - cpu: 60\n" if "gather: w" in main else ""
    return f"runtime: {runtime}\ntimeout: {timeout}\n{options}tasks:\n  main:\n{main}{workers}"


def one(text: str, runtime: str) -> tuple[str, float, float]:
    scenario = load_text(text, "<bench>", runtime=runtime)
    start = time.monotonic()
    worker = WorkerProcess(scenario, runtime).start()
    last = None
    try:
        for event in worker.events():
            last = event
        wall = time.monotonic() - start
    finally:
        worker.kill()
        worker.wait(10)
    assert last is not None and last["type"] == "end"
    return str(last["status"]), float(last["elapsed"]), wall


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args()
    print(f"timeout {a.timeout:g} s, {a.reps} runs each; late = end.elapsed - timeout")
    print(f"{'case':<36} {'status':<10} {'late median':>11} {'late max':>9} {'wall max':>9}")
    for name, (runtime, option, steps) in CASES.items():
        text = scenario_text(runtime, option, steps, a.timeout)
        runs = [one(text, runtime) for _ in range(a.reps)]
        statuses = ",".join(sorted({r[0] for r in runs}))
        late = [r[1] - a.timeout for r in runs]
        print(f"{name:<36} {statuses:<10} {statistics.median(late):>10.3f}s "
              f"{max(late):>8.3f}s {max(r[2] for r in runs):>8.2f}s")


if __name__ == "__main__":
    main()
