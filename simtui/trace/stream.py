"""The parent side of a run: start a worker process and read its trace as it is produced.

`simtui run` and the TUI both use `WorkerProcess`. The worker runs in its own session
(process group), writes the trace on a dedicated pipe in the wire format (`trace.wire`),
which a reader thread here decodes into batches of columns as it arrives (`Batch`: what
the `Trace` takes in and the exporters write out), and is killed with its whole group
on `kill()`, on a backstop (no `end` and nothing written for `GRACE` seconds past the
scenario's timeout: a stopped or hung worker), and when this process exits. A reader
thread drains the pipe as fast as it fills, so the worker never waits on its reader.

The stream always ends with an `end` event. When the worker did not write one (it was
killed, it crashed, its watchdog ended it), the parent writes it: `status: killed`, the
numbering and the clock continuing the worker's, and a `message` that says why in plain
words. So every trace saved from a stream is complete.

Start workers from a thread that lives as long as they do (the main thread): the
worker asks the kernel to kill it when the thread that started it ends.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from queue import SimpleQueue
from typing import Any

from simtui import runtimespec
from simtui.scenario.model import Scenario
from simtui.trace.events import make_header
from simtui.trace.protocol import Exit, WorkerArgs
from simtui.trace.wire import Batch, Decoder, WireError

Event = dict[str, Any]

_live: weakref.WeakSet[WorkerProcess] = weakref.WeakSet()

GRACE = 5.0
"""Seconds past the scenario's timeout, with no `end` and nothing new on the pipe, before
the parent kills the worker: the worker ends itself at its timeout, so one that has not
is stopped (SIGSTOP) or hung."""
POLL = 0.25
"""Seconds between two looks of the backstop."""
WATCHDOG_MARK = "Timeout ("
"""How the worker's watchdog (`faulthandler.dump_traceback_later`) starts what it writes."""


@atexit.register
def _kill_all() -> None:
    for worker in list(_live):
        worker.kill()


