"""The small panes: running task, ready queue, waiting tasks, output, explanation, header."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from simtui.replay.explain import explain
from simtui.safe import printable
from simtui.trace.export import describe
from simtui.tui.view import PlayerView
from simtui.tui.widgets.rows import RowsView

NAME_WIDTH = 14


def _fit(name: str, width: int = NAME_WIDTH) -> str:
    """`name` escaped and cut to `width` (escaped first, so that columns line up)."""
    name = printable(name)
    return name if len(name) <= width else name[: width - 1] + "…"


def _secs(t: float) -> str:
    return f"{t:.4f} s"


SCHEDULER = {
    "asyncio": ("the event loop", "no task runs: it waits for\nthe next timer or I/O"),
    "gevent": ("the hub", "no greenlet runs: it waits\nfor the next timer or I/O"),
    "greenlet": ("no greenlet", "nothing runs (no scheduler)"),
    "threads": ("no thread", "no thread holds the GIL"),
}


class RunningPane(Widget):
    """The task now running: its current step and where control came from."""

    DEFAULT_CSS = """
    RunningPane { height: 1fr; }
    """
    view: reactive[PlayerView | None] = reactive(None, always_update=True)

    def render(self) -> Text:
        view = self.view
        if view is None or view.state.index < 0:
            return Text("(nothing has run yet)", style="dim")
        state = view.state
        # (text, style) per line: names, ops and reasons are data, escaped by `_lines`.
        lines: list[tuple[str, str]] = []
        if state.running is None:
            if state.running_item:
                lines.append((f"callback {state.running_item}", "bold"))
                lines.append(("the scheduler runs a callback, not a task", ""))
            elif state.status:
                lines.append((f"run ended: {state.status}", "bold"))
            else:
                who, what = SCHEDULER.get(view.runtime, ("the scheduler", "no task runs"))
                lines.append((who, "bold"))
                lines.extend((part, "") for part in what.split("\n"))
        else:
            task = state.tasks.get(state.running)
            lines.append((state.running, "bold"))
            step, nsteps = view.step_of(state.running)
            if step is not None:
                lines.append((f"step {step.index + 1}/{nsteps}  {step.describe()}", ""))
            elif task is not None and task.op:
                lines.append((f"step {(task.step or 0) + 1}  {task.op}", ""))
            elif task is not None and task.step is None:
                lines.append(("starts: no step run yet", "dim"))
            if task is not None and task.status == "blocking":
                lines.append((f"blocks the scheduler: {task.reason}", "bold red"))
        if state.came_from:
            lines.append((f"from {state.came_from}", "dim"))
        return _lines(lines)


def _lines(lines: list[tuple[str, str]]) -> Text:
    """A Text of one line per `(text, style)`, each escaped: a newline or an escape
    sequence inside a name stays on its line, visible."""
    text = Text()
    for n, (line, style) in enumerate(lines):
        if n:
            text.append("\n")
        text.append(printable(line), style=style)
    return text


class ReadyQueuePane(RowsView):
    """The runtime's real ready queue, head first; arrivals and the departed head marked."""

    COMPONENT_CLASSES = {
        "ready--index", "ready--head", "ready--callback", "ready--arrived", "ready--departed",
        "ready--note",
    }
    DEFAULT_CSS = """
    ReadyQueuePane > .ready--index { color: $text-muted; }
    ReadyQueuePane > .ready--head { text-style: bold; }
    ReadyQueuePane > .ready--callback { color: $text-muted; text-style: italic; }
    ReadyQueuePane > .ready--arrived { color: $success; }
    ReadyQueuePane > .ready--departed { color: $text-muted; text-style: strike; }
    ReadyQueuePane > .ready--note { color: $text-muted; text-style: italic; }
    """

    def _greenlet(self) -> bool:
        return self.view is not None and self.view.runtime == "greenlet"

    def _offset(self) -> int:
        """Rows above the queue itself: the note (greenlet) or the departed head."""
        view = self.view
        if view is None:
            return 0
        if self._greenlet():
            return 2
        return 1 if view.state.departed and _is_run(view.state.event) else 0

    def row_count(self) -> int:
        view = self.view
        if view is None:
            return 0
        if self._greenlet():
            return 2 + len(view.state.waiting)
        return self._offset() + len(view.state.ready)

    def watch_view(self, view: PlayerView | None) -> None:
        if view is not None:
            if view.runtime == "greenlet":
                self.border_title = "Suspended greenlets"
            elif view.runtime == "threads":
                self.border_title = "Runnable (the OS picks, not FIFO)"
            else:
                self.border_title = f"Ready queue (FIFO) · {len(view.state.ready)}"
        super().watch_view(view)

    def render_row(self, index: int, width: int) -> Strip:
        view = self.view
        assert view is not None
        state = view.state
        if self._greenlet():
            if index < 2:
                note = ("no ready queue —", "greenlet has no scheduler")[index]
                return self.strip((note, self.style("ready--note")))
            name = state.waiting[index - 2]
            task = state.tasks.get(name)
            how = f"  {task.reason}" if task and task.reason else ""
            return self.strip((f" {_fit(name)}", None), (how, self.style("ready--note")))
        offset = self._offset()
        if index < offset:
            return self.strip(("  ↑ ", self.style("ready--index")),
                              (state.departed or "", self.style("ready--departed")),
                              ("  → running", self.style("ready--note")))
        k = index - offset
        entry = state.ready[k]
        name_style = self.style("ready--callback") if entry.callback else (
            self.style("ready--head") if k == 0 else None)
        parts: list[tuple[str, Any]] = [
            (f"{k + 1:>3} ", self.style("ready--index")),
            (f"{_fit(entry.name, 24):<16}", name_style),
        ]
        if k == 0 and view.runtime != "threads":
            parts.append(("  ← next", self.style("ready--head")))
        if entry.arrived:
            parts.append(("  + new", self.style("ready--arrived")))
        return self.strip(*parts)


