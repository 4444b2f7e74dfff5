"""The timeline: one row per task, switches (or time) on the x axis, a cursor at the event."""

from __future__ import annotations

import bisect
import math
from collections.abc import Hashable

from rich.style import Style
from textual.strip import Strip

from simtui.safe import printable
from simtui.tui.view import PlayerView, Segments, TimelineData
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
TICK_GAP = 10
"""The fewest columns between two labels of the axis row."""
_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


class TimelinePane(RowsView):
    """Each task's states over the run; only the rows on screen are drawn, each one cached.

    On the `switch` axis every context switch gets the same width, so stepping moves the
    cursor visibly even when the switches are microseconds apart; the `time` axis shows
    how long each state really lasted (a 3 s sleep fills the row). The last row is the
    axis itself, with its labels (switch numbers, or times), and stays put while the task
    rows scroll.
    """

    COMPONENT_CLASSES = {
        "timeline--running", "timeline--blocking", "timeline--ready", "timeline--waiting",
        "timeline--error", "timeline--current", "timeline--cursor", "timeline--future",
        "timeline--axis",
    }
    DEFAULT_CSS = """
    TimelinePane > .timeline--running { color: $text-success; }
    TimelinePane > .timeline--blocking { color: $text-error; }
    TimelinePane > .timeline--ready { color: $text-warning; }
    TimelinePane > .timeline--waiting { color: $text-muted; }
    TimelinePane > .timeline--error { color: $text-error; }
    TimelinePane > .timeline--current { text-style: bold reverse; }
    TimelinePane > .timeline--cursor { background: $accent; }
    TimelinePane > .timeline--future { text-style: dim; }
    TimelinePane > .timeline--axis { color: $text-muted; }
    """

    reserved_rows = 1  # the axis

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._bars: dict[tuple[object, ...], tuple[str, ...]] = {}
        self._run_id = -1
        self._rows: dict[str, int] = {}
        self._count = 0

    @property
    def axis(self) -> str:
        return self.view.axis if self.view is not None else "switch"

    def row_count(self) -> int:
        return 0 if self.view is None else len(self.view.timeline.tasks) + self.reserved_rows

    def draw_key(self, view: PlayerView) -> Hashable:
        return (view.run_id, view.state.index, view.length, view.axis)

    def watch_view(self, view: PlayerView | None) -> None:
        if view is not None and view.run_id != self._run_id:
            self._run_id = view.run_id
            self._bars.clear()
            self._rows.clear()
        if len(self._bars) > 4096:  # widths and lengths change while live: bound the cache
            self._bars.clear()
        count = self.row_count()
        if count != self._count:  # the pane's height follows the number of tasks
            self._count = count
            self.refresh(layout=True)
        super().watch_view(view)

    def _switch_axis(self, data: TimelineData) -> bool:
        return self.axis == "switch" and data.stop_count > 0

    def follow_row(self) -> int | None:
        view = self.view
        if view is None or view.state.running is None:
            return None
        tasks = view.timeline.tasks
        if len(self._rows) < len(tasks):
            for k in range(len(self._rows), len(tasks)):
                self._rows[tasks[k]] = k
        return self._rows.get(view.state.running)

    def _range(self, data: TimelineData) -> tuple[float, float]:
        if self._switch_axis(data):
            return 0.0, float(data.stop_count) + 1.0
        return data.start_t, data.end_t

    def _positions(self, seg: Segments, data: TimelineData) -> list[float]:
        """Where each of the task's states starts on the axis."""
        if self._switch_axis(data):
            # One column per stop (switches, idle and blocked moments, the end), each
            # showing every task as it is at that stop.
            return [float(data.stop_position(seg.indices[i])) for i in range(seg.n)]
        return [seg.times[i] for i in range(seg.n)]

    def _bar(self, task: str, width: int, data: TimelineData) -> tuple[str, ...]:
        seg = data.segments(task)
        key = (task, width, data.length, self.axis, seg.n)
        bar = self._bars.get(key)
        if bar is not None:
            return bar
        if seg.n <= EXACT_SEGMENTS * width:
            bar = self._exact_bar(seg, width, data)
        else:
            bar = self._sampled_bar(seg, width, data)
        self._bars[key] = bar
        return bar

    def _exact_bar(self, seg: Segments, width: int, data: TimelineData) -> tuple[str, ...]:
        """Every state of the task placed in the columns it covers."""
        statuses = seg.statuses
        starts = self._positions(seg, data)
        lo, hi = self._range(data)
        cells = ["new"] * width
        scale = width / (hi - lo) if hi > lo else 0.0
        n = seg.n
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

    def _sampled_bar(self, seg: Segments, width: int, data: TimelineData) -> tuple[str, ...]:
        """A task with far more states than columns (a long run): each column looks at a
        bounded sample of the states it covers, found by bisection, so drawing a row costs
        O(width), not O(states) — a live runaway run must not slow every frame down."""
        times, statuses, index, n = seg.times, seg.statuses, seg.indices, seg.n
        lo, hi = self._range(data)
        if self._switch_axis(data):
            total = data.stop_count

            def start(i: int) -> float:
                return float(data.stop_position(index[i]))

            def first_from(pos: float) -> int:
                # Segment i starts at stop position stop_position(index[i]).
                k = math.ceil(pos)
                if k <= 1:
                    return 0
                if k - 1 > total:
                    return n
                return bisect.bisect_right(index, data.stop_event(k - 1), 0, n)
        else:

            def start(i: int) -> float:
                return times[i]

            def first_from(pos: float) -> int:
                return bisect.bisect_left(times, pos, 0, n)

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
        data = view.timeline
        lo, hi = self._range(data)
        at = (float(data.stop_position_at(view.state.index)) if self._switch_axis(data)
              else view.state.t)
        scale = width / (hi - lo) if hi > lo else 0.0
        return max(0, min(width - 1, int((at - lo) * scale)))

    def render_line(self, y: int) -> Strip:
        height = self.scrollable_content_region.height
        if self.view is not None and y == height - 1:
            width = self.scrollable_content_region.width
            return self._axis_row(width).adjust_cell_length(width, self.base_style)
        return super().render_line(y)

    def _axis_row(self, width: int) -> Strip:
        """The x axis' labels under the bars: switch numbers, or times in one unit."""
        view = self.view
        assert view is not None
        data = view.timeline
        bar_width = max(1, width - LABEL - 1)
        lo, hi = self._range(data)
        switch_axis = self._switch_axis(data)
        if switch_axis:
            unit, factor = "stop", 1.0
        else:
            step0 = _nice_step(hi - lo, bar_width)
            factor, unit = next(((f, u) for f, u in _UNITS if step0 >= f), _UNITS[-1])
        cells = [" "] * bar_width
        if view.length == 0:  # nothing recorded yet: no axis to label
            return self.strip((" " * width, None))
        scale = bar_width / (hi - lo) if hi > lo else 0.0
        step = _nice_step(hi - lo, bar_width)
        if switch_axis:  # whole switches, the first one always labelled
            step = max(1.0, round(step))
            last = int(hi - 1)
            if step <= 2:  # 1 3 5 7 …
                values = [float(k) for k in range(1, last + 1, int(step))]
            else:  # 1 10 20 30 …
                values = [1.0] + [m * step for m in range(1, int(last // step) + 1)
                                  if m * step - 1 >= step / 2]
        elif step > 0:
            values = [m * step for m in range(math.ceil(lo / step), math.floor(hi / step) + 1)]
        else:
            values = []
        free = 0
        for value in values if scale > 0 else ():
            column = int((value - lo) * scale)
            label = f"{value / factor:.10g}"
            if column >= free and column + len(label) <= bar_width:
                cells[column: column + len(label)] = label
                free = column + len(label) + 2
        style = self.style("timeline--axis")
        return self.strip((f"{unit:<{LABEL}} ", style), ("".join(cells), style))

    def render_row(self, index: int, width: int) -> Strip:
        view = self.view
        assert view is not None
        data = view.timeline
        if index >= len(data.tasks):
            return Strip.blank(width, self.base_style)
        task = data.tasks[index]
        bar_width = max(1, width - LABEL - 1)
        bar = self._bar(task, bar_width, data)
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


def _nice_step(span: float, width: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) that puts labels TICK_GAP apart."""
    if span <= 0 or width <= 0:
        return 0.0
    raw = span * TICK_GAP / width
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return m * power
    return 10 * power
