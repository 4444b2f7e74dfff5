"""The worker process: runs one scenario on one real runtime and streams its trace.

Started by `simtui run` and by the TUI as `python -m simtui.runtimes.worker`, with the
scenario's text on stdin and a dedicated pipe (`--fd`) for the trace, so nothing a
runtime prints can corrupt the stream; its command line and exit codes are the worker
protocol (`trace.protocol`), what it writes is the wire format (`trace.wire`). Only the
standard library, and simtui modules that import nothing more, are imported before
gevent's monkey patching, which must come first.
"""

from __future__ import annotations

import _thread
import contextlib
import faulthandler
import os
import signal
import struct
import sys
import time
import traceback
from typing import TYPE_CHECKING

from simtui.trace import layout, wire
from simtui.trace.layout import RECORD_BYTES
from simtui.trace.protocol import Exit, WorkerArgs

pack = struct.Struct("=qq").pack

if TYPE_CHECKING:
    from simtui.runtimes.base import Runtime
    from simtui.runtimes.probe import Probe
    from simtui.runtimespec import RuntimeSpec

# Captured before any monkey patching, which replaces `_thread.start_new_thread`,
# `allocate_lock`, `get_ident`, `time.sleep` and `signal.signal` with gevent's versions: the
# flusher must be a real OS thread that sleeps for real and signals the real main thread.
# (gevent's `get_ident` returns a greenlet's address: `pthread_kill` of that blocks inside
# the C library holding the GIL, and the whole worker hangs.) Nothing else the flusher
# calls is patched: `os.write`, `os._exit`, `time.monotonic`, `signal.pthread_kill`.
_start_thread = _thread.start_new_thread
_allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident
_real_sleep = time.sleep
_monotonic = time.monotonic
_thread_cpu = time.thread_time
_process_cpu = time.process_time
_set_handler = signal.signal
_pthread_kill = signal.pthread_kill

SLICE = 50_000
"""Records written at a time: the pipe sees steady progress, memory stays low."""
CHUNK = wire.FRAME_RECORDS
"""Records written between two looks at the clock for the timeout."""
WATCHDOG = 1.0
"""Seconds past the timeout after which the worker's watchdog ends it, if the flusher has
not: busy threads that keep the GIL (a scenario's long switch interval) can keep the
flusher from running at all, and a reader that stopped reading (a suspended parent) keeps
its write waiting. The watchdog is the interpreter's own C thread (`faulthandler`), which
needs no GIL: it writes every thread's stack to stderr and exits, and the parent then
ends the trace with `killed`, saying so."""
FINAL = 50_000
"""Records written at most between a timeout and its `end` (the oldest of those waiting):
the trace keeps what was recorded before the timeout, and a runaway's backlog does not
hold the `end` back (the rest is left out; the trace is the run up to some point)."""
FINAL_SECONDS = 0.25
"""And for at most this long: busy threads that keep the interpreter lock slow every write
down, and the watchdog ends the run at a second past the timeout."""
BACKLOG = 100_000
"""Records waiting to be written past which the run is paused while the main thread writes
them. Only a runaway loop gets here: the flusher thread alone cannot keep up with a runtime
that records events as fast as it can (they share the GIL), and memory would grow without
bound. The pause shows in the trace as a gap in time."""


