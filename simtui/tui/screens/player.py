"""The player: owns the run, the cursor and the transport; hands a `PlayerView` down to panes."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from simtui.files import TextFormat, read_regular, reason
from simtui.replay.model import Replay
from simtui.safe import printable
from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import MAX_FILE_BYTES, load_scenario, load_text, resolve
from simtui.scenario.model import Scenario
from simtui.trace.model import Trace
from simtui.trace.stream import WorkerProcess
from simtui.tui.bindings import PLAYER_BINDINGS, PlayerCommands
from simtui.tui.live import LiveRun
from simtui.tui.messages import EventsArrived, RunExited
from simtui.tui.view import PlayerView, Source, step_table
from simtui.tui.widgets.panes import (
    ExplanationPane,
    HeaderBar,
    OutputPane,
    ReadyQueuePane,
    RunningPane,
    WaitingPane,
)
from simtui.tui.widgets.source import SourcePane
from simtui.tui.widgets.timeline import TimelinePane

TICK = 1 / 30
"""Seconds between ticks of the one playback timer."""
SPEEDS = (0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
DEFAULT_SPEED = 4.0
SHORT = 36
"""Terminal heights below this get the compact layout (`-short`)."""
INGEST_SLICE = 20_000
"""Events taken in per turn of the event loop while a run streams (~30 ms of work)."""
_CURSOR_ACTIONS = ("prev_switch", "prev_event", "first", "next_switch", "next_event", "last")


class PlayerScreen(Screen[None]):
    """Plays one run of a scenario (live from a worker, or a saved trace) switch by switch."""

    BINDINGS: ClassVar[list[BindingType]] = [*PLAYER_BINDINGS]
    COMMANDS = {PlayerCommands}

    view: var[PlayerView | None] = var(None, always_update=True)
    """What the panes render: set on every cursor move and every batch of live events."""
    playing: var[bool] = var(False, bindings=True)
    speed: var[float] = var(DEFAULT_SPEED)
    """Switches per second while playing."""
    axis: var[str] = var("switch")
    """The timeline's x axis: `switch` (one slot per context switch) or `time`."""
    mode: var[str] = var("paused")
    """`playing`, `paused` or `live`: what the header's transport shows."""
    progress: var[str] = var("")
    """The live run's indicator in the header (empty when no run is going)."""
    title_text: var[str] = var("")
    error: var[str] = var("")
    """The error banner (a scenario that does not load, a crashed worker); empty: hidden."""

    def __init__(
        self,
        scenario: str | None = None,
        trace_path: str | None = None,
        runtime: str | None = None,
        time_scale: float = 1.0,
        speed: float | None = None,
    ) -> None:
        super().__init__()
        self.scenario_path: str = scenario or ("" if trace_path else "gather10")
        """The scenario as the user named it (a path or a bundled name); empty in a replay."""
        self.trace_path = trace_path
        self.requested_runtime = runtime
        self.time_scale = time_scale
        self.set_reactive(PlayerScreen.speed, speed or DEFAULT_SPEED)
        self.scenario: Scenario | None = None
        self.source: Source | None = None
        self.runtime = runtime or "asyncio"
        self.trace: Trace = Trace()
        self.replay: Replay = Replay(self.trace)
        self.cursor = -1
        self.follow = False
        """Live: the cursor stays on the newest event until the user pauses or steps."""
        self.live: LiveRun | None = None
        self.run_id = 0
        self.target_switch: int | None = None
        """After a re-run: the switch to land on once the new run gets that far."""
        self.started = 0.0
        self.last_read: tuple[bytes | None, str] = (None, "")
        """The scenario file as last loaded (or refused): its bytes, or why it could not be
        read. A file event that finds the same on disk is ours, or a repeat."""
        self.last_reload = 0.0
        self.last_saved: Path | None = None
        self.worker_pid: int | None = None
        """The process id of the last worker started (they are all gone once it ends)."""
        self._steps: dict[Any, Any] = {}
        self._budget = 0.0
        self._last_tick = 0.0
        self._timer: Timer | None = None
        self._availability: tuple[object, ...] = ()
        self._load_error = ""
        if trace_path is not None:
            self._open_trace(trace_path)

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header").data_bind(
            PlayerScreen.view, PlayerScreen.mode, PlayerScreen.speed,
            PlayerScreen.progress, title=PlayerScreen.title_text,
        )
        yield Static(id="banner", markup=False)
        with Horizontal(id="top"):
            yield RunningPane(id="running").data_bind(PlayerScreen.view)
            yield ReadyQueuePane(id="ready").data_bind(PlayerScreen.view)
            yield WaitingPane(id="waiting").data_bind(PlayerScreen.view)
        yield TimelinePane(id="timeline").data_bind(PlayerScreen.view, PlayerScreen.axis)
        with Horizontal(id="middle"):
            yield SourcePane(id="source").data_bind(PlayerScreen.view)
            yield OutputPane(id="output").data_bind(PlayerScreen.view)
        yield ExplanationPane(id="explanation").data_bind(PlayerScreen.view)
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        # Below SHORT rows the fixed-height panes give way, so that the source, the output
        # and the explanation stay on screen in an 80×24 terminal.
        self.set_class(event.size.height < SHORT, "-short")

    def on_mount(self) -> None:
        self.query_one("#running").border_title = "Running"
        self.query_one("#ready").border_title = "Ready queue"
        self.query_one("#waiting").border_title = "Waiting"
        self._title_timeline()
        self.query_one("#output").border_title = "Output"
        self.query_one("#explanation").border_title = "Why"
        self._timer = self.set_interval(TICK, self._tick, pause=True)
        self._availability = self._available_now()
        if self.trace_path is not None:
            self.error = self._load_error
            self._rebuild()
        else:
            # The first frame does not wait for the worker to start.
            self.call_after_refresh(self._start)

    def _start(self) -> None:
        self.reload(keep_switch=False)
        self._watch_scenario()

    def _title_timeline(self) -> None:
        self.query_one("#timeline").border_title = (
            f"Timeline (by {self.axis})   █ running  ░ ready  · waiting  ▓ blocking the scheduler"
        )

    def watch_axis(self) -> None:
        if self.is_mounted:
            self._title_timeline()

    def watch_error(self, error: str) -> None:
        banner = self.query_one("#banner", Static)
        # The text quotes scenarios, file names and a worker's stderr: shown as it is,
        # never parsed as markup, control characters escaped.
        banner.update(Text(printable(error)))
        banner.set_class(bool(error), "-error")

    def watch_playing(self, playing: bool) -> None:
        self.set_class(playing, "-playing")
        self._sync_timer()
        self._sync_mode()

    def _sync_mode(self) -> None:
        following = self.follow or self.target_switch is not None
        self.mode = "playing" if self.playing else "live" if following else "paused"

    # -- loading and running -------------------------------------------------------------

    def _open_trace(self, path: str) -> None:
        """Load a saved trace (before mounting: the footer is composed knowing it)."""
        from simtui.trace.reader import TraceError

        try:
            trace = Trace.load(path)
        except (TraceError, OSError) as e:
            self._load_error = f"{path}: {e}"
            return
        header = trace.header or {}
        self.runtime = str(header.get("runtime") or "asyncio")
        self.set_reactive(PlayerScreen.title_text,
                          f"{header.get('scenario', '?')} — {header.get('title', '')} (replay)")
        source = header.get("source")
        if source and resolve(str(source)) is not None:
            try:
                self.scenario = load_scenario(str(source))
                self._steps = step_table(self.scenario)
                self.source = Source(str(source), self.scenario.text)
            except ScenarioError:
                self.scenario = None
        self.trace = trace
        self.replay = Replay(trace)
        self.run_id += 1
        self.cursor = 0 if len(self.replay) else -1

    def _read_disk(self) -> tuple[Path | None, bytes | None, str]:
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

    def reload(self, keep_switch: bool = True, fresh: bool = False) -> bool:
        """Load the scenario file again and re-run it; on a problem keep the last run shown.

        `fresh`: another scenario, run on its own default runtime.
        """
        path, data, why = self._read_disk()
        self.last_read = (data, why)
        self.last_reload = time.monotonic()
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
            self._rebuild()
            return False
        self.error = ""
        runtime = self.requested_runtime or self.runtime
        if (fresh or self.scenario is None) and self.requested_runtime is None:
            runtime = scenario.runtime
        if runtime not in scenario.runtimes:
            runtime = scenario.runtime
        self.scenario = scenario
        self._steps = step_table(scenario)
        self.source = Source(self.scenario_path, scenario.text)
        self.runtime = runtime
        self.title_text = f"{scenario.name} — {scenario.title}"
        self.start_run(keep_switch=keep_switch)
        return True

    def start_run(self, keep_switch: bool = True) -> None:
        """Kill the current run (if any) and start the scenario on `self.runtime`."""
        assert self.scenario is not None
        # Land near the same switch, unless the user was watching the end of the run:
        # then the new run is followed live like the first one.
        at_end = self.cursor >= len(self.replay) - 1
        target = (self.view.state.switch if keep_switch and self.view is not None
                  and not at_end else None)
        self.stop_run()
        self.run_id += 1
        self.trace = Trace()
        self.replay = Replay(self.trace)
        self.cursor = -1
        self.target_switch = target or None
        self.follow = self.target_switch is None
        self.playing = False
        self.started = time.monotonic()
        app = self.app
        run_id = self.run_id
        self.live = LiveRun(
            self.scenario, self.runtime, self.time_scale, run_id,
            wake=lambda rid: self.post_message(EventsArrived(rid)),
            exited=lambda rid, worker: self.post_message(RunExited(rid, worker)),
        )
        try:
            self.live.start()
            self.worker_pid = self.live.pid
        except OSError as e:
            self.live = None
            self.error = f"cannot start the worker: {e}"
            app.bell()
        self.progress = "starting" if self.live is not None else ""
        self._sync_timer()
        self._rebuild()

    def stop_run(self) -> None:
        """Kill the live worker, if any, with its whole process group."""
        live, self.live = self.live, None
        if live is not None:
            live.stop()
        self.progress = ""

    def on_events_arrived(self, message: EventsArrived) -> None:
        if message.run_id != self.run_id or self.live is None:
            return
        # A bounded slice per turn: a run that streams faster than the UI can take in
        # (a runaway loop) must not hold the event loop, or keys and frames would wait.
        self._ingest(self.live.take(INGEST_SLICE))
        if self.live is not None and self.live.has_pending():
            self.post_message(EventsArrived(self.run_id))

    def _ingest(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        from simtui.trace.reader import TraceError

        try:
            self.trace.extend(events)
        except TraceError as e:  # a worker bug must not take the UI down: say so, keep going
            self.error = f"the {self.runtime} worker sent a bad event: {e}"
            self.stop_run()
        self.replay.sync()
        n = len(self.replay)
        if self.target_switch is not None:
            switches = self.replay.switches
            if len(switches) >= self.target_switch:
                self.cursor = switches[self.target_switch - 1]
                self.target_switch = None
            else:
                self.cursor = n - 1
        elif self.follow or self.cursor < 0:
            self.cursor = n - 1
        self._rebuild()

    def on_run_exited(self, message: RunExited) -> None:
        if message.run_id != self.run_id:
            return
        if self.live is not None and self.live.has_pending():
            # Take in what is still buffered slice by slice first, as while live.
            self._ingest(self.live.take(INGEST_SLICE))
            self.post_message(RunExited(message.run_id, message.worker))
            return
        self.live = None
        worker: WorkerProcess = message.worker
        end = self.trace.end
        if end is not None and end.get("status") == "killed":
            # simtui ended the trace for the worker (it was killed from outside, stopped,
            # hung, crashed, or ended by its watchdog); a run the user stopped by
            # re-running or quitting never gets here (its run id is an old one).
            why = end.get("message") or "the worker was killed"
            self.error = f"the {self.runtime} run did not finish: {why}"
        elif not worker.ended:
            lines = worker.error_text.splitlines()
            why = lines[-1] if lines else f"exit status {worker.returncode}"
            self.error = f"the {self.runtime} worker stopped before the run ended: {why}"
        elif worker.returncode == 3:
            lines = worker.error_text.splitlines()
            self.error = f"internal error in the worker: {lines[-1] if lines else '?'}"
        if self.target_switch is not None:
            self.target_switch = None
            self.cursor = len(self.replay) - 1
        self.follow = False
        self.progress = ""
        self._sync_timer()
        self._rebuild()

    @work(exclusive=True, group="watch-scenario", exit_on_error=False)
    async def _watch_scenario(self) -> None:
        """Re-run when the scenario file changes on disk (edited in another window).

        Nothing ends this watch but a newer one (or leaving the screen): a change whose
        handling fails is reported and the next one is handled as usual, and a watch that
        fails or stops by itself (the folder went away) is started again.
        """
        from watchfiles import awatch

        path = resolve(self.scenario_path)
        if path is None:
            return
        path = Path(os.path.realpath(path))
        name = path.name

        folder = str(path.parent)

        def mine(_change: object, changed: str) -> bool:
            # The folder itself too: once it is deleted, a watch on it sees nothing more.
            return changed == folder or Path(changed).name == name

        failures = 0
        started = False
        while True:
            if started:
                self._scenario_changed()  # catch up with what changed while not watching
            started = True
            if not os.path.isdir(folder):
                await asyncio.sleep(1.0)  # until the folder is back (a checkout, a restore)
                continue
            try:
                async for _changes in awatch(folder, watch_filter=mine, debounce=150,
                                             step=30, rust_timeout=500):
                    failures = 0
                    if not os.path.isdir(folder):
                        break
                    self._scenario_changed()
            except Exception as e:  # noqa: BLE001 - a cancelled watch raises CancelledError
                failures += 1
                if failures == 1:
                    self._report(f"watching {folder} for changes failed ({e}); trying again")
            await asyncio.sleep(min(5.0, 0.5 * (failures + 1)))

    def _scenario_changed(self) -> None:
        """One change of the scenario file on disk: re-run it, never raising into the watch."""
        try:
            _, data, why = self._read_disk()
            if (data, why) == self.last_read:
                return  # our own save, or a second event for the same write
            self.reload(keep_switch=True)
        except Exception as e:  # noqa: BLE001 - one bad change must not end the watch
            self._report(f"could not re-run {self.scenario_path} after it changed: {e}")
        try:
            from simtui.tui.screens.editor import EditorScreen

            for screen in self.app.screen_stack:
                if isinstance(screen, EditorScreen):
                    screen.disk_changed()
        except Exception as e:  # noqa: BLE001
            self._report(f"could not tell the editor that the file changed: {e}")

    def _report(self, message: str) -> None:
        """Say that something went wrong, in a way that cannot fail on what it quotes."""
        self.notify(printable(message), severity="error", title="simtui", markup=False,
                    timeout=10)

    def scenario_saved(self, path: Path) -> None:
        """The in-app editor saved the scenario (maybe as a copy): re-load and re-run it."""
        current = resolve(self.scenario_path)
        moved = current is None or current.resolve() != Path(path).resolve()
        if moved:
            self.scenario_path = str(path)
        else:
            _, data, why = self._read_disk()
            if (data, why) == self.last_read and time.monotonic() - self.last_reload < 2.0:
                return  # the file watcher already re-ran these very bytes
        self.reload(keep_switch=True)
        if moved:
            self._watch_scenario()

    def open_scenario(self, name: str | None) -> None:
        if not name:
            return
        if resolve(name) is None:
            self.error = f"{name}: no such file, and no bundled scenario of that name"
            return
        self.scenario_path = name
        self.trace_path = None  # from a replay, opening a scenario makes the player live
        self.requested_runtime = None
        self.reload(keep_switch=False, fresh=True)
        self._watch_scenario()

    # -- the view ----------------------------------------------------------------------

    def _rebuild(self) -> None:
        replay = self.replay
        n = len(replay)
        self.cursor = max(-1 if n == 0 else 0, min(self.cursor, n - 1))
        index = self.cursor
        state = replay.state(index)
        prev = replay.state(index - 1) if index >= 0 else None
        start_t = end_t = 0.0
        if n:
            start_t = float(self.trace[0].get("t", 0.0))
            end_t = float(self.trace[n - 1].get("t", 0.0))
        self.view = PlayerView(
            trace=self.trace,
            replay=replay,
            state=state,
            prev=prev,
            runtime=self.runtime,
            length=n,
            total_switches=len(replay.switches),
            start_t=start_t,
            end_t=end_t,
            live=self.live is not None,
            scenario=self.scenario,
            source=self.source,
            run_id=self.run_id,
            steps=self._steps,
        )
        self._sync_mode()
        self._refresh_availability()

    def _available_now(self) -> tuple[object, ...]:
        return tuple(self.check_action(a, ()) for a in _CURSOR_ACTIONS) + (
            self.live is not None, bool(self.error), self.scenario is not None)

    def _refresh_availability(self) -> None:
        # The footer re-composes on a bindings refresh, which costs more than a step:
        # refresh only when what can apply has changed.
        now = self._available_now()
        if now != self._availability:
            self._availability = now
            self.refresh_bindings()

    def seek(self, index: int) -> None:
        """Move the cursor to an event (the user moved: stop following a live run)."""
        self.follow = False
        self.target_switch = None
        self.cursor = index
        self._rebuild()

    # -- playback ----------------------------------------------------------------------

    def _sync_timer(self) -> None:
        if self._timer is None:
            return
        if self.playing or self.live is not None:
            self._last_tick = time.monotonic()
            self._timer.resume()
        else:
            self._timer.pause()

    def _tick(self) -> None:
        now = time.monotonic()
        dt, self._last_tick = now - self._last_tick, now
        if self.live is not None:
            self.progress = (f"running {now - self.started:.1f} s · "
                             f"{len(self.replay)} events")
        if not self.playing:
            return
        self._budget += self.speed * min(dt, 0.25)
        steps = int(self._budget)
        if steps:
            self._budget -= steps
            self._advance(steps)

    def _advance(self, steps: int) -> None:
        """Move `steps` switches forward in one go (fast speeds skip, they never lag)."""
        switches = self.replay.switches
        k = self.replay.switch_count(self.cursor) if self.cursor >= 0 else 0
        target = k + steps - 1
        if target < len(switches):
            self.cursor = switches[target]
        elif self.live is not None:
            if switches:
                self.cursor = switches[-1]
        else:
            self.cursor = len(self.replay) - 1
            self.playing = False
        self._rebuild()

    # -- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        n = len(self.replay)
        if action in ("prev_switch", "prev_event", "first"):
            return True if self.cursor > 0 else None
        if action in ("next_event", "last"):
            return True if 0 <= self.cursor < n - 1 or (n and self.cursor < 0) else None
        if action == "next_switch":
            return True if self.replay.next_switch(self.cursor) is not None else None
        if action == "choose_runtime":
            ok = self.trace_path is None and self.scenario is not None
            return True if ok and self.scenario is not None and len(
                self.scenario.runtimes) > 1 else None
        if action in ("rerun", "edit"):
            return True if self.trace_path is None and self.scenario_path else None
        if action == "save_trace":
            return True if n else None
        if action == "description":
            return True if self.scenario is not None else None
        return True

    def action_play_pause(self) -> None:
        if self.follow:
            self.follow = False  # the run keeps going in the background; the view stays
            self.playing = False
            self._sync_mode()
            return
        if not self.playing and self.live is None and self.cursor >= len(self.replay) - 1:
            self.cursor = 0  # at the end of a finished run, play starts over
        self._budget = 0.0
        self.playing = not self.playing
        self._rebuild()

    def action_next_switch(self) -> None:
        nxt = self.replay.next_switch(self.cursor)
        if nxt is not None:
            self.seek(nxt)

    def action_prev_switch(self) -> None:
        prev = self.replay.prev_switch(self.cursor)
        self.seek(prev if prev is not None else 0)

    def action_next_event(self) -> None:
        self.seek(self.cursor + 1)

    def action_prev_event(self) -> None:
        self.seek(self.cursor - 1)

    def action_first(self) -> None:
        self.playing = False
        self.seek(0)

    def action_last(self) -> None:
        self.playing = False
        self.seek(len(self.replay) - 1)
        self.follow = self.live is not None
        self._sync_mode()

    def action_faster(self) -> None:
        self.speed = next((s for s in SPEEDS if s > self.speed), SPEEDS[-1])

    def action_slower(self) -> None:
        self.speed = next((s for s in reversed(SPEEDS) if s < self.speed), SPEEDS[0])

    def action_axis(self) -> None:
        self.axis = "time" if self.axis == "switch" else "switch"

    def action_rerun(self) -> None:
        self.reload(keep_switch=True)

    def action_choose_runtime(self) -> None:
        if self.scenario is None:
            return
        from simtui.tui.screens.runtime_picker import RuntimePickerScreen

        self.app.push_screen(
            RuntimePickerScreen(list(self.scenario.runtimes), self.runtime), self.runtime_chosen
        )

    def runtime_chosen(self, runtime: str | None) -> None:
        if not runtime or self.scenario is None or runtime not in self.scenario.runtimes:
            return
        self.runtime = runtime
        self.requested_runtime = runtime
        self.start_run(keep_switch=True)

    def action_edit(self) -> None:
        # Imported when first used: the editor brings in TextArea and its YAML grammar,
        # which the first frame does not need.
        from simtui.tui.screens.editor import EditorScreen

        path, _, _ = self._read_disk()
        if path is None:
            self._report(f"{self.scenario_path}: not found")
            return
        try:  # whole, however large: an editor must never save a truncated file
            data = read_regular(path)
        except OSError as e:
            self._report(f"{path}: cannot edit: {reason(e)}")
            return
        if len(data) > MAX_FILE_BYTES:
            self._report(f"{path}: too large to edit here (more than 1 MiB)")
            return
        self.app.push_screen(EditorScreen.for_file(path, data))

    def action_open(self) -> None:
        from simtui.tui.screens.open_scenario import OpenScenarioScreen

        self.app.push_screen(OpenScenarioScreen(), self.open_scenario)

    def action_save_trace(self) -> None:
        from simtui.trace.save import default_name, free_name, save_trace
        from simtui.tui.screens.save_trace import SaveTraceScreen

        trace = self.trace  # the run on screen now, even if a re-run starts meanwhile

        def write(path: Path, overwrite: bool) -> Path:
            n = len(trace)
            return save_trace(path, trace.header, (trace[i] for i in range(n)), trace.end,
                              overwrite=overwrite)

        try:
            name = free_name(Path.cwd(), default_name(trace.header, self.runtime))
        except OSError:  # the current folder is gone: the user types where instead
            name = default_name(trace.header, self.runtime)
        self.app.push_screen(SaveTraceScreen(name, write), self._trace_saved)

    def _trace_saved(self, path: Path | None) -> None:
        if path is not None:
            self.last_saved = path
            self.notify(printable(f"trace saved to {path}"), markup=False)

    def action_event_log(self) -> None:
        from simtui.tui.screens.info import EventLogScreen

        if self.view is not None:
            self.app.push_screen(EventLogScreen(self.view))

    def action_description(self) -> None:
        from simtui.tui.screens.info import DescriptionScreen

        if self.scenario is not None:
            self.app.push_screen(DescriptionScreen(self.scenario))

    def action_help(self) -> None:
        from simtui.tui.screens.info import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        self.stop_run()
        self.app.exit()

