"""Snapshots of the whole screen on recorded traces: fixed size, no clock, no animation."""

from __future__ import annotations

from simtui.tui.app import SimtuiApp
from tests.tui.conftest import SIZE, TRACES


def _replay(name: str) -> SimtuiApp:
    return SimtuiApp(trace_path=str(TRACES / f"{name}.jsonl"))


def test_gather10_first_event(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_replay("gather10-asyncio"), terminal_size=SIZE)


def test_gather10_after_five_switches(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_replay("gather10-asyncio"), press=["right"] * 5, terminal_size=SIZE)


def test_gather10_timers_fire(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_replay("gather10-asyncio"), press=["right"] * 20, terminal_size=SIZE)


def test_gather10_end_on_the_time_axis(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_replay("gather10-asyncio"), press=["end", "x"], terminal_size=SIZE)


def test_greenlet_has_no_ready_queue(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_replay("greenlet_pingpong-greenlet"), press=["right"] * 4,
                        terminal_size=SIZE)


def test_threads_runnable_set(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_replay("threads_cpu-threads"), press=["right"] * 6,
                        terminal_size=SIZE)


def test_blocking_the_event_loop(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def to_block(pilot) -> None:  # type: ignore[no-untyped-def]
        player = pilot.app.player
        trace = player.session.trace
        first = next(i for i in range(len(trace)) if trace[i]["type"] == "block")
        player.seek(first)
        await pilot.pause()

    assert snap_compare(_replay("gather10_blocking-asyncio"), run_before=to_block,
                        terminal_size=SIZE)


def test_gevent_hub(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_replay("gevent_spawn3-gevent"), press=["right"] * 4, terminal_size=SIZE)


def test_help_screen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_replay("gather10-asyncio"), press=["question_mark"], terminal_size=SIZE)
