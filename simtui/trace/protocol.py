"""The worker protocol, both sides: how the parent starts a worker, and how the worker exits.

The parent (`trace.stream`) starts `python -m simtui.runtimes.worker` with the arguments
`WorkerArgs.argv` makes, the scenario's text on stdin and the write end of a pipe as an
inherited descriptor; the worker (`runtimes.worker`) reads them back with
`WorkerArgs.parse`, writes the trace on that pipe in the wire format (`trace.wire`) and
exits with one of the `Exit` codes. Only the standard library is imported here: the
worker reads its arguments before gevent's monkey patching, which must come first.
"""

from __future__ import annotations

import argparse
import enum
import sys
from dataclasses import dataclass

MODULE = "simtui.runtimes.worker"

EVENT_LIMIT = 10_000_000
"""A run that would exceed this many events ends with status `limit`."""


class Exit(enum.IntEnum):
    """How a worker process ends."""

    OK = 0
    """The trace was written to its `end`."""
    CUT = 1
    """The trace could not be finished: its reader went away, or the run was cut at its
    timeout or event limit (the `end` then says which)."""
    REFUSED = 2
    """The scenario was refused; the located message is on stderr and there is no trace."""
    BUG = 3
    """simtui failed inside the worker: the trace ends `error`, the traceback is on stderr."""


@dataclass(frozen=True, slots=True)
class WorkerArgs:
    """What a worker is told on its command line."""

    fd: int
    """The descriptor the trace is written to."""
    runtime: str
    source: str = "<stdin>"
    """The scenario's path, for messages."""
    time_scale: float = 1.0
    snapshots: bool = False
    monkey_patch: bool = False
    """Monkey-patch before anything else is imported (the runtime's spec says which
    option asks for it: `RuntimeSpec.patch_option`)."""
    parent_pid: int | None = None
    event_limit: int = EVENT_LIMIT

    def argv(self) -> list[str]:
        """The worker's whole command line, interpreter first."""
        args = [
            sys.executable, "-m", MODULE,
            "--fd", str(self.fd),
            "--runtime", self.runtime,
            "--source", self.source,
            "--time-scale", repr(self.time_scale),
            "--event-limit", str(self.event_limit),
        ]
        if self.parent_pid is not None:
            args += ["--parent-pid", str(self.parent_pid)]
        if self.snapshots:
            args.append("--snapshots")
        if self.monkey_patch:
            args.append("--monkey-patch")
        return args

    @classmethod
    def parse(cls, argv: list[str] | None = None) -> WorkerArgs:
        """The arguments of a worker's command line (`sys.argv[1:]` when None)."""
        p = argparse.ArgumentParser(prog="simtui-worker")
        p.add_argument("--fd", type=int, required=True, help="write the trace to this fd")
        p.add_argument("--runtime", required=True)
        p.add_argument("--source", default="<stdin>", help="the scenario's path, for messages")
        p.add_argument("--time-scale", type=float, default=1.0)
        p.add_argument("--snapshots", action="store_true")
        p.add_argument("--monkey-patch", action="store_true")
        p.add_argument("--parent-pid", type=int)
        p.add_argument("--event-limit", type=int, default=EVENT_LIMIT)
        a = p.parse_args(argv)
        return cls(a.fd, a.runtime, a.source, a.time_scale, a.snapshots, a.monkey_patch,
                   a.parent_pid, a.event_limit)
