"""R2: how soon a deadlock is found after the last possible progress, per runtime and shape.

Usage: python benchmarks/deadlock.py [--reps 3]

Each shape runs on the real runtime in a worker process; the figure is the time from the
last event before `end` (the last progress anything made) to the `end` that reports the
deadlock, read from the trace. Target (targets.md, R2): within 1 s on asyncio and gevent,
within the scenario's timeout on threads (which watches for deadlock by polling). Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simtui.scenario.loader import load_text  # noqa: E402
from simtui.trace.stream import WorkerProcess  # noqa: E402

SHAPES = {
    # Both started before either joins: on threads, joining a thread not started yet is an
    # error, not a deadlock.
    "join cycle": """
tasks:
  main: [{spawn: [a, b]}, {set: go}, {join: a}]
  a: [{wait: go}, {join: b}]
  b: [{wait: go}, {join: a}]
""",
    "event never set": """
tasks:
  main: [{wait: go}]
""",
    "get on an empty queue": """
tasks:
  main: [{spawn: idle}, {get: jobs}]
  idle: [{print: "does nothing"}]
""",
    "lock never released": """
tasks:
  main: [{acquire: db}, {spawn: w}, {join: w}]
  w: [{acquire: db}, {release: db}]
""",
}
RUNTIMES = ("asyncio", "gevent", "threads")


def latency(text: str, runtime: str) -> tuple[str, float]:
    """The run's end status and the seconds from its last progress to that end."""
    scenario = load_text(text, "<deadlock>", runtime=runtime)
    worker = WorkerProcess(scenario, runtime).start()
    try:
        events = list(worker.events())
    finally:
        worker.kill()
        worker.wait(10)
    last = events[-1]
    return str(last.get("status")), float(last["t"]) - float(events[-2]["t"])


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    print(f"{'runtime':8} {'shape':24} {'status':9} median    max")
    for runtime in RUNTIMES:
        for shape, text in SHAPES.items():
            runs = [latency(text, runtime) for _ in range(args.reps)]
            statuses = {s for s, _ in runs}
            times = [t for _, t in runs]
            print(f"{runtime:8} {shape:24} {'/'.join(sorted(statuses)):9} "
                  f"{statistics.median(times) * 1e3:7.1f} ms {max(times) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
