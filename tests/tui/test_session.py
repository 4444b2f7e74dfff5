"""The player's session without Textual: stepping, playback, following, re-runs, run ends.

Live runs are real workers (small time scales); their events reach the session the way
they reach the screen — the reader thread wakes it, the test thread pumps.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simtui.tui.session import Session
from simtui.tui.view import wait_text
from tests.tui.conftest import BACKLOG, ROOT, TRACES, pid_alive, ticking_clock

GATHER = str(TRACES / "gather10-asyncio.jsonl")

ENDLESS = """
timeout: 600
tasks:
  main:
    - gather: coco
    - repeat: {times: 100000, steps: [{sleep: 0.02}, {print: tick}]}
  coco:
    count: 3
    steps: [yield, {print: "coco {i}"}]
"""


class Wires:
    """Stands in for the screen: the worker's threads wake it, the test thread pumps."""

    def __init__(self) -> None:
        self.woken = threading.Event()
        self.exits: queue.Queue[tuple[int, object]] = queue.Queue()

    def wake(self, run_id: int) -> None:
        self.woken.set()

    def exited(self, run_id: int, worker: object) -> None:
        self.exits.put((run_id, worker))
        self.woken.set()

    def session(self, scenario: str, **kw: object) -> Session:
        return Session(scenario, wake=self.wake, exited=self.exited, **kw)  # type: ignore[arg-type]

    def run_until(self, session: Session, predicate: Callable[[], bool],
                  timeout: float = 20.0, tick: float = 0.0) -> None:
        """Take in what the worker sends (and tick `tick` s per turn) until `predicate`."""
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "timed out"
            self.woken.wait(0.02)
            self.woken.clear()
            while session.pump(session.run_id):
                pass
            while True:
                try:
                    run_id, worker = self.exits.get_nowait()
                except queue.Empty:
                    break
                while session.exited(run_id, worker):  # type: ignore[arg-type]
                    pass
            if tick:
                session.tick(tick)


@pytest.fixture
def wires() -> Wires:
    return Wires()


@pytest.fixture
def endless(tmp_path: Path) -> str:
    path = tmp_path / "endless.yaml"
    path.write_text(ENDLESS, encoding="utf-8")
    return str(path)


def _kind(session: Session) -> str:
    return session.trace[session.cursor]["type"]


# -- a saved trace: nothing runs --------------------------------------------------------


def test_a_replay_opens_paused_at_the_first_event() -> None:
    s = Session(trace_path=GATHER)
    assert s.lifecycle == "replay" and s.live is None
    assert s.cursor == 0 and not s.playing and s.mode == "paused"
    view = s.view()
    assert view.runtime == "asyncio" and view.queue == "fifo"
    assert view.state.index == 0 and view.length == len(s.replay)


def test_stepping_by_stops_and_events() -> None:
    s = Session(trace_path=GATHER)
    assert s.can("prev_stop") is None and s.can("next_stop") is True
    s.next_stop()
    first = s.cursor
    assert _kind(s) == "run" and s.view().state.switch == 1
    s.next_stop()
    assert _kind(s) == "run" and s.cursor > first and s.view().state.switch == 2
    s.prev_stop()
    assert s.cursor == first
    s.next_event()
    assert s.cursor == first + 1
    s.prev_event()
    assert s.cursor == first
    s.last()
    assert s.cursor == len(s.replay) - 1 and not s.follow, "nothing live to follow"
    assert s.can("next_event") is None and s.can("next_stop") is None
    assert s.view().state.status == "ok"
    s.first()
    assert s.cursor == 0


def test_playback_advances_by_the_speed_and_stops_at_the_end() -> None:
    s = Session(trace_path=GATHER, speed=4)
    s.play_pause()
    assert s.playing
    s.tick(0.25)  # 4 switches a second: one switch
    assert s.view().state.switch == 1
    s.tick(0.125)
    assert s.view().state.switch == 1, "half a step is kept for the next tick"
    s.tick(0.125)
    assert s.view().state.switch == 2
    s.faster()
    assert s.speed == 8
    s.tick(0.25)
    assert s.view().state.switch == 4
    for _ in range(100):
        s.tick(0.25)
    assert not s.playing and s.cursor == len(s.replay) - 1, "the end is shown, then it stops"
    s.play_pause()  # at the end of a finished run, play starts over from the first switch
    assert s.playing and s.view().state.switch == 1 and _kind(s) == "run"


