"""P8: the TUI's first frame ÷ a one-`Static` Textual app's first frame (target ≤ 3).

Both apps run headless (`run_test`, 120×40) in this one process, alternately, so imports
are warm for both and machine noise hits both alike. A first frame is the time from
creating the app until its first screen has been composed, laid out and composited
(`run_test` yields once the app is ready; `pause(0)` paints the pending update). The TUI
opens the bundled gather10 as `simtui` does: its worker starts, but the frame does not
wait for events. The GC stays on for both, as users run. Reported: the median and
min–max of the per-round ratios.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _paired import summarize  # noqa: E402


class OneStatic(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello")


async def first_frame(make_app) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0)
        elapsed = time.perf_counter() - t0
        stop = getattr(getattr(app, "player", None), "stop_run", None)
        if stop is not None:
            stop()
    return elapsed


def main() -> int:
    from simtui.tui.app import SimtuiApp

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    # One warm-up each: imports and Textual's first-use caches are not the frame.
    asyncio.run(first_frame(OneStatic))
    asyncio.run(first_frame(lambda: SimtuiApp("gather10")))
    base: list[float] = []
    tui: list[float] = []
    ratios: list[float] = []
    for _ in range(rounds):
        b = asyncio.run(first_frame(OneStatic))
        t = asyncio.run(first_frame(lambda: SimtuiApp("gather10")))
        base.append(b)
        tui.append(t)
        ratios.append(t / b)
    print(f"one-Static app first frame: median {statistics.median(base) * 1e3:7.1f} ms")
    print(f"simtui first frame:         median {statistics.median(tui) * 1e3:7.1f} ms")
    print(f"P8 ratio, {rounds} paired rounds: {summarize(ratios).show(unit='×')}  (target ≤ 3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
