"""The worker process: runs one scenario on one real runtime and streams its trace.

Started by `simtui run` and by the TUI as `python -m simtui.runtimes.worker`, with the
scenario's text on stdin and a dedicated pipe (`--fd`) for the trace, so nothing a
runtime prints can corrupt the stream. Only the standard library is imported before
gevent's monkey patching, which must come first.
"""

from __future__ import annotations

import _thread
import argparse
import contextlib
import os
import signal
import sys
import time
import traceback

# Captured before any monkey patching: the flusher must be a real OS thread that sleeps
# for real, whatever gevent does to `threading`, `time.sleep` and `signal` in this process.
_start_thread = _thread.start_new_thread
_allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident  # patched, it names the current greenlet, not the thread
_real_sleep = time.sleep
_monotonic = time.monotonic
_set_handler = signal.signal
_pthread_kill = signal.pthread_kill

EVENT_LIMIT = 10_000_000
"""A run that would exceed this many events ends with status `limit`."""
SLICE = 50_000
"""Records encoded and written at a time: the pipe sees steady progress, memory stays low."""
BACKLOG = 100_000
"""Records waiting to be written past which the run is paused while the main thread writes
them. Only a runaway loop gets here: the flusher thread alone cannot keep up with a runtime
that records events as fast as it can (they share the GIL), and memory would grow without
bound. The pause shows in the trace as a gap in time."""


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="simtui-worker")
    p.add_argument("--fd", type=int, required=True, help="write the JSONL trace to this fd")
    p.add_argument("--runtime", required=True)
    p.add_argument("--source", default="<stdin>", help="the scenario's path, for messages")
    p.add_argument("--time-scale", type=float, default=1.0)
    p.add_argument("--snapshots", action="store_true")
    p.add_argument("--monkey-patch", action="store_true")
    p.add_argument("--parent-pid", type=int)
    p.add_argument("--event-limit", type=int, default=EVENT_LIMIT)
    return p.parse_args(argv)


class Flusher:
    """Drains the probe's records in batches on a real thread and writes them to the pipe.

    It also enforces the scenario's timeout and the event limit: either one writes a final
    `end` and ends the process, whatever the runtime is doing (a runaway thread, a `cpu`
    step longer than the timeout, a blocked hub).
    """

    def __init__(self, fd: int, probe, encoder, timeout: float, interval: float, limit: int):
        self.fd = fd
        self.probe = probe
        self.encoder = encoder
        self.deadline = _monotonic() + timeout
        self.interval = interval
        self.limit = limit
        self.lock = _allocate_lock()
        self.finished = False
        self.main_thread = _get_ident()

    def start(self) -> None:
        # The main thread runs the scenario (asyncio, gevent, greenlet) or supervises the
        # scenario's threads: a signal makes it write the backlog itself, holding the GIL.
        with contextlib.suppress(ValueError, OSError):
            _set_handler(signal.SIGUSR1, self._drain_on_signal)
        _start_thread(self._loop, ())

    def _drain_on_signal(self, signum: int, frame: object) -> None:
        if not self.lock.acquire(False):
            return  # the flusher thread is writing, or the run is closing
        try:
            if not self.finished:
                self.flush()
        except OSError:
            os._exit(1)
        finally:
            self.lock.release()

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def flush(self) -> None:
        """Write the records made so far, a slice at a time (called with the lock held)."""
        events = self.probe.events
        left = len(events)  # records appended meanwhile wait for the next flush
        while left > 0:
            n = min(left, SLICE)
            over = self.encoder.seq + n >= self.limit
            if over:
                n = max(0, self.limit - 1 - self.encoder.seq)
            batch = events[:n]
            del events[:n]  # appends made meanwhile by other threads stay in the list
            self._write(self.encoder.encode(batch))
            if over:
                self._finish_early("limit")
            left -= n

    def _loop(self) -> None:
        while True:
            _real_sleep(self.interval)
            with self.lock:
                if self.finished:
                    return
                try:
                    self.flush()
                    if _monotonic() > self.deadline:
                        self._finish_early("timeout")
                except OSError:
                    os._exit(1)  # the reader is gone: nobody wants this run any more
            if len(self.probe.events) > BACKLOG:
                with contextlib.suppress(OSError):
                    _pthread_kill(self.main_thread, signal.SIGUSR1)

    def _finish_early(self, status: str) -> None:
        stuck = None
        provider = self.probe.stuck_provider
        if provider is not None:
            try:
                stuck = provider()
            except Exception:  # the runtime's state may be mid-change in another thread
                stuck = None
        self.probe.events.clear()
        self.probe.end(status, stuck)
        self._write(self.encoder.encode(self.probe.events))
        self.finished = True
        os._exit(1)

    def close(self) -> None:
        with self.lock:
            if not self.finished:
                self.flush()
                self.finished = True


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    from simtui.runtimes.lifeline import die_with_parent

    die_with_parent(args.parent_pid)
    if args.runtime == "gevent" and args.monkey_patch:
        from gevent import monkey

        monkey.patch_all()

    # Imports after patching, as gevent requires.
    from simtui.runtimes.base import CpuWork, RunContext
    from simtui.runtimes.probe import Probe
    from simtui.scenario.errors import ScenarioError
    from simtui.scenario.loader import load_text
    from simtui.trace.io import Encoder, encode_header, make_header

    text = sys.stdin.buffer.read()
    try:
        scenario = load_text(text, args.source, runtime=args.runtime)
    except ScenarioError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    scale = scenario.time_scale * args.time_scale
    ops = scenario.ops_used()
    cpu = CpuWork.calibrate() if "cpu" in ops else CpuWork(0)
    server = _start_delay_server(args.fd) if "io" in ops else None
    port = server[1] if server else None

    header = make_header(scenario, args.runtime, scale)
    os.write(args.fd, encode_header(header))
    # Import the runtime before the clock starts: t = 0 is the start of the run itself.
    runtime = _runtime_module(args.runtime)
    probe = Probe(snapshots=args.snapshots)
    encoder = Encoder(probe.t0)
    interval = 0.1 if args.runtime == "threads" else 0.03
    flusher = Flusher(args.fd, probe, encoder, scenario.timeout, interval, args.event_limit)
    flusher.start()
    status = 0
    try:
        outcome = runtime.run(scenario, probe, RunContext(scale=scale, cpu=cpu, io_port=port))
        probe.end(outcome.status, outcome.stuck)
    except BaseException:  # a bug in simtui, not in the scenario: say so, end the trace
        sys.stderr.write(traceback.format_exc())
        probe.end("error", None)
        status = 3
    try:
        flusher.close()
    except OSError:
        status = 1
    if server:
        server[0].kill()
    sys.stderr.flush()
    # No interpreter teardown: runaway threads, a gevent hub or suspended greenlets
    # must not keep the process alive or run cleanup code after the trace ended.
    os._exit(status)


def _runtime_module(name: str):
    import importlib

    return importlib.import_module(f"simtui.runtimes.{name}_rt")


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