class WorkerProcess:
    """One run of a scenario on a runtime, in a child process, streamed back as batches.

    Batches arrive in order: the first carries the header, the last ends with `end`,
    always. Give `on_events` to receive each batch on the reader thread, or iterate
    `batches()` (or `events()`, the same as dicts).
    """

    def __init__(
        self,
        scenario: Scenario,
        runtime: str,
        time_scale: float = 1.0,
        snapshots: bool = False,
        on_events: Callable[[Batch], None] | None = None,
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
        """True once the `end` event was delivered (the worker's, or the parent's own)."""
        self.killed = False
        """True when this process killed the worker (it had not ended by itself)."""
        self.kill_reason: str | None = None
        """Why this process killed the worker, in plain words (the first reason given)."""
        self.end_message: str | None = None
        """Set when the parent wrote the `end` itself: its `message`."""
        self.stderr = b""
        self._queue: SimpleQueue[Batch | None] = SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._started_at = 0.0
        self._header_at: float | None = None
        self._last_data = 0.0
        self._header_seen = False
        self.decoder = Decoder()

    def start(self) -> WorkerProcess:
        read_fd, write_fd = os.pipe()
        patch = runtimespec.get(self.runtime).patch_option
        args = WorkerArgs(
            fd=write_fd,
            runtime=self.runtime,
            source=self.scenario.source,
            time_scale=self.time_scale,
            snapshots=self.snapshots,
            monkey_patch=patch is not None and self.scenario.options.flag(self.runtime, patch),
            parent_pid=os.getpid(),
            **({} if self.event_limit is None else {"event_limit": self.event_limit}),
        ).argv()
        self._started_at = self._last_data = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        _live.add(self)
        self._stderr_thread = self._spawn(self._feed_and_collect_stderr)
        self._spawn(self._read_trace, read_fd)
        self._spawn(self._watch)
        return self

    def _spawn(self, target: Callable[..., None], *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True, name="simtui-worker-io")
        self._threads.append(thread)
        thread.start()
        return thread

    def _deliver(self, batch: Batch) -> None:
        if batch.header is not None and not self._header_seen:
            self._header_seen = True
            self._header_at = time.monotonic()
        if self.decoder.ended:
            self.ended = True
        if self.on_events is not None:
            self.on_events(batch)
        else:
            self._queue.put(batch)

    def _read_trace(self, fd: int) -> None:
        decoder = self.decoder
        try:
            while chunk := os.read(fd, 1 << 18):
                self._last_data = time.monotonic()
                for batch in decoder.feed(chunk):
                    self._deliver(batch)
            decoder.close()
        except WireError as e:  # the stream cannot be trusted past this point
            self.kill(f"the worker wrote something that is not its trace ({e})")
        except OSError:
            pass
        finally:
            os.close(fd)
            if not self.ended:
                self._end_for_the_worker()
            if self.on_events is None:
                self._queue.put(None)

    def _end_for_the_worker(self) -> None:
        """The pipe closed without an `end`: say why, and end the stream in its place."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=GRACE)
        except subprocess.TimeoutExpired:  # it closed the pipe but lives on: a bug
            self.kill("the worker closed its trace without ending it")
            code = self.proc.wait()
        self.returncode = code
        self._stderr_thread.join(timeout=2.0)
        decoder = self.decoder
        if not self._header_seen:
            if code == Exit.REFUSED and not self.killed:
                return  # it refused the scenario: reported as such, there is no trace
            scale = self.scenario.time_scale * self.time_scale
            self._deliver(decoder.start(make_header(self.scenario, self.runtime, scale)))
            elapsed = 0.0  # the run never started
        else:
            since = time.monotonic() - (self._header_at or self._started_at)
            elapsed = round(max(decoder.t, since), 7)
        self.end_message = self._why(code)
        self._deliver(decoder.add({
            "t": max(decoder.t, elapsed), "type": "end", "task": None, "status": "killed",
            "elapsed": elapsed, "message": self.end_message,
        }))

    def _why(self, code: int) -> str:
        """Why the worker ended without writing `end`, in plain words."""
        if self.kill_reason is not None:
            return self.kill_reason
        text = self.error_text
        timeout = f"{self.scenario.timeout:g} s"
        if any(line.startswith(WATCHDOG_MARK) for line in text.splitlines()):
            return (f"the run passed its {timeout} timeout and the worker could not stop it "
                    "in time (busy threads kept the interpreter lock, or nothing was reading "
                    "its trace); the worker's watchdog ended it")
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the worker was killed by {name}, from outside simtui"
        lines = text.splitlines()
        last = f": {lines[-1]}" if lines else ""
        return f"the worker exited with status {code}{last}"

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
        while True:
            try:
                self.returncode = self.proc.wait(timeout=POLL)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if self.ended:
                # The trace is complete; a worker that does not exit after it is stuck.
                if now > self._last_data + GRACE:
                    self.kill("the worker did not exit after the end of its trace")
                continue
            started = self._header_at or self._started_at
            if now > max(started + self.scenario.timeout, self._last_data) + GRACE:
                self.kill(self._unresponsive())
        # The worker is gone; end its group too (the delay server, stray children).
        self._killpg()
        _live.discard(self)
        if self.on_exit is not None:
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join(timeout=GRACE + 5.0)
            self.on_exit(self)

    def _unresponsive(self) -> str:
        timeout = f"{self.scenario.timeout:g} s"
        assert self.proc is not None
        if _is_stopped(self.proc.pid):
            return (f"the worker was stopped (SIGSTOP or a debugger) and did not end at the "
                    f"scenario's {timeout} timeout; simtui killed it {GRACE:g} s later")
        return (f"the worker stopped answering: nothing from it {GRACE:g} s past the "
                f"scenario's {timeout} timeout; simtui killed it")

    def _killpg(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def kill(self, reason: str = "stopped by the user") -> None:
        """Kill the worker and everything in its process group, now.

        `reason` becomes the `message` of the `end` this process writes for the worker,
        if the worker had not written its own.
        """
        if self.proc is not None and self.proc.poll() is None and not self.ended:
            self.killed = True
            if self.kill_reason is None:
                self.kill_reason = reason
        self._killpg()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the worker to exit and its output to be read; its exit status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(left)
        return self.returncode

    def batches(self) -> Iterator[Batch]:
        """Every batch as it arrives, the header's first, `end` last (only without
        `on_events`)."""
        while (batch := self._queue.get()) is not None:
            yield batch

    def events(self) -> Iterator[Event]:
        """Every event as it arrives, as dicts: header first, `end` last."""
        for batch in self.batches():
            yield from batch.events()

    @property
    def error_text(self) -> str:
        """What the worker wrote on stderr (a crash's traceback), decoded."""
        return self.stderr.decode("utf-8", "replace").strip()


def _is_stopped(pid: int) -> bool:
    """Whether the process is stopped by a signal (Linux: its state in /proc is `T`)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    # The name (field 2) is in parentheses and may hold spaces: the state follows the last `)`.
    state = stat[stat.rfind(b")") + 2 :][:1]
    return state in (b"T", b"t")
