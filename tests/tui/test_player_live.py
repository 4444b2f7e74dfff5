"""Live runs in the player: real workers at a small time scale, re-runs, edits, file changes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from simtui.tui.app import SimtuiApp
from simtui.tui.live import LiveRun
from simtui.tui.screens.player import PlayerScreen
from simtui.tui.session import Session
from simtui.tui.view import PlayerView
from simtui.tui.widgets.panes import HeaderBar
from tests.tui.conftest import SIZE, pid_alive, wait_until


def _ended(player: PlayerScreen) -> bool:
    return player.session.live is None and player.session.trace.end is not None


def _outputs(player: PlayerScreen) -> list[str]:
    return [text for _, _, _, text in player.session.replay.outputs]


# Runs that are still going when the test acts, whatever the machine's load: TICKING ends
# on its own after about 4 s of ticks, ENDLESS only when the test ends it (leaving the app
# kills its worker); both make a few switches at once.
TICKING = """
timeout: 60
tasks:
  main:
    - gather: coco
    - repeat: {times: 40, steps: [{sleep: 0.1}, {print: tick}]}
    - print: finished
  coco:
    count: 3
    steps: [yield, {print: "coco {i}"}]
"""
ENDLESS = """
runtimes: [asyncio, gevent]
timeout: 600
tasks:
  main:
    - gather: coco
    - repeat: {times: 100000, steps: [{sleep: 0.05}, {print: tick}]}
  coco:
    count: 3
    steps: [yield, {print: "coco {i}"}]
"""


def _scenario(tmp_path: Path, text: str) -> str:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _views(player: PlayerScreen) -> list[PlayerView]:
    """Every view the screen publishes from now on, in order (however fast they change)."""
    seen: list[PlayerView] = []
    player.watch(player, "view", lambda view: seen.append(view), init=False)
    return seen


async def _switches_shown(  # type: ignore[no-untyped-def]
    pilot, player: PlayerScreen, views: list[PlayerView], until: int,
) -> list[int]:
    """The switch numbers the current run's views showed, in order, until switch `until`.

    `views` must be recording from before the run started (`_views`), or its first
    frames could be published before anyone looks.
    """
    run_id = player.session.run_id

    def shown() -> list[int]:
        out: list[int] = []
        for view in views:
            if view.run_id == run_id and view.state.index >= 0 and (
                    not out or out[-1] != view.state.switch):
                out.append(view.state.switch)
        return out

    await wait_until(pilot, lambda: bool(shown()) and shown()[-1] >= until)
    return shown()


async def _killed(pilot, worker) -> None:  # type: ignore[no-untyped-def]
    """`worker` (the old run's WorkerProcess) was killed, not left to end, and is reaped."""
    pid = worker.proc.pid
    await wait_until(pilot, lambda: worker.returncode is not None and not pid_alive(pid))
    # Its `end` is the one the parent writes for a worker it had to kill.
    assert worker.killed and worker.end_message is not None, "the old run was stopped"
    assert worker.returncode < 0, f"ended by a signal, not exit status {worker.returncode}"


async def test_launch_plays_from_the_first_switch_while_the_worker_records_ahead() -> None:
    # What a newcomer sees with no key pressed: switch 1 first, main starting, the ten
    # coroutines entering the ready queue in order, then playback moving on at its speed.
    app = SimtuiApp("gather10")
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        views = _views(player)

        def frames() -> list[tuple[int, int, tuple[str, ...]]]:
            out: list[tuple[int, int, tuple[str, ...]]] = []
            for view in views:
                if view.state.index >= 0:
                    frame = (view.state.switch, view.recorded,
                             tuple(e.name for e in view.state.ready))
                    if not out or out[-1] != frame:
                        out.append(frame)
            return out

        await wait_until(pilot, lambda: bool(frames()) and frames()[-1][0] >= 3)
        seen = frames()
        assert seen[0][0] == 1, f"the first frame is switch 1, not {seen[0][0]}"
        assert player.session.playing and player.session.mode == "playing"
        # The playhead never jumped to what was recorded but not yet shown.
        switches = [f[0] for f in seen]
        assert switches == sorted(switches) and set(range(1, 4)) <= set(switches)
        assert any(f[1] > f[0] for f in seen), "the worker records ahead of the playhead"
        queued = max((f[2] for f in seen), key=len)
        assert queued == tuple(f"coco[{i}]" for i in range(10 - len(queued), 10)), \
            "the coroutines queue in order"
        header = str(player.query_one(HeaderBar).render())
        assert f"switch {player.view.state.switch} · recorded {player.view.recorded}" in header \
            or player.view.lifecycle == "ended"


async def test_end_follows_the_live_run_and_space_stops_following(tmp_path: Path) -> None:
    app = SimtuiApp(_scenario(tmp_path, ENDLESS))
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _outputs(player).count("tick") >= 2)
        pid = player.session.worker_pid
        assert pid is not None and player.session.live is not None
        # Playing from the start: the playhead is behind the newest event …
        assert not player.session.follow and player.session.mode == "playing"
        await pilot.press("end")
        # … `end` jumps to the newest event and follows the run live …
        assert player.session.follow and player.session.mode == "live"
        assert player.session.cursor == len(player.session.replay) - 1
        first = player.session.cursor
        await wait_until(pilot, lambda: "recording" in player.view.progress)
        ticks = _outputs(player).count("tick")
        await wait_until(pilot, lambda: _outputs(player).count("tick") >= ticks + 2)
        assert player.session.live is not None and player.session.follow
        assert player.session.cursor == len(player.session.replay) - 1 > first
        # … until space: the view stays where it is while the run goes on.
        await pilot.press("space")
        held = player.session.cursor
        assert player.session.mode == "paused" and not player.session.follow
        await wait_until(pilot, lambda: len(player.session.replay) > held + 5)
        assert player.session.cursor == held
    assert not pid_alive(pid)


