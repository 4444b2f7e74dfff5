"""The player screen: binds a headless `Session` and forwards keys, ticks and run events to it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from simtui.files import read_regular, reason
from simtui.safe import printable
from simtui.scenario.loader import MAX_FILE_BYTES, resolve
from simtui.tui.bindings import (
    PLAYER_BINDINGS,
    UNAVAILABLE_BINDINGS,
    PlayerCommands,
    PlayerFooter,
)
from simtui.tui.messages import EventsArrived, RunExited
from simtui.tui.session import Session
from simtui.tui.view import PlayerView
from simtui.tui.watch import watch_file
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
SHORT = 36
"""Terminal heights below this get the compact layout (`-short`)."""
_CURSOR_ACTIONS = ("prev_switch", "prev_event", "first", "next_switch", "next_event", "last")
_SESSION_ACTIONS = {"next_switch": "next_stop", "prev_switch": "prev_stop"}
"""Key actions whose session check has another name (a key steps by stops)."""


class PlayerScreen(Screen[None]):
    """Plays one run of a scenario (live from a worker, or a saved trace) switch by switch.

    The state lives in `session`; the screen holds its current view in one reactive,
    which every pane is bound to, and turns keys, timer ticks and worker messages into
    session calls (`_do`), publishing the new view after each.
    """

    BINDINGS: ClassVar[list[BindingType]] = [*PLAYER_BINDINGS, *UNAVAILABLE_BINDINGS]
    COMMANDS = {PlayerCommands}

    view: var[PlayerView | None] = var(None, always_update=True)
    """What the panes draw: set after every change of the session."""

    def __init__(
        self,
        scenario: str | None = None,
        trace_path: str | None = None,
        runtime: str | None = None,
        time_scale: float = 1.0,
        speed: float | None = None,
    ) -> None:
        super().__init__()
        # The worker's reader threads post; post_message is safe from any thread.
        self.session = Session(
            scenario, trace_path, runtime, time_scale, speed,
            wake=lambda run_id: self.post_message(EventsArrived(run_id)),
            exited=lambda run_id, worker: self.post_message(RunExited(run_id, worker)),
        )
        self.last_saved: Path | None = None
        self._timer: Timer | None = None
        self._ticking = False
        self._last_tick = 0.0
        self._availability: tuple[object, ...] = ()
        self._banner = ""
        self._pump_due: EventsArrived | None = None
        """The pump posted to come after the next repaint, while one is."""

    @classmethod
    def for_run(cls, trace: Any, scenario: Any, runtime: str, index: int, label: str,
                live: bool = False) -> PlayerScreen:
        """A player over a run recorded elsewhere (a lane of the compare screen), at event
        `index`; esc goes back there."""
        screen = cls()
        screen.session.show_run(trace, scenario, runtime, index, label, live)
        return screen

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HeaderBar(id="header").data_bind(PlayerScreen.view)
        yield Static(id="banner", markup=False)
        with Horizontal(id="top"):
            yield RunningPane(id="running").data_bind(PlayerScreen.view)
            yield ReadyQueuePane(id="ready").data_bind(PlayerScreen.view)
            yield WaitingPane(id="waiting").data_bind(PlayerScreen.view)
        yield TimelinePane(id="timeline").data_bind(PlayerScreen.view)
        with Horizontal(id="middle"):
            yield SourcePane(id="source").data_bind(PlayerScreen.view)
            yield OutputPane(id="output").data_bind(PlayerScreen.view)
        yield ExplanationPane(id="explanation").data_bind(PlayerScreen.view)
        yield PlayerFooter()

    def on_resize(self, event: events.Resize) -> None:
        # Below SHORT rows the fixed-height panes give way, so that the source, the output
        # and the explanation stay on screen in an 80×24 terminal.
        self.set_class(event.size.height < SHORT, "-short")

    def on_mount(self) -> None:
        self.query_one("#running").border_title = "Running"
        self.query_one("#output").border_title = "Output"
        self.query_one("#explanation").border_title = "Why"
        self._timer = self.set_interval(TICK, self._tick, pause=True)
        self._availability = self._available_now()
        self._publish()
        if not self.session.is_replay:
            # The first frame does not wait for the worker to start.
            self.call_after_refresh(self._start)

    def _start(self) -> None:
        self._do(self.session.reload)
        self._watch_scenario()

    def _title_timeline(self, axis: str) -> None:
        self.query_one("#timeline").border_title = (
            # The switch axis has a column per stop: each switch, and each moment the
            # scheduler idles or is blocked (its axis row is labelled "stop" too).
            f"Timeline (by {'stop' if axis == 'switch' else axis})"
            "   █ running  ░ ready  · waiting  ▓ blocking the scheduler"
        )

    # -- the one way state reaches the panes ---------------------------------------------

    def _do(self, change: Callable[..., Any], *args: Any) -> Any:
        """Apply one change to the session, then show its new view."""
        result = change(*args)
        self._publish()
        return result

    def _publish(self) -> None:
        view = self.session.view()
        old = self.view
        self.view = view
        self.set_class(view.mode == "playing", "-playing")
        if old is None or old.axis != view.axis:
            self._title_timeline(view.axis)
        if view.error != self._banner:
            self._banner = view.error
            banner = self.query_one("#banner", Static)
            # The text quotes scenarios, file names and a worker's stderr: shown as it is,
            # never parsed as markup, control characters escaped.
            banner.update(Text(printable(view.error)))
            banner.set_class(bool(view.error), "-error")
        self._sync_timer()
        self._refresh_availability()

    def _available_now(self) -> tuple[object, ...]:
        s = self.session
        return tuple(self.check_action(a, ()) for a in _CURSOR_ACTIONS) + (
            s.live is not None, bool(s.error), s.scenario is not None, s.is_replay)

    def _refresh_availability(self) -> None:
        # The footer re-composes on a bindings refresh, which costs more than a step:
        # refresh only when what can apply has changed.
        now = self._available_now()
        if now != self._availability:
            self._availability = now
            self.refresh_bindings()

    def seek(self, index: int) -> None:
        """Move the cursor to an event (the user moved: stop following a live run)."""
        self._do(self.session.seek, index)

    # -- the run's messages --------------------------------------------------------------

    def on_events_arrived(self, message: EventsArrived) -> None:
        due = self._pump_due
        if due is not None and due is not message and due.run_id == message.run_id:
            # The reader found the buffer empty and woke the screen, but a pump of this
            # run already comes after the next repaint and takes these in too. Taken in
            # here as well, each such wake would start one more round of pumps that never
            # ends while events keep coming: n of them take n slices per repaint, and the
            # screen froze for seconds on a long run.
            return
        self._pump_due = None
        if self._do(self.session.pump, message.run_id):
            # More is buffered: come back for it once the screen has repainted. Posted at
            # once, the message would keep this screen's queue from ever being empty, and
            # Textual repaints (and lets the event loop run anything else) only then: a
            # run that records faster than the UI takes it in froze the screen, keys'
            # effects unseen, until the whole backlog was in.
            self._pump_due = EventsArrived(message.run_id)
            self.call_after_refresh(self._post_soon, self._pump_due)

    def on_run_exited(self, message: RunExited) -> None:
        if self._do(self.session.exited, message.run_id, message.worker):
            # Events still buffered: the rest after the next repaint, as above.
            self.call_after_refresh(self._post_soon, RunExited(message.run_id, message.worker))

    def _post_soon(self, message: EventsArrived | RunExited) -> None:
        """Post `message` once the event loop has run what else is ready (a key).

        A callback "after the next repaint" runs at once when a slice changed nothing on
        screen (the cursor away from the live edge, on a part of the run that is already
        in), and the screen's queue then never empties long enough for the event loop to
        turn: keys waited, unanswered, until the whole backlog was in."""
        asyncio.get_running_loop().call_soon(self.post_message, message)

    def stop_run(self) -> None:
        """Kill the live worker, if any, with its whole process group."""
        self.session.stop()

    # -- playback ------------------------------------------------------------------------

    def _sync_timer(self) -> None:
        if self._timer is None:
            return
        want = self.session.needs_ticks
        if want and not self._ticking:
            self._last_tick = time.monotonic()  # a paused stretch is not playback time
            self._timer.resume()
        elif not want and self._ticking:
            self._timer.pause()
        self._ticking = want

    def _tick(self) -> None:
        now = time.monotonic()
        dt, self._last_tick = now - self._last_tick, now
        if self.session.tick(dt):
            self._publish()

    # -- the scenario file -----------------------------------------------------------------

    @work(exclusive=True, group="watch-scenario", exit_on_error=False)
    async def _watch_scenario(self) -> None:
        """Re-run when the scenario file changes on disk (edited in another window).

        Nothing ends this watch but a newer one (or leaving the screen): a change whose
        handling fails is reported and the next one is handled as usual, and a watch that
        fails or stops by itself (the folder went away) is started again.
        """
        path = resolve(self.session.scenario_path)
        if path is not None:
            await watch_file(path, self._scenario_changed, self._report)

    def _scenario_changed(self) -> None:
        """One change of the scenario file on disk: re-run it, never raising into the watch."""
        try:
            self._do(self.session.file_changed)
        except Exception as e:  # noqa: BLE001 - one bad change must not end the watch
            self._report(f"could not re-run {self.session.scenario_path} after it changed: {e}")
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
        """The in-app editor saved the scenario (maybe as a copy): run it from the start."""
        if self._do(self.session.scenario_saved, path):
            self._watch_scenario()  # a copy: its folder is the one to watch now

    def open_scenario(self, name: str | None) -> None:
        if name and self._do(self.session.open_scenario, name):
            self._watch_scenario()

    # -- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # only over another screen (the comparison it came from)
            return self.is_attached and self.app.screen_stack[0] is not self
        if action == "unavailable":
            # The stand-in behind r, R and e: it takes the key only when the action itself
            # cannot, to say why instead of doing nothing.
            wanted = str(parameters[0]) if parameters else ""
            return self.session.can(wanted) is not True
        return self.session.can(_SESSION_ACTIONS.get(action, action))

    def action_unavailable(self, action: str) -> None:
        self.notify(self.session.why_not(action), title="Not here", markup=False,
                    severity="warning")

    def action_play_pause(self) -> None:
        self._do(self.session.play_pause)

    def action_next_switch(self) -> None:
        self._do(self.session.next_stop)

    def action_prev_switch(self) -> None:
        self._do(self.session.prev_stop)

    def action_next_event(self) -> None:
        self._do(self.session.next_event)

    def action_prev_event(self) -> None:
        self._do(self.session.prev_event)

    def action_first(self) -> None:
        self._do(self.session.first)

    def action_last(self) -> None:
        self._do(self.session.last)

    def action_faster(self) -> None:
        self._do(self.session.faster)

    def action_slower(self) -> None:
        self._do(self.session.slower)

    def action_axis(self) -> None:
        self._do(self.session.toggle_axis)

    def action_rerun(self) -> None:
        self._do(self.session.rerun)

    @on(HeaderBar.RuntimeClicked)
    async def _runtime_clicked(self) -> None:
        await self.run_action("choose_runtime")  # as the key does: only where it applies

    def action_choose_runtime(self) -> None:
        scenario = self.session.scenario
        if scenario is None:
            return
        from simtui.tui.screens.runtime_picker import RuntimePickerScreen

        self.app.push_screen(
            RuntimePickerScreen(list(scenario.runtimes), self.session.runtime or ""),
            self.runtime_chosen,
        )

    def runtime_chosen(self, runtime: str | None) -> None:
        self._do(self.session.choose_runtime, runtime)

    def action_edit(self) -> None:
        # Imported when first used: the editor brings in TextArea and its YAML grammar,
        # which the first frame does not need.
        from simtui.tui.screens.editor import EditorScreen

        path, _, _ = self.session.read_disk()
        if path is None:
            self._report(f"{self.session.scenario_path}: not found")
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

        trace = self.session.trace  # the run on screen now, even if a re-run starts meanwhile
        runtime = self.session.runtime or "run"

        def write(path: Path, overwrite: bool) -> Path:
            n = len(trace)
            return save_trace(path, trace.header, (trace[i] for i in range(n)), trace.end,
                              overwrite=overwrite)

        try:
            name = free_name(Path.cwd(), default_name(trace.header, runtime))
        except OSError:  # the current folder is gone: the user types where instead
            name = default_name(trace.header, runtime)
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

        if self.session.scenario is not None:
            self.app.push_screen(DescriptionScreen(self.session.scenario))

    def action_compare(self) -> None:
        from simtui.tui.compare_session import CompareRequest
        from simtui.tui.screens.compare import CompareScreen

        s = self.session
        if s.scenario_path:
            self.app.push_screen(CompareScreen(CompareRequest((s.scenario_path,),
                                                              time_scale=s.time_scale)))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_help(self) -> None:
        from simtui.tui.screens.info import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        self.session.stop()
        self.app.exit()
