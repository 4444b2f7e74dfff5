"""The compare screen: one lane per run of a comparison, one cursor, the table and what differs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Static

from simtui.files import read_regular, reason
from simtui.safe import printable
from simtui.scenario.loader import MAX_FILE_BYTES, resolve
from simtui.tui.bindings import COMPARE_BINDINGS, PlayerFooter
from simtui.tui.compare_session import CompareRequest, CompareSession, CompareView
from simtui.tui.messages import EventsArrived, RunExited
from simtui.tui.watch import watch_file
from simtui.tui.widgets.lanes import LABEL, LanesPane

TICK = 0.25
"""Seconds between refreshes of the header's clock while the lanes record."""


class CompareScreen(Screen[None]):
    """Runs a comparison's lanes live and shows them on one axis with one cursor.

    The state lives in `session` (`simtui.tui.compare_session`); the screen publishes its
    view after every change and only forwards keys and the workers' messages.
    """

    BINDINGS: ClassVar[list[BindingType]] = list(COMPARE_BINDINGS)

    view: var[CompareView | None] = var(None, always_update=True)

    def __init__(self, request: CompareRequest) -> None:
        super().__init__()
        self.session = CompareSession(
            request,
            wake=lambda run_id: self.post_message(EventsArrived(run_id)),
            exited=lambda run_id, worker: self.post_message(RunExited(run_id, worker)),
        )
        self._banner = ""
        self._pump_due: dict[int, EventsArrived] = {}
        """Per lane: the pump message already on its way (a wake meanwhile starts none)."""
        self._availability: tuple[object, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static(id="compare-header", markup=False)
        yield Static(id="banner", markup=False)
        yield LanesPane(id="lanes").data_bind(CompareScreen.view)
        with VerticalScroll(id="summary-box"):
            yield Static(id="summary", markup=False)
        yield PlayerFooter()

    def on_mount(self) -> None:
        self.query_one("#lanes").border_title = (
            "Lanes   █ running  ▒ callback  ▓ blocking the scheduler  · nothing runs   "
            "ready queue ▁▄█")
        self.query_one("#summary-box").border_title = "Comparison"
        self.set_interval(TICK, self._tick)
        self._publish()
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        if not self.session.lanes:  # (runs shown from a recording are not run again)
            self._do(self.session.load)
            self._watch_files()

    def _watch_files(self) -> None:
        """Re-run every lane when a scenario of the comparison changes on disk (edited in
        another window), as the player does for its one scenario."""
        self.workers.cancel_group(self, "watch-scenarios")
        for path in self.session.files():
            self.run_worker(watch_file(path, self._files_changed, self._report),
                            group="watch-scenarios", exit_on_error=False)

    def _files_changed(self) -> None:
        try:
            self._do(self.session.file_changed)
        except Exception as e:  # noqa: BLE001 - one bad change must not end the watch
            self._report(f"could not run the comparison again after a change: {e}")

    def on_resize(self, event: events.Resize) -> None:
        self.session.columns = max(1, event.size.width - LABEL - 3)

    def on_unmount(self) -> None:
        self.session.stop()  # no lane outlives the screen

    def stop_run(self) -> None:
        self.session.stop()

    # -- the one way state reaches the widgets -----------------------------------------

    def _do(self, change: Callable[..., Any], *args: Any) -> Any:
        result = change(*args)
        self._publish()
        return result

    def _publish(self) -> None:
        view = self.session.view()
        old = self.view
        self.view = view
        self.query_one("#compare-header", Static).update(self._header(view))
        if old is None or old.summary != view.summary:
            # The table quotes task names and printed lines: text, never markup.
            self.query_one("#summary", Static).update(
                Text("\n".join(printable(line) for line in view.summary)))
        if view.error != self._banner:
            self._banner = view.error
            banner = self.query_one("#banner", Static)
            banner.update(Text(printable(view.error)))
            banner.set_class(bool(view.error), "-error")
        now = (bool(view.lanes), view.live, len(self.app.screen_stack))
        if now != self._availability:
            self._availability = now
            self.refresh_bindings()

    def _header(self, view: CompareView) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" simtui · compare · ", style="bold")
        text.append(printable(view.title))
        n = len(view.lanes)
        text.append(f" — {n} run{'s' if n != 1 else ''}")
        text.append(f"\n axis: {view.axis}   ")
        if view.lanes:
            lane = view.lanes[view.selected]
            where = (f"t = {lane.t:.4f} s" if view.axis == "time"
                     else f"switch {lane.series.switch_count(lane.position):,}")
            text.append(f"{where} in {printable(lane.label)}   ")
        if view.live:
            text.append(f"● recording {self.session.recorded_for():.1f} s",
                        style="bold")
        elif view.following:
            text.append("every run ended", style="dim")
        return text

    def _tick(self) -> None:
        if self.session.recording:
            self._publish()

    # -- the runs' messages --------------------------------------------------------------

    def on_events_arrived(self, message: EventsArrived) -> None:
        if message.run_id in self._pump_due and self._pump_due[message.run_id] is not message:
            return  # a pump of this lane is already due and takes these in too
        self._pump_due.pop(message.run_id, None)
        if self._do(self.session.pump, message.run_id):
            self._come_back(EventsArrived(message.run_id))

    def on_run_exited(self, message: RunExited) -> None:
        if self._do(self.session.exited, message.run_id, message.worker):
            self._come_back(RunExited(message.run_id, message.worker))

    def _come_back(self, message: EventsArrived | RunExited) -> None:
        """More of a lane is buffered: take it after the next repaint, once the event loop
        has turned (a key in between is answered), as the player does. Posted at once, the
        message would keep the screen's queue from ever emptying until every lane was in."""
        if isinstance(message, EventsArrived):
            self._pump_due[message.run_id] = message
        loop = asyncio.get_running_loop()
        self.call_after_refresh(loop.call_soon, self.post_message, message)

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return len(self.app.screen_stack) > 1 and self.app.screen_stack[0] is not self
        if action in ("open_player", "next_output", "prev_output", "select_next",
                      "select_prev", "step", "page", "first", "last"):
            return True if self.session.lanes else None
        if action == "edit":
            return True if self.session.request.names else None
        return True

    def action_step(self, columns: int) -> None:
        self._do(self.session.move, columns)

    def action_page(self, direction: int) -> None:
        self._do(self.session.page, direction)

    def action_first(self) -> None:
        self._do(self.session.first)

    def action_last(self) -> None:
        self._do(self.session.last)

    def action_axis(self) -> None:
        self._do(self.session.toggle_axis)

    def action_select_next(self) -> None:
        self._do(self.session.select, 1)

    def action_select_prev(self) -> None:
        self._do(self.session.select, -1)

    def action_next_output(self) -> None:
        if not self._do(self.session.next_output, 1):
            self.notify("No further line printed in this run.", markup=False, timeout=3)

    def action_prev_output(self) -> None:
        if not self._do(self.session.next_output, -1):
            self.notify("No earlier line printed in this run.", markup=False, timeout=3)

    def action_rerun(self) -> None:
        self._do(self.session.load)

    def action_open_player(self) -> None:
        """The selected lane in the player, at the cursor's event in it."""
        from simtui.tui.screens.player import PlayerScreen

        run = self.session.selected_run()
        if run is None:
            return
        index = self.session.positions[self.session.selected]
        self.app.push_screen(PlayerScreen.for_run(run.trace, run.lane.scenario,
                                                  run.lane.runtime, max(0, index),
                                                  run.lane.label, live=run.live is not None))

    def action_edit(self) -> None:
        from simtui.tui.screens.editor import EditorScreen

        name = self.session.view().source or self.session.request.names[0]
        path = resolve(name)
        if path is None:
            self._report(f"{name}: not found")
            return
        try:
            data = read_regular(path)
        except OSError as e:
            self._report(f"{path}: cannot edit: {reason(e)}")
            return
        if len(data) > MAX_FILE_BYTES:
            self._report(f"{path}: too large to edit here (more than 1 MiB)")
            return
        self.app.push_screen(EditorScreen.for_file(path, data))

    def scenario_saved(self, path: Path) -> None:
        """The editor saved a scenario of the comparison (maybe as a copy): every lane
        runs again, on the saved file."""
        request = self.session.request
        current = resolve(self.session.view().source or request.names[0])
        if current is None or current.resolve() != Path(path).resolve():
            old = self.session.view().source
            names = tuple(str(path) if n == old else n for n in request.names)
            if names == request.names:
                names = (str(path), *request.names[1:])
            from dataclasses import replace

            self.session.request = replace(request, names=names)
            self._do(self.session.load)
            self._watch_files()  # a copy: its folder is the one to watch now
            return
        self._do(self.session.load)

    def _report(self, message: str) -> None:
        self.notify(printable(message), severity="error", title="simtui", markup=False,
                    timeout=10)

    def action_help(self) -> None:
        from simtui.tui.screens.info import HelpScreen

        self.app.push_screen(HelpScreen(COMPARE_BINDINGS))

    def action_back(self) -> None:
        self.session.stop()
        self.app.pop_screen()

    def action_quit(self) -> None:
        self.session.stop()
        self.app.exit()
