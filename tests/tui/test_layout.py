"""The screen fits the terminal and the scenario; numbers and units read one way everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simtui.tui.app import SimtuiApp
from simtui.tui.screens.player import PlayerScreen
from simtui.tui.widgets.event_log import EventLogPane
from simtui.tui.widgets.panes import HeaderBar
from tests.tui.conftest import SIZE, TRACES, wait_until
from tests.tui.screentext import screen_lines

GATHER = str(TRACES / "gather10-asyncio.jsonl")
TASKS = ["main", *(f"coco[{i}]" for i in range(10))]


def _replay(path: str = GATHER) -> SimtuiApp:
    return SimtuiApp(trace_path=path)


def _timeline_rows(app: SimtuiApp) -> list[str]:
    """The task names the timeline shows, top to bottom."""
    region = app.player.query_one("#timeline").region
    lines = screen_lines(app)[region.y + 1: region.bottom - 1]
    return [line[region.x + 1: region.x + 15].strip() for line in lines]


@pytest.mark.parametrize("size", [(200, 60), SIZE])
async def test_every_gather10_task_has_a_timeline_row_when_there_is_room(
    size: tuple[int, int],
) -> None:
    app = _replay()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        rows = _timeline_rows(app)
        assert rows[:-1] == TASKS, rows
        assert rows[-1] == "stop", "the last row is the axis"


async def test_the_timeline_is_only_as_tall_as_its_tasks() -> None:
    app = _replay(str(TRACES / "greenlet_pingpong-greenlet.jsonl"))
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        rows = _timeline_rows(app)
        assert rows == ["main", "task_a", "task_b", "stop"], "no empty rows below"


async def test_the_time_axis_is_labelled_in_one_unit() -> None:
    app = _replay()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause()
        region = app.player.query_one("#timeline").region
        axis = screen_lines(app)[region.bottom - 2][region.x + 1: region.right - 1]
        # The recorded run took about 30 ms (time scale 0.01): labelled in ms.
        unit, *labels = axis.split()
        assert unit == "ms" and len(labels) >= 4
        values = [float(v) for v in labels]
        trace = app.player.session.trace
        first, last = trace.t(0) * 1e3, trace.t(len(trace) - 1) * 1e3
        assert values == sorted(values) and first <= values[0] and values[-1] <= last


async def test_the_switch_axis_is_labelled_by_stop_number() -> None:
    # One column per stop: every switch, and the idle, blocked and end moments between.
    app = _replay()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        region = app.player.query_one("#timeline").region
        axis = screen_lines(app)[region.bottom - 2][region.x + 1: region.right - 1]
        unit, *labels = axis.split()
        assert unit == "stop" and labels[0] == "1"
        numbers = [int(v) for v in labels]
        assert numbers == sorted(numbers) and numbers[-1] <= len(app.player.session.replay.stops)


async def test_a_small_terminal_keeps_help_quit_and_the_ready_count() -> None:
    app = _replay()
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await pilot.press("right")
        await pilot.pause()
        lines = screen_lines(app)
        footer = lines[-1]
        assert "? help" in footer and "q quit" in footer, footer
        assert "space play/pause" in footer
        ready = app.player.query_one("#ready").region
        title = lines[ready.y][ready.x: ready.right]
        count = len(app.player.view.state.ready)
        assert re.search(rf"· {count}\b", title), title


async def test_the_running_pane_wraps_instead_of_cutting() -> None:
    app = _replay()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()  # event 1: nothing runs yet, the loop is about to start
        pane = app.player.query_one("#running")
        assert pane.region.width >= 30, "it shares the width with its neighbours"
        text = " ".join(line.strip() for line in str(pane.render()).splitlines())
        assert "it waits for the next timer or I/O" in text


async def test_clicking_the_runtime_in_the_header_opens_the_picker(tmp_path: Path) -> None:
    from simtui.tui.screens.runtime_picker import RuntimePickerScreen

    app = SimtuiApp("gather10", time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.player.view is not None
                         and app.player.view.choosable)
        header = app.player.query_one(HeaderBar)
        first = screen_lines(app)[0]
        assert first.rstrip().endswith("asyncio ▾")
        await pilot.click(HeaderBar, offset=(first.rstrip().index("asyncio ▾") + 2, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, RuntimePickerScreen))
        await pilot.press("escape")
        assert isinstance(app.screen, PlayerScreen)
        assert header.view is not None


async def test_a_replay_shows_its_runtime_without_the_picker_mark() -> None:
    app = _replay()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = screen_lines(app)[0].rstrip()
        assert first.endswith("asyncio") and "▾" not in first
        await pilot.click(HeaderBar, offset=(len(first) - 3, 0))
        await pilot.pause()
        assert isinstance(app.screen, PlayerScreen), "nothing to choose in a replay"


async def test_a_gevent_callback_is_shown_with_what_it_does() -> None:
    app = _replay(str(TRACES / "gevent_spawn3-gevent.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        trace = player.session.trace
        at = next(i for i in range(len(trace)) if trace[i]["type"] == "run"
                  and (trace[i].get("item") or "").endswith(".notify_links"))
        player.seek(at)
        await pilot.pause()
        running = " ".join(str(player.query_one("#running").render()).split())
        item = trace[at]["item"]
        owner = item.rsplit(".", 1)[0]
        assert f"callback {item}" in running
        assert f"wakes whoever waits for {owner} to finish" in running


async def test_the_event_log_numbers_events_as_the_header_does() -> None:
    app = _replay()
    async with app.run_test(size=SIZE) as pilot:
        for key in ("full_stop", "full_stop"):
            await pilot.press(key)
        await pilot.pause()
        header = screen_lines(app)[1]
        assert "event 3/188" in header
        await pilot.press("l")
        await pilot.pause()
        log = app.screen.query_one(EventLogPane)
        index = app.player.view.state.index
        assert log.render_row(index, 80).text.split()[0] == "3"
        assert log.render_row(0, 80).text.split()[0] == "1"


async def test_time_scale_is_in_the_header_and_waits_read_as_written() -> None:
    app = SimtuiApp("gather10", time_scale=0.3)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: player.view is not None
                         and len(player.view.state.waiting) >= 3)
        lines = screen_lines(app)
        assert "(time ×0.3)" in lines[1]
        waiting = player.query_one("#waiting").region
        rows = [line[waiting.x: waiting.right] for line in lines[waiting.y + 1: waiting.bottom]]
        coco = next(row for row in rows if row.lstrip("│").startswith("coco[0]"))
        # The sleep as the scenario wrote it; the wake time on the run's (scaled) clock.
        match = re.search(r"sleep 3 s +wakes (\d+\.\d{4}) s", coco)
        assert match, coco
        assert 0.85 <= float(match.group(1)) <= 1.5
        # Running says a duration the same way.
        running = " ".join(str(player.query_one("#running").render()).split())
        assert "sleep 3 s" in running or "sleep" not in running


async def test_a_scale_of_one_is_not_shown() -> None:
    app = SimtuiApp("gather10", time_scale=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.player.view is not None
                         and app.player.view.state.index >= 0)
        assert "time ×" not in screen_lines(app)[1]