async def test_a_live_run_that_ends_is_played_to_its_last_event() -> None:
    app = SimtuiApp("gather10", time_scale=0.05, speed=1024)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: player.session.worker_pid is not None)
        pid = player.session.worker_pid
        await wait_until(pilot, lambda: _ended(player) and not player.session.playing)
        assert player.session.lifecycle == "ended"
        assert player.session.cursor == len(player.session.replay) - 1
        assert player.view.state.status == "ok"
        assert player.view.progress == ""
        assert _outputs(player)[-1] == "모든 코루틴 종료"
        assert pid is not None and not pid_alive(pid)


async def test_pause_during_a_live_run_keeps_the_view_while_the_run_finishes(
    tmp_path: Path,
) -> None:
    app = SimtuiApp(_scenario(tmp_path, TICKING))
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: player.view is not None and player.view.state.switch > 0)
        # Seconds of ticks are left: the key reaches a live run, not a finished one (where
        # space would start playing from the top).
        assert player.session.live is not None and "finished" not in _outputs(player)
        await pilot.press("space")
        held = player.session.cursor
        session = player.session
        assert session.mode == "paused" and not session.follow and not session.playing
        await wait_until(pilot, lambda: _ended(player))
        assert player.session.cursor == held, "the view stays where the user paused"
        assert _outputs(player)[-1] == "finished", "the run went on in the background"
        assert player.session.mode == "paused"
        await pilot.press("end")
        assert player.session.cursor == len(player.session.replay) - 1


async def test_rerun_kills_the_old_worker_and_plays_from_the_first_switch(
    tmp_path: Path,
) -> None:
    app = SimtuiApp(_scenario(tmp_path, ENDLESS), speed=2)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: len(player.session.replay.switches) >= 8)
        await pilot.press("home")
        for _ in range(5):
            await pilot.press("right")
        assert player.view.state.switch == 5
        first_run = player.session.run_id
        assert player.session.live is not None
        old = player.session.live.worker
        assert pid_alive(old.proc.pid), "the old run is still going"
        views = _views(player)
        await pilot.press("R")
        assert player.session.run_id == first_run + 1
        pid = player.session.worker_pid
        assert pid is not None and pid != old.proc.pid
        # The new run starts over: its first frame is its first switch, and it plays on
        # (not back to where the old run was left).
        switches = await _switches_shown(pilot, player, views, until=2)
        assert switches[0] == 1 and switches == sorted(switches)
        assert player.session.playing
        assert player.session.live is not None and player.session.worker_pid == pid
        await _killed(pilot, old)
    assert not pid_alive(pid)


