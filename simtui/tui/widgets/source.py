"""The scenario source: the running task's step highlighted, other tasks' steps marked."""

from __future__ import annotations

from collections.abc import Hashable
from itertools import islice

from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from simtui.safe import printable
from simtui.tui.view import PlayerView
from simtui.tui.widgets.rows import RowsView

Span = tuple[int, int, str]
"""A highlighted run of one line (see `yaml_syntax.Span`)."""

MARK_SCAN = 256
"""Ready and waiting tasks looked at for markers: enough for every step line in practice,
and a step stays cheap with 10,000 tasks."""
TAB_SIZE = 2
"""Columns a tab stands for, as the editor shows it (a raw tab would move the terminal's
cursor to its own next tab stop, out of the pane)."""


class SourcePane(RowsView):
    """The YAML text; `▶` the running task's step, `•` where other tasks are, `✗` an error.

    Coloured by tree-sitter's YAML grammar in the theme's colours, as the editor is.
    """

    COMPONENT_CLASSES = {
        "source--lineno", "source--current", "source--marked", "source--error",
    }
    DEFAULT_CSS = """
    SourcePane > .source--lineno { color: $text-muted; }
    SourcePane > .source--current { background: $accent 40%; }
    SourcePane > .source--marked { color: $text-warning; }
    SourcePane > .source--error { background: $error 40%; }
    """

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._text = ""
        self._lines: list[str] = []
        self._spans: list[list[Span]] = []
        self._syntax: dict[str, Style] | None = None
        self._marks_key: tuple[object, ...] = ()
        self._marks: dict[int, str] = {}

    def notify_style_update(self) -> None:
        self._syntax = None  # the theme may have changed
        super().notify_style_update()

    def _sync_text(self) -> None:
        view = self.view
        text = view.source.text if view is not None and view.source is not None else ""
        if text != self._text:
            self._text = text
            raw = text.splitlines()
            self._lines = [line.expandtabs(TAB_SIZE) for line in raw]
            try:
                # Imported when there is a text to colour: tree-sitter is not needed for
                # the first frame, which comes before the scenario has loaded.
                from simtui.tui import yaml_syntax

                spans = yaml_syntax.highlight(text) if text else []
            except Exception:  # noqa: BLE001 - colours are a nicety; the text is what matters
                spans = [[] for _ in raw]
            # Columns of the text as written; a tab is drawn as TAB_SIZE columns or fewer.
            self._spans = [_expanded(line, s) if "\t" in line else s
                           for line, s in zip(raw, spans, strict=False)]

    def _syntax_styles(self) -> dict[str, Style]:
        if self._syntax is None:
            from simtui.tui import yaml_syntax

            self._syntax = yaml_syntax.styles(self.app.get_css_variables())
        return self._syntax

    def row_count(self) -> int:
        self._sync_text()
        return len(self._lines)

    def draw_key(self, view: PlayerView) -> Hashable:
        return (view.run_id, view.state.index, view.source)

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
        parts.extend(self._coloured(line, self._spans[index] if index < len(self._spans)
                                    else [], base))
        strip = self.strip(*parts)
        if base is not None:  # the highlight spans the whole row, not just the text
            strip = strip.adjust_cell_length(width, self.base_style + base)
        return strip

    def _coloured(self, line: str, spans: list[Span],
                  base: Style | None) -> list[tuple[str, Style | None]]:
        """The line cut into runs of one capture each (later spans win)."""
        if not spans or not line:
            return [(line, base)]
        names: list[str | None] = [None] * len(line)
        for start, end, name in spans:
            for c in range(start, min(end, len(line))):
                names[c] = name
        syntax = self._syntax_styles()
        parts: list[tuple[str, Style | None]] = []
        run = 0
        for c in range(1, len(line) + 1):
            if c == len(line) or names[c] != names[run]:
                capture = names[run]
                parts.append((line[run:c], _plus(base, syntax.get(capture) if capture else None)))
                run = c
        return parts


def _expanded(line: str, spans: list[Span]) -> list[Span]:
    """Spans of `line` moved to the columns it has once its tabs are expanded."""

    def at(c: int) -> int:
        return len(line[:c].expandtabs(TAB_SIZE))

    return [(at(a), at(b), name) for a, b, name in spans]


def _plus(a: Style | None, b: Style | None) -> Style | None:
    if a is None:
        return b
    return a + b if b is not None else a
