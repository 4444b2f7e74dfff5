"""The compare screen on real runs: lanes, one cursor, the next-output key, the player, edits."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simtui.tui.app import SimtuiApp
from simtui.tui.compare_session import CompareRequest, CompareSession
from simtui.tui.screens.compare import CompareScreen
from simtui.tui.screens.player import PlayerScreen
from tests.tui.conftest import BACKLOG, ROOT, SIZE, ticking_clock, wait_until
from tests.tui.screentext import assert_no_raw_controls, screen_lines
from tests.tui.test_untrusted_text import HOSTILE


def _app(*names: str, scale: float = 0.05) -> SimtuiApp:
    return SimtuiApp(compare=CompareRequest(names, time_scale=scale))


def _session(app: SimtuiApp) -> CompareSession:
    screen = app.first
    assert isinstance(screen, CompareScreen)
    return screen.session


def _over(session: CompareSession) -> bool:
    return bool(session.lanes) and all(run.state == "ended" for run in session.lanes)


async def test_a_lane_per_run_streams_in_and_the_table_comes_when_all_ended() -> None:
    app = _app("gather10")
    async with app.run_test(size=SIZE) as pilot:
        session = _session(app)
        await wait_until(pilot, lambda: _over(session), timeout=60)
        await pilot.pause()
        assert [run.lane.label for run in session.lanes] == ["asyncio", "gevent", "threads"]
        # Each lane took its run's events in as they came, up to its `end`.
        assert all(run.trace.end is not None and len(run.series.times) == len(run.trace)
                   for run in session.lanes)
        lines = screen_lines(app)
        for label in ("▶ asyncio", "  gevent", "  threads"):
            assert any(line.lstrip("│").startswith(label) for line in lines), label
        text = "\n".join(lines)
        assert "gather10: 3 runs at time scale 0.05" in text  # the table's title
        assert "All 3 runs ended ok, as expected." in text
        assert "There were " in text  # a sentence of the comparison
        assert "o next print" in lines[-1] and "? help" in lines[-1]  # the footer
        await pilot.press("question_mark")
        help_text = "\n".join(screen_lines(app))
        assert "every lane to its own print of" in help_text


async def test_the_cursor_moves_every_lane_together_by_time_and_by_switch() -> None:
    app = _app("gather10")
    async with app.run_test(size=SIZE) as pilot:
        session = _session(app)
        await wait_until(pilot, lambda: _over(session), timeout=60)
        await pilot.press("home")
        assert session.anchor == 0.0
        await pilot.press(*["right"] * 30)
        t = session.anchor
        # Thirty columns of the shared axis, through the sleeps where no lane records.
        assert t == pytest.approx(30 * session.span() / session.columns)
        for run, pos in zip(session.lanes, session.positions, strict=True):
            # Each lane shows its last event at the shared time, not one after it.
            assert pos >= 0 and run.trace.t(pos) <= t
            assert pos == len(run.trace) - 1 or run.trace.t(pos + 1) > t
        await pilot.press("x")  # the switch axis: each lane at its own k-th switch
        await pilot.press("home", *["right"] * 5)
        for run, pos in zip(session.lanes, session.positions, strict=True):
            assert run.trace.kind(pos) == "run"
            assert run.series.switch_count(pos) == 5


async def test_next_print_lands_each_lane_on_its_own_print_of_the_line() -> None:
    app = _app("gather10")
    async with app.run_test(size=SIZE) as pilot:
        session = _session(app)
        await wait_until(pilot, lambda: _over(session), timeout=60)
        await pilot.press("home")
        line = "코루틴 3 종료"
        for _ in range(30):
            await pilot.press("o")
            selected = session.lanes[session.selected]
            if selected.trace.field(session.positions[session.selected], "text") == line:
                break
        else:
            raise AssertionError(f"{line!r} never printed")
        # "Where is each runtime when `코루틴 3 종료` prints?": each lane on its own print.
        for run, pos in zip(session.lanes, session.positions, strict=True):
            assert run.trace.kind(pos) == "output"
            assert run.trace.field(pos, "text") == line
        times = {run.lane.label: run.trace.t(pos)
                 for run, pos in zip(session.lanes, session.positions, strict=True)}
        assert len(set(times.values())) > 1  # three runs, three moments
        await pilot.pause()
        assert sum(f"“{line}”" in row for row in screen_lines(app)) == 3


async def test_enter_opens_the_selected_lane_in_the_player_at_that_event() -> None:
    app = _app("gather10")
    async with app.run_test(size=SIZE) as pilot:
        session = _session(app)
        await wait_until(pilot, lambda: _over(session), timeout=60)
        await pilot.press("home", "o", "o", "o", "down")
        lane = session.lanes[1]
        at = session.positions[1]
        assert lane.lane.runtime == "gevent" and at > 0
        await pilot.press("enter")
        await pilot.pause()
        player = app.screen
        assert isinstance(player, PlayerScreen)
        assert player.session.trace is lane.trace
        assert player.session.cursor == at
        assert player.session.runtime == "gevent"
        assert player.view is not None and player.view.state.index == at
        await pilot.press("right")  # the player steps on from there
        assert player.session.cursor > at
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.first


async def test_an_edit_saved_in_the_editor_runs_every_lane_again(scenario_copy) -> None:  # type: ignore[no-untyped-def]
    from simtui.tui.screens.editor import EditorScreen

    path: Path = scenario_copy("gather10")
    app = _app(str(path), scale=0.02)
    async with app.run_test(size=SIZE) as pilot:
        session = _session(app)
        await wait_until(pilot, lambda: _over(session), timeout=60)
        generation = session.generation
        await pilot.press("e")
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.text_area.text = editor.text.replace("모든 코루틴 종료", "all done")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: session.generation > generation and _over(session),
                         timeout=60)
        assert len(session.lanes) == 3
        for run in session.lanes:
            outputs = [run.trace.field(i, "text") for i in run.series.outputs]
            assert outputs[-1] == "all done", run.lane.label


async def test_an_outside_edit_of_the_file_runs_every_lane_again(scenario_copy) -> None:  # type: ignore[no-untyped-def]
    path: Path = scenario_copy("gather10")
    app = _app(str(path), scale=0.02)
    async with app.run_test(size=SIZE) as pilot:
        session = _session(app)
        await wait_until(pilot, lambda: _over(session), timeout=60)
        generation = session.generation
        # Another editor window saves the file: the lanes run it again, no key pressed.
        path.write_text(path.read_text(encoding="utf-8").replace("모든 코루틴 종료", "all done"),
                        encoding="utf-8")
        await wait_until(pilot, lambda: session.generation > generation and _over(session),
                         timeout=60)
        for run in session.lanes:
            outputs = [run.trace.field(i, "text") for i in run.series.outputs]
            assert outputs[-1] == "all done", run.lane.label
        # A change event for bytes already run (a second event of the same write) does not
        # run the lanes once more.
        again = session.generation
        assert session.file_changed() is False and session.generation == again


async def test_hostile_names_and_printed_text_are_shown_escaped(tmp_path: Path) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    app = _app(str(path), scale=0.05)
    async with app.run_test(size=SIZE) as pilot:
        session = _session(app)
        await wait_until(pilot, lambda: _over(session), timeout=60)
        await pilot.press("home", "o")
        await pilot.pause()
        text = "\n".join(assert_no_raw_controls(app, "on the compare screen"))
        assert r"n\x1b]0;NAME\x07" in text  # the scenario's name, in the header and table
        assert r"“P\x1b]0;X\x07”" in text  # its first print, in each lane


async def test_c_in_the_player_compares_its_scenario_and_escape_goes_back() -> None:
    app = SimtuiApp("gather10", time_scale=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.player.session.scenario is not None)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await wait_until(pilot, lambda: _over(screen.session), timeout=60)
        assert [r.lane.label for r in screen.session.lanes] == ["asyncio", "gevent", "threads"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.player
        assert all(run.live is None for run in screen.session.lanes)  # no lane left running


def test_simtui_compare_on_a_terminal_opens_the_screen_and_q_quits() -> None:
    master, slave = pty.openpty()
    env = {**os.environ, "TEXTUAL_ANIMATIONS": "none", "COLUMNS": "120", "LINES": "40"}
    proc = subprocess.Popen([sys.executable, "-m", "simtui", "compare", "gather10",
                             "--time-scale", "0.02"], cwd=ROOT, stdin=slave, stdout=slave,
                            stderr=slave, env=env)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"as expected" not in seen:
            assert time.monotonic() < deadline, seen[-2000:]
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                seen += os.read(master, 65536)
        os.write(master, b"q")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    # The screen (the alternate screen, the lanes' rows), not the table printed.
    assert b"\x1b[?1049h" in seen and b"ready queue" in seen



def test_a_lanes_backlog_is_taken_in_by_the_clock_a_piece_at_a_time(tmp_path: Path) -> None:
    # As in the player: each look at the clock finds 5 ms more gone, so a pump takes in two
    # pieces (5 ms, then 10 ms: over the budget) and returns with the rest still buffered;
    # the screen answers a key before it comes back for more.
    from simtui.tui.live import INGEST_BUDGET, INGEST_PIECE

    clock = ticking_clock(0.005)
    assert 0.005 < INGEST_BUDGET <= 0.010
    path = tmp_path / "backlog.yaml"
    path.write_text(BACKLOG, encoding="utf-8")
    session = CompareSession(CompareRequest((str(path),), time_scale=1.0), clock=clock)
    assert session.load()
    (run,) = session.lanes
    try:
        assert run.live is not None and run.live.worker.wait(30) == 0  # all buffered
        assert session.pump(run.run_id), "more is buffered after one slice"
        assert len(run.trace) == 2 * INGEST_PIECE
        while session.pump(run.run_id):
            pass
        assert run.trace.end is not None
    finally:
        session.stop()