async def test_runtime_change_reruns_on_the_chosen_runtime(tmp_path: Path) -> None:
    from simtui.tui.screens.runtime_picker import RuntimePickerScreen

    app = SimtuiApp(_scenario(tmp_path, ENDLESS))
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: player.view is not None and player.view.state.switch > 0)
        assert player.session.live is not None and player.session.runtime == "asyncio"
        old = player.session.live.worker
        await pilot.press("r")
        picker = app.screen
        assert isinstance(picker, RuntimePickerScreen)
        picker.dismiss("gevent")
        await wait_until(pilot, lambda: player.session.runtime == "gevent")
        await _killed(pilot, old)  # the old worker is killed for the new run
        await wait_until(pilot, lambda: _outputs(player).count("tick") >= 2)
        assert player.session.live is not None and player.session.live.worker is not old
        assert player.session.trace.header["runtime"] == "gevent"
        assert player.view.runtime == "gevent"
        assert player.session.playing and player.view.state.switch >= 1
        assert player.session.live.worker.proc.pid != old.proc.pid


async def test_edit_save_reruns_with_the_new_text(scenario_copy) -> None:  # type: ignore[no-untyped-def]
    from simtui.tui.screens.editor import EditorScreen

    path: Path = scenario_copy("gather10")
    app = SimtuiApp(str(path), time_scale=0.02)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _ended(player))
        await pilot.press("e")
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.text_area.text = editor.text.replace("모든 코루틴 종료", "all done")
        await pilot.press("ctrl+s")
        run = player.session.run_id
        await wait_until(pilot, lambda: player.session.run_id == run and _ended(player))
        assert "all done" in path.read_text(encoding="utf-8")
        assert _outputs(player)[-1] == "all done"
        assert player.session.error == ""


async def test_broken_save_keeps_the_last_run_and_shows_the_banner(scenario_copy) -> None:  # type: ignore[no-untyped-def]
    from simtui.tui.screens.editor import EditorScreen

    path: Path = scenario_copy("gather10")
    app = SimtuiApp(str(path), time_scale=0.02)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _ended(player))
        good_run, good_len = player.session.run_id, len(player.session.replay)
        broken = path.read_text(encoding="utf-8").replace("- sleep: 3", "- slep: 3")
        path.write_text(broken, encoding="utf-8")
        app.post_message(EditorScreen.Saved(path))  # what the editor posts after ctrl+s
        await wait_until(pilot, lambda: player.session.error != "")
        banner = player.query_one("#banner")
        assert banner.has_class("-error")
        line = broken.splitlines().index("      - slep: 3") + 1
        assert player.session.error.startswith(f"{line}:")
        assert player.session.run_id == good_run and len(player.session.replay) == good_len
        assert player.view.source is not None and player.view.source.error_line == line
        assert player.view.source.text == broken  # the user's text is shown, not lost


async def test_external_file_change_reruns(scenario_copy) -> None:  # type: ignore[no-untyped-def]
    path: Path = scenario_copy("gather10")
    app = SimtuiApp(str(path), time_scale=0.02)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _ended(player))
        first = player.session.run_id
        await pilot.pause(0.5)  # the watcher is up
        path.write_text(path.read_text(encoding="utf-8").replace("모든 코루틴 종료", "changed"),
                        encoding="utf-8")
        await wait_until(pilot, lambda: player.session.run_id > first and _ended(player))
        assert _outputs(player)[-1] == "changed"


async def test_worker_crash_shows_an_error_and_the_ui_stays_usable() -> None:
    app = SimtuiApp("gather10", time_scale=1.0)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: player.view is not None and player.view.state.switch > 3)
        assert player.session.live is not None and player.session.live.pid is not None
        os.kill(player.session.live.pid, signal.SIGKILL)
        await wait_until(pilot, lambda: player.session.live is None)
        # simtui ended the trace for the worker and says why on the banner.
        end = player.session.trace.end
        assert end is not None and end["status"] == "killed"
        assert player.session.error.startswith("the asyncio run did not finish:")
        assert "SIGKILL" in player.session.error
        assert player.query_one("#banner").has_class("-error")
        await pilot.press("home", "right")
        assert player.view.state.switch == 1


async def test_quit_leaves_no_worker_alive() -> None:
    app = SimtuiApp("gather10", time_scale=1.0)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: player.session.live is not None and player.session.live.pid)
        pid = player.session.live.pid
        assert pid_alive(pid)
        await pilot.press("q")
    assert not pid_alive(pid)