def test_a_long_stall_is_not_made_up_at_once() -> None:
    s = Session(trace_path=GATHER, speed=4)
    s.play_pause()
    s.tick(30.0)  # the UI was stuck for 30 s
    assert s.view().state.switch == 1


def test_a_view_keeps_what_it_showed_while_the_run_grows(wires: Wires, endless: str) -> None:
    s = wires.session(endless, time_scale=0.1)
    assert s.reload()
    try:
        wires.run_until(s, lambda: len(s.replay.outputs) >= 5)
        s.last()
        early = s.view()
        outputs, events = len(early.outputs), len(early.events)
        tasks = early.timeline.tasks
        wires.run_until(s, lambda: len(s.replay.outputs) >= outputs + 3)
        assert len(early.outputs) == outputs and len(early.events) == events
        assert early.outputs[-1] == early.outputs[outputs - 1]
        assert early.timeline.tasks == tasks
        for task in tasks:
            seg = early.timeline.segments(task)
            assert all(seg.indices[i] < early.length for i in range(seg.n))
    finally:
        s.stop()


# -- a live run --------------------------------------------------------------------------


def test_a_live_run_plays_from_its_first_switch_while_it_records(
    wires: Wires, endless: str
) -> None:
    s = wires.session(endless, time_scale=0.1, speed=4)
    assert s.reload()
    try:
        assert s.lifecycle == "starting" and s.playing and s.cursor == -1
        assert s.view().progress == "starting the worker"
        wires.run_until(s, lambda: s.cursor >= 0)
        assert s.lifecycle == "live" and _kind(s) == "run" and s.view().state.switch == 1
        wires.run_until(s, lambda: len(s.replay.switches) >= 8)
        assert s.view().state.switch == 1, "no tick yet: the playhead waits for the clock"
        assert s.view().recorded >= 8 and "recording" in s.view().progress
        shown = []
        for _ in range(6):
            s.tick(0.25)
            shown.append(s.view().state.switch)
        assert shown == [2, 3, 4, 5, 6, 7], "one switch per tick, none skipped"
    finally:
        s.stop()


def test_the_playhead_waits_at_the_newest_switch_of_a_live_run(
    wires: Wires, endless: str
) -> None:
    s = wires.session(endless, time_scale=0.1, speed=1024)
    assert s.reload()
    try:
        wires.run_until(s, lambda: len(s.replay.switches) >= 3)
        s.tick(0.25)
        assert s.cursor == s.replay.stops[-1] and s.playing, "caught up, still playing"
        seen = s.replay.stop_count(s.cursor)
        wires.run_until(s, lambda: len(s.replay.stops) > seen + 2)
        s.tick(0.001)  # one stop's worth of time: one stop on, however many are new
        assert s.cursor == s.replay.stops[seen]
        s.tick(0.25)
        assert s.cursor == s.replay.stops[-1]
    finally:
        s.stop()


def test_caught_up_with_a_live_run_the_playhead_shows_what_it_does_now(wires: Wires) -> None:
    # gather10 at full scale: after its 11th switch every task sleeps for 3 s. Once the
    # playhead has shown that switch it goes on to the newest event: the loop, idle.
    s = wires.session("gather10", speed=1024)
    assert s.reload()
    try:
        def idle() -> bool:
            state = s.replay.state(len(s.replay) - 1) if len(s.replay) else None
            return state is not None and len(state.waiting) == 11 and state.running is None

        wires.run_until(s, idle)
        assert len(s.replay.switches) == 11 and s.lifecycle == "live"
        s.tick(0.25)  # to the 11th switch (the stops not yet shown come first)
        assert s.cursor == s.replay.switches[-1]
        s.tick(0.25)
        view = s.view()
        assert s.cursor == len(s.replay) - 1 and view.state.running is None
        assert len(view.state.waiting) == 11 and s.playing
        assert view.running[0][0] == "the event loop", "nothing runs: the loop waits"
    finally:
        s.stop()


