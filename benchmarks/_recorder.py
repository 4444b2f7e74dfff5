"""The recorder as the benchmarks drive it: the one module that knows how simtui records.

`record(runtime, scenario)` runs a scenario in this process the way the worker process
does — the runtime reporting to a `Probe`, the worker's `Flusher` draining the records on
its own thread every flush interval and encoding them with the worker's `Encoder` to the
final JSONL bytes — except that the bytes are kept in memory instead of written to a
pipe. `run_unrecorded(runtime, scenario)` runs the same interpreter with recording off.
When the recorder changes, this module changes and the benchmarks stay as they are.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from typing import Any

from simtui import runtimespec
from simtui.runtimes.base import CpuWork, Outcome, RunContext
from simtui.runtimes.probe import Probe
from simtui.runtimes.worker import EVENT_LIMIT, Flusher
from simtui.scenario.loader import load_text
from simtui.scenario.model import Scenario
from simtui.trace.io import Encoder, encode_header, make_header


def load(runtime: str, text: str) -> Scenario:
    return load_text(text, "<benchmark>", runtime=runtime)


def _context() -> RunContext:
    # The workloads have no `cpu` step: no calibration, as the worker skips it then.
    return RunContext(scale=1.0, cpu=CpuWork(0))


@dataclass
class Recording:
    """What one recorded run produced: its outcome and the trace's bytes, in chunks as
    the flusher wrote them, with the CPU time the flushes took (on whichever thread)."""

    outcome: Outcome | None = None
    chunks: list[bytes] = field(default_factory=list)
    flush_cpu: float = 0.0

    @property
    def nbytes(self) -> int:
        return sum(len(c) for c in self.chunks)

    def count(self, pattern: bytes) -> int:
        return sum(c.count(pattern) for c in self.chunks)

    @property
    def events(self) -> int:
        return self.count(b"\n") - 1  # the header is a line, not an event


class _KeepingFlusher(Flusher):
    """The worker's flusher, keeping what it would write to the pipe."""

    def __init__(self, recording: Recording, *args: Any) -> None:
        super().__init__(-1, *args)
        self.recording = recording

    def _write(self, data: bytes) -> None:
        self.recording.chunks.append(data)

    def flush(self) -> None:
        import time

        c0 = time.thread_time()
        super().flush()
        self.recording.flush_cpu += time.thread_time() - c0


def record(runtime: str, scenario: Scenario) -> Recording:
    """One run with recording on, encoded to the final bytes, as `simtui run` does it."""
    recording = Recording()
    header = make_header(scenario, runtime, scenario.time_scale)
    recording.chunks.append(encode_header(header))
    module = _runtime_module(runtime)
    probe = Probe()
    flusher = _KeepingFlusher(
        recording, probe, Encoder(probe.t0), scenario.timeout,
        runtimespec.get(runtime).flush_interval, EVENT_LIMIT,
    )
    flusher.start()
    outcome = module.run(scenario, probe, _context())
    probe.end(outcome.status, outcome.stuck)
    flusher.close()
    recording.outcome = outcome
    return recording


def run_unrecorded(runtime: str, scenario: Scenario) -> Outcome:
    """One run of the same interpreter with recording off (nothing recorded or encoded)."""
    probe = Probe()
    ctx = _context()
    if runtime == "asyncio":
        from simtui.runtimes.asyncio_rt import AsyncioRun

        outcome = AsyncioRun(scenario, probe, ctx, record=False).run()
    elif runtime == "gevent":
        from simtui.runtimes.gevent_rt import GeventRun

        outcome = GeventRun(scenario, probe, ctx, record=False).run()
    elif runtime == "greenlet":
        from simtui.runtimes.greenlet_rt import GreenletRun

        outcome = GreenletRun(scenario, probe, ctx, record=False).run()
    elif runtime == "threads":
        outcome = _unrecorded_threads()(scenario, probe, ctx).run()
    else:
        raise ValueError(runtime)
    assert not probe.events, "recording off recorded something"
    return outcome


def _unrecorded_threads() -> type:
    """The threads interpreter with recording off.

    The threads runtime has no switch for it: its threads append raw records that a
    consumer on the main thread turns into trace events. Here the raw records go to a
    list that keeps nothing, the clock reads become a constant and the consumer does
    nothing; what is left is the interpreter (the walk over the steps, the bookkeeping
    of waits, the supervisor's deadlock watch). The records' tuples are still built,
    which the real recording-off would save too: the recorder's share is, if anything,
    slightly under-counted.
    """
    from simtui.runtimes import threads_rt

    class Unrecorded(threads_rt._ThreadsRun):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            discard: collections.deque[Any] = collections.deque(maxlen=0)
            self.rec = discard.append
            self.clock = int  # int() is 0: a C call as cheap as there is

        def consume(self) -> None:
            self.raw.clear()

    return Unrecorded


def reset(runtime: str) -> None:
    """Untimed, before every variant: no runtime state carried from the previous one.

    gevent keeps one hub per thread; the recorded and unrecorded runs each want their own
    loop class, and the plain program would otherwise inherit whichever came last. Each
    variant then makes its hub inside its timed part, alike.
    """
    if runtime == "gevent":
        from gevent._hub_local import get_hub_if_exists

        hub = get_hub_if_exists()
        if hub is not None:
            hub.destroy(destroy_loop=True)


def _runtime_module(runtime: str) -> Any:
    import importlib

    return importlib.import_module(runtimespec.get(runtime).module)
