"""The compare screen's state without Textual: a comparison's lanes, their live runs, one cursor.

`CompareSession` turns a `CompareRequest` (what `simtui compare` was given, or the player's
scenario) into the comparison's lanes (`simtui.compare.comparison.declared`, `lanes`),
starts their workers as the comparison runner's `Admission` allows, takes each lane's
events in as they stream (`pump`), and holds the one cursor all lanes share: a time on
the real-time axis, a switch number on the per-run switch axis, or, after the
next-output key, each lane at its own print of the same line. `view()` is the immutable
`CompareView` the screen draws; tests drive a session without Textual.
"""

from __future__ import annotations

import bisect
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simtui.compare.comparison import CompareError, Comparison, Lane, Vary, declared, lanes
from simtui.compare.metrics import QueueLength, measure
from simtui.compare.report import table
from simtui.compare.runner import Admission, RunResult, result_of
from simtui.files import read_regular, reason
from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import load_scenario, resolve
from simtui.trace.events import queue_discipline
from simtui.trace.model import Trace
from simtui.trace.reader import TraceError
from simtui.trace.stream import WorkerProcess
from simtui.trace.wire import Batch
from simtui.tui.live import INGEST_BUDGET, LiveRun

IDLE, RUNNING, CALLBACK, BLOCKING = 0, 1, 2, 3
"""What a lane's scheduler does from an event on (its compressed timeline)."""
AXES = ("time", "switch")
PAGE = 10
"""The big step moves a tenth of the axis."""

Wake = Callable[[int], object]
Exited = Callable[[int, WorkerProcess], object]


@dataclass(frozen=True, slots=True)
class CompareRequest:
    """What to compare, as the user said it: re-read from the files at every (re-)run."""

    names: tuple[str, ...]
    """Scenario files or bundled names."""
    runtimes: tuple[str, ...] = ()
    variants: tuple[Vary, ...] = ()
    time_scale: float = 1.0
    expect: frozenset[str] | None = None
    jobs: int | None = None


class LaneSeries:
    """One lane's run, drawn small: what its scheduler does and how long its ready queue is,
    one entry per change, plus the index of its switches and outputs and every event's time.

    Appending costs O(new events); the arrays only grow, so a view bounds what it reads.
    """

    def __init__(self) -> None:
        self.t = array("d")
        self.code = array("b")
        self.queue = array("i")
        self.switch = array("i")
        """Per entry: the switches (`run` events) before it, for the switch axis."""
        self.times = array("d")
        """The `t` of every event."""
        self.switches = array("i")
        """The event index of every `run` event."""
        self.outputs = array("i")
        """The event index of every `output` event."""
        self.prints: dict[str, array[int]] = {}
        """Per printed text, the event index of each time it was printed."""
        self.longest = 0
        self._length: QueueLength | None = None
        self._code = IDLE
        self._size = -1
        self._running: str | None = None

    def extend(self, trace: Trace, start: int, stop: int) -> None:
        if self._length is None:
            self._length = QueueLength(queue_discipline(trace.header))
        length = self._length
        kind, t_of, task_of, fld = trace.kind, trace.t, trace.task, trace.field
        for i in range(start, stop):
            k = kind(i)
            t = t_of(i)
            self.times.append(t)
            code = self._code
            if k == "run":
                task = task_of(i)
                length.run(task, fld(i, "item") if task is None else None)
                self.switches.append(i)
                self._running = task
                code = RUNNING if task is not None else CALLBACK
            elif k == "ready":
                task = task_of(i)
                length.ready(task, fld(i, "item") if task is None else None)
            elif k == "block":
                code = BLOCKING
            elif k in ("suspend", "done", "error"):
                if task_of(i) == self._running:
                    code = IDLE
                    self._running = None
            elif k == "output":
                self.outputs.append(i)
                self.prints.setdefault(str(fld(i, "text")), array("i")).append(i)
            elif k == "end":
                code = IDLE
            elif code == BLOCKING and k == "step":
                code = RUNNING  # the blocking call is over: the task goes on
            if code != self._code or length.size != self._size:
                self._code, self._size = code, length.size
                self.t.append(t)
                self.code.append(code)
                self.queue.append(length.size)
                self.switch.append(len(self.switches))
                self.longest = max(self.longest, length.size)

    def event_at_time(self, t: float, n: int) -> int:
        """The last of the first `n` events at or before `t` (-1: none yet)."""
        return bisect.bisect_right(self.times, t, 0, n) - 1

    def switch_count(self, index: int) -> int:
        """How many switches are at or before event `index`."""
        return bisect.bisect_right(self.switches, index)