def _is_run(event: Any) -> bool:
    return bool(event) and event.get("type") == "run"


class WaitingPane(RowsView):
    """Every suspended task and what it waits for."""

    COMPONENT_CLASSES = {"waiting--reason", "waiting--when"}
    DEFAULT_CSS = """
    WaitingPane > .waiting--reason { color: $warning; }
    WaitingPane > .waiting--when { color: $text-muted; }
    """

    def row_count(self) -> int:
        return 0 if self.view is None else len(self.view.state.waiting)

    def watch_view(self, view: PlayerView | None) -> None:
        if view is not None:
            self.border_title = f"Waiting ({len(view.state.waiting)})"
        super().watch_view(view)

    def render_row(self, index: int, width: int) -> Strip:
        assert self.view is not None
        name = self.view.state.waiting[index]
        task = self.view.state.tasks.get(name)
        reason = (task.reason or "") if task else ""
        detail = f" {task.detail}" if task and task.detail else ""
        when = f"  wakes {_secs(task.until)}" if task and task.until is not None else ""
        return self.strip((f"{_fit(name):<{NAME_WIDTH}} ", None),
                          (reason + detail, self.style("waiting--reason")),
                          (when, self.style("waiting--when")))


class OutputPane(RowsView):
    """`print` lines up to the cursor, the newest highlighted and kept in view."""

    COMPONENT_CLASSES = {"output--newest", "output--task"}
    DEFAULT_CSS = """
    OutputPane > .output--newest { background: $accent 30%; text-style: bold; }
    OutputPane > .output--task { color: $text-muted; }
    """

    def row_count(self) -> int:
        return 0 if self.view is None else self.view.state.output_count

    def follow_row(self) -> int | None:
        count = self.row_count()
        return count - 1 if count else None

    def render_row(self, index: int, width: int) -> Strip:
        assert self.view is not None
        _, _, task, text = self.view.replay.outputs[index]
        newest = index == self.view.state.output_count - 1
        style = self.style("output--newest") if newest else None
        return self.strip((text, style), (f"  {task}", self.style("output--task")))


class ExplanationPane(Widget):
    """One sentence on why this switch happened, in the runtime's own terms."""

    DEFAULT_CSS = """
    ExplanationPane { height: 1fr; }
    """
    view: reactive[PlayerView | None] = reactive(None, always_update=True)

    def render(self) -> Text:
        view = self.view
        if view is None or view.state.event is None:
            return Text("Press space to play, → for the next switch, ? for every key.",
                        style="dim")
        return Text(printable(explanation(view)))


def explanation(view: PlayerView) -> str:
    """The sentence of the teaching voice; the raw event's description if it fails."""
    try:
        interval = (view.trace.header.get("options") or {}).get("switch_interval")
        return explain(view.runtime, view.state, view.prev, interval)
    except Exception as e:  # a sentence must never take the screen down
        event = dict(view.state.event or {})
        return f"{event.get('task') or 'scheduler'}: {describe(event)} ({e})"


class HeaderBar(Widget):
    """Title and runtime; transport state, position in the run, and live progress."""

    DEFAULT_CSS = """
    HeaderBar { height: 2; }
    """
    view: reactive[PlayerView | None] = reactive(None, always_update=True)
    title: reactive[str] = reactive("")
    mode: reactive[str] = reactive("paused")
    """`playing`, `paused` or `live` (following a run as it happens)."""
    speed: reactive[float] = reactive(4.0)
    progress: reactive[str] = reactive("")
    """What the live run is doing (events so far, elapsed): empty once it is over."""

    def render(self) -> Text:
        view = self.view
        text = Text(no_wrap=True, overflow="ellipsis")
        # The title and the runtime come from the scenario or a trace file: escaped before
        # they are measured, so that what is cut to fit is what is shown.
        runtime = f"   {printable(view.runtime)} ▾" if view is not None else ""
        room = max(8, self.size.width - len(" simtui · ") - len(runtime))
        title = printable(self.title)
        title = title if len(title) <= room else title[: room - 1] + "…"
        text.append(" simtui · ", style="bold")
        text.append(title)
        text.append(runtime, style="bold")
        text.append("\n ")
        label = {"playing": "▶ playing", "live": "● live"}.get(self.mode, "❚❚ paused")
        text.append(label, style="bold" if self.mode != "paused" else "")
        text.append(f" ×{self.speed:g}   ")
        if view is not None:
            state = view.state
            text.append(f"switch {state.switch}/{view.total_switches}   "
                        f"event {state.index + 1}/{view.length}   t = {state.t:.4f} s")
            if state.status and not view.live:
                text.append(f"   run ended: {printable(state.status)}",
                            style="bold" if state.status == "ok" else "bold red")
        if self.progress:
            text.append(f"   {self.progress}", style="bold green")
        return text