async def test_open_another_scenario_runs_it_on_its_own_runtime() -> None:
    from simtui.tui.screens.open_scenario import OpenScenarioScreen

    app = SimtuiApp("gather10", time_scale=0.02)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _ended(player))
        await pilot.press("o")
        assert isinstance(app.screen, OpenScenarioScreen)
        app.screen.dismiss("greenlet_pingpong")
        await wait_until(pilot, lambda: player.session.runtime == "greenlet" and _ended(player))
        assert player.session.trace.header["scenario"] == "greenlet_pingpong"
        assert player.check_action("choose_runtime", ()) is None  # it supports only greenlet
        await pilot.press("end")
        assert player.view.state.stuck, "task_b is left suspended"


async def test_an_in_app_save_reruns_once_not_again_for_the_file_event(scenario_copy) -> None:  # type: ignore[no-untyped-def]
    from simtui.tui.screens.editor import EditorScreen

    path: Path = scenario_copy("gather10")
    app = SimtuiApp(str(path), time_scale=0.02)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _ended(player))
        await pilot.pause(0.5)  # the watcher is up
        await pilot.press("e")
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.text_area.text = editor.text.replace("모든 코루틴 종료", "once")
        before = player.session.run_id
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: player.session.run_id > before and _ended(player))
        await pilot.pause(1.0)  # long enough for the watcher to see the write
        assert player.session.run_id == before + 1


async def test_opening_a_scenario_from_a_replay_runs_it_live() -> None:
    from tests.tui.conftest import TRACES

    app = SimtuiApp(trace_path=str(TRACES / "greenlet_pingpong-greenlet.jsonl"), time_scale=0.02)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        assert player.check_action("rerun", ()) is False  # hidden: nothing to re-run
        await pilot.press("o")
        app.screen.dismiss("gather10")
        await wait_until(pilot, lambda: player.session.worker_pid is not None and _ended(player))
        assert player.session.runtime == "asyncio"
        assert player.session.trace.header["scenario"] == "gather10"
        assert player.check_action("rerun", ()) is True


async def test_a_stopped_worker_is_killed_and_the_banner_says_why(
    tmp_path: Path, monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from simtui.trace import stream

    monkeypatch.setattr(stream, "GRACE", 1.0)  # the rule, with a shorter wait
    scenario = tmp_path / "sleeper.yaml"
    scenario.write_text("timeout: 1\ntasks:\n  main:\n    - print: started\n    - sleep: 30\n",
                        encoding="utf-8")
    app = SimtuiApp(str(scenario))
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _outputs(player) == ["started"])
        assert player.session.live is not None and player.session.live.pid is not None
        pid = player.session.live.pid
        os.kill(pid, signal.SIGSTOP)
        await wait_until(pilot, lambda: player.session.live is None)
        end = player.session.trace.end
        assert end is not None and end["status"] == "killed"
        assert "stopped" in player.session.error and "1 s timeout" in player.session.error
        assert player.query_one("#banner").has_class("-error")
        assert player.session.lifecycle == "killed"
        await pilot.press("end")
        assert player.view.state.status == "killed"
        assert not pid_alive(pid)


async def test_a_run_the_user_stops_by_rerunning_shows_no_banner() -> None:
    app = SimtuiApp("gather10", time_scale=1.0)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        session = player.session
        await wait_until(pilot, lambda: session.live is not None and len(session.replay) > 5)
        old = session.live.pid
        await pilot.press("R")  # kills the live worker and starts again
        assert old is not None and not pid_alive(old)
        await wait_until(pilot, lambda: session.live is not None and len(session.replay) > 5)
        await pilot.pause(0.3)  # the old run's exit, if it were reported, would come now
        assert player.session.error == ""
        assert not player.query_one("#banner").has_class("-error")


