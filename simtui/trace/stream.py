"""The parent side of a run: start a worker process and read its trace as it is produced.

`simtui run` and the TUI both use `WorkerProcess`. The worker runs in its own session
(process group), writes the trace on a dedicated pipe, and is killed with its whole group
on `kill()`, on a timeout backstop, and when this process exits. A reader thread drains
the pipe as fast as it fills, so the worker never waits on its reader.

Start workers from a thread that lives as long as they do (the main thread): the
worker asks the kernel to kill it when the thread that started it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from queue import SimpleQueue
from typing import Any

from simtui.scenario.model import Scenario
from simtui.trace.io import take_events

Event = dict[str, Any]

_live: weakref.WeakSet[WorkerProcess] = weakref.WeakSet()

GRACE = 5.0
"""Seconds past the scenario's timeout before the parent kills a worker that has not ended."""


@atexit.register
def _kill_all() -> None:
    for worker in list(_live):
        worker.kill()


class WorkerProcess:
    """One run of a scenario on a runtime, in a child process, streamed back as events.

    Events arrive as dicts (the header first, `end` last when the run finishes). Give
    `on_events` to receive them in batches on the reader thread, or iterate `events()`.
    """

    def __init__(
        self,
        scenario: Scenario,
        runtime: str,
        time_scale: float = 1.0,
        snapshots: bool = False,
        on_events: Callable[[list[Event]], None] | None = None,
        on_exit: Callable[[WorkerProcess], None] | None = None,
        event_limit: int | None = None,
    ) -> None:
        self.scenario = scenario
        self.runtime = runtime
        self.time_scale = time_scale
        self.snapshots = snapshots
        self.on_events = on_events
        self.on_exit = on_exit
        self.event_limit = event_limit
        self.proc: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None
        self.ended = False
        """True once the `end` event arrived."""
        self.killed = False
        self.stderr = b""
        self._queue: SimpleQueue[list[Event] | None] = SimpleQueue()
        self._threads: list[threading.Thread] = []

    def start(self) -> WorkerProcess:
        read_fd, write_fd = os.pipe()
        args = [
            sys.executable, "-m", "simtui.runtimes.worker",
            "--fd", str(write_fd),
            "--runtime", self.runtime,
            "--source", self.scenario.source,
            "--time-scale", repr(self.time_scale),
            "--parent-pid", str(os.getpid()),
        ]
        if self.snapshots:
            args.append("--snapshots")
        if self.runtime == "gevent" and self.scenario.options.gevent_monkey_patch:
            args.append("--monkey-patch")
        if self.event_limit is not None:
            args += ["--event-limit", str(self.event_limit)]
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        _live.add(self)
        self._spawn(self._read_trace, read_fd)
        self._spawn(self._feed_and_collect_stderr)
        self._spawn(self._watch)
        return self

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="simtui-worker-io")
        self._threads.append(thread)
        thread.start()

    def _deliver(self, batch: list[Event]) -> None:
        if not batch:
            return
        if batch[-1].get("type") == "end":
            self.ended = True
        if self.on_events is not None:
            self.on_events(batch)
        else:
            self._queue.put(batch)

    def _read_trace(self, fd: int) -> None:
        buffer = bytearray()
        try:
            while chunk := os.read(fd, 1 << 18):
                self._deliver(take_events(buffer, chunk))
        except (OSError, ValueError):
            pass
        finally:
            os.close(fd)
            if self.on_events is None:
                self._queue.put(None)

    def _feed_and_collect_stderr(self) -> None:
        assert self.proc is not None and self.proc.stdin and self.proc.stderr
        try:
            self.proc.stdin.write(self.scenario.text.encode("utf-8"))
            self.proc.stdin.close()
        except OSError:
            pass
        tail = bytearray()
        while chunk := self.proc.stderr.read(1 << 14):
            tail += chunk
            del tail[: max(0, len(tail) - (1 << 16))]
        self.stderr = bytes(tail)

    def _watch(self) -> None:
        assert self.proc is not None
        try:
            self.returncode = self.proc.wait(timeout=self.scenario.timeout + GRACE)
        except subprocess.TimeoutExpired:
            self.kill()
            self.returncode = self.proc.wait()
        # The worker is gone; end its group too (the delay server, stray children).
        self._killpg()
        _live.discard(self)
        if self.on_exit is not None:
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join(timeout=2.0)
            self.on_exit(self)

    def _killpg(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def kill(self) -> None:
        """Kill the worker and everything in its process group, now."""
        if self.proc is not None and self.proc.poll() is None:
            self.killed = True
        self._killpg()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the worker to exit and its output to be read; its exit status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(left)
        return self.returncode

    def events(self) -> Iterator[Event]:
        """Every event as it arrives, header first (only without `on_events`)."""
        while (batch := self._queue.get()) is not None:
            yield from batch

    @property
    def error_text(self) -> str:
        """What the worker wrote on stderr (a crash's traceback), decoded."""
        return self.stderr.decode("utf-8", "replace").strip()
