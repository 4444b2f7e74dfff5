"""The player's state without Textual: the scenario, its run, the playhead, and the view.

`Session` owns what the player screen used to keep in two dozen attributes: the scenario
and the runtime it runs on, the current run's lifecycle (starting, live, ended, killed,
failed; or a saved trace), the cursor, playing, following the newest event, the speed and
its budget between ticks. Every change goes through one of its methods, and `view()`
computes the immutable `PlayerView` the panes draw. The screen binds that value and only
forwards keys, ticks and the worker's messages; tests drive a session without Textual.

A live run's events come in at one place, `pump()` (and `_take_in()`, which it calls).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from simtui import runtimespec
from simtui.files import TextFormat, read_regular, reason
from simtui.replay.explain import explain
from simtui.replay.model import Replay
from simtui.replay.state import State
from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import (
    BUNDLED_DIR,
    MAX_FILE_BYTES,
    load_scenario,
    load_text,
    resolve,
)
from simtui.scenario.model import Scenario, Step
from simtui.trace.events import queue_discipline
from simtui.trace.export import describe
from simtui.trace.model import Trace
from simtui.trace.reader import TraceError
from simtui.trace.stream import WorkerProcess
from simtui.trace.wire import Batch
from simtui.tui.live import INGEST_BUDGET, LiveRun
from simtui.tui.view import (
    EventRows,
    OutputLines,
    PlayerView,
    Source,
    TimelineData,
    running_lines,
    step_table,
)

Lifecycle = Literal["none", "starting", "live", "ended", "killed", "failed", "replay"]
"""`none`: no run (nothing loaded yet); `starting`: the worker runs, no event has come;
`live`: events are coming; `ended`: the run ended by itself (any status but `killed`);
`killed`: simtui had to end the trace for the worker; `failed`: the worker could not
start, died without an end, or sent a bad event; `replay`: a saved trace."""

SPEEDS = (0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
DEFAULT_SPEED = 4.0
MAX_TICK = 0.25
"""Seconds of playback one tick may make up for (a stalled UI must not leap ahead)."""
AXES = ("switch", "time")

Wake = Callable[[int], object]
"""Called from the worker's reader thread with the run id when events are buffered."""
Exited = Callable[[int, WorkerProcess], object]
"""Called from the worker's reader thread with the run id when the worker has exited."""


