"""P1b and P1c: what recording costs in-process, and what simtui's interpreter costs.

Usage: python benchmarks/recorder.py [--runtime R]... [--rounds N] [--quick]

For each runtime, in a process of its own (gevent's hub, greenlet's tracer and a thread
runtime's switch interval must not carry over into another's figures), three variants of
the same workload (`workloads.py`, the `recorder` size) run interleaved, N rounds after
one untimed warm-up of each:

- recording on: the scenario run as the worker runs it, every event recorded and
  encoded to the final JSONL bytes by the worker's flusher thread (`_recorder.record`);
- recording off: the same interpreter recording nothing (`_recorder.run_unrecorded`);
- plain: the plain program of `benchmarks/plain/` called in-process.

Nothing is monkey-patched here (gevent's default in a real run): the three gevent
variants run unpatched alike, and `gevent.sleep(0)` takes the same path either way.

Each is timed on this process's CPU clock (every thread: the flusher and a thread
runtime's threads count), the cyclic GC enabled for all three as users run, with an
untimed collection before each. Reported: P1b = on ÷ off and P1c = off ÷ plain, as the
median and min–max of the per-round ratios; on ÷ plain; the share of the recorded run's
CPU spent encoding and writing (the flusher's `flush`); and the trace's bytes per event
and events per task step.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _paired import Cpu, alternate, print_machine, ratios, stderr, summarize  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

MARK = "RESULT "


def measure_one(runtime: str, rounds: int, quick: bool) -> dict[str, Any]:
    """Inside the runtime's own process: the interleaved rounds."""
    import _recorder
    from _paired import timed

    w = WORKLOADS[runtime]
    size = w.recorder_quick if quick else w.recorder
    scenario = _recorder.load(runtime, w.scenario_text(size))
    plain = w.plain_module().workload
    recordings: list[_recorder.Recording] = []

    def on() -> Cpu:
        _recorder.reset(runtime)
        got = timed(lambda: _recorder.record(runtime, scenario))
        recording = got.result
        assert recording.outcome is not None and recording.outcome.status == "ok", runtime
        recordings.append(recording)
        return got

    def off() -> Cpu:
        _recorder.reset(runtime)
        got = timed(lambda: _recorder.run_unrecorded(runtime, scenario))
        assert got.result.status == "ok", got.result
        return got

    def bare() -> Cpu:
        _recorder.reset(runtime)
        return timed(lambda: plain(*size))

    got = alternate(rounds, {"on": on, "off": off, "plain": bare}, warmup=True)
    cpu = {name: [c.cpu for c in runs] for name, runs in got.items()}
    last = recordings[-1]
    steps = last.count(b'"type":"step"')
    flush_share = [r.flush_cpu / c.cpu for r, c in zip(recordings[1:], got["on"], strict=True)]
    return {
        "runtime": runtime,
        "workload": w.describe(size),
        "rounds": rounds,
        "p1b": summarize(ratios(cpu["on"], cpu["off"])),
        "p1c": summarize(ratios(cpu["off"], cpu["plain"])),
        "on_plain": summarize(ratios(cpu["on"], cpu["plain"])),
        "on_s": summarize(cpu["on"]),
        "off_s": summarize(cpu["off"]),
        "plain_s": summarize(cpu["plain"]),
        "flush_share": summarize(flush_share),
        "events": last.events,
        "bytes_per_event": (last.nbytes - len(last.chunks[0])) / last.events,
        "events_per_step": last.events / max(1, steps),
        "us_per_step_recording": (summarize(cpu["on"]).median - summarize(cpu["off"]).median)
        / max(1, steps) * 1e6,
    }


def _encode(result: dict[str, Any]) -> str:
    return json.dumps({k: (v.__dict__ if hasattr(v, "__dict__") else _fields(v))
                       for k, v in result.items()})


def _fields(value: Any) -> Any:
    slots = getattr(value, "__slots__", None)
    if slots:
        return {"__summary__": True, **{s: getattr(value, s) for s in slots}}
    return value


def _decode(text: str) -> dict[str, Any]:
    from _paired import Summary

    raw = json.loads(text)
    return {k: Summary(v["median"], v["lo"], v["hi"], v["n"])
            if isinstance(v, dict) and v.get("__summary__") else v for k, v in raw.items()}


def run_isolated(runtime: str, rounds: int, quick: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", runtime, "--rounds", str(rounds)]
    if quick:
        cmd.append("--quick")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return _decode(line[len(MARK):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
    raise SystemExit(f"{runtime}: the measuring process failed:\n" + "\n".join(tail))


def report(r: dict[str, Any]) -> None:
    rt = r["runtime"]
    print(f"{rt}: {r['workload']}; {r['rounds']} rounds, interleaved in one process, GC on")
    print(f"  P1b {rt} recorder, recording on (encoding included) ÷ off: {r['p1b'].show(unit='×')}"
          f"   [on {r['on_s'].show('.3f', ' s')}, off {r['off_s'].show('.3f', ' s')} CPU]")
    print(f"  P1c {rt} interpreter, recording off ÷ plain program: {r['p1c'].show(unit='×')}"
          f"   [plain {r['plain_s'].show('.3f', ' s')} CPU]")
    print(f"  recording on ÷ plain program: {r['on_plain'].show(unit='×')}; "
          f"recording adds {r['us_per_step_recording']:.2f} µs per task step")
    print(f"  encoding and writing (the flusher) took {r['flush_share'].median:.0%} of the "
          f"recorded run's CPU")
    print(f"  trace: {r['events']:,} events, {r['bytes_per_event']:.1f} B/event, "
          f"{r['events_per_step']:.2f} events/step")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--runtime", action="append", choices=list(WORKLOADS),
                   help="only this runtime (repeat for more); default: all")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--quick", action="store_true", help="tiny workloads, one round: a smoke run")
    p.add_argument("--one", choices=list(WORKLOADS), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    rounds = 1 if a.quick else max(1, a.rounds)
    if a.one:
        print(MARK + _encode(measure_one(a.one, rounds, a.quick)), flush=True)
        return 0
    print_machine()
    for runtime in a.runtime or list(WORKLOADS):
        stderr(f"measuring {runtime} ...")
        report(run_isolated(runtime, rounds, a.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