def test_last_follows_the_live_run_until_space(wires: Wires, endless: str) -> None:
    s = wires.session(endless, time_scale=0.1)
    assert s.reload()
    try:
        wires.run_until(s, lambda: len(s.replay) > 20)
        s.last()
        assert s.follow and s.mode == "live" and not s.playing
        n = len(s.replay)
        wires.run_until(s, lambda: len(s.replay) > n + 10)
        assert s.cursor == len(s.replay) - 1, "the cursor stays on the newest event"
        s.play_pause()
        held = s.cursor
        assert not s.follow and s.mode == "paused"
        n = len(s.replay)
        wires.run_until(s, lambda: len(s.replay) > n + 10)
        assert s.cursor == held
    finally:
        s.stop()



def test_a_key_is_handled_between_two_ingest_slices_while_a_backlog_is_taken_in(
        wires: Wires, tmp_path: Path) -> None:
    # Each look at the clock finds 5 ms more gone: a pump takes in one piece, looks (5 ms,
    # under the budget), takes another and looks again (10 ms: over it), and returns with
    # the rest of the backlog still buffered, so the screen handles a key before the next.
    from simtui.tui.live import INGEST_BUDGET, INGEST_PIECE

    clock = ticking_clock(0.005)
    assert 0.005 < INGEST_BUDGET <= 0.010
    path = tmp_path / "backlog.yaml"
    path.write_text(BACKLOG, encoding="utf-8")
    s = wires.session(str(path), clock=clock)
    assert s.reload()
    live = s.live
    assert live is not None
    try:
        assert live.worker.wait(30) == 0  # the whole run (~20,000 events) is buffered
        s.last()  # following the run as it is taken in
        assert s.pump(s.run_id), "more is buffered after one slice"
        assert len(s.replay) == 2 * INGEST_PIECE
        assert s.cursor == len(s.replay) - 1
        s.first()  # the key, between two slices: the run is no longer followed
        assert s.pump(s.run_id)
        assert len(s.replay) == 4 * INGEST_PIECE, "the next slice is as long"
        assert s.cursor == 0 and s.mode == "paused", "and keeps what the key did"
        while s.pump(s.run_id):
            pass
        assert s.trace.end is not None and s.cursor == 0
    finally:
        s.stop()


def test_a_run_that_ends_is_played_to_its_end(wires: Wires) -> None:
    s = wires.session("gather10", time_scale=0.02, speed=8)
    assert s.reload()
    wires.run_until(s, lambda: s.lifecycle == "ended")
    assert s.live is None and s.trace.end is not None and s.trace.end["status"] == "ok"
    assert s.view().progress == "" and s.playing, "the playhead plays on after the run ended"
    wires.run_until(s, lambda: not s.playing, tick=0.25)
    assert s.cursor == len(s.replay) - 1 and s.view().state.status == "ok"
    assert s.view().lifecycle == "ended" and not s.view().live
    assert s.worker_pid is not None and not pid_alive(s.worker_pid)


def test_a_killed_run_is_said_to_be_killed(wires: Wires, endless: str) -> None:
    s = wires.session(endless, time_scale=0.1)
    assert s.reload()
    wires.run_until(s, lambda: len(s.replay.switches) >= 3)
    assert s.worker_pid is not None
    os.kill(s.worker_pid, signal.SIGKILL)
    wires.run_until(s, lambda: s.lifecycle not in ("starting", "live"))
    assert s.lifecycle == "killed" and s.live is None
    assert s.trace.end is not None and s.trace.end["status"] == "killed"
    assert s.view().error.startswith("the asyncio run did not finish:")
    s.last()
    assert s.view().state.status == "killed"


