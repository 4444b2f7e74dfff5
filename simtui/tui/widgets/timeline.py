"""The timeline: one row per task, time on the x axis, a cursor at the current event."""

from __future__ import annotations

from rich.style import Style
from textual.strip import Strip

from simtui.tui.view import PlayerView
from simtui.tui.widgets.rows import RowsView

GLYPHS = {"running": "█", "blocking": "▓", "ready": "░", "waiting": "·", "error": "✗"}
PRIORITY = {"new": 0, "done": 0, "waiting": 1, "error": 2, "ready": 3, "running": 4, "blocking": 5}
"""When a column covers several states, the busiest one is drawn (a µs run still shows)."""
LABEL = 14


class TimelinePane(RowsView):
    """Each task's states over the run; only the rows on screen are drawn, each one cached."""

    COMPONENT_CLASSES = {
        "timeline--running", "timeline--blocking", "timeline--ready", "timeline--waiting",
        "timeline--error", "timeline--name", "timeline--current", "timeline--cursor",
        "timeline--future",
    }
    DEFAULT_CSS = """
    TimelinePane > .timeline--running { color: $success; }
    TimelinePane > .timeline--blocking { color: $error; }
    TimelinePane > .timeline--ready { color: $warning; }
    TimelinePane > .timeline--waiting { color: $text-muted; }
    TimelinePane > .timeline--error { color: $error; }
    TimelinePane > .timeline--name { color: $text; }
    TimelinePane > .timeline--current { text-style: bold reverse; }
    TimelinePane > .timeline--cursor { background: $accent; }
    TimelinePane > .timeline--future { text-style: dim; }
    """

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._bars: dict[tuple[str, int, float, int], tuple[str, ...]] = {}
        self._run_id = -1
        self._rows: dict[str, int] = {}

    def row_count(self) -> int:
        return 0 if self.view is None else len(self.view.replay.tasks)

    def watch_view(self, view: PlayerView | None) -> None:
        if view is not None and view.run_id != self._run_id:
            self._run_id = view.run_id
            self._bars.clear()
            self._rows.clear()
        if len(self._bars) > 4096:  # widths and lengths change while live: bound the cache
            self._bars.clear()
        super().watch_view(view)

    def follow_row(self) -> int | None:
        view = self.view
        if view is None or view.state.running is None:
            return None
        tasks = view.replay.tasks
        if len(self._rows) < len(tasks):
            for k in range(len(self._rows), len(tasks)):
                self._rows[tasks[k]] = k
        return self._rows.get(view.state.running)

    def _bar(self, task: str, width: int, view: PlayerView) -> tuple[str, ...]:
        starts, statuses = view.replay.segments(task)
        t0, end_t = view.start_t, view.end_t
        key = (task, width, end_t, len(starts))
        bar = self._bars.get(key)
        if bar is not None:
            return bar
        cells = ["new"] * width
        scale = width / (end_t - t0) if end_t > t0 else 0.0
        n = len(starts)
        for i in range(n):
            status = statuses[i]
            rank = PRIORITY.get(status, 0)
            first = max(0, min(width - 1, int((starts[i] - t0) * scale)))
            stop = (starts[i + 1] if i + 1 < n else end_t) - t0
            last = max(0, min(width - 1, int(stop * scale)))
            if i + 1 < n and last > first and stop * scale == int(stop * scale):
                last -= 1  # a state that ends exactly on a column edge does not enter it
            for c in range(first, last + 1):
                if rank >= PRIORITY.get(cells[c], 0):
                    cells[c] = status
        bar = tuple(cells)
        self._bars[key] = bar
        return bar

    def render_row(self, index: int, width: int) -> Strip:
        view = self.view
        assert view is not None
        task = view.replay.tasks[index]
        bar_width = max(1, width - LABEL - 1)
        bar = self._bar(task, bar_width, view)
        span = view.end_t - view.start_t
        scale = bar_width / span if span > 0 else 0.0
        cursor = max(0, min(bar_width - 1, int((view.state.t - view.start_t) * scale)))
        name_style = self.style("timeline--current") if task == view.state.running else (
            self.style("timeline--name"))
        parts: list[tuple[str, Style | None]] = [(f"{task[:LABEL]:<{LABEL}} ", name_style)]
        future = self.style("timeline--future")
        # Runs of equal cells become one segment: a row costs its state changes, not its width.
        start = 0
        for c in range(1, bar_width + 1):
            if c in (bar_width, cursor) or bar[c] != bar[start] or c == cursor + 1:
                status = bar[start]
                style = self.style(f"timeline--{status}") if status in GLYPHS else None
                if start == cursor:
                    style = (style or Style()) + self.style("timeline--cursor")
                elif start > cursor:
                    style = (style or Style()) + future
                parts.append((GLYPHS.get(status, " ") * (c - start), style))
                start = c
        return self.strip(*parts)
