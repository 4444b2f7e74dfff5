"""Running the lanes of a comparison: a worker process each, in parallel, bounded by the cores.

The runs share nothing but the machine: each has its own worker (and its own delay server
for `io`), its own trace. How many run at once:

- a run that computes — its scenario has `cpu` steps, or so many steps (more than
  `STEP_BUDGET`) that recording them keeps a core busy — takes a core: at most as many
  of those run at once as this process may use (`os.sched_getaffinity`), so that none
  measures another's load as its own time;
- a run that mostly waits (sleeps, I/O, a few thousand steps) takes no core, so all of them
  can wait at the same time: a comparison of gather10 on four lanes takes the 3 s of one;
- at most `WAITING_PER_CORE` runs per core are alive at once, whatever they do (each
  worker is a Python process with its memory);
- `jobs`, when given, is a plain limit on runs at once and replaces both rules.

Workers are started from the calling thread (the main one): a worker dies with the thread
that started it. Each run's events go into a `Trace` as they arrive.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from queue import Empty, SimpleQueue

from simtui.compare.comparison import Lane
from simtui.compare.metrics import Metrics, measure
from simtui.scenario.model import Scenario, walk
from simtui.trace.model import Trace
from simtui.trace.reader import TraceError
from simtui.trace.stream import WorkerProcess
from simtui.trace.wire import Batch

STEP_BUDGET = 20_000
"""Steps (every instance, repeats expanded) past which a run counts as computing."""
WAITING_PER_CORE = 4
"""Runs alive at once per core, at most."""


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def computes(scenario: Scenario) -> bool:
    """Whether a run of `scenario` keeps a core busy (see the module's docstring)."""
    if "cpu" in scenario.ops_used():
        return True
    left = STEP_BUDGET
    for name in scenario.instances:
        for _ in itertools.islice(walk(scenario, name), left + 1):
            left -= 1
            if left < 0:
                return True
    return False


@dataclass(frozen=True, slots=True)
class RunResult:
    """One finished run: its lane, its trace and what it measured."""

    lane: Lane
    trace: Trace
    metrics: Metrics
    problem: str | None = None
    """Set when the run produced no usable trace: why, in plain words."""


class Admission:
    """Which lanes may start now, by the rules of the module's docstring: `next()` gives
    the first waiting lane that fits (and counts it alive), `ended()` frees its place.
    The runner and the TUI's compare screen both start their workers by it."""

    def __init__(self, lanes: Sequence[Lane], jobs: int | None = None) -> None:
        self.jobs = jobs
        self.n_cores = cores()
        self.waiting = deque(lanes)
        self.alive: set[int] = set()
        self.busy: set[int] = set()
        self.needs_core = {lane.index: computes(lane.scenario) for lane in lanes}
        self.peak = 0
        self.peak_computing = 0

    def fits(self, lane: Lane) -> bool:
        if self.jobs is not None:
            return len(self.alive) < self.jobs
        if len(self.alive) >= WAITING_PER_CORE * self.n_cores:
            return False
        return not self.needs_core[lane.index] or len(self.busy) < self.n_cores

    def next(self) -> Lane | None:
        # The first lane that fits starts: a waiting run need not queue behind one that
        # waits for a core.
        lane = next((la for la in self.waiting if self.fits(la)), None)
        if lane is None:
            return None
        self.waiting.remove(lane)
        self.alive.add(lane.index)
        if self.needs_core[lane.index]:
            self.busy.add(lane.index)
        self.peak = max(self.peak, len(self.alive))
        self.peak_computing = max(self.peak_computing, len(self.busy))
        return lane

    def ended(self, index: int) -> None:
        self.alive.discard(index)
        self.busy.discard(index)


class Runner:
    """Runs lanes in worker processes; `run()` returns their results in lane order."""

    def __init__(self, lanes: Sequence[Lane], jobs: int | None = None,
                 on_done: Callable[[RunResult, int, int], None] | None = None,
                 event_limit: int | None = None) -> None:
        self.lanes = list(lanes)
        self.jobs = jobs
        self.on_done = on_done
        """Called in the calling thread as each run ends: (result, runs done, runs in all)."""
        self.event_limit = event_limit
        self.killed: str | None = None
        self.peak = 0
        """The most runs that were alive at once."""
        self.peak_computing = 0
        """The most runs that compute (`computes`) that were alive at once."""
        self._workers: dict[int, WorkerProcess] = {}
        self._traces: dict[int, Trace] = {}
        self._errors: dict[int, str] = {}
        self._exited: SimpleQueue[int] = SimpleQueue()

    def kill(self, reason: str = "stopped by the user") -> None:
        """Kill every run still going, and start no other (safe from a signal handler)."""
        if self.killed is None:
            self.killed = reason
        for worker in list(self._workers.values()):
            worker.kill(reason)

    def run(self) -> list[RunResult]:
        admission = Admission(self.lanes, self.jobs)
        results: dict[int, RunResult] = {}
        while admission.waiting or admission.alive:
            while self.killed is None:
                lane = admission.next()
                if lane is None:
                    break
                self._start(lane)
            self.peak, self.peak_computing = admission.peak, admission.peak_computing
            if self.killed is not None and not admission.alive:
                break
            try:
                index = self._exited.get(timeout=0.2)
            except Empty:
                continue
            admission.ended(index)
            result = self._result(index)
            results[index] = result
            if self.on_done is not None:
                self.on_done(result, len(results), len(self.lanes))
        return [results[lane.index] for lane in self.lanes if lane.index in results]

    def _start(self, lane: Lane) -> None:
        trace = self._traces[lane.index] = Trace()

        def take(batch: Batch) -> None:
            if lane.index in self._errors:
                return
            try:
                trace.extend(batch)
            except TraceError as e:  # the stream is not a trace: nothing after it is
                self._errors[lane.index] = f"the worker's trace is broken: {e.message}"
                self._workers[lane.index].kill(self._errors[lane.index])

        worker = WorkerProcess(
            lane.scenario, lane.runtime, lane.time_scale, on_events=take,
            on_exit=lambda w: self._exited.put(lane.index), event_limit=self.event_limit,
        )
        self._workers[lane.index] = worker
        worker.start()
        if self.killed is not None:  # a signal came while it was starting
            worker.kill(self.killed)

    def _result(self, index: int) -> RunResult:
        worker = self._workers.pop(index)
        worker.wait(5.0)
        return result_of(self.lanes[index], self._traces.pop(index), worker,
                         self._errors.get(index))


def result_of(lane: Lane, trace: Trace, worker: WorkerProcess,
              broken: str | None = None) -> RunResult:
    """A finished run's result: its figures, and why it has no usable trace if so
    (`broken`: its stream was not a trace; else what the worker said as it died)."""
    problem = broken
    if problem is None and trace.end is None:
        problem = (worker.error_text.splitlines() or ["the worker ended without a trace "
                                                      f"(exit {worker.returncode})"])[-1]
    return RunResult(lane, trace, measure(trace), problem)


def run_lanes(lanes: Sequence[Lane], jobs: int | None = None) -> list[RunResult]:
    """Run every lane and wait for all of them (for tests and notebooks)."""
    return Runner(lanes, jobs).run()
