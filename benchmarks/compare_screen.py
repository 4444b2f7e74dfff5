"""Compare screen: one step of the shared cursor with four lanes of 10,000 tasks (target ≤ 16 ms).

Feeds four recorded runs (the synthetic gather trace of `ui_step.py`, 10,000 coroutines:
~100,000 events a lane) straight to the compare screen (no worker), headless at 120×40,
and times one step of each kind: → (every lane one column later on the time axis), → on
the switch axis, and `o` (every lane to its own print of the next line), each including
rendering the whole screen. Prints the medians and the worst step. Times are the
process's CPU time per step, as in `ui_step.py`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.ui_step import SCENARIO, gather_trace  # noqa: E402

TASKS = 10_000
LANES = 4


async def measure(scenario: Path, steps: int) -> dict[str, list[float]]:
    from simtui.compare.comparison import declared, parse_vary
    from simtui.scenario.loader import load_scenario
    from simtui.tui.app import SimtuiApp
    from simtui.tui.compare_session import CompareRequest

    comparison = declared((load_scenario(str(scenario)),), ("asyncio", "gevent"),
                          (parse_vary("time_scale=1,0.5"),))
    events = gather_trace(TASKS)
    app = SimtuiApp(compare=CompareRequest((str(scenario),)))
    times: dict[str, list[float]] = {"time axis →": [], "switch axis →": [], "next print o": []}
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.first
        session = screen.session  # type: ignore[attr-defined]
        session.show_recorded(comparison, [events] * LANES)
        assert len(session.lanes) == LANES
        screen._publish()  # type: ignore[attr-defined]
        await pilot.pause()

        async def step(name: str, key: str) -> None:
            # CPU time, not wall time: Pilot idles in 20 ms sleeps (see ui_step.py).
            t0 = time.process_time()
            await pilot.press(key)
            await pilot.pause()
            times[name].append(time.process_time() - t0)

        await pilot.press("home")
        for _ in range(steps):
            await step("time axis →", "right")
        await pilot.press("x", "home")
        for _ in range(steps):
            await step("switch axis →", "right")
        await pilot.press("x", "home")
        for _ in range(steps):
            await step("next print o", "o")
    return times


def main() -> int:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "wide.yaml"
        scenario.write_text(SCENARIO.format(n=TASKS), encoding="utf-8")
        results: dict[str, list[float]] = {}
        for _ in range(3):
            for name, values in asyncio.run(measure(scenario, steps)).items():
                results.setdefault(name, []).extend(values)
    print(f"compare screen, {LANES} lanes of {TASKS:,} tasks "
          f"({len(gather_trace(TASKS)) - 1:,} events each), 120×40:")
    for name, values in results.items():
        print(f"  {name:<14} median {statistics.median(values) * 1e3:6.2f} ms, "
              f"worst {max(values) * 1e3:6.2f} ms (n={len(values)})")
    print("target: ≤ 16 ms per step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
