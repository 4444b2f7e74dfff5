"""The scenario source: the running task's step highlighted, other tasks' steps marked."""

from __future__ import annotations

import re
from itertools import islice

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from simtui.safe import printable
from simtui.tui.view import PlayerView
from simtui.tui.widgets.rows import RowsView

_LINE = re.compile(r"^(\s*)(-\s+)?([^\s#:'\"][^#:]*?:(?=\s|$))?(.*)$")
MARK_SCAN = 256
"""Ready and waiting tasks looked at for markers: enough for every step line in practice,
and a step stays cheap with 10,000 tasks."""
TAB_SIZE = 2
"""Columns a tab stands for, as the editor shows it (a raw tab would move the terminal's
cursor to its own next tab stop, out of the pane)."""


class SourcePane(RowsView):
    """The YAML text; `▶` the running task's step, `•` where other tasks are, `✗` an error."""

    COMPONENT_CLASSES = {
        "source--key", "source--dash", "source--value", "source--comment", "source--lineno",
        "source--current", "source--marked", "source--error",
    }
    DEFAULT_CSS = """
    SourcePane > .source--key { color: $primary; text-style: bold; }
    SourcePane > .source--dash { color: $text-muted; }
    SourcePane > .source--value { color: $success; }
    SourcePane > .source--comment { color: $text-muted; text-style: italic; }
    SourcePane > .source--lineno { color: $text-muted; }
    SourcePane > .source--current { background: $accent 40%; }
    SourcePane > .source--marked { color: $warning; }
    SourcePane > .source--error { background: $error 40%; }
    """

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._text = ""
        self._lines: list[str] = []
        self._marks_key: tuple[object, ...] = ()
        self._marks: dict[int, str] = {}

    def _sync_text(self) -> None:
        view = self.view
        text = view.source.text if view is not None and view.source is not None else ""
        if text != self._text:
            self._text = text
            self._lines = [line.expandtabs(TAB_SIZE) for line in text.splitlines()]

    def row_count(self) -> int:
        self._sync_text()
        return len(self._lines)

    def watch_view(self, view: PlayerView | None) -> None:
        if view is not None and view.source is not None:
            # A file name is data: `[@click=app.quit]x.yaml` is a name, not markup.
            self.border_title = Text(f"Scenario ({printable(view.source.name)})")
        super().watch_view(view)

    def _current_line(self) -> int | None:
        view = self.view
        if view is None or view.state.running is None:
            return None
        task = view.state.tasks.get(view.state.running)
        return task.line if task is not None else None

    def follow_row(self) -> int | None:
        view = self.view
        if view is not None and view.source is not None and view.source.error_line:
            return view.source.error_line - 1
        line = self._current_line()
        if line is None:  # nothing runs: show where the waiting tasks are
            marked = self.marks()
            line = min(marked) if marked else None
        return None if line is None else line - 1

    def marks(self) -> dict[int, str]:
        """Line → marker for this state (computed once per cursor position)."""
        view = self.view
        if view is None:
            return {}
        key = (view.run_id, view.state.index, view.source)
        if key == self._marks_key:
            return self._marks
        marks: dict[int, str] = {}
        state = view.state
        tasks = state.tasks
        if view.source is not None and view.source.error_line is None:
            names = [e.name for e in islice(state.ready, MARK_SCAN) if not e.callback]
            names += islice(state.waiting, MARK_SCAN)
            for name in names:
                task = tasks.get(name)
                if task is not None and task.line:
                    marks[task.line] = "•"
            current = self._current_line()
            if current:
                marks[current] = "▶"
        if view.source is not None and view.source.error_line:
            marks[view.source.error_line] = "✗"
        self._marks_key, self._marks = key, marks
        return marks

    def render_row(self, index: int, width: int) -> Strip:
        line = self._lines[index]
        mark = self.marks().get(index + 1, " ")
        base: Style | None = None
        if mark == "▶":
            base = self.style("source--current")
        elif mark == "✗":
            base = self.style("source--error")
        mark_style = self.style("source--marked") if mark == "•" else None
        parts: list[tuple[str, Style | None]] = [
            (f"{mark} ", _plus(base, mark_style)),
            (f"{index + 1:>4}  ", _plus(base, self.style("source--lineno"))),
        ]
        m = _LINE.match(line)
        if m is None or line.lstrip().startswith("#"):
            parts.append((line, _plus(base, self.style("source--comment"))))
        else:
            indent, dash, key, rest = m.groups()
            parts.append((indent, base))
            parts.append((dash or "", _plus(base, self.style("source--dash"))))
            parts.append((key or "", _plus(base, self.style("source--key"))))
            value, _, comment = rest.partition(" #")
            parts.append((value, _plus(base, self.style("source--value"))))
            if comment:
                parts.append((" #" + comment, _plus(base, self.style("source--comment"))))
        strip = self.strip(*parts)
        if base is not None:  # the highlight spans the whole row, not just the text
            strip = strip.adjust_cell_length(width, self.base_style + base)
        return strip


def _plus(a: Style | None, b: Style | None) -> Style | None:
    if a is None:
        return b
    return a + b if b is not None else a
