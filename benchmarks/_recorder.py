"""The recorder as the benchmarks drive it: the one module that knows how simtui records.

`record(runtime, scenario)` runs a scenario in this process the way the worker process
does — the runtime reporting to a `Probe`, the worker's `Flusher` writing the packed
records on its own thread every flush interval — except that the bytes are kept in memory
instead of written to a pipe; then it does what the parent does with them: decodes the
wire (`trace.wire`) and writes the JSONL trace, so that the figure includes every byte of
encoding to the final trace, wherever it runs in a real run. `run_unrecorded(runtime,
scenario)` runs the same interpreter with a probe that does not record (the one way of
not recording). When the recorder changes, this module changes and the benchmarks stay
as they are.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any

from simtui import runtimespec
from simtui.runtimes.base import CpuWork, Outcome, RunContext
from simtui.runtimes.probe import Probe
from simtui.runtimes.worker import Flusher
from simtui.scenario.loader import load_text
from simtui.scenario.model import Scenario
from simtui.trace import wire
from simtui.trace.events import make_header
from simtui.trace.export import JsonlWriter
from simtui.trace.protocol import EVENT_LIMIT


def load(runtime: str, text: str) -> Scenario:
    return load_text(text, "<benchmark>", runtime=runtime)


def _context() -> RunContext:
    # The workloads have no `cpu` step: no calibration, as the worker skips it then.
    return RunContext(scale=1.0, cpu=CpuWork(0))


@dataclass
class Recording:
    """What one recorded run produced: its outcome, the wire bytes in chunks as the
    flusher wrote them (the header frame first), the CPU time the flushes took (on
    whichever thread), and the JSONL trace the parent made of them."""

    outcome: Outcome | None = None
    chunks: list[bytes] = field(default_factory=list)
    flush_cpu: float = 0.0
    jsonl: str = ""
    events: int = 0

    @property
    def nbytes(self) -> int:
        return sum(len(c) for c in self.chunks)

    def count(self, pattern: bytes) -> int:
        """Occurrences of `pattern` in the JSONL trace."""
        return self.jsonl.count(pattern.decode())


class _KeepingFlusher(Flusher):
    """The worker's flusher, keeping what it would write to the pipe."""

    def __init__(self, recording: Recording, *args: Any) -> None:
        super().__init__(-1, *args)
        self.recording = recording

    def _write(self, *parts: bytes | bytearray | memoryview) -> None:
        self.recording.chunks.append(b"".join(bytes(p) for p in parts))

    def flush(self, *args: Any, **kwargs: Any) -> None:
        c0 = time.thread_time()
        super().flush(*args, **kwargs)
        self.recording.flush_cpu += time.thread_time() - c0


def record(runtime: str, scenario: Scenario) -> Recording:
    """One run with recording on, then decoded and encoded to the JSONL trace."""
    recording = Recording()
    header = make_header(scenario, runtime, scenario.time_scale)
    recording.chunks.append(wire.header_frame(header))
    module = _runtime_module(runtime)
    probe = Probe(header["tasks"])
    flusher = _KeepingFlusher(
        recording, probe, scenario.timeout, runtimespec.get(runtime).flush_interval,
        EVENT_LIMIT,
    )
    flusher.start()
    outcome = module.run(scenario, probe, _context())
    flusher.run_over()
    probe.end(outcome.status, outcome.stuck)
    flusher.close()
    recording.outcome = outcome
    # The parent's share: decode the wire, write the JSONL trace.
    decoder = wire.Decoder()
    out = io.StringIO()
    writer = JsonlWriter(out)
    for chunk in recording.chunks:
        for batch in decoder.feed(chunk):
            writer.write_batch(batch)
            recording.events += len(batch)
    recording.jsonl = out.getvalue()
    return recording


def run_unrecorded(runtime: str, scenario: Scenario) -> Outcome:
    """One run of the same interpreter with a probe that records nothing."""
    header = make_header(scenario, runtime, scenario.time_scale)
    probe = Probe(header["tasks"], record=False)
    outcome = _runtime_module(runtime).run(scenario, probe, _context())
    assert not probe.records, "recording off recorded something"
    return outcome


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