class LaneRun:
    """One lane: its run (waiting for a core, live, or over), its trace and its series."""

    def __init__(self, lane: Lane) -> None:
        self.lane = lane
        self.trace = Trace()
        self.series = LaneSeries()
        self.live: LiveRun | None = None
        self.run_id = -1
        self.state = "waiting"
        """`waiting` (for its turn), `live`, `ended`, `failed`."""
        self.result: RunResult | None = None
        self.broken: str | None = None

    def take_in(self, events: list[dict[str, Any]] | list[Batch]) -> None:
        """The one place a lane's events enter (from its live run, or a recorded one)."""
        if not events or self.broken is not None:
            return
        before = len(self.trace)
        try:
            self.trace.extend(events)
        except TraceError as e:  # the stream is not a trace: nothing after it is
            self.broken = f"the worker's trace is broken: {e.message}"
            if self.live is not None:
                self.live.stop()
        self.series.extend(self.trace, before, len(self.trace))

    def finish(self, worker: WorkerProcess) -> None:
        self.live = None
        self.result = result_of(self.lane, self.trace, worker, self.broken)
        self.state = "failed" if self.result.problem else "ended"

    @property
    def length(self) -> int:
        return len(self.trace)


@dataclass(frozen=True, slots=True)
class LaneView:
    """What the screen draws of one lane, bounded to the events known when it was made."""

    label: str
    runtime: str
    state: str
    status: str | None
    elapsed: float
    switches: int
    length: int
    entries: int
    """Entries of the series known to the view."""
    series: LaneSeries
    position: int
    """The event the cursor is on in this lane (-1: before its first)."""
    t: float
    doing: str
    """What the lane does at the cursor: `coco[3] runs`, `idle`, `blocked by coco[3]`."""
    printed: str
    """The last line it printed up to the cursor."""
    printed_count: int


@dataclass(frozen=True, slots=True)
class CompareView:
    """Everything the compare screen draws, as of one change."""

    generation: int
    title: str
    lanes: tuple[LaneView, ...]
    axis: str
    span: float
    """The axis' length: seconds (time) or switches (switch), over every lane."""
    anchor: float
    """Where the shared cursor is on the axis."""
    selected: int
    following: bool
    longest_queue: int
    summary: tuple[str, ...]
    """The table, the sentences under it and the verdict; a progress line while live."""
    error: str
    live: bool
    source: str = ""
    """The file the selected lane's scenario is (for the editor)."""
    notes: tuple[str, ...] = field(default=())


