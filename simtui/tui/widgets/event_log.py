"""The raw event log: every event of the run, the current one highlighted."""

from __future__ import annotations

from textual.strip import Strip

from simtui.safe import printable
from simtui.trace.export import describe
from simtui.tui.widgets.rows import RowsView


class EventLogPane(RowsView, can_focus=True):
    """One line per event (`seq  t  task  type  what`), drawn only where it is on screen."""

    COMPONENT_CLASSES = {"log--current", "log--switch", "log--muted"}
    DEFAULT_CSS = """
    EventLogPane > .log--current { background: $accent 50%; text-style: bold; }
    EventLogPane > .log--switch { color: $success; }
    EventLogPane > .log--muted { color: $text-muted; }
    """

    def row_count(self) -> int:
        return 0 if self.view is None else self.view.length

    def follow_row(self) -> int | None:
        return None if self.view is None else max(0, self.view.state.index)

    def render_row(self, index: int, width: int) -> Strip:
        view = self.view
        assert view is not None
        event = view.trace[index]
        current = index == view.state.index
        base = self.style("log--current") if current else None
        kind = event.get("type", "")
        kind_style = self.style("log--switch") if kind == "run" else None
        return self.strip(
            (f"{index:>7} ", base + self.style("log--muted") if base else self.style("log--muted")),
            (f"{event.get('t', 0):10.6f}s ", base),
            (f"{printable(event.get('task') or '-')[:16]:<16} ", base),
            (f"{kind:<8} ", base + kind_style if base and kind_style else base or kind_style),
            (describe(event), base),
        )
