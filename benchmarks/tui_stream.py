"""P10: the TUI answers a key within 100 ms while a 10,000-task run streams in.

Usage: python benchmarks/tui_stream.py [--tasks 10000] [--yields 50] [--gap 0.2] [--quick]

The real app (`SimtuiApp`, headless `run_test` at 120×40) opens an asyncio scenario of
`main` gathering N tasks that each yield K times, so its real worker streams N × K task
steps (about 4 events each) while the UI takes them in as it does for a user: the
reader thread buffers them and the screen ingests a slice per turn of its event loop.
While the run streams (from its first event until the UI has taken in its `end`), a key
is sent every `--gap` seconds the way a terminal's keys arrive — a `Key` message posted
to the app's queue (`App.simulate_key`), behind whatever is already queued — alternating
← (back one switch: leaves the live edge) and End (back to the newest event, following
the run). A key is answered when its action has run and the screen has repainted after
it (`call_after_refresh`, from inside the action). Reported: the wall time from posting
each key to that repaint (median, p95, max: the target is the max), the time to the
action alone, how far the stream had come, and the events/s the UI took in meanwhile.
Wall time is the figure, since that is what the user waits for; the load average is
printed with it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _paired import print_machine  # noqa: E402

SCENARIO = """\
name: wide_stream
title: "{tasks} tasks x {yields} yields, streamed into the TUI"
runtime: asyncio
timeout: 900
tasks:
  main:
    - gather: worker
  worker:
    count: {tasks}
    steps:
      - repeat: {{times: {yields}, steps: [yield]}}
"""

KEYS = (("left", "prev_switch"), ("end", "last"))
"""Alternated: leave the live edge by one switch, then follow the run again."""


@dataclass(frozen=True, slots=True)
class Answer:
    key: str
    to_action: float
    """Seconds from posting the key to its action starting."""
    to_repaint: float
    """Seconds from posting the key to the repaint after its action."""
    events: int
    """Events the UI had taken in when the key was posted."""


async def measure(path: Path, gap: float, patience: float) -> tuple[list[Answer], int, float]:
    """Keys answered while the run streams; the events taken in and the seconds it took."""
    from simtui.tui.app import SimtuiApp

    app = SimtuiApp(scenario=str(path))
    answers: list[Answer] = []
    async with app.run_test(size=(120, 40)):
        screen = app.player
        session = screen.session
        pending: dict[str, Any] = {}

        def wrap(action: str) -> None:
            original = getattr(screen, f"action_{action}")

            def answered() -> None:
                pending["repaint"] = time.perf_counter()
                pending["done"].set()

            def timed() -> None:
                pending.setdefault("action", time.perf_counter())
                original()
                screen.call_after_refresh(answered)

            # The binding calls the screen's `action_NAME`: this instance's, timed.
            setattr(screen, f"action_{action}", timed)

        for _key, action in KEYS:
            wrap(action)
        deadline = time.monotonic() + patience
        # From the first switch taken in on, both keys always apply while the run is live.
        while session.lifecycle in ("none", "starting") or (
                session.lifecycle == "live" and session.cursor <= 0):
            if time.monotonic() > deadline:
                raise SystemExit(f"the run did not start within {patience:.0f} s")
            await asyncio.sleep(0.01)
        t_start = time.perf_counter()
        n_start = len(session.replay)
        turn = 0
        while session.lifecycle == "live" and session.live is not None:
            key, _action = KEYS[turn % len(KEYS)]
            turn += 1
            pending.clear()
            pending["done"] = asyncio.Event()
            events = len(session.replay)
            t0 = time.perf_counter()
            app.simulate_key(key)
            try:
                await asyncio.wait_for(pending["done"].wait(), timeout=patience)
            except TimeoutError:
                raise SystemExit(f"key {key!r} not answered within {patience:.0f} s") from None
            answers.append(Answer(key, pending["action"] - t0, pending["repaint"] - t0,
                                  events))
            await asyncio.sleep(gap)
        took = time.perf_counter() - t_start
        taken = len(session.replay) - n_start
        app.exit()
    return answers, taken, took


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=10_000)
    p.add_argument("--yields", type=int, default=50)
    p.add_argument("--gap", type=float, default=0.2, help="seconds between keys")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run (300 tasks × 30 yields, a key every 0.05 s)")
    a = p.parse_args(argv)
    tasks, yields = (300, 30) if a.quick else (a.tasks, a.yields)
    if a.quick:
        a.gap = 0.05
    print_machine()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide_stream.yaml"
        path.write_text(SCENARIO.format(tasks=tasks, yields=yields), encoding="utf-8")
        answers, taken, took = asyncio.run(measure(path, a.gap, patience=60.0))
    print(f"{tasks:,} tasks × {yields:,} yields (asyncio), keys every {a.gap:.2f} s while "
          f"it streams in: {len(answers)} keys; the UI took in {taken:,} events in "
          f"{took:.1f} s ({taken / max(took, 1e-9):,.0f} events/s)")
    if not answers:
        print("P10 no key was sent: the run ended before its first event was taken in")
        return 0
    ms = [x.to_repaint * 1e3 for x in answers]
    act = [x.to_action * 1e3 for x in answers]
    print(f"  key → its action:  median {statistics.median(act):.1f} ms, "
          f"p95 {percentile(act, 0.95):.1f}, max {max(act):.1f}")
    worst = max(answers, key=lambda x: x.to_repaint)
    print(f"P10 key → repaint while {tasks:,} tasks stream in: median "
          f"{statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f}, max {max(ms):.1f} "
          f"(target ≤ 100 ms; the slowest at event {worst.events:,}, key {worst.key})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
