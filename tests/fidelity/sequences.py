"""The run and ready sequences of every bundled scenario on each deterministic runtime.

`python -m tests.fidelity.sequences` records them into `reference.json` beside this file
(run it with the code whose behaviour is the reference); `test_fidelity.py` compares a
fresh run with it.

What is compared, per run: the order in which tasks run (`run` events of a task), the order
in which tasks enter the ready queue (`ready` events of a task), the order of the other
ready-queue entries (callbacks: fired timers, gather's done-callback, hub notifiers), and
how the run ends (status, stuck tasks). The three orders are compared as separate
sequences, not interleaved: how many expired timers one loop iteration moves to the ready
queue depends on how late the loop got to them, so a timer callback may come before or
after another task's entry from one run to the next while every order above stays the
same.

Left out as genuinely nondeterministic: scenarios that do real I/O (`io`: the order in
which loopback replies complete is the kernel's), and the threads runtime (the OS decides
who takes the GIL).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from simtui.scenario.loader import bundled_scenarios, load_scenario
from tests.tracehelp import Event, run_trace

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference.json"

DETERMINISTIC = ("asyncio", "greenlet", "gevent")
"""Runtimes whose schedule follows from the scenario alone (no OS thread scheduling)."""
SNAPSHOTS = frozenset({"asyncio", "gevent"})
"""Runtimes run with `--snapshots`: reading their real queue must not change the order."""
SCALE = 0.05
SCALES = {"gevent_spawn3": 0.15, "gevent_monkey": 0.15, "gevent_unpatched": 0.15}
"""As the conformance runs: waits long beside starting the tasks on a busy machine."""


EXTRA = HERE / "scenarios"
"""Scenarios beside the bundled ones that exercise what those barely do: many yields,
`repeat` and `call` nesting, events, locks and queues between yielding tasks, joins of a
task not yet started, greenlets switching in a ring."""


def scenario_files() -> list[Path]:
    return [*bundled_scenarios(), *sorted(EXTRA.glob("*.yaml"))]


def cases() -> list[tuple[str, str]]:
    """(scenario file, runtime) for every bundled and extra scenario without `io`, on each
    deterministic runtime it lists."""
    out = []
    for path in scenario_files():
        scenario = load_scenario(str(path))
        if "io" in scenario.ops_used():
            continue
        out += [(str(path), rt) for rt in scenario.runtimes if rt in DETERMINISTIC]
    return out


def sequences(events: list[Event]) -> dict[str, Any]:
    """What the fidelity check compares, from one trace."""
    runs = [e["task"] for e in events if e["type"] == "run" and e["task"] is not None]
    ready = [e["task"] for e in events if e["type"] == "ready" and e["task"] is not None]
    items = [e["item"] for e in events if e["type"] == "ready" and e["task"] is None]
    end = events[-1]
    stuck = sorted((s["task"], s["waiting_on"]) for s in end.get("stuck") or ())
    return {"run": runs, "ready": ready, "callbacks": items, "status": end["status"],
            "stuck": [list(s) for s in stuck]}


def record(path: str, runtime: str) -> dict[str, Any]:
    """One real run of a scenario file, reduced to its sequences."""
    events = run_trace(path, runtime, time_scale=SCALES.get(Path(path).stem, SCALE),
                       snapshots=runtime in SNAPSHOTS)
    return sequences(events)


def key(path: str, runtime: str) -> str:
    return f"{Path(path).stem}/{runtime}"


def load_reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def main(argv: list[str]) -> int:
    """Record the reference sequences of every case (or of the cases named)."""
    wanted = set(argv)
    reference = load_reference() if REFERENCE.exists() else {}
    for path, runtime in cases():
        k = key(path, runtime)
        if wanted and k not in wanted and Path(path).stem not in wanted:
            continue
        reference[k] = record(path, runtime)
        print(f"recorded {k}", file=sys.stderr)
    text = json.dumps(reference, ensure_ascii=False, indent=1, sort_keys=True)
    REFERENCE.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
