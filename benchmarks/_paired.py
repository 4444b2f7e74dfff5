"""What every benchmark shares: alternated rounds, paired ratios, medians, process costs.

The method (targets.md): variants of one measurement run in the same round, their order
alternating from round to round so a slow spell of a shared machine hits each alike; a
ratio is taken per round against the baseline of that round, and the median of those
ratios is reported with their min–max. In-process variants run with the cyclic GC
enabled, as users run, after a `gc.collect()` that is not timed.
"""

from __future__ import annotations

import atexit
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Summary:
    """Median and range of a few measurements."""

    median: float
    lo: float
    hi: float
    n: int

    def show(self, fmt: str = ".2f", unit: str = "") -> str:
        """`9.71× (9.20–10.31)`, or a single value when there was one round."""
        mid = f"{self.median:{fmt}}{unit}"
        if self.n < 2:
            return mid
        return f"{mid} ({self.lo:{fmt}}–{self.hi:{fmt}})"


def summarize(values: Sequence[float]) -> Summary:
    return Summary(statistics.median(values), min(values), max(values), len(values))


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Per-round (paired) ratios."""
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def alternate(
    rounds: int, variants: dict[str, Callable[[], T]], *, warmup: bool = False
) -> dict[str, list[T]]:
    """Run every variant once per round, in an order that is reversed every other round
    (A B C, C B A, …); each variant's results in round order. `warmup` runs each once
    first, untimed and not kept (file cache, imports, first-use allocations)."""
    names = list(variants)
    if warmup:
        for name in names:
            variants[name]()
    out: dict[str, list[T]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            out[name].append(variants[name]())
    return out


@dataclass(frozen=True, slots=True)
class Cpu:
    """One in-process run: this process's CPU time (every thread) and wall time."""

    cpu: float
    wall: float
    result: Any = None


def timed(run: Callable[[], Any]) -> Cpu:
    """Time `run()` on this process's CPU clock (all threads: a flusher or the scenario's
    threads count too) with the GC enabled; a collection first, untimed, so garbage of
    the previous variant is not charged to this one."""
    gc.collect()
    assert gc.isenabled(), "benchmarks measure with the collector on, as users run"
    c0, w0 = time.process_time(), time.perf_counter()
    result = run()
    return Cpu(time.process_time() - c0, time.perf_counter() - w0, result)


@dataclass(frozen=True, slots=True)
class ProcessCost:
    """What one whole process cost, with every child it waited for."""

    cpu: float
    """User + system seconds of the process and of its children it reaped."""
    wall: float
    maxrss_kb: int
    """Peak resident memory of the largest single process among them (the kernel keeps a
    maximum, not a sum): for `simtui run`, the parent or the worker, whichever peaked."""
    returncode: int


_LAUNCHER = r"""
import os, sys, time
null = os.open(os.devnull, os.O_RDWR)
quiet = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
for line in sys.stdin:
    argv = line.rstrip("\n").split("\0")
    w0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - w0
    print(os.waitstatus_to_exitcode(status), repr(ru.ru_utime + ru.ru_stime), ru.ru_maxrss,
          repr(wall), flush=True)
"""


class _Launcher:
    """A bare interpreter that starts the measured processes and reports their `wait4`.

    Not this process: Linux keeps a process's peak-memory figure across `execve`, so a
    child spawned from here would report at least this process's own peak (~20 MiB with
    the benchmark's imports), more than some plain programs use. A bare `python -I -S`
    peaks at ~8.5 MiB, below any program measured.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )

    def run(self, argv: Sequence[str]) -> ProcessCost:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        assert not any("\0" in a or "\n" in a for a in argv), argv
        self.proc.stdin.write("\0".join(argv) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().split()
        if len(reply) != 4:
            raise RuntimeError(f"the launcher failed to run {argv[0]}")
        code, cpu, rss, wall = reply
        return ProcessCost(float(cpu), float(wall), int(rss), int(code))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


_launcher: _Launcher | None = None


def run_process(argv: Sequence[str]) -> ProcessCost:
    """Run a command to its end, its output discarded, and measure it with `wait4`: its
    own rusage and that of the children it waited for (Linux reports both). The command
    is started by a launcher process (see `_Launcher`); give absolute paths."""
    global _launcher
    if _launcher is None:
        _launcher = _Launcher()
        atexit.register(_launcher.close)
    return _launcher.run(argv)


def machine_line() -> str:
    """Where the figures were measured: interpreter, libraries, cores and the load then."""
    versions = []
    for name in ("greenlet", "gevent", "textual", "orjson"):
        try:
            from importlib.metadata import version

            versions.append(f"{name} {version(name)}")
        except Exception:  # not installed: nothing to report
            continue
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{platform.python_implementation()} {platform.python_version()}, "
            f"{', '.join(versions)}; {os.cpu_count()} CPUs, load average {load}")


def print_machine() -> None:
    print(f"machine: {machine_line()}", flush=True)


def stderr(text: str) -> None:
    """Progress, kept off stdout so the figures can be piped."""
    print(text, file=sys.stderr, flush=True)