class Flusher:
    """Writes the probe's records and declarations to the pipe, on a real thread, as they are.

    Nothing is encoded here: records go out as the bytes the probe holds, and
    what they refer to as the probe declared it (`trace.wire`). The flusher also enforces
    the scenario's timeout and the event limit: either one writes a final `end` and ends
    the process, whatever the runtime is doing (a runaway thread, a `cpu` step longer than
    the timeout, a blocked hub).
    """

    def __init__(self, fd: int, probe: Probe, timeout: float, interval: float, limit: int):
        self.fd = fd
        self.probe = probe
        self.deadline = _monotonic() + timeout
        self.interval = interval
        self.limit = limit
        self.lock = _allocate_lock()
        self.finished = False
        self.over = False
        """The run has its outcome: what is left to write is written, the timeout is past."""
        self.main_thread = _get_ident()
        self.written = 0
        """Records written so far: the next one's `seq`."""
        self.sender = wire.Sender(len(probe.tasks))
        self.cpu_at_start = _process_cpu()
        self.flusher_cpu = 0.0
        """The flusher thread's CPU so far (all of it: waking up is part of its cost)."""
        self.backlog_cpu = 0.0
        """The main thread's CPU spent writing a backlog itself."""

    def start(self) -> None:
        # The main thread runs the scenario (asyncio, gevent, greenlet) or supervises the
        # scenario's threads: a signal makes it write the backlog itself, holding the GIL.
        with contextlib.suppress(ValueError, OSError):
            _set_handler(signal.SIGUSR1, self._drain_on_signal)
        with contextlib.suppress(ValueError, OSError):
            timeout = self.deadline - _monotonic()
            faulthandler.dump_traceback_later(timeout + WATCHDOG, exit=True, file=sys.stderr)
        _start_thread(self._loop, ())

    def run_over(self) -> None:
        """The runtime returned: the run ended before its timeout, whatever writing it takes."""
        self.over = True
        faulthandler.cancel_dump_traceback_later()

    def _drain_on_signal(self, signum: int, frame: object) -> None:
        if not self.lock.acquire(False):
            return  # the flusher thread is writing, or the run is closing
        try:
            if not self.finished:
                c0 = _thread_cpu()
                self.flush()
                self.backlog_cpu += _thread_cpu() - c0
        except OSError:
            os._exit(Exit.CUT)
        finally:
            self.lock.release()

    def _write(self, *parts: bytes | bytearray | memoryview) -> None:
        for data in parts:
            view = memoryview(data).cast("B")
            while view:
                n = os.write(self.fd, view)
                view = view[n:]

    def flush(self, timed: bool = True, most: int | None = None,
              stop: float | None = None) -> None:
        """Write the records made so far, a slice at a time (called with the lock held).

        When `timed`, the timeout is checked before every chunk written: a writer that is
        slower than the run (the reader is busy, or a backlog of millions) must not hold
        the `end` back for as long as the backlog takes to write. At most `most` records
        are written (the oldest), and none once the clock is past `stop`, when given.
        """
        records = self.probe.records
        # Records first, then declarations: every record counted now refers only to
        # declarations made before it, so sending them now covers it.
        left = len(records) // RECORD_BYTES  # those appended meanwhile wait for the next flush
        if most is not None:
            left = min(left, most)
        self._write(self.sender.declarations(self.probe.names, self.probe.extras))
        while left > 0:
            n = min(left, SLICE)
            over = self.written + n >= self.limit
            if over:
                n = max(0, self.limit - 1 - self.written)
            batch = records[: n * RECORD_BYTES]
            del records[: n * RECORD_BYTES]  # appends made meanwhile by other threads stay
            view = memoryview(batch)
            for k in range(0, n, CHUNK):
                if timed and self._past_deadline():
                    self._finish_early("timeout", view[k * RECORD_BYTES :])
                part = view[k * RECORD_BYTES : (k + CHUNK) * RECORD_BYTES]
                if not self._write_records(part, stop):
                    return  # the rest is left out: the `end` must come now
            view.release()
            if over:
                self._finish_early("limit")
            left -= n

    def _write_records(self, view: memoryview, stop: float | None = None) -> bool:
        """Write whole records, a frame of at most CHUNK at a time; stop between two frames
        once the clock is past `stop`. Whether every one was written."""
        for k in range(0, len(view), CHUNK * RECORD_BYTES):
            if stop is not None and _monotonic() > stop:
                return False
            part = view[k : k + CHUNK * RECORD_BYTES]
            self._write(*self.sender.records(part))
            self.written += len(part) // RECORD_BYTES
        return True

    def cost(self) -> dict[str, float]:
        """What recording has cost the run so far, for `end.recorder`: the CPU the writer
        took, and its share of the whole process's CPU since the flusher started. Two clock
        readings per flush: cheap enough to measure on every run."""
        run = _process_cpu() - self.cpu_at_start
        writer = self.flusher_cpu + self.backlog_cpu
        return {"writer_cpu": round(writer, 6), "run_cpu": round(run, 6),
                "writer_share": round(writer / run, 4) if run > 0 else 0.0}

    def _loop(self) -> None:
        while True:
            _real_sleep(self.interval)
            with self.lock:
                if self.finished:
                    return
                try:
                    self.flush()
                    self.flusher_cpu = _thread_cpu()
                    if self._past_deadline():
                        self._finish_early("timeout")
                except OSError:
                    os._exit(Exit.CUT)  # the reader is gone: nobody wants this run any more
            if len(self.probe.records) > BACKLOG * RECORD_BYTES:
                with contextlib.suppress(OSError):
                    _pthread_kill(self.main_thread, signal.SIGUSR1)

    def _past_deadline(self) -> bool:
        return not self.over and _monotonic() > self.deadline

    def _finish_early(self, status: str, unsent: memoryview | None = None) -> None:
        """End the trace here with `status`, whatever the runtime is doing.

        At a timeout, what was recorded up to now is written first: the records taken
        out to be written (`unsent`), then the rest, the runtime's own records made the
        probe's first (a run cut before its threads' records were read, or while a batch
        was on its way, had a trace of its `end` alone). At the limit, nothing more is.
        """
        probe = self.probe
        stop = _monotonic() + FINAL_SECONDS
        whole = unsent is None or self._write_records(unsent, stop)
        if status == "timeout" and whole and self.written < self.limit - 1:
            if probe.drain is not None:
                with contextlib.suppress(Exception):  # the runtime may be mid-change
                    probe.drain()
            self.flush(timed=False, most=FINAL, stop=stop)
        stuck = None
        provider = self.probe.stuck_provider
        if provider is not None:
            try:
                stuck = provider()
            except Exception:  # the runtime's state may be mid-change in another thread
                stuck = None
        # Only the `end` follows what was written: records made meanwhile are not sent,
        # so the trace never runs past the limit. Its fields are declared as the next
        # the reader numbers, whatever the runtime declares meanwhile.
        elapsed = round(probe.now(), 7)
        x = self.sender.extras_sent
        t = probe.clock() - probe.offsets[layout.END]
        self._write(wire.declare_frame([], [(status, elapsed, stuck, None, self.cost())]),
                    *self.sender.records(pack(t, layout.word1(layout.NONE, x))))
        self.finished = True
        os._exit(Exit.CUT)

    def close(self) -> None:
        with self.lock:
            if not self.finished:
                self.flush()
                self.finished = True


