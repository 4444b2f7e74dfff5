"""The timeline: one row per task, switches (or time) on the x axis, a cursor at the event."""

from __future__ import annotations

import bisect
import math

from rich.style import Style
from textual.reactive import var
from textual.strip import Strip

from simtui.safe import printable
from simtui.tui.view import PlayerView
from simtui.tui.widgets.rows import RowsView

GLYPHS = {"running": "█", "blocking": "▓", "ready": "░", "waiting": "·", "error": "✗"}
PRIORITY = {"new": 0, "done": 0, "waiting": 1, "error": 2, "ready": 3, "running": 4, "blocking": 5}
"""When a column covers several states, the busiest one is drawn (a µs run still shows)."""
LABEL = 14
EXACT_SEGMENTS = 8
"""A row with at most this many states per column is drawn exactly; longer ones sampled."""
SAMPLES = 16
"""States looked at per column of a sampled row."""
AXES = ("switch", "time")


class TimelinePane(RowsView):
    """Each task's states over the run; only the rows on screen are drawn, each one cached.

    On the `switch` axis every context switch gets the same width, so stepping moves the
    cursor visibly even when the switches are microseconds apart; the `time` axis shows
    how long each state really lasted (a 3 s sleep fills the row).
    """

    COMPONENT_CLASSES = {
        "timeline--running", "timeline--blocking", "timeline--ready", "timeline--waiting",
        "timeline--error", "timeline--current", "timeline--cursor", "timeline--future",
    }
    DEFAULT_CSS = """
    TimelinePane > .timeline--running { color: $success; }
    TimelinePane > .timeline--blocking { color: $error; }
    TimelinePane > .timeline--ready { color: $warning; }
    TimelinePane > .timeline--waiting { color: $text-muted; }
    TimelinePane > .timeline--error { color: $error; }
    TimelinePane > .timeline--current { text-style: bold reverse; }
    TimelinePane > .timeline--cursor { background: $accent; }
    TimelinePane > .timeline--future { text-style: dim; }
    """

    axis: var[str] = var("switch")

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._bars: dict[tuple[object, ...], tuple[str, ...]] = {}
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

    def watch_axis(self) -> None:
        self.refresh()

    def _switch_axis(self, view: PlayerView) -> bool:
        return self.axis == "switch" and _stops(view) > 0

    def follow_row(self) -> int | None:
        view = self.view
        if view is None or view.state.running is None:
            return None
        tasks = view.replay.tasks
        if len(self._rows) < len(tasks):
            for k in range(len(self._rows), len(tasks)):
                self._rows[tasks[k]] = k
        return self._rows.get(view.state.running)

    def _positions(self, task: str, view: PlayerView) -> tuple[list[float], float, float]:
        """Where each of the task's states starts on the axis, and the axis' range."""
        replay = view.replay
        if self._switch_axis(view):
            # One column per stop (switches, idle and blocked moments, the end), each
            # showing every task as it is at that stop.
            starts = [float(p) for p in replay.segment_stops(task)]
            return starts, 0.0, float(_stops(view)) + 1.0
        times, _ = replay.segments(task)
        return list(times), view.start_t, view.end_t

    def _bar(self, task: str, width: int, view: PlayerView) -> tuple[str, ...]:
        _, statuses = view.replay.segments(task)
        key = (task, width, view.length, self.axis, len(statuses))
        bar = self._bars.get(key)
        if bar is not None:
            return bar
        if len(statuses) <= EXACT_SEGMENTS * width:
            bar = self._exact_bar(task, width, view)
        else:
            bar = self._sampled_bar(task, width, view)
        self._bars[key] = bar
        return bar

    def _exact_bar(self, task: str, width: int, view: PlayerView) -> tuple[str, ...]:
        """Every state of the task placed in the columns it covers."""
        _, statuses = view.replay.segments(task)
        starts, lo, hi = self._positions(task, view)
        cells = ["new"] * width
        scale = width / (hi - lo) if hi > lo else 0.0
        n = len(starts)
        for i in range(n):
            status = statuses[i]
            rank = PRIORITY.get(status, 0)
            first = max(0, min(width - 1, int((starts[i] - lo) * scale)))
            stop = (starts[i + 1] if i + 1 < n else hi) - lo
            last = max(0, min(width - 1, int(stop * scale)))
            if i + 1 < n and last > first and stop * scale == int(stop * scale):
                last -= 1  # a state that ends exactly on a column edge does not enter it
            for c in range(first, last + 1):
                if rank >= PRIORITY.get(cells[c], 0):
                    cells[c] = status
        return tuple(cells)

    def _sampled_bar(self, task: str, width: int, view: PlayerView) -> tuple[str, ...]:
        """A task with far more states than columns (a long run): each column looks at a
        bounded sample of the states it covers, found by bisection, so drawing a row costs
        O(width), not O(states) — a live runaway run must not slow every frame down."""
        replay = view.replay
        times, statuses = replay.segments(task)
        n = len(statuses)
        if self._switch_axis(view):
            stops, index = replay.stops, replay.segment_indices(task)
            total = _stops(view)
            lo, hi = 0.0, float(total) + 1.0

            def start(i: int) -> float:
                return float(bisect.bisect_left(stops, index[i]) + 1)

            def first_from(pos: float) -> int:
                # Segment i starts at stop position bisect_left(stops, index[i]) + 1.
                k = math.ceil(pos)
                if k <= 1:
                    return 0
                if k - 1 > total:
                    return n
                return bisect.bisect_right(index, stops[k - 2])
        else:
            lo, hi = view.start_t, view.end_t

            def start(i: int) -> float:
                return times[i]

            def first_from(pos: float) -> int:
                return bisect.bisect_left(times, pos)

        scale = width / (hi - lo) if hi > lo else 0.0

        def col_first(i: int) -> int:
            return max(0, min(width - 1, int((start(i) - lo) * scale)))

        def col_last(i: int) -> int:  # the columns a state covers, as _exact_bar has them
            stop = (start(i + 1) if i + 1 < n else hi) - lo
            last = max(0, min(width - 1, int(stop * scale)))
            if i + 1 < n and last > col_first(i) and stop * scale == int(stop * scale):
                last -= 1
            return last

        step = (hi - lo) / width if hi > lo else 0.0
        cells = ["new"] * width
        begin = 0
        for c in range(width):
            end = first_from(lo + (c + 1) * step) if c + 1 < width else n
            # The bisection works in axis units, the exact row in columns: the states at
            # the column's edges are settled as the exact row has them (a step or two).
            while end < n and col_first(end) <= c:
                end += 1
            while end > begin and col_first(end - 1) > c:
                end -= 1
            while begin < end - 1 and col_last(begin) < c:
                begin += 1
            if end <= 0 or begin >= end:
                continue  # the task does not exist yet
            stride = max(1, (end - begin) // SAMPLES)
            best, rank = "new", -1
            for i in range(begin, end, stride):
                r = PRIORITY.get(statuses[i], 0)
                if r > rank:
                    best, rank = statuses[i], r
            cells[c] = best
            begin = end - 1  # the last state of this column may go on into the next one
        return tuple(cells)

    def cursor_column(self, width: int) -> int:
        view = self.view
        if view is None:
            return 0
        if self._switch_axis(view):
            lo, hi = 0.0, _stops(view) + 1.0
            at = float(view.replay.stop_count(view.state.index))
        else:
            lo, hi, at = view.start_t, view.end_t, view.state.t
        scale = width / (hi - lo) if hi > lo else 0.0
        return max(0, min(width - 1, int((at - lo) * scale)))

    def render_row(self, index: int, width: int) -> Strip:
        view = self.view
        assert view is not None
        task = view.replay.tasks[index]
        bar_width = max(1, width - LABEL - 1)
        bar = self._bar(task, bar_width, view)
        cursor = self.cursor_column(bar_width)
        name_style = self.style("timeline--current") if task == view.state.running else None
        label = printable(task)[:LABEL]  # escaped before it is cut and padded
        parts: list[tuple[str, Style | None]] = [(f"{label:<{LABEL}} ", name_style)]
        future = self.style("timeline--future")
        # Runs of equal cells become one segment: a row costs its state changes, not its width.
        start = 0
        for c in range(1, bar_width + 1):
            if c in (bar_width, cursor, cursor + 1) or bar[c] != bar[start]:
                status = bar[start]
                style = self.style(f"timeline--{status}") if status in GLYPHS else None
                if start == cursor:
                    style = (style or Style()) + self.style("timeline--cursor")
                elif start > cursor:
                    style = (style or Style()) + future
                parts.append((GLYPHS.get(status, " ") * (c - start), style))
                start = c
        return self.strip(*parts)


def _stops(view: PlayerView) -> int:
    """How many stops the run has so far (the switch axis' length)."""
    return view.replay.stop_count(view.length - 1) if view.length else 0
