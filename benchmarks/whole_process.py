"""P1a: what the user pays, whole process: `simtui run SCENARIO -o FILE` ÷ the plain program.

Usage: python benchmarks/whole_process.py [--runtime R]... [--rounds N] [--quick]

For each runtime, `python -m simtui run benchmarks/scenarios/W.yaml -o FILE --format
jsonl` (the parent and its worker process) and `python benchmarks/plain/W.py` (the same
workload with no simtui code, see `workloads.py`) run alternately, N rounds after one
untimed warm-up of each at the quick size. Each process is measured with `wait4`: CPU is
user + system time of the process and the children it reaped (for simtui: the parent
and the worker), peak memory the largest resident set of any one of them. Reported per
runtime: the median and min–max of the per-round CPU ratios and of the peak-memory
ratios, wall time as context, and the trace the run wrote: events, bytes per event and
events per task step (`step` events). Every simtui run must end `ok` with exit 0.
`--quick` runs tiny workloads once: a smoke run of the script, not a figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _paired import (  # noqa: E402
    ProcessCost,
    Summary,
    alternate,
    print_machine,
    ratios,
    run_process,
    stderr,
    summarize,
)
from workloads import WORKLOADS, Workload  # noqa: E402

PLAIN_CPU_FLOOR = 2.0
"""Seconds of CPU the plain program should take at full size (start-up a small part)."""


@dataclass(frozen=True, slots=True)
class TraceFile:
    events: int
    nbytes: int
    steps: int
    status: str


def read_trace_file(path: Path) -> TraceFile:
    """Count the events (lines after the header) and `step` events of a JSONL trace
    without parsing it, and read the status of its last line (`end`)."""
    pattern = b'"type":"step"'
    lines = steps = 0
    carry = b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
            data = carry + chunk
            steps += data.count(pattern)
            carry = data[-(len(pattern) - 1):]
            # A match wholly inside the carried tail was counted already.
            steps -= carry.count(pattern)
        size = f.tell()
        back = 4096
        while True:  # the last line can be long: `end` lists the tasks left waiting
            f.seek(max(0, size - back))
            tail = f.read().rstrip(b"\n")
            if b"\n" in tail or back >= size:
                break
            back *= 4
    last = json.loads(tail.rsplit(b"\n", 1)[-1])
    status = last.get("status", "?") if last.get("type") == "end" else "no end"
    return TraceFile(lines - 1, size, steps, status)


@dataclass(frozen=True, slots=True)
class Result:
    workload: str
    rounds: int
    cpu_ratio: Summary
    rss_ratio: Summary
    wall_ratio: Summary
    simtui_cpu: Summary
    plain_cpu: Summary
    simtui_rss: Summary
    plain_rss: Summary
    trace: TraceFile


def measure(w: Workload, rounds: int, quick: bool, tmp: Path) -> Result:
    size = w.quick if quick else w.full
    scenario = w.scenario_path
    if quick:
        scenario = tmp / f"{w.name}.yaml"
        scenario.write_text(w.scenario_text(size), encoding="utf-8")
    small = tmp / f"{w.name}_warm.yaml"
    small.write_text(w.scenario_text(w.quick), encoding="utf-8")
    out = tmp / "trace.jsonl"
    py = sys.executable

    def simtui_cmd(path: Path) -> list[str]:
        return [py, "-m", "simtui", "run", str(path), "-o", str(out), "--format", "jsonl"]

    def plain_cmd(tasks: int, steps: int) -> list[str]:
        return [py, str(w.plain_path), str(tasks), str(steps)]

    traces: list[TraceFile] = []

    def simtui() -> ProcessCost:
        cost = run_process(simtui_cmd(scenario))
        trace = read_trace_file(out)
        out.unlink()
        if cost.returncode != 0 or trace.status != "ok":
            raise SystemExit(f"{w.runtime}: simtui run ended {trace.status!r} "
                             f"with exit {cost.returncode}")
        traces.append(trace)
        stderr(f"  {w.runtime}: simtui run {cost.cpu:7.2f} s CPU, "
               f"{cost.maxrss_kb / 1024:6.1f} MiB")
        return cost

    def plain() -> ProcessCost:
        cost = run_process(plain_cmd(*size))
        if cost.returncode != 0:
            raise SystemExit(f"{w.runtime}: the plain program exited {cost.returncode}")
        stderr(f"  {w.runtime}: plain      {cost.cpu:7.2f} s CPU, "
               f"{cost.maxrss_kb / 1024:6.1f} MiB")
        return cost

    # Warm-up at the quick size: file cache and bytecode, not the figure.
    run_process(simtui_cmd(small))
    out.unlink(missing_ok=True)
    run_process(plain_cmd(*w.quick))
    got = alternate(rounds, {"simtui": simtui, "plain": plain})
    s, p = got["simtui"], got["plain"]
    cpu = ([c.cpu for c in s], [c.cpu for c in p])
    rss = ([c.maxrss_kb / 1024 for c in s], [c.maxrss_kb / 1024 for c in p])
    return Result(
        workload=w.describe(size),
        rounds=rounds,
        cpu_ratio=summarize(ratios(*cpu)),
        rss_ratio=summarize(ratios(*rss)),
        wall_ratio=summarize(ratios([c.wall for c in s], [c.wall for c in p])),
        simtui_cpu=summarize(cpu[0]),
        plain_cpu=summarize(cpu[1]),
        simtui_rss=summarize(rss[0]),
        plain_rss=summarize(rss[1]),
        trace=traces[-1],
    )


def report(runtime: str, r: Result, quick: bool) -> None:
    t = r.trace
    print(f"{runtime}: {r.workload}; {r.rounds} rounds, alternated")
    print(f"  P1a {runtime} CPU, simtui run ÷ plain: {r.cpu_ratio.show(unit='×')}   "
          f"[simtui {r.simtui_cpu.show('.2f', ' s')}, plain {r.plain_cpu.show('.2f', ' s')}]")
    print(f"  peak memory, simtui run ÷ plain: {r.rss_ratio.show(unit='×')}   "
          f"[simtui {r.simtui_rss.show('.0f', ' MiB')}, plain {r.plain_rss.show('.0f', ' MiB')};"
          " the largest single process]")
    print(f"  wall, simtui run ÷ plain (context): {r.wall_ratio.show(unit='×')}")
    print(f"  trace written: {t.events:,} events, {t.nbytes / t.events:.1f} B/event, "
          f"{t.events / max(1, t.steps):.2f} events/step")
    if not quick and r.plain_cpu.median < PLAIN_CPU_FLOOR:
        print(f"  note: the plain program took less than {PLAIN_CPU_FLOOR:g} s of CPU "
              "(workloads.py says why)")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--runtime", action="append", choices=list(WORKLOADS),
                   help="only this runtime (repeat for more); default: all")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="tiny workloads, one round: a smoke run")
    a = p.parse_args(argv)
    rounds = 1 if a.quick else max(1, a.rounds)
    print_machine()
    for runtime in a.runtime or list(WORKLOADS):
        stderr(f"measuring {runtime} ...")
        with tempfile.TemporaryDirectory(prefix="simtui-bench-") as tmp:
            r = measure(WORKLOADS[runtime], rounds, a.quick, Path(tmp))
        report(runtime, r, a.quick)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