def main(argv: list[str] | None = None) -> int:
    args = WorkerArgs.parse(argv)
    from simtui.runtimes.lifeline import die_with_parent

    die_with_parent(args.parent_pid)
    if args.monkey_patch:
        from gevent import monkey

        monkey.patch_all()

    # Imports after patching, as gevent requires.
    from simtui import runtimespec
    from simtui.runtimes.base import CpuWork, RunContext
    from simtui.runtimes.probe import Probe
    from simtui.scenario.errors import ScenarioError
    from simtui.scenario.loader import load_text
    from simtui.trace.events import make_header

    text = sys.stdin.buffer.read()
    try:
        scenario = load_text(text, args.source, runtime=args.runtime)
    except ScenarioError as e:
        sys.stderr.write(f"{e}\n")
        return Exit.REFUSED
    spec = runtimespec.get(args.runtime)
    scale = scenario.time_scale * args.time_scale
    ops = scenario.ops_used()
    cpu = CpuWork.calibrate() if "cpu" in ops else CpuWork(0)
    server = _start_delay_server(args.fd) if "io" in ops else None
    port = server[1] if server else None

    header = make_header(scenario, args.runtime, scale)
    os.write(args.fd, wire.header_frame(header))
    # Import the runtime before the clock starts: t = 0 is the start of the run itself.
    runtime = load_runtime(spec)
    probe = Probe(header["tasks"], snapshots=args.snapshots)
    flusher = Flusher(args.fd, probe, scenario.timeout, spec.flush_interval, args.event_limit)
    flusher.start()
    status = Exit.OK
    try:
        outcome = runtime.run(scenario, probe, RunContext(scale=scale, cpu=cpu, io_port=port))
        flusher.run_over()
        probe.end(outcome.status, outcome.stuck, flusher.cost())
    except BaseException:  # a bug in simtui, not in the scenario: say so, end the trace
        flusher.run_over()
        sys.stderr.write(traceback.format_exc())
        probe.end("error", None, flusher.cost())
        status = Exit.BUG
    try:
        flusher.close()
    except OSError:
        status = Exit.CUT
    if server:
        server[0].kill()
    sys.stderr.flush()
    # No interpreter teardown: runaway threads, a gevent hub or suspended greenlets
    # must not keep the process alive or run cleanup code after the trace ended.
    os._exit(status)


def load_runtime(spec: RuntimeSpec) -> Runtime:
    """The module that runs scenarios on `spec`'s runtime, as the `Runtime` it must be."""
    import importlib

    module: Runtime = importlib.import_module(spec.module)  # type: ignore[assignment]
    return module


class _Server:
    """The delay server's process: only its pid is needed, to kill it at the end."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def kill(self) -> None:
        import signal

        with contextlib.suppress(OSError):  # already gone
            os.kill(self.pid, signal.SIGKILL)


def _start_delay_server(trace_fd: int):
    # Not subprocess.Popen: once gevent has patched it, Popen keeps a referenced child
    # watcher on the hub, so the hub never runs out of work and a deadlocked scenario
    # could not end with LoopExit. The unpatched posix_spawn leaves the hub alone.
    spawn = os.posix_spawn
    if "gevent.monkey" in sys.modules:
        from gevent import monkey

        spawn = monkey.get_original("os", "posix_spawn")
    read_fd, write_fd = os.pipe()
    null = os.open(os.devnull, os.O_RDWR)
    try:
        pid = spawn(
            sys.executable,
            [sys.executable, "-m", "simtui.runtimes.delay_server"],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, null, 0),
                (os.POSIX_SPAWN_DUP2, write_fd, 1),
                (os.POSIX_SPAWN_DUP2, null, 2),
                (os.POSIX_SPAWN_CLOSE, trace_fd),
            ],
        )
    finally:
        os.close(write_fd)
        os.close(null)
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(read_fd, 64)
        if not chunk:
            raise RuntimeError("the delay server did not start")
        line += chunk
    os.close(read_fd)
    return _Server(pid), int(line)


if __name__ == "__main__":
    sys.exit(main())