class CompareSession:
    """A comparison in the compare screen: its lanes, their runs and the shared cursor."""

    def __init__(self, request: CompareRequest, wake: Wake | None = None,
                 exited: Exited | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.request = request
        self._wake = wake or (lambda run_id: None)
        self._exited = exited or (lambda run_id, worker: None)
        self._clock = clock
        self.comparison: Comparison | None = None
        self.lanes: list[LaneRun] = []
        self.by_run: dict[int, LaneRun] = {}
        self.admission: Admission | None = None
        self.generation = 0
        self._next_run = 0
        self.error = ""
        self.axis = "time"
        self.anchor = 0.0
        self.positions: list[int] = []
        self.following = True
        """The cursor stays at the newest moment while the lanes record (until moved)."""
        self.aligned = True
        """Every lane is at the anchor (False after the next-print key put each lane at
        its own moment: a step then goes on from the selected lane's)."""
        self.selected = 0
        self.columns = 100
        """Columns of the lanes' bars (the screen says): one time step is one column."""
        self.started = 0.0
        self._summary: tuple[int, tuple[str, ...]] = (-1, ())
        self.on_disk: tuple[bytes | str, ...] = ()
        """The files' contents as the last `load` read them."""

    # -- the runs ------------------------------------------------------------------------

    def load(self) -> bool:
        """Read the scenarios again, make the comparison's lanes and start them (the
        running ones are killed first). On a problem the last lanes stay, with the error."""
        r = self.request
        self.on_disk = self.read_disk()
        try:
            scenarios = tuple(load_scenario(name) for name in r.names)
            comparison = declared(scenarios, r.runtimes, r.variants, r.time_scale, r.expect)
            planned = lanes(comparison)
        except ScenarioError as e:
            problem = e.problems[0]
            more = f"  (+{len(e.problems) - 1} more)" if len(e.problems) > 1 else ""
            self.error = f"{problem}{more}"
            return False
        except CompareError as e:
            self.error = f"simtui compare: {e}"
            return False
        self.stop()
        self.error = ""
        self.generation += 1
        self.comparison = comparison
        self.lanes = [LaneRun(lane) for lane in planned]
        self.by_run = {}
        self.admission = Admission(planned, r.jobs)
        self.positions = [-1] * len(self.lanes)
        self.selected = min(self.selected, max(0, len(self.lanes) - 1))
        self.following = True
        self.started = self._clock()
        self.admit()
        return True

    def files(self) -> list[Path]:
        """The scenario files of the comparison (what the screen watches and edits)."""
        found = (resolve(name) for name in self.request.names)
        return [path for path in found if path is not None]

    def read_disk(self) -> tuple[bytes | str, ...]:
        """What the comparison's files hold now: each one's bytes, or why it can't be read."""
        out: list[bytes | str] = []
        for name in self.request.names:
            path = resolve(name)
            try:
                out.append(read_regular(path) if path is not None else f"{name}: not found")
            except OSError as e:
                out.append(reason(e))
        return tuple(out)

    def file_changed(self) -> bool:
        """A file of the comparison changed on disk: every lane runs again.

        False when the files hold what was last loaded (the in-app editor's own save,
        already run, or a second event for the same write).
        """
        if self.read_disk() == self.on_disk:
            return False
        self.load()
        return True

    def admit(self) -> None:
        """Start every waiting lane the cores allow (on the main thread: a worker dies with
        the thread that started it)."""
        if self.admission is None:
            return
        while (lane := self.admission.next()) is not None:
            run = self.lanes[lane.index]
            self._next_run += 1
            run.run_id = self._next_run
            self.by_run[run.run_id] = run
            live = LiveRun(lane.scenario, lane.runtime, lane.time_scale, run.run_id,
                           wake=self._wake, exited=self._exited)
            try:
                live.start()
            except OSError as e:
                run.broken = f"cannot start the worker: {e}"
                run.state = "failed"
                self.admission.ended(lane.index)
                continue
            run.live, run.state = live, "live"

    def stop(self) -> None:
        """Kill every lane's worker with its process group."""
        for run in self.lanes:
            live, run.live = run.live, None
            if live is not None:
                live.stop()
        self.admission = None

    def pump(self, run_id: int, budget: float = INGEST_BUDGET) -> bool:
        """Take in a lane's buffered events for about `budget` seconds; True when more wait."""
        run = self.by_run.get(run_id)
        if run is None or run.live is None:
            return False
        self._take_in(run, budget)
        return run.live is not None and run.live.has_pending()

    def _take_in(self, run: LaneRun, budget: float) -> None:
        """Pieces of what the lane has buffered until `budget` seconds have passed, as the
        player takes a run in (by the clock: a key waits at most about that long); the
        first piece always, so a backlog shrinks however slow a piece is."""
        live = run.live
        if live is not None:
            def sink(events: list[Batch]) -> bool:
                run.take_in(events)
                return run.live is live

            live.take_for(budget, sink, self._clock)
        self._follow()

    def exited(self, run_id: int, worker: WorkerProcess) -> bool:
        """A lane's worker exited: True when its buffered events are to be taken in first."""
        run = self.by_run.get(run_id)
        if run is None or run.live is None:
            return False
        if run.live.has_pending():
            self._take_in(run, INGEST_BUDGET)
            return True
        run.finish(worker)
        if self.admission is not None:
            self.admission.ended(run.lane.index)
            self.admit()
        self._follow()
        return False

    def recorded_for(self) -> float:
        """Seconds since the lanes started."""
        return self._clock() - self.started

    @property
    def recording(self) -> bool:
        return any(run.state in ("waiting", "live") for run in self.lanes)

    # -- the cursor ----------------------------------------------------------------------

    def span(self) -> float:
        if self.axis == "time":
            return max((run.series.times[-1] for run in self.lanes if run.length), default=0.0)
        return float(max((len(run.series.switches) for run in self.lanes), default=0))

    def _follow(self) -> None:
        if self.following:
            self._put(self.span())

    def _put(self, anchor: float) -> None:
        """Every lane at `anchor` on the axis: its last event at that time, or its
        `anchor`-th switch (its last event when it has fewer)."""
        self.anchor = max(0.0, min(anchor, self.span()))
        self.aligned = True
        for k, run in enumerate(self.lanes):
            n = run.length
            if self.axis == "time":
                self.positions[k] = run.series.event_at_time(self.anchor, n)
            else:
                s = int(self.anchor)
                switches = run.series.switches
                self.positions[k] = (switches[s - 1] if 0 < s <= len(switches)
                                     else n - 1 if s > 0 else min(0, n - 1))

    def move(self, columns: int) -> None:
        """Move the cursor by `columns` steps: a column of the time axis, a switch."""
        self.following = False
        step = self.span() / max(1, self.columns) if self.axis == "time" else 1.0
        self._put(self._selected_anchor() + columns * step)

    def page(self, direction: int) -> None:
        self.following = False
        self._put(self._selected_anchor() + direction * self.span() / PAGE)

    def first(self) -> None:
        self.following = False
        self._put(0.0)

    def last(self) -> None:
        """The newest moment; while the lanes record, the cursor then follows them."""
        self.following = self.recording
        self._put(self.span())

    def _selected_anchor(self) -> float:
        """The cursor on the axis as the selected lane has it (after the output key the
        lanes are at different moments: steps go on from the selected one's)."""
        if self.aligned or not self.lanes:
            return self.anchor
        run = self.lanes[self.selected]
        pos = self.positions[self.selected]
        if pos < 0 or run.length == 0:
            return self.anchor
        if self.axis == "time":
            return run.series.times[pos]
        return float(run.series.switch_count(pos))

    def toggle_axis(self) -> None:
        anchor = self.anchor
        self.axis = AXES[(AXES.index(self.axis) + 1) % len(AXES)]
        if self.lanes:  # the selected lane stays at its moment
            run = self.lanes[self.selected]
            pos = self.positions[self.selected]
            if pos >= 0 and run.length:
                anchor = (run.series.times[pos] if self.axis == "time"
                          else float(run.series.switch_count(pos)))
        if self.following:
            self._put(self.span())
        else:
            self._put(anchor)

    def select(self, delta: int) -> None:
        if self.lanes:
            self.selected = (self.selected + delta) % len(self.lanes)

    def next_output(self, direction: int = 1) -> bool:
        """Every lane to its own print of the selected lane's next (or previous) output
        line: the same text, the same occurrence of it. A lane that never printed it stays
        where it is. False when the selected lane has no such line."""
        if not self.lanes:
            return False
        run = self.lanes[self.selected]
        outputs, n = run.series.outputs, run.length
        pos = self.positions[self.selected]
        count = bisect.bisect_right(outputs, pos, 0, self._known(outputs, n))
        k = count if direction > 0 else count - 2
        if pos >= 0 and direction < 0 and count and outputs[count - 1] != pos:
            k = count - 1  # between two prints: back to the one before the cursor
        if not 0 <= k < self._known(outputs, n):
            return False
        text = str(run.trace.field(outputs[k], "text"))
        occurrence = bisect.bisect_right(run.series.prints[text], outputs[k])
        self.following = False
        for lane_k, other in enumerate(self.lanes):
            found = self._nth_print(other, text, occurrence)
            if found is not None:
                self.positions[lane_k] = found
        self.aligned = False
        self.anchor = self._selected_anchor()
        return True

    @staticmethod
    def _known(outputs: Sequence[int], n: int) -> int:
        return bisect.bisect_left(outputs, n)

    @staticmethod
    def _nth_print(run: LaneRun, text: str, occurrence: int) -> int | None:
        """The event of the lane's `occurrence`-th print of `text` (None: fewer)."""
        prints = run.series.prints.get(text)
        if prints is None or occurrence > len(prints) or prints[occurrence - 1] >= run.length:
            return None
        return int(prints[occurrence - 1])

    # -- the view ------------------------------------------------------------------------

    def view(self) -> CompareView:
        views = tuple(self._lane_view(k, run) for k, run in enumerate(self.lanes))
        comparison = self.comparison
        title = ""
        if comparison is not None:
            title = " and ".join(s.name for s in comparison.scenarios[:3])
            if len(comparison.scenarios) > 3:
                title = f"{len(comparison.scenarios)} scenarios"
        return CompareView(
            generation=self.generation,
            title=title,
            lanes=views,
            axis=self.axis,
            span=self.span(),
            anchor=self.anchor,
            selected=self.selected,
            following=self.following,
            longest_queue=max((run.series.longest for run in self.lanes), default=0),
            summary=self._summary_lines(),
            error=self.error,
            live=self.recording,
            source=(self.lanes[self.selected].lane.scenario.source if self.lanes else ""),
        )

    def _lane_view(self, k: int, run: LaneRun) -> LaneView:
        n = run.length
        series = run.series
        pos = self.positions[k] if k < len(self.positions) else -1
        pos = min(pos, n - 1)
        t = series.times[pos] if pos >= 0 else 0.0
        entry = bisect.bisect_right(series.t, t, 0, len(series.t)) - 1 if pos >= 0 else -1
        code = series.code[entry] if entry >= 0 else IDLE
        running = None
        if pos >= 0 and code in (RUNNING, BLOCKING, CALLBACK):
            s = series.switch_count(pos)
            if s:
                running = run.trace.task(series.switches[s - 1])
        if pos < 0:
            doing = "not started" if run.state != "waiting" else "waiting for a core"
        elif code == BLOCKING:
            doing = f"{running} blocks the scheduler"
        elif code == RUNNING:
            doing = f"{running} runs"
        elif code == CALLBACK:
            doing = "a callback runs"
        elif run.trace.end is not None and pos >= n - 1:
            doing = "ended"
        else:
            doing = "nothing runs"
        printed_count = bisect.bisect_right(series.outputs, pos) if pos >= 0 else 0
        printed = (str(run.trace.field(series.outputs[printed_count - 1], "text"))
                   if printed_count else "")
        end = run.trace.end or {}
        elapsed = float(end.get("elapsed", series.times[-1] if n else 0.0))
        return LaneView(
            label=run.lane.label, runtime=run.lane.runtime, state=run.state,
            status=end.get("status"), elapsed=elapsed, switches=len(series.switches),
            length=n, entries=len(series.t), series=series, position=pos, t=t,
            doing=doing, printed=printed, printed_count=printed_count,
        )

    def _summary_lines(self) -> tuple[str, ...]:
        """The comparison's table, sentences and verdict once every lane has ended; until
        then how far the runs are. Computed once per set of finished lanes."""
        done = [run.result for run in self.lanes if run.result is not None]
        key = self.generation * 10_000 + len(done)
        if self._summary[0] == key:
            return self._summary[1]
        if self.comparison is None:
            lines: tuple[str, ...] = ()
        elif len(done) < len(self.lanes):
            lines = (f"{len(done)} of {len(self.lanes)} runs ended; the table and what "
                     "differs come when every run has ended.",)
        else:
            lines = tuple(table(self.comparison, [r for r in done if r is not None]))
        self._summary = (key, lines)
        return lines

    def show_recorded(self, comparison: Comparison,
                      runs: Sequence[Sequence[dict[str, Any]]]) -> None:
        """Show runs recorded elsewhere (header first, then events), one per lane of
        `comparison`, without running anything (the benchmark's way in)."""
        self.stop()
        self.generation += 1
        self.comparison = comparison
        self.lanes = [LaneRun(lane) for lane in lanes(comparison)]
        for run, events in zip(self.lanes, runs, strict=True):
            run.take_in(list(events))
            run.result = RunResult(run.lane, run.trace, measure(run.trace), run.broken)
            run.state = "ended"
        self.positions = [-1] * len(self.lanes)
        self.following = True
        self._follow()

    # -- for the player ------------------------------------------------------------------

    def selected_run(self) -> LaneRun | None:
        return self.lanes[self.selected] if self.lanes else None