def test_rerun_kills_the_old_worker_and_plays_the_new_run_from_its_first_switch(
    wires: Wires, endless: str
) -> None:
    s = wires.session(endless, time_scale=0.1, speed=4)
    assert s.reload()
    try:
        wires.run_until(s, lambda: len(s.replay.switches) >= 6)
        for _ in range(4):
            s.next_stop()
        assert s.view().state.switch == 5 and not s.playing, "stepping pauses playback"
        old_pid, old_run = s.worker_pid, s.run_id
        assert s.rerun()
        assert old_pid is not None and not pid_alive(old_pid), "stopped with its group"
        assert s.run_id == old_run + 1 and s.worker_pid != old_pid
        assert s.cursor == -1 and s.playing and s.lifecycle == "starting"
        wires.run_until(s, lambda: s.cursor >= 0)
        assert s.view().state.switch == 1 and s.view().run_id == s.run_id
    finally:
        s.stop()


def test_choosing_a_runtime_runs_there_from_the_first_switch(wires: Wires, endless: str) -> None:
    s = wires.session(endless, time_scale=0.1)
    assert s.reload()
    try:
        wires.run_until(s, lambda: len(s.replay.switches) >= 4)
        s.last()
        assert not s.choose_runtime("greenlet"), "not one the scenario supports"
        assert s.choose_runtime("threads")
        assert s.runtime == "threads" and s.playing and not s.follow
        wires.run_until(s, lambda: s.cursor >= 0)
        assert s.trace.header["runtime"] == "threads" and s.view().queue == "set"
        assert s.view().state.switch == 1
    finally:
        s.stop()


def test_a_file_changed_on_disk_runs_again_near_the_same_switch(
    wires: Wires, endless: str
) -> None:
    s = wires.session(endless, time_scale=0.1)
    assert s.reload()
    try:
        wires.run_until(s, lambda: len(s.replay.switches) >= 6)
        s.first()
        for _ in range(4):
            s.next_stop()
        assert not s.file_changed(), "the same bytes: nothing to do"
        Path(endless).write_text(ENDLESS.replace("tick", "tock"), encoding="utf-8")
        assert s.file_changed()
        wires.run_until(s, lambda: s.target_switch is None and s.cursor >= 0)
        assert s.view().state.switch == 4 and not s.playing
    finally:
        s.stop()


def test_a_duration_reads_the_same_in_running_and_waiting(wires: Wires, tmp_path: Path) -> None:
    path = tmp_path / "half.yaml"
    path.write_text("tasks:\n  main:\n    - sleep: 0.5\n    - print: done\n", encoding="utf-8")
    s = wires.session(str(path), time_scale=0.2)
    assert s.reload()
    try:
        wires.run_until(s, lambda: s.lifecycle == "ended")
        trace = s.trace
        step = next(i for i in range(len(trace)) if trace[i].get("op") == "sleep")
        suspend = next(i for i in range(len(trace)) if trace[i]["type"] == "suspend")
        s.seek(step)
        running = " ".join(text for text, _ in s.view().running)
        s.seek(suspend)
        main = s.view().state.tasks["main"]
        assert "sleep 500 ms" in running
        assert wait_text(main) == "sleep 500 ms", "as the Running pane says it"
        assert s.view().time_scale == 0.2
    finally:
        s.stop()


def test_the_default_runtime_comes_from_the_scenario() -> None:
    # Not a name the player picks: the loader's rule (here, the scenario's `runtime`).
    s = Session("gevent_spawn3")
    assert s.runtime is None and s.view().runtime is None
    assert s.reload()
    try:
        assert s.runtime == "gevent"
    finally:
        s.stop()


def test_what_cannot_be_done_in_a_replay_says_why() -> None:
    s = Session(trace_path=GATHER)
    for action in ("choose_runtime", "rerun", "edit"):
        assert s.can(action) is False
        assert "saved trace" in s.why_not(action) and "o opens" in s.why_not(action)


# -- the contract -------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["simtui.tui.session", "simtui.tui.view"])
def test_the_session_and_its_view_import_no_textual(module: str) -> None:
    code = (f"import sys, {module}; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')); "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{module} imports {done.stdout.strip()}"