async def test_the_banner_shows_its_text_as_it_is_never_as_markup() -> None:
    from textual.widgets import Static

    app = SimtuiApp(trace_path="tests/tui/traces/gather10-asyncio.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        # A worker's last stderr line or a file name can hold anything.
        player._do(setattr, player.session, "error", "exit 1: [bold]boom[/bold] \x1b[2J")
        await pilot.pause()
        banner = player.query_one("#banner", Static)
        assert str(banner.visual) == "exit 1: [bold]boom[/bold] \\x1b[2J"


BACKLOG = """
timeout: 60
tasks:
  main:
    - gather: coco
  coco:
    count: 200
    steps:
      - repeat: {times: 250, steps: [yield]}
"""


async def _first_repaint(pilot, player: PlayerScreen) -> tuple[int, bool]:  # type: ignore[no-untyped-def]
    """(events taken in, whether some were still buffered) at the next repaint."""
    session = player.session
    painted: list[tuple[int, bool]] = []

    def after_paint() -> None:
        live = session.live
        painted.append((len(session.replay), live is not None and live.has_pending()))

    player.call_after_refresh(after_paint)
    await wait_until(pilot, lambda: bool(painted), timeout=30)
    return painted[0]


def _hold_until_buffered(session: Session) -> LiveRun:
    """Hold the UI's event loop (a blocking wait on its thread) until the live run's worker
    has exited, so that its reader thread has buffered the whole run: a backlog, for sure."""
    import time

    live = session.live
    assert live is not None
    deadline = time.monotonic() + 60
    while live.worker.returncode is None and time.monotonic() < deadline:
        time.sleep(0.01)  # nothing on the UI's loop runs meanwhile
    assert live.worker.returncode == 0 and live.has_pending()
    return live


async def test_the_screen_repaints_while_a_backlog_of_events_is_taken_in(tmp_path: Path) -> None:
    # A run that records faster than the UI takes its events in: the screen takes them a
    # slice per turn, and must repaint (so show keys' effects) between slices, not only
    # once the whole backlog is in. The backlog is made certain: the test holds the UI's
    # event loop (a blocking wait on this thread) until the worker has exited, so the
    # reader thread has buffered the whole run, ~200,000 events, many slices.
    app = SimtuiApp(scenario=_scenario(tmp_path, BACKLOG))
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        session = player.session
        await wait_until(pilot, lambda: session.live is not None and len(session.replay) > 0,
                         timeout=30)
        _hold_until_buffered(session)
        taken, still_pending = await _first_repaint(pilot, player)
        assert still_pending, f"the first repaint came only after all {taken} events were in"
        await wait_until(pilot, lambda: _ended(player), timeout=60)


WIDE_BACKLOG = """
timeout: 60
tasks:
  main:
    - gather: coco
  coco:
    count: 2000
    steps:
      - repeat: {times: 25, steps: [yield]}
"""


async def test_a_key_is_answered_while_a_backlog_is_taken_in_away_from_the_live_edge(
        tmp_path: Path) -> None:
    # With the cursor on an early event, a slice of the backlog changes nothing on screen,
    # so Textual has nothing to repaint and runs the callbacks "after the next repaint" at
    # once: the screen must still let a key in between two slices, not only once all is
    # in. The backlog is made certain as above: the UI's loop is held until the worker
    # exits; the key is sent once the screen is taking the backlog in.
    app = SimtuiApp(scenario=_scenario(tmp_path, WIDE_BACKLOG))
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        session = player.session
        await wait_until(pilot, lambda: session.live is not None and len(session.replay) > 5,
                         timeout=30)
        live = _hold_until_buffered(session)
        player.seek(0)  # as Home does
        assert session.cursor == 0 and session.mode == "paused"
        answered: list[tuple[int, bool]] = []
        step = player.action_next_event

        def timed() -> None:
            step()
            answered.append((session.cursor, live.has_pending()))

        player.action_next_event = timed  # type: ignore[method-assign]
        pump = session.pump
        pumps = [0]

        def pump_then_key(run_id: int) -> bool:
            more = pump(run_id)
            pumps[0] += 1
            if pumps[0] == 2:  # `.` typed while the backlog is taken in, as a terminal sends it
                app.simulate_key("full_stop")
            return more

        session.pump = pump_then_key  # type: ignore[method-assign]
        await wait_until(pilot, lambda: bool(answered), timeout=60)
        cursor, still_pending = answered[0]
        assert cursor == 1, "the key moved the cursor one event on"
        assert still_pending, "the key was answered only once the whole backlog was in"
        await wait_until(pilot, lambda: _ended(player), timeout=60)
        assert session.cursor == 1
