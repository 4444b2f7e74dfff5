"""The small panes: running task, ready queue, waiting tasks, output, explanation, header."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from simtui.replay.explain import gloss
from simtui.safe import printable
from simtui.trace import labels
from simtui.tui.view import PlayerView, clock, wait_text
from simtui.tui.widgets.rows import RowsView

NAME_WIDTH = 14
INTERNAL = frozenset({"notify", "io", "other"})
"""Callback kinds whose names are the runtime's internals: the ready queue glosses them
(a fired timer or gather's done-callback reads plainly as it is)."""


def _fit(name: str, width: int = NAME_WIDTH) -> str:
    """`name` escaped and cut to `width` (escaped first, so that columns line up)."""
    name = printable(name)
    return name if len(name) <= width else name[: width - 1] + "…"


def _titled(widget: Widget, *choices: str) -> None:
    """Give `widget` the longest of `choices` that fits its top border (the last one if
    none does): a narrow pane keeps the count at the end of its title."""
    room = widget.size.width - 4  # the corners and the spaces around the title
    if widget.size.width <= 0:  # not laid out yet: the resize that follows picks again
        room = cell_len(choices[0])
    title = next((c for c in choices if cell_len(c) <= room), choices[-1])
    if getattr(widget, "_title_text", None) != title:
        widget._title_text = title  # type: ignore[attr-defined]
        widget.border_title = Text(title)  # Text: a title is never parsed as markup


class RunningPane(Widget):
    """The task now running: its current step and where control came from."""

    COMPONENT_CLASSES = {"running--title", "running--dim", "running--alert"}
    DEFAULT_CSS = """
    RunningPane { height: 1fr; }
    RunningPane > .running--title { text-style: bold; }
    RunningPane > .running--dim { color: $text-muted; }
    RunningPane > .running--alert { color: $text-error; text-style: bold; }
    """
    view: reactive[PlayerView | None] = reactive(None, always_update=True)

    def render(self) -> Text:
        view = self.view
        if view is None:
            return Text("")
        # Every line is data (names, ops, reasons): escaped, one line each, wrapped to the
        # pane's width rather than cut.
        text = Text()
        for n, (line, role) in enumerate(view.running):
            if n:
                text.append("\n")
            style = self.get_component_rich_style(f"running--{role}") if role else None
            text.append(printable(line), style=style or "")
        return text


class ReadyQueuePane(RowsView):
    """The runtime's real ready queue, head first; arrivals and the departed head marked.

    What the queue is comes from the trace (`queue`: a FIFO, an unordered set, or none),
    never from the runtime's name.
    """

    COMPONENT_CLASSES = {
        "ready--index", "ready--head", "ready--callback", "ready--arrived", "ready--departed",
        "ready--note",
    }
    DEFAULT_CSS = """
    ReadyQueuePane > .ready--index { color: $text-muted; }
    ReadyQueuePane > .ready--head { text-style: bold; }
    ReadyQueuePane > .ready--callback { color: $text-muted; text-style: italic; }
    ReadyQueuePane > .ready--arrived { color: $text-success; }
    ReadyQueuePane > .ready--departed { color: $text-muted; text-style: strike; }
    ReadyQueuePane > .ready--note { color: $text-muted; text-style: italic; }
    """

    def _no_queue(self) -> bool:
        return self.view is not None and self.view.queue == "none"

    def _offset(self) -> int:
        """Rows above the queue itself: the note (no queue) or the departed head."""
        view = self.view
        if view is None:
            return 0
        if self._no_queue():
            return 2
        return 1 if view.state.departed and _is_run(view.state.event) else 0

    def row_count(self) -> int:
        view = self.view
        if view is None:
            return 0
        if self._no_queue():
            return 2 + len(view.state.waiting)
        return self._offset() + len(view.state.ready)

    def watch_view(self, view: PlayerView | None) -> None:
        self._retitle()
        super().watch_view(view)

    def on_resize(self) -> None:
        self._retitle()
        super().on_resize()

    def _retitle(self) -> None:
        view = self.view
        if view is None:
            return
        if view.queue == "none":
            noun = view.spec.task_noun if view.spec is not None else "task"
            n = len(view.state.waiting)
            _titled(self, f"Suspended {noun}s · {n}", f"Suspended · {n}", f"{n}")
        else:
            n = len(view.state.ready)
            what = "the OS picks, not FIFO" if view.queue == "set" else "FIFO"
            head = "Runnable" if view.queue == "set" else "Ready queue"
            _titled(self, f"{head} ({what}) · {n}", f"{head} · {n}", f"Ready · {n}", f"{n}")

    def render_row(self, index: int, width: int) -> Strip:
        view = self.view
        assert view is not None
        state = view.state
        if self._no_queue():
            if index < 2:
                name = view.runtime or "this runtime"
                scheduler = view.spec.scheduler if view.spec is not None else "no scheduler"
                note = ("no ready queue —", f"{name} has {scheduler}")[index]
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
        if k == 0 and view.queue == "fifo":  # a set has no head: the OS picks
            parts.append(("  ← next", self.style("ready--head")))
        if entry.arrived:
            parts.append(("  + new", self.style("ready--arrived")))
        if entry.callback and labels.read_item(entry.name).kind in INTERNAL:
            # An internal name (`AsyncResult.notify_links`), said in plain words beside it.
            parts.append((f"  {gloss(view.runtime, entry.name)}", self.style("ready--note")))
        return self.strip(*parts)


def _is_run(event: Any) -> bool:
    return bool(event) and event.get("type") == "run"


class WaitingPane(RowsView):
    """Every suspended task and what it waits for."""

    COMPONENT_CLASSES = {"waiting--reason", "waiting--when"}
    DEFAULT_CSS = """
    WaitingPane > .waiting--reason { color: $text-warning; }
    WaitingPane > .waiting--when { color: $text-muted; }
    """

    def row_count(self) -> int:
        return 0 if self.view is None else len(self.view.state.waiting)

    def watch_view(self, view: PlayerView | None) -> None:
        self._retitle()
        super().watch_view(view)

    def on_resize(self) -> None:
        self._retitle()
        super().on_resize()

    def _retitle(self) -> None:
        if self.view is not None:
            n = len(self.view.state.waiting)
            _titled(self, f"Waiting · {n}", f"{n}")

    def render_row(self, index: int, width: int) -> Strip:
        assert self.view is not None
        name = self.view.state.waiting[index]
        task = self.view.state.tasks.get(name)
        what = wait_text(task) if task is not None else ""
        when = f"  wakes {clock(task.until)}" if task and task.until is not None else ""
        return self.strip((f"{_fit(name):<{NAME_WIDTH}} ", None),
                          (what, self.style("waiting--reason")),
                          (when, self.style("waiting--when")))


class OutputPane(RowsView):
    """`print` lines up to the cursor, the newest highlighted and kept in view."""

    COMPONENT_CLASSES = {"output--newest", "output--task"}
    DEFAULT_CSS = """
    OutputPane > .output--newest { background: $accent 30%; text-style: bold; }
    OutputPane > .output--task { color: $text-muted; }
    """

    def row_count(self) -> int:
        return 0 if self.view is None else len(self.view.outputs)

    def follow_row(self) -> int | None:
        count = self.row_count()
        return count - 1 if count else None

    def render_row(self, index: int, width: int) -> Strip:
        assert self.view is not None
        outputs = self.view.outputs
        task, text = outputs[index]
        style = self.style("output--newest") if index == len(outputs) - 1 else None
        return self.strip((text, style), (f"  {task or ''}", self.style("output--task")))


class ExplanationPane(Widget):
    """One sentence on why this switch happened, in the runtime's own terms."""

    COMPONENT_CLASSES = {"explanation--hint"}
    DEFAULT_CSS = """
    ExplanationPane { height: 1fr; }
    ExplanationPane > .explanation--hint { color: $text-muted; }
    """
    view: reactive[PlayerView | None] = reactive(None, always_update=True)

    def render(self) -> Text:
        view = self.view
        if view is None or not view.explanation:
            return Text("space plays or pauses, → steps to the next switch, ? lists every key.",
                        style=self.get_component_rich_style("explanation--hint"))
        return Text(printable(view.explanation))


MODES = {"playing": "▶ playing", "live": "● live", "paused": "❚❚ paused"}


class HeaderBar(Widget):
    """Title and runtime; transport state, position in the run, and the recording."""

    COMPONENT_CLASSES = {"header--title", "header--strong", "header--ok", "header--bad",
                         "header--live", "header--muted"}
    DEFAULT_CSS = """
    HeaderBar { height: 2; }
    HeaderBar > .header--title { text-style: bold; }
    HeaderBar > .header--strong { text-style: bold; }
    HeaderBar > .header--ok { text-style: bold; color: $text-success; }
    HeaderBar > .header--bad { text-style: bold; color: $text-error; }
    HeaderBar > .header--live { text-style: bold; color: $text-success; }
    HeaderBar > .header--muted { color: $text-muted; }
    """
    view: reactive[PlayerView | None] = reactive(None, always_update=True)

    class RuntimeClicked(Message):
        """The runtime in the header was clicked: the user wants the runtime picker."""

    def _runtime_label(self) -> str:
        view = self.view
        if view is None or not view.runtime:
            return ""
        return f"{printable(view.runtime)} ▾" if view.choosable else printable(view.runtime)

    def on_click(self, event: events.Click) -> None:
        label = self._runtime_label()
        start = self.size.width - cell_len(label) - 1
        if (self.view is not None and self.view.choosable and event.y == 0
                and event.x >= start - 1):
            self.post_message(self.RuntimeClicked())

    def render(self) -> Text:
        view = self.view
        width = self.size.width
        text = Text(no_wrap=True, overflow="ellipsis")
        # The title and the runtime come from the scenario or a trace file: escaped before
        # they are measured, so that what is cut to fit is what is shown.
        runtime = self._runtime_label()
        title = printable(view.title) if view is not None else ""
        path = printable(view.path) if view is not None and view.path else ""
        longest = max(20, width // 3)
        if cell_len(path) > longest:  # a long path keeps its end: the file's name
            path = "…" + path[-(longest - 1):]
        path = f"   {path}" if path else ""
        # The file keeps its place (it says where a copy went); the title gives way first.
        room = max(8, width - len(" simtui · ") - cell_len(runtime) - cell_len(path) - 2)
        title = title if cell_len(title) <= room else title[: room - 1] + "…"
        text.append(" simtui · ", style=self.get_component_rich_style("header--title"))
        text.append(title)
        if path:
            text.append(path, style=self.get_component_rich_style("header--muted"))
        if runtime:
            pad = max(1, width - cell_len(text.plain) - cell_len(runtime) - 1)
            text.append(" " * pad)
            text.append(runtime, style=self.get_component_rich_style("header--strong"))
        text.append("\n")
        if view is None:
            return text
        for part, role in self._status_parts(view, width):
            text.append(part, style=self.get_component_rich_style(role) if role else "")
        return text

    def _status_parts(self, view: PlayerView, width: int) -> list[tuple[str, str]]:
        """The second line, parts in order; the least important dropped when narrow."""
        state = view.state
        mode = MODES.get(view.mode, view.mode)
        if view.length == 0:  # nothing recorded yet: no position to give
            return [(f" {mode} ", ""), (f"{view.speed:g}/s", ""),
                    (f"   {view.progress}" if view.progress else "", "header--live")]
        recorded = (f"switch {state.switch} · recorded {view.recorded}" if view.live
                    else f"switch {state.switch}/{view.recorded}")
        event = f"event {state.index + 1}/{view.length}"
        t = f"t = {clock(state.t)}"
        scale = f"time ×{view.time_scale:g}" if view.time_scale != 1 else ""
        status = ""
        status_role = ""
        if state.status and not view.live:
            status = f"run ended: {printable(state.status)}"
            status_role = "header--ok" if state.status == "ok" else "header--bad"
        # (text, role, rank): higher ranks stay longest.
        parts: list[tuple[str, str, int]] = [
            (f" {mode} ", "header--strong" if view.mode != "paused" else "", 9),
            (f"{view.speed:g}/s", "", 5),
            (f"   {recorded}", "", 8),
            (f"   {event}", "", 2),
            (f"   {t}", "", 6),
            (f"  ({scale})" if scale else "", "header--muted", 7),
            (f"   {status}" if status else "", status_role, 4),
            (f"   {view.progress}" if view.progress else "", "header--live", 3),
        ]
        parts = [p for p in parts if p[0]]
        for rank in sorted({p[2] for p in parts}):
            if sum(cell_len(p[0]) for p in parts) <= width - 1:
                break
            parts = [p for p in parts if p[2] != rank]
        return [(p[0], p[1]) for p in parts]
