"""A live run: the worker process and a coalescing hand-off of its decoded batches to the UI."""

from __future__ import annotations

import threading
from collections.abc import Callable

from simtui.scenario.model import Scenario
from simtui.trace.stream import WorkerProcess
from simtui.trace.wire import Batch

INGEST_BUDGET = 0.008
"""Seconds spent taking in a live run's events per turn of the event loop: a key waits at
most about this long (and one piece more) behind the events being taken in, however fast
the run records and however loaded the machine is."""
INGEST_PIECE = 1_024
"""Events taken in between two looks at the clock (a few milliseconds of work at most)."""


class LiveRun:
    """Runs a scenario in a worker process and buffers its decoded batches for the UI.

    The reader thread decodes the worker's stream into batches of columns (`trace.wire`)
    and calls `_on_events` with each; it appends to a buffer and calls `wake` only when
    the buffer was empty, so however fast events come, the UI gets at most one pending
    message; it takes what is buffered in bounded slices (`take(limit)`), which
    `Trace.extend` takes in column by column.
    """

    def __init__(
        self,
        scenario: Scenario,
        runtime: str,
        time_scale: float,
        run_id: int,
        wake: Callable[[int], object],
        exited: Callable[[int, WorkerProcess], object],
    ) -> None:
        self.run_id = run_id
        self.runtime = runtime
        self._wake = wake
        self._exited = exited
        self._lock = threading.Lock()
        self._pending: list[Batch] = []
        self.worker = WorkerProcess(
            scenario, runtime, time_scale, on_events=self._on_events, on_exit=self._on_exit
        )

    def start(self) -> LiveRun:
        """Start the worker (call on the main thread: the worker dies with its starter)."""
        self.worker.start()
        return self

    @property
    def pid(self) -> int | None:
        return self.worker.proc.pid if self.worker.proc is not None else None

    def _on_events(self, batch: Batch) -> None:
        with self._lock:
            first = not self._pending
            self._pending.append(batch)
        if first:
            self._wake(self.run_id)

    def _on_exit(self, worker: WorkerProcess) -> None:
        self._exited(self.run_id, worker)

    def take(self, limit: int | None = None) -> list[Batch]:
        """The batches that arrived since the last call, in order: all of them, or at most
        `limit` events (a batch is cut there; the rest stay for the next call)."""
        with self._lock:
            pending = self._pending
            if limit is None:
                batches, self._pending = pending, []
                return batches
            n = count = 0
            while n < len(pending) and count + len(pending[n]) <= limit:
                count += len(pending[n])
                n += 1
            batches = pending[:n]
            rest = pending[n:]
            if rest and count < limit:
                # The reader decodes a whole read of the pipe into one batch (thousands of
                # events): the piece a turn of the UI takes in must not be a whole batch.
                head, tail = _cut(rest[0], limit - count)
                batches.append(head)
                rest[0] = tail
            self._pending = rest
        return batches

    def take_for(self, budget: float, sink: Callable[[list[Batch]], bool],
                 clock: Callable[[], float]) -> bool:
        """Hand what is buffered to `sink`, `INGEST_PIECE` events at a time, until `budget`
        seconds have passed by `clock` (not a count of events: their cost varies with the
        run and the machine's load), nothing is left, or `sink` says to stop. The first
        piece always goes, so a backlog shrinks however slow a piece is. Whether any went."""
        start = clock()
        taken = False
        while events := self.take(INGEST_PIECE):
            taken = True
            if not sink(events) or clock() - start >= budget:
                break
        return taken

    def has_pending(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def stop(self, wait: float = 2.0) -> None:
        """Kill the worker with its process group and wait until it is gone."""
        self.worker.on_events = None  # late batches of a killed run are not wanted
        self.worker.kill()
        self.worker.wait(wait)


def _cut(batch: Batch, n: int) -> tuple[Batch, Batch]:
    """The first `n` events of `batch`, and the rest (the header goes with the first)."""
    head = Batch(batch.tables, batch.start, batch.kinds[:n], batch.tasks[:n], batch.ts[:n],
                 batch.xs[:n], batch.names, batch.extras, batch.header)
    tail = Batch(batch.tables, batch.start + n, batch.kinds[n:], batch.tasks[n:],
                 batch.ts[n:], batch.xs[n:], batch.names, batch.extras)
    return head, tail
