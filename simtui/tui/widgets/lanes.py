"""The compare screen's lanes: per run a title, its compressed timeline and its ready queue."""

from __future__ import annotations

import bisect
from collections.abc import Hashable

from rich.style import Style
from textual.strip import Strip

from simtui.compare.report import seconds_column
from simtui.safe import printable
from simtui.tui.compare_session import (
    BLOCKING,
    CALLBACK,
    IDLE,
    RUNNING,
    CompareView,
    LaneView,
)
from simtui.tui.widgets.rows import RowsView

ROWS_PER_LANE = 3
LABEL = 14
GLYPHS = {RUNNING: "█", CALLBACK: "▒", BLOCKING: "▓", IDLE: "·"}
NAMES = {RUNNING: "running", CALLBACK: "callback", BLOCKING: "blocking", IDLE: "idle"}
PRIORITY = {IDLE: 0, CALLBACK: 1, RUNNING: 2, BLOCKING: 3}
"""When a column covers several states, the busiest is drawn (a µs run still shows)."""
LEVELS = " ▁▂▃▄▅▆▇█"
SAMPLES = 16
"""Entries looked at per column at most: a row costs O(width), not O(events)."""


class LanesPane(RowsView):
    """One block of rows per lane on a shared axis, a cursor column in each lane at that
    lane's own moment; only the rows on screen are drawn."""

    COMPONENT_CLASSES = {
        "lanes--running", "lanes--callback", "lanes--blocking", "lanes--idle",
        "lanes--queue", "lanes--title", "lanes--selected", "lanes--cursor",
        "lanes--future", "lanes--axis", "lanes--bad", "lanes--muted",
    }
    DEFAULT_CSS = """
    LanesPane > .lanes--running { color: $text-success; }
    LanesPane > .lanes--callback { color: $text-success; }
    LanesPane > .lanes--blocking { color: $text-error; }
    LanesPane > .lanes--idle { color: $text-muted; }
    LanesPane > .lanes--queue { color: $text-warning; }
    LanesPane > .lanes--title { text-style: bold; }
    LanesPane > .lanes--selected { text-style: bold reverse; }
    LanesPane > .lanes--cursor { background: $accent; }
    LanesPane > .lanes--future { text-style: dim; }
    LanesPane > .lanes--axis { color: $text-muted; }
    LanesPane > .lanes--bad { color: $text-error; text-style: bold; }
    LanesPane > .lanes--muted { color: $text-muted; }
    """

    reserved_rows = 1  # the axis

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._bars: dict[tuple[object, ...], tuple[list[int], list[int]]] = {}
        """Each lane's columns by what they depend on: moving the cursor redraws them
        from here (it changes only the cursor's column)."""

    def row_count(self) -> int:
        view: CompareView | None = self.view  # type: ignore[assignment]
        return 0 if view is None else len(view.lanes) * ROWS_PER_LANE + self.reserved_rows

    def draw_key(self, view: CompareView) -> Hashable:  # type: ignore[override]
        return (view.generation, view.axis, view.anchor, view.selected, view.span,
                tuple((lane.length, lane.position, lane.state) for lane in view.lanes))

    def follow_row(self) -> int | None:
        view: CompareView | None = self.view  # type: ignore[assignment]
        return None if view is None else view.selected * ROWS_PER_LANE

    def bar_width(self) -> int:
        return max(1, self.scrollable_content_region.width - LABEL - 1)

    # -- the axis --------------------------------------------------------------------------

    def _at(self, lane: LaneView, entry: int, axis: str) -> float:
        s = lane.series
        return s.t[entry] if axis == "time" else float(s.switch[entry])

    def _first_entry(self, lane: LaneView, value: float, axis: str) -> int:
        """The first entry at or after `value` on the axis."""
        s = lane.series
        if axis == "time":
            return bisect.bisect_left(s.t, value, 0, lane.entries)
        return bisect.bisect_left(s.switch, value, 0, lane.entries)

    def _cells(self, lane: LaneView, width: int, view: CompareView
               ) -> tuple[list[int], list[int]]:
        """Per column: the busiest state and the longest queue among (a bounded sample of)
        the entries it covers, and the state going on into it. -1: the run is not there."""
        states = [-1] * width
        queues = [-1] * width
        span = view.span
        if lane.entries == 0 or span <= 0:
            return states, queues
        step = span / width
        s = lane.series
        last = self._at(lane, lane.entries - 1, view.axis)
        ended = lane.status is not None
        begin = 0
        for c in range(width):
            lo = c * step
            if lo > last and (ended or lo > last + step):
                break
            end = self._first_entry(lane, lo + step, view.axis)
            start = max(begin, self._first_entry(lane, lo, view.axis) - 1, 0)
            stop = max(end, start + 1)
            stride = max(1, (stop - start) // SAMPLES)
            best, rank, queue = IDLE, -1, 0
            for i in range(start, min(stop, lane.entries), stride):
                code = s.code[i]
                if PRIORITY[code] > rank:
                    best, rank = code, PRIORITY[code]
                queue = max(queue, s.queue[i])
            states[c], queues[c] = best, queue
            begin = max(0, end - 1)
        return states, queues

    def _cursor(self, lane: LaneView, width: int, view: CompareView) -> int:
        if lane.position < 0 or view.span <= 0:
            return -1
        at = (lane.t if view.axis == "time"
              else float(lane.series.switch_count(lane.position)))
        return max(0, min(width - 1, int(at / view.span * width)))

    # -- rows ------------------------------------------------------------------------------

    def render_row(self, index: int, width: int) -> Strip:
        view: CompareView | None = self.view  # type: ignore[assignment]
        assert view is not None
        k, part = divmod(index, ROWS_PER_LANE)
        if k >= len(view.lanes):
            return Strip.blank(width, self.base_style)
        lane = view.lanes[k]
        if part == 0:
            return self._title_row(lane, k == view.selected, view)
        bar_width = max(1, width - LABEL - 1)
        key = (view.generation, k, lane.length, lane.status, view.axis, view.span, bar_width)
        cells = self._bars.get(key)
        if cells is None:
            if len(self._bars) > 256:  # lengths change while live: bound the cache
                self._bars.clear()
            cells = self._bars[key] = self._cells(lane, bar_width, view)
        states, queues = cells
        cursor = self._cursor(lane, bar_width, view)
        if part == 1:
            glyphs = [GLYPHS[c] if c >= 0 else " " for c in states]
            styles = [self.style(f"lanes--{NAMES[c]}") if c >= 0 else None for c in states]
            label = "scheduler"
        else:
            top = max(1, view.longest_queue)
            glyphs = [" " if q < 0 else LEVELS[min(8, -(-q * 8 // top))] if q else "_"
                      for q in queues]
            styles = [self.style("lanes--queue")] * bar_width
            label = "ready queue"
        return self._bar_row(label, glyphs, styles, cursor)

    def _bar_row(self, label: str, glyphs: list[str], styles: list[Style | None],
                 cursor: int) -> Strip:
        parts: list[tuple[str, Style | None]] = [(f"  {label:<{LABEL - 2}} ",
                                                  self.style("lanes--muted"))]
        future = self.style("lanes--future")
        start = 0
        n = len(glyphs)
        for c in range(1, n + 1):
            if c in (n, cursor, cursor + 1) or glyphs[c] != glyphs[start] or \
                    styles[c] != styles[start]:
                style = styles[start]
                if start == cursor:
                    style = (style or Style()) + self.style("lanes--cursor")
                elif cursor >= 0 and start > cursor:
                    style = (style or Style()) + future
                parts.append(("".join(glyphs[start:c]), style))
                start = c
        return self.strip(*parts)

    def _title_row(self, lane: LaneView, selected: bool, view: CompareView) -> Strip:
        name_style = self.style("lanes--selected" if selected else "lanes--title")
        marker = "▶ " if selected else "  "
        if lane.state == "waiting":
            status = "waiting for a core"
        elif lane.state == "live":
            status = "recording"
        else:
            status = lane.status or "no outcome"
        bad = lane.status not in (None, "ok") or lane.state == "failed"
        (elapsed,) = seconds_column([lane.elapsed])
        at = f"t = {lane.t:.4f} s" if lane.position >= 0 else ""
        said = f"  “{printable(lane.printed)[:40]}”" if lane.printed else ""
        # Each part escaped before it is measured: what is cut is what is shown.
        return self.strip(
            (f"{marker}{printable(lane.label)}", name_style),
            ("  ", None),
            (status, self.style("lanes--bad") if bad else None),
            (f"  {elapsed}  {lane.switches:,} switches", None),
            (f"   {at}  {printable(lane.doing)}", self.style("lanes--muted")),
            (said, None),
        )

    def render_line(self, y: int) -> Strip:
        height = self.scrollable_content_region.height
        if self.view is not None and y == height - 1:
            width = self.scrollable_content_region.width
            return self._axis_row(width).adjust_cell_length(width, self.base_style)
        return super().render_line(y)

    def _axis_row(self, width: int) -> Strip:
        view: CompareView | None = self.view  # type: ignore[assignment]
        assert view is not None
        bar_width = max(1, width - LABEL - 1)
        cells = [" "] * bar_width
        if view.span > 0:
            for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
                value = view.span * frac
                label = (f"{value:.3g} s" if view.axis == "time" else f"{value:,.0f}")
                column = min(bar_width - len(label), int(frac * bar_width))
                if column >= 0:
                    cells[column: column + len(label)] = label
        unit = "time" if view.axis == "time" else "switch"
        style = self.style("lanes--axis")
        return self.strip((f"{unit:<{LABEL}} ", style), ("".join(cells), style))
