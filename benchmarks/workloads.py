"""The benchmark workloads: each one a scenario in `scenarios/` and the same program in `plain/`.

Each workload is the same work written twice: a scenario that simtui runs (kept in
`benchmarks/scenarios/`, so `simtui run benchmarks/scenarios/asyncio_yields.yaml` is the
very run that is measured) and a plain Python program with no simtui code (kept in
`benchmarks/plain/`) that does the same ops in the same order. The scenario files are
written by this module (`python benchmarks/workloads.py` rewrites them) so that a
`--quick` run can make smaller ones of the same shape; a test checks that the kept files
are what it writes.

Sizes: the full ones make the plain program take at least 2 s of CPU on the project's
2-core machine (CPython 3.11) even when it is quiet (CPU time grows under load: cores
shared with other processes run the same work slower), so that interpreter start-up is
a small part of it; the one exception is said at `GREENLET`. The plain programs' own
defaults are the full sizes. `recorder` sizes are for the in-process recorder
and interpreter benchmark, which has no start-up to amortise: 100,000 task steps, and
500,000 switches for the greenlet ring, whose plain switches are so cheap that 100,000
of them take ~40 ms, too short to time on a shared machine.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
PLAIN = HERE / "plain"

TIMEOUT = 900
"""Seconds: the scenarios' own timeout, far above any run's, so none ends as `timeout`."""


@dataclass(frozen=True, slots=True)
class Workload:
    """One workload: where its two forms live and how big it is in each benchmark."""

    runtime: str
    name: str
    """The stem of both files: `scenarios/NAME.yaml` and `plain/NAME.py`."""
    what: str
    """What it does, with `{n}` and `{k}` for its two sizes."""
    full: tuple[int, int]
    """(tasks, steps per task) for the whole-process and stream benchmarks."""
    quick: tuple[int, int]
    """The same for a `--quick` smoke run."""
    recorder: tuple[int, int]
    """The same for the in-process recorder and interpreter benchmark."""
    recorder_quick: tuple[int, int]
    text: Callable[[str, int, int], str]
    """The scenario's YAML for (name, tasks, steps)."""

    def describe(self, size: tuple[int, int]) -> str:
        return self.what.format(n=f"{size[0]:,}", k=f"{size[1]:,}")

    @property
    def scenario_path(self) -> Path:
        return SCENARIOS / f"{self.name}.yaml"

    @property
    def plain_path(self) -> Path:
        return PLAIN / f"{self.name}.py"

    def scenario_text(self, size: tuple[int, int]) -> str:
        return self.text(self.name, *size)

    def plain_module(self) -> ModuleType:
        """The plain program as a module: its `workload(tasks, steps)` runs it in-process."""
        spec = importlib.util.spec_from_file_location(f"plain_{self.name}", self.plain_path)
        assert spec is not None and spec.loader is not None, self.plain_path
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def _gathered(runtime: str, op: str) -> Callable[[str, int, int], str]:
    def text(name: str, tasks: int, steps: int) -> str:
        return f"""\
# Written by benchmarks/workloads.py; the same work as benchmarks/plain/{name}.py.
name: {name}
title: "benchmark: {tasks} tasks x {steps} yields ({op})"
runtime: {runtime}
timeout: {TIMEOUT}
tasks:
  main:
    - gather: worker
  worker:
    count: {tasks}
    steps:
      - repeat: {{times: {steps}, steps: [yield]}}
"""

    return text


def _ring(name: str, tasks: int, switches: int) -> str:
    # Each greenlet is first started by main and switches straight back: a greenlet
    # started from inside another one runs on top of its starter's stack and recursion
    # depth, so starting the ring link by link would nest `tasks` deep.
    names = [f"t{k}" for k in range(tasks)]
    lines = [
        f"# Written by benchmarks/workloads.py; the same work as benchmarks/plain/{name}.py.",
        f"name: {name}",
        f'title: "benchmark: a ring of {tasks} greenlets x {switches} switches"',
        "runtime: greenlet",
        f"timeout: {TIMEOUT}",
        "tasks:",
        "  main:",
        f"    - spawn: [{', '.join(names)}]",
    ]
    lines += [f"    - switch: {n}" for n in names]
    lines += ["    - switch: t0"]
    for k, n in enumerate(names):
        lines += [
            f"  {n}:",
            "    - switch: main",
            f"    - repeat: {{times: {switches}, steps: [{{switch: {names[(k + 1) % tasks]}}}]}}",
        ]
    return "\n".join(lines) + "\n"


ASYNCIO = Workload(
    "asyncio", "asyncio_yields", "{n} tasks × {k} `await asyncio.sleep(0)`, gathered",
    full=(1000, 1800), quick=(50, 40), recorder=(1000, 100), recorder_quick=(50, 40),
    text=_gathered("asyncio", "await asyncio.sleep(0)"),
)
GEVENT = Workload(
    "gevent", "gevent_yields", "{n} greenlets × {k} `gevent.sleep(0)`, joined",
    full=(1000, 1500), quick=(50, 40), recorder=(1000, 100), recorder_quick=(50, 40),
    text=_gathered("gevent", "gevent.sleep(0)"),
)
GREENLET = Workload(
    "greenlet", "greenlet_ring", "a ring of {n} greenlets × {k} switches",
    # The plain ring takes ~0.7 s of CPU here, not 2 s: 3 million switches make ~9 million
    # events, just under the worker's limit of 10 million, and a bigger ring would reach
    # 2 s only by making each plain switch slower (cache misses: ×3 per switch with
    # 10,000 greenlets), which would flatter the ratio. Start-up is ~3 % of it.
    full=(1000, 3000), quick=(50, 40), recorder=(1000, 500), recorder_quick=(50, 40),
    text=_ring,
)
THREADS = Workload(
    "threads", "threads_yields", "{n} threads × {k} `time.sleep(0)`, started and joined",
    full=(100, 2000), quick=(10, 40), recorder=(1000, 100), recorder_quick=(20, 20),
    text=_gathered("threads", "time.sleep(0)"),
)

WORKLOADS: dict[str, Workload] = {w.runtime: w for w in (ASYNCIO, GEVENT, GREENLET, THREADS)}
"""Every workload, by the runtime it runs on, in the order the benchmarks report them."""


def write_scenarios() -> list[Path]:
    """(Re)write the kept scenario files at their full sizes."""
    SCENARIOS.mkdir(exist_ok=True)
    written = []
    for w in WORKLOADS.values():
        w.scenario_path.write_text(w.scenario_text(w.full), encoding="utf-8")
        written.append(w.scenario_path)
    return written


if __name__ == "__main__":
    for path in write_scenarios():
        print(path.relative_to(HERE.parent))
    sys.exit(0)
