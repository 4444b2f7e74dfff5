"""P3: the UI's step cost must not grow with the number of tasks (10,000 ready ÷ 10 ready).

Feeds synthetic traces straight to the player (no worker), headless at 120×40, and times
one step (→, next switch) including rendering the whole screen, with 10 and 10,000 tasks
in the ready queue. Prints the medians and their ratio (target: ≤ 1.5, and ≤ 16 ms).
Times are the process's CPU time per step (see `measure`).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

Event = dict[str, Any]

SCENARIO = """\
name: wide
title: "many coroutines wake at once"
runtime: asyncio
tasks:
  main:
    - print: "start"
    - gather: coco
    - print: "all done"
  coco:
    count: {n}
    steps:
      - print: "coco {{i}} waits"
      - sleep: 3
      - print: "coco {{i}} done"
"""


def gather_trace(n: int) -> list[Event]:
    """An asyncio-shaped trace of `main` gathering `n` coroutines that sleep 3 s each.

    After the timers fire, all `n` are in the ready queue at once: the case P3 measures.
    """
    events: list[Event] = []
    t = 0.0

    def add(kind: str, task: str | None, **fields: Any) -> None:
        nonlocal t
        t = round(t + 1.5e-6, 7)
        events.append({"seq": len(events) - 1, "t": t, "type": kind, "task": task, **fields})

    names = [f"coco[{i}]" for i in range(n)]
    events.append({"type": "header", "format": "simtui-trace", "version": 1,
                   "scenario": "wide", "title": "many coroutines wake at once",
                   "source": "<bench>", "runtime": "asyncio", "python": "3",
                   "simtui": "0", "time_scale": 1.0, "options": {},
                   "tasks": ["main", *names]})
    add("create", "main", parent=None)
    add("ready", "main")
    add("run", "main", **{"from": None})
    add("step", "main", index=0, op="print", line=6, col=7)
    add("output", "main", text="start")
    add("step", "main", index=1, op="gather", line=7, col=7)
    for name in names:
        add("create", name, parent="main")
        add("ready", name)
    add("suspend", "main", reason="gather", detail=f"{n} left")
    prev = "main"
    for i, name in enumerate(names):
        add("run", name, **{"from": prev})
        add("step", name, index=0, op="print", line=12, col=9)
        add("output", name, text=f"coco {i} waits")
        add("step", name, index=1, op="sleep", line=13, col=9)
        add("suspend", name, reason="sleep", detail="3 s", until=round(t + 3, 7))
        prev = name
    t += 3.0
    for name in names:
        add("wake", name, reason="sleep")
        add("ready", name)
    prev = None
    for i, name in enumerate(names):
        add("run", name, **{"from": prev})
        add("step", name, index=2, op="print", line=14, col=9)
        add("output", name, text=f"coco {i} done")
        add("done", name)
        prev = name
    add("ready", None, item="gather done-callback")
    add("run", None, item="gather done-callback", **{"from": prev})
    add("wake", "main", reason="gather")
    add("ready", "main")
    add("run", "main", **{"from": None})
    add("step", "main", index=2, op="print", line=8, col=7)
    add("output", "main", text="all done")
    add("done", "main")
    add("end", None, status="ok", elapsed=round(t, 7))
    for seq, event in enumerate(events[1:]):
        event["seq"] = seq
    return events


def write_case(directory: Path, n: int) -> Path:
    """The synthetic trace as a JSONL file (its `source` points at a matching scenario)."""
    import orjson

    scenario = directory / f"wide{n}.yaml"
    scenario.write_text(SCENARIO.format(n=n), encoding="utf-8")
    events = gather_trace(n)
    events[0]["source"] = str(scenario)
    path = directory / f"wide{n}.trace.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return path


async def measure(trace_path: Path, n: int, steps: int) -> list[float]:
    """Per-step times (s) of → through the switches where all `n` tasks are ready."""
    from simtui.tui.app import SimtuiApp

    app = SimtuiApp(trace_path=str(trace_path))
    times: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        player = app.player
        # Start where every coroutine has woken: the ready queue holds all n.
        trace = player.session.trace
        wakes = [i for i in range(len(trace)) if trace[i]["type"] == "wake"]
        player.seek(wakes[-1] + 1)
        await pilot.pause()
        for _ in range(steps):
            # CPU time, not wall time: Pilot waits for the app to go idle in sleeps of
            # 20 ms, which would swamp the step. The key goes through the bindings, and
            # pause() returns once the screen update (every pane the step changed,
            # re-rendered and composited) has been written to the (headless) terminal.
            t0 = time.process_time()
            await pilot.press("right")
            await pilot.pause()
            times.append(time.process_time() - t0)
    return times


def main() -> int:
    import tempfile

    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    with tempfile.TemporaryDirectory() as tmp:
        small = write_case(Path(tmp), 10)
        large = write_case(Path(tmp), 10_000)
        results: dict[int, list[float]] = {10: [], 10_000: []}
        # Interleave rounds so machine noise hits both cases alike.
        for _ in range(3):
            results[10] += asyncio.run(measure(small, 10, min(steps, 9)))
            results[10_000] += asyncio.run(measure(large, 10_000, steps))
    med_small = statistics.median(results[10])
    med_large = statistics.median(results[10_000])
    print(f"UI step, 10 tasks ready:     median {med_small * 1e3:6.2f} ms "
          f"(n={len(results[10])})")
    print(f"UI step, 10,000 tasks ready: median {med_large * 1e3:6.2f} ms "
          f"(n={len(results[10_000])})")
    print(f"ratio 10,000 / 10: {med_large / med_small:.2f}  (target ≤ 1.5; ≤ 16 ms per step)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
