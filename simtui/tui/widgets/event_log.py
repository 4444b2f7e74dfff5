"""The raw event log: every event of the run, the current one highlighted."""

from __future__ import annotations

from collections.abc import Hashable

from textual.strip import Strip

from simtui.safe import printable
from simtui.trace.export import describe
from simtui.tui.view import PlayerView
from simtui.tui.widgets.rows import RowsView


class EventLogPane(RowsView, can_focus=True):
    """One line per event (`n  t  task  type  what`), drawn only where it is on screen.

    Events are numbered from 1, as the header counts them (`event 57/210`).
    """

    COMPONENT_CLASSES = {"log--current", "log--switch", "log--muted"}
    DEFAULT_CSS = """
    EventLogPane > .log--current { background: $accent 50%; text-style: bold; }
    EventLogPane > .log--switch { color: $text-success; }
    EventLogPane > .log--muted { color: $text-muted; }
    """

    def row_count(self) -> int:
        return 0 if self.view is None else len(self.view.events)

    def draw_key(self, view: PlayerView) -> Hashable:
        return (view.run_id, view.state.index, len(view.events))

    def follow_row(self) -> int | None:
        return None if self.view is None else max(0, self.view.state.index)

    def render_row(self, index: int, width: int) -> Strip:
        view = self.view
        assert view is not None
        event = view.events[index]
        current = index == view.state.index
        base = self.style("log--current") if current else None
        kind = event.get("type", "")
        kind_style = self.style("log--switch") if kind == "run" else None
        muted = self.style("log--muted")
        return self.strip(
            (f"{index + 1:>7} ", base + muted if base else muted),
            (f"{event.get('t', 0):10.6f} s ", base),
            (f"{printable(event.get('task') or '-')[:16]:<16} ", base),
            (f"{kind:<8} ", base + kind_style if base and kind_style else base or kind_style),
            (describe(dict(event)), base),
        )