class Session:
    """One scenario (or saved trace) in the player: its run and the playhead over it.

    `wake` and `exited` are how a live run reaches the UI thread (the screen posts a
    message from each); the UI thread then calls `pump()` and `exited()`.
    """

    def __init__(
        self,
        scenario: str | None = None,
        trace_path: str | None = None,
        runtime: str | None = None,
        time_scale: float = 1.0,
        speed: float | None = None,
        wake: Wake | None = None,
        exited: Exited | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scenario_path: str = scenario or ("" if trace_path else "gather10")
        """The scenario as the user named it (a path or a bundled name); empty in a replay."""
        self.trace_path = trace_path
        """The saved trace being replayed; None for a scenario run live."""
        self.requested_runtime = runtime
        """The runtime the user asked for (-r, the picker); None: the scenario's default."""
        self.time_scale = time_scale
        self.speed = float(speed or DEFAULT_SPEED)
        """Switches per second while playing."""
        self._wake = wake or (lambda run_id: None)
        self._exited = exited or (lambda run_id, worker: None)
        self._clock = clock

        self.scenario: Scenario | None = None
        self.source: Source | None = None
        self.runtime: str | None = runtime
        """The runtime of the run on screen; None until the scenario (or trace) says."""
        self.title = self.scenario_path
        """The header's title: the scenario's name and title once it has loaded."""
        self.error = ""
        """The error banner (a scenario that does not load, a worker that failed)."""
        self.trace = Trace()
        self.replay = Replay(self.trace)
        self.run_id = 0
        self.lifecycle: Lifecycle = "none"
        self.live: LiveRun | None = None
        self.worker_pid: int | None = None
        """The process id of the last worker started (they are all gone once it ends)."""
        self.started = 0.0
        self.last_read: tuple[bytes | None, str] = (None, "")
        """The scenario file as last loaded (or refused): its bytes, or why it could not be
        read. A file event that finds the same on disk is ours, or a repeat."""
        self.last_reload = 0.0

        self.cursor = -1
        """The event on screen; -1 before any."""
        self.playing = False
        self.follow = False
        """The cursor stays on the newest event of a live run (`end`)."""
        self.target_switch: int | None = None
        """After the file changed on disk: the switch to land on once the new run has it."""
        self.axis = "switch"
        self._budget = 0.0
        self._steps: dict[tuple[str, int], Step] = {}
        self._explained: tuple[int, int, str | None, str] = (-1, -2, None, "")
        self._shown_path: tuple[object, str] = (None, "")
        if trace_path is not None:
            self.open_trace(trace_path)

    # -- what is loaded ------------------------------------------------------------------

    @property
    def is_replay(self) -> bool:
        return self.trace_path is not None

    def open_trace(self, path: str) -> bool:
        """Load a saved trace to replay; on a problem say why (the banner) and keep none."""
        try:
            trace = Trace.load(path)
        except (TraceError, OSError) as e:
            self.error = f"{path}: {e}"
            return False
        header = trace.header or {}
        runtime = header.get("runtime")
        self.runtime = str(runtime) if runtime else None
        self.title = f"{header.get('scenario', '?')} — {header.get('title', '')} (replay)"
        self.scenario = None
        source = header.get("source")
        if source and resolve(str(source)) is not None:
            try:
                self.scenario = load_scenario(str(source))
                self.source = Source(str(source), self.scenario.text)
            except ScenarioError:
                self.scenario = None
        self._steps = step_table(self.scenario)
        self.run_id += 1
        self.trace, self.replay = trace, Replay(trace)
        self.lifecycle = "replay"
        self.cursor = 0 if len(self.replay) else -1
        self.playing = self.follow = False
        self.target_switch = None
        return True

    def show_run(self, trace: Trace, scenario: Scenario, runtime: str, index: int,
                 label: str, live: bool = False) -> None:
        """Replay a run recorded elsewhere (a lane of the compare screen) at event `index`.
        Nothing is run here: like a saved trace, it is replayed; `live`: it was still
        recording when opened, so it shows what was recorded until then."""
        self.trace_path = ""  # a replay (`is_replay`), of no file
        self.scenario_path = ""
        self.runtime = runtime
        self.scenario = scenario
        self.source = Source(scenario.source, scenario.text)
        self._steps = step_table(scenario)
        self.title = (f"{scenario.name} — {label} (from the comparison"
                      f"{', recorded so far' if live else ''})")
        self.run_id += 1
        self.trace, self.replay = trace, Replay(trace)
        self.lifecycle = "replay"
        self.playing = self.follow = False
        self.target_switch = None
        self.cursor = -1
        self.seek(index)

    def read_disk(self) -> tuple[Path | None, bytes | None, str]:
        """The scenario file: its path, its bytes (None when it cannot be read) and why not.

        Only a regular file is read: a FIFO put in its place must not block the UI.
        """
        path = resolve(self.scenario_path) if self.scenario_path else None
        if path is None:
            return None, None, "no such file"
        try:
            return path, read_regular(path, MAX_FILE_BYTES + 1), ""
        except OSError as e:
            return path, None, reason(e)

    def reload(self, keep_switch: bool = False, fresh: bool = False) -> bool:
        """Load the scenario file again and run it; on a problem keep the last run shown.

        The new run plays from its first switch, or with `keep_switch` lands near the
        switch on screen now. `fresh`: another scenario, run on its own default runtime.
        """
        path, data, why = self.read_disk()
        self.last_read = (data, why)
        self.last_reload = self._clock()
        try:
            if path is None or data is None:
                scenario = load_scenario(self.scenario_path)  # says why, with the location
            else:
                # The bytes just read, not the file again: what is checked is what is shown.
                source = self.scenario_path if path == Path(self.scenario_path) else str(path)
                scenario = load_text(data, source)
        except ScenarioError as e:
            problem = e.problems[0]
            more = f"  (+{len(e.problems) - 1} more)" if len(e.problems) > 1 else ""
            self.error = f"{problem.short()}{more}"
            text = TextFormat.of(data).decode(data, "replace") if data else ""
            self.source = Source(self.scenario_path, text, error_line=problem.line)
            return False
        self.error = ""
        # The loader's rule picks the default runtime; one the user asked for is kept
        # while the scenario supports it.
        runtime = self.requested_runtime or self.runtime
        if (fresh or self.scenario is None) and self.requested_runtime is None:
            runtime = scenario.runtime
        if runtime not in scenario.runtimes:
            runtime = scenario.runtime
        self.scenario = scenario
        self._steps = step_table(scenario)
        self.source = Source(self.scenario_path, scenario.text)
        self.runtime = runtime
        self.title = f"{scenario.name} — {scenario.title}"
        self.start_run(keep_switch=keep_switch)
        return True

    def open_scenario(self, name: str) -> bool:
        """Another scenario (a bundled name or a path): run it on its own default runtime."""
        if resolve(name) is None:
            self.error = f"{name}: no such file, and no bundled scenario of that name"
            return False
        self.scenario_path = name
        self.trace_path = None  # from a replay, opening a scenario makes the player live
        self.requested_runtime = None
        return self.reload(fresh=True)

    def rerun(self) -> bool:
        """The same scenario again (read from disk again), from its first switch."""
        return self.reload()

    def choose_runtime(self, runtime: str | None) -> bool:
        """Run the scenario on `runtime` (one it supports), from the first switch."""
        if not runtime or self.scenario is None or runtime not in self.scenario.runtimes:
            return False
        self.runtime = self.requested_runtime = runtime
        self.start_run()
        return True

    def file_changed(self) -> bool:
        """The scenario file changed on disk: run it again near the same switch.

        False when the file holds what was last loaded (our own save, or a second event
        for the same write).
        """
        _, data, why = self.read_disk()
        if (data, why) == self.last_read:
            return False
        self.reload(keep_switch=True)
        return True

    def scenario_saved(self, path: Path) -> bool:
        """The in-app editor saved the scenario (maybe as a copy): run it from the start.

        True when the scenario moved to `path` (a copy): its folder needs watching.
        """
        current = resolve(self.scenario_path)
        moved = current is None or current.resolve() != Path(path).resolve()
        if moved:
            self.scenario_path = str(path)
        else:
            _, data, why = self.read_disk()
            if (data, why) == self.last_read and self._clock() - self.last_reload < 2.0:
                return False  # the file watcher already ran these very bytes
        self.reload()
        return moved

    # -- the run -------------------------------------------------------------------------

    def start_run(self, keep_switch: bool = False) -> None:
        """Kill the current run (if any) and start the scenario on `self.runtime`.

        The new run plays from its first switch at the chosen speed while the worker
        records ahead. `keep_switch`: land on the switch on screen now instead (on the
        newest event when the user was watching the end of the run).
        """
        assert self.scenario is not None and self.runtime is not None
        at_end = self.cursor >= len(self.replay) - 1
        here = self.replay.switch_count(self.cursor) if self.cursor >= 0 else 0
        self.stop()
        self.run_id += 1
        self.trace = Trace()
        self.replay = Replay(self.trace)
        self.cursor = -1
        self._budget = 0.0
        if keep_switch:
            self.target_switch = None if at_end else here or None
            self.follow = self.target_switch is None
            self.playing = False
        else:
            self.target_switch = None
            self.follow = False
            self.playing = True
        self.started = self._clock()
        self.lifecycle = "starting"
        run_id = self.run_id
        live = LiveRun(self.scenario, self.runtime, self.time_scale, run_id,
                       wake=self._wake, exited=self._exited)
        try:
            live.start()
        except OSError as e:
            self.error = f"cannot start the worker: {e}"
            self.lifecycle = "failed"
            self.playing = False
            return
        self.live = live
        self.worker_pid = live.pid

    def stop(self) -> None:
        """Kill the live worker, if any, with its whole process group."""
        live, self.live = self.live, None
        if live is not None:
            live.stop()

    def pump(self, run_id: int, budget: float = INGEST_BUDGET) -> bool:
        """Take in the buffered events of run `run_id` for about `budget` seconds.

        True when more are waiting (the caller comes back for them on a later turn, so a
        run that streams faster than the UI takes in never holds the event loop).
        """
        if run_id != self.run_id or self.live is None:
            return False
        self._take_in(budget)
        return self.live is not None and self.live.has_pending()

    def _take_in(self, budget: float) -> None:
        """The one place a live run's events enter the session: pieces of what is buffered,
        until `budget` seconds have passed (by the clock, not by a count of events, whose
        cost varies with the run and the machine's load) or nothing is left. The first
        piece is always taken, so a backlog shrinks however slow each piece is."""
        live = self.live
        if live is None:
            return

        def sink(events: list[Batch]) -> bool:
            try:
                self.trace.extend(events)
            except TraceError as e:  # a worker bug must not take the UI down: say so
                self.error = f"the {self.runtime} worker sent a bad event: {e}"
                self.stop()
                self.lifecycle = "failed"
            self.replay.sync()
            return self.live is live

        if not live.take_for(budget, sink, self._clock):
            return
        if self.lifecycle == "starting":
            self.lifecycle = "live"
        n = len(self.replay)
        if self.target_switch is not None:
            switches = self.replay.switches
            if len(switches) >= self.target_switch:
                self.cursor = switches[self.target_switch - 1]
                self.target_switch = None
            else:
                self.cursor = n - 1
        elif self.follow:
            self.cursor = n - 1
        elif self.cursor < 0 and self.playing and len(self.replay.stops):
            self.cursor = self.replay.stops[0]  # the run plays from its first switch
            self._budget = 0.0

    def exited(self, run_id: int, worker: WorkerProcess) -> bool:
        """The worker of run `run_id` exited. True when buffered events are still to be
        taken in first (the caller calls again on a later turn)."""
        if run_id != self.run_id:
            return False
        if self.live is not None and self.live.has_pending():
            self._take_in(INGEST_BUDGET)
            return True
        self.live = None
        end = self.trace.end
        if self.lifecycle == "failed":
            pass  # already said why (a bad event)
        elif end is not None and end.get("status") == "killed":
            # simtui ended the trace for the worker (it was killed from outside, stopped,
            # hung, crashed, or ended by its watchdog); a run the user stopped by
            # re-running or quitting never gets here (its run id is an old one).
            why = end.get("message") or "the worker was killed"
            self.error = f"the {self.runtime} run did not finish: {why}"
            self.lifecycle = "killed"
        elif not worker.ended:
            lines = worker.error_text.splitlines()
            why = lines[-1] if lines else f"exit status {worker.returncode}"
            self.error = f"the {self.runtime} worker stopped before the run ended: {why}"
            self.lifecycle = "failed"
        elif worker.returncode == 3:
            lines = worker.error_text.splitlines()
            self.error = f"internal error in the worker: {lines[-1] if lines else '?'}"
            self.lifecycle = "failed"
        else:
            self.lifecycle = "ended"
        if self.target_switch is not None:
            self.target_switch = None
            self.cursor = len(self.replay) - 1
        if self.follow:
            self.cursor = len(self.replay) - 1
            self.follow = False
        if self.cursor < 0 and len(self.replay):
            self.cursor = 0
        return False

    @property
    def recording(self) -> bool:
        return self.lifecycle in ("starting", "live")

    # -- the playhead --------------------------------------------------------------------

    @property
    def needs_ticks(self) -> bool:
        """Whether the playback timer must run (playing, or a recording to time)."""
        return self.playing or self.live is not None

    def tick(self, dt: float) -> bool:
        """`dt` seconds passed: advance playback by the speed. True when the view changed
        (the recording's clock counts: it is in the header)."""
        if not self.playing:
            return self.live is not None
        self._budget += self.speed * min(max(dt, 0.0), MAX_TICK)
        steps = int(self._budget)
        if steps:
            self._budget -= steps
            self._advance(steps)
        return True

    def _advance(self, steps: int) -> None:
        """Move `steps` stops forward in one go (fast speeds skip, they never lag). Past
        the newest stop of a live run the playhead shows the newest event (what the run
        is doing now: a loop waiting 3 s for its timers) and waits there for the next
        stop; at the end of a finished run it shows the end and stops."""
        stops = self.replay.stops
        k = self.replay.stop_count(self.cursor) if self.cursor >= 0 else 0
        target = k + steps - 1
        if target < len(stops):
            self.cursor = stops[target]
        elif self.live is not None:
            if len(stops) > k:
                self.cursor = stops[-1]  # the stops still unseen, shown on the way
            else:
                self.cursor = max(self.cursor, len(self.replay) - 1)
            self._budget = 0.0  # waiting for the worker is not time to make up later
        else:
            self.cursor = len(self.replay) - 1
            self.playing = False

    def seek(self, index: int) -> None:
        """Put the cursor on an event. The user moved it: playback pauses, and a live run
        is no longer followed."""
        self.follow = self.playing = False
        self.target_switch = None
        n = len(self.replay)
        self.cursor = max(-1 if n == 0 else 0, min(index, n - 1))

    def play_pause(self) -> None:
        if self.follow:
            self.follow = False  # the run keeps going in the background; the view stays
            self.playing = False
            return
        if not self.playing and self.live is None and self.cursor >= len(self.replay) - 1:
            self.cursor = self.replay.stops[0] if len(self.replay.stops) else 0
            # at the end of a finished run, play starts over from the first switch
        self._budget = 0.0
        self.playing = not self.playing
        self.target_switch = None

    def next_stop(self) -> None:
        nxt = self.replay.next_stop(self.cursor)
        if nxt is not None:
            self.seek(nxt)

    def prev_stop(self) -> None:
        prev = self.replay.prev_stop(self.cursor)
        self.seek(prev if prev is not None else 0)

    def next_event(self) -> None:
        self.seek(self.cursor + 1)

    def prev_event(self) -> None:
        self.seek(self.cursor - 1)

    def first(self) -> None:
        self.seek(0)

    def last(self) -> None:
        """The newest event; a live run is then followed as it records."""
        self.seek(len(self.replay) - 1)
        self.follow = self.live is not None

    def faster(self) -> None:
        self.speed = next((s for s in SPEEDS if s > self.speed), SPEEDS[-1])

    def slower(self) -> None:
        self.speed = next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0])

    def toggle_axis(self) -> None:
        self.axis = AXES[(AXES.index(self.axis) + 1) % len(AXES)]

    @property
    def mode(self) -> str:
        """`playing`, `live` (following the newest event) or `paused`."""
        if self.playing:
            return "playing"
        return "live" if self.follow or self.target_switch is not None else "paused"

    # -- what can be done ----------------------------------------------------------------

    def can(self, action: str) -> bool | None:
        """Textual's convention: True available, None shown greyed out, False hidden."""
        n = len(self.replay)
        if action in ("prev_stop", "prev_event", "first"):
            return True if self.cursor > 0 else None
        if action in ("next_event", "last"):
            return True if 0 <= self.cursor < n - 1 or (n and self.cursor < 0) else None
        if action == "next_stop":
            return True if self.replay.next_stop(self.cursor) is not None else None
        if action == "choose_runtime":
            if self.is_replay:
                return False  # a saved trace: nothing to run (the key says so)
            return True if self.scenario is not None and len(
                self.scenario.runtimes) > 1 else None
        if action in ("rerun", "edit"):
            if self.is_replay:
                return False
            return True if self.scenario_path else None
        if action == "compare":
            if self.is_replay:
                return False
            return True if self.scenario is not None else None
        if action == "save_trace":
            return True if n else None
        if action == "description":
            return True if self.scenario is not None else None
        return True

    def why_not(self, action: str) -> str:
        """Why `action` cannot be done now, in a sentence for a notice."""
        verb = {"choose_runtime": "choose a runtime", "rerun": "re-run",
                "edit": "edit"}.get(action, action)
        if self.trace_path == "":
            return (f"This run is replayed from the comparison: there is nothing to {verb} "
                    "here (esc goes back to it, where R re-runs and e edits).")
        if self.is_replay:
            return (f"This is a saved trace, replayed: there is no scenario to {verb} "
                    "(o opens a scenario to run).")
        if action == "choose_runtime" and self.scenario is not None:
            return (f"{self.scenario.name} runs only on {self.scenario.runtimes[0]} "
                    "(its `runtimes` list has no other).")
        if self.scenario is None:
            return f"No scenario has loaded yet: nothing to {verb}."
        return f"Cannot {verb} now."

    # -- the view ------------------------------------------------------------------------

    def view(self) -> PlayerView:
        """The immutable value the panes draw, as of now."""
        replay = self.replay
        n = len(replay)
        self.cursor = max(-1 if n == 0 else 0, min(self.cursor, n - 1))
        index = self.cursor
        state = replay.state(index)
        header = self.trace.header or {}
        runtime = self.runtime
        spec = runtimespec.SPECS.get(runtime) if runtime else None
        queue = queue_discipline(header) if header else (spec.queue if spec else "fifo")
        start_t = end_t = 0.0
        if n:
            start_t, end_t = self.trace.t(0), self.trace.t(n - 1)
        scale = header.get("time_scale")
        if not isinstance(scale, int | float):
            scale = (self.scenario.time_scale if self.scenario else 1.0) * self.time_scale
        choosable = self.can("choose_runtime") is True
        return PlayerView(
            run_id=self.run_id,
            state=state,
            runtime=runtime,
            spec=spec,
            queue=queue,
            title=self.title,
            path=self._path_shown(),
            choosable=choosable,
            mode=self.mode,
            speed=self.speed,
            lifecycle=self.lifecycle,
            progress=self._progress(n),
            recorded=len(replay.switches),
            length=n,
            time_scale=float(scale),
            running=running_lines(state, spec, queue, self.scenario, self._steps),
            explanation=self._explanation(state),
            outputs=OutputLines(replay.outputs, state.output_count),
            timeline=TimelineData(replay, n, replay.stop_count(n - 1) if n else 0,
                                  start_t, end_t),
            events=EventRows(self.trace, n),
            source=self.source,
            error=self.error,
            axis=self.axis,
            scenario=self.scenario,
        )

    def _path_shown(self) -> str:
        """The scenario file as a person finds it: `./x.yaml` under the current directory,
        else its full path; nothing for a bundled scenario (its name says it) or a replay
        (its title does). Found once per run: it asks the file system several times, and
        each of those lets the worker's reader thread hold the interpreter for a while,
        which a view made many times a second while a run streams in cannot afford."""
        key = (self.run_id, self.scenario_path, self.trace_path)
        if self._shown_path[0] != key:
            self._shown_path = (key, self._find_path_shown())
        return self._shown_path[1]

    def _find_path_shown(self) -> str:
        if self.trace_path or not self.scenario_path:
            return ""
        path = resolve(self.scenario_path)
        if path is None:
            return ""
        full = Path(os.path.realpath(path))
        if full.is_relative_to(BUNDLED_DIR.resolve()):
            return ""
        try:
            return f"./{full.relative_to(Path.cwd().resolve()).as_posix()}"
        except (ValueError, OSError):  # elsewhere, or the current directory is gone
            return str(full)

    def _progress(self, n: int) -> str:
        if self.lifecycle == "none" and not self.error and self.scenario_path:
            return "loading the scenario"
        if self.lifecycle == "starting":
            return "starting the worker"
        if self.live is not None:
            return f"recording {self._clock() - self.started:.1f} s"
        return ""

    def _explanation(self, state: State) -> str:
        """The teaching voice's sentence for this state (once per cursor position)."""
        # Keyed on the stop too: in a live run an event becomes an idle stop only once the
        # next event shows nothing ran after it, and the sentence changes then.
        run_id, index, stop, text = self._explained
        if run_id == self.run_id and index == state.index and stop == state.stop:
            return text
        prev = self.replay.state(state.index - 1) if state.index >= 0 else None
        if self.runtime is None:
            text = "" if state.event is None else describe(dict(state.event))
        else:
            try:
                interval = (self.trace.header.get("options") or {}).get("switch_interval")
                text = explain(self.runtime, state, prev, interval)
            except Exception as e:  # noqa: BLE001 - a sentence must never take the screen down
                event = dict(state.event or {})
                text = f"{event.get('task') or 'scheduler'}: {describe(event)} ({e})"
        self._explained = (self.run_id, state.index, state.stop, text)
        return text
