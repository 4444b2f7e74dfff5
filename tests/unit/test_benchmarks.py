"""The benchmark scripts run and print their figure lines; their workloads stay in step.

Smoke runs only (`--quick`: tiny workloads, one round): no figure is checked against a
target, since tests never assert on time. What they pin is that each script still drives
the real code paths (a real `simtui run`, the recorder adapter of every runtime, a real
worker stream) and says what it measured.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

from simtui.scenario.loader import load_scenario

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
RUNTIMES = ("asyncio", "gevent", "greenlet", "threads")
RATIO = r"\d+\.\d\d×"


def _workloads() -> ModuleType:
    """`benchmarks/workloads.py` (the benchmarks are scripts, not a package)."""
    name = "simtui_benchmark_workloads"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH / "workloads.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[name]


def _run(script: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(BENCH / script), *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return proc.stdout


def test_kept_scenarios_and_plain_programs_are_the_workloads_at_full_size() -> None:
    workloads = _workloads()
    assert sorted(workloads.WORKLOADS) == sorted(RUNTIMES)
    for w in workloads.WORKLOADS.values():
        kept = w.scenario_path.read_text(encoding="utf-8")
        assert kept == w.scenario_text(w.full), f"{w.scenario_path.name}: rerun workloads.py"
        scenario = load_scenario(str(w.scenario_path), runtime=w.runtime)
        assert scenario.runtime == w.runtime
        # Run alone, the plain program does the full size too.
        assert w.plain_module().workload.__defaults__ == w.full, w.plain_path


def test_whole_process_quick_prints_cpu_memory_and_trace_lines() -> None:
    # greenlet: its `end` line lists every greenlet left suspended, the longest last line.
    out = _run("whole_process.py", "--quick", "--runtime", "greenlet", "--runtime", "threads")
    assert out.startswith("machine: ")
    for rt in ("greenlet", "threads"):
        assert re.search(rf"P1a {rt} CPU, simtui run ÷ plain: {RATIO}", out), out
    assert len(re.findall(rf"peak memory, simtui run ÷ plain: {RATIO}", out)) == 2, out
    assert len(re.findall(r"trace written: [\d,]+ events, [\d.]+ B/event", out)) == 2, out


def test_recorder_quick_prints_p1b_and_p1c_for_every_runtime() -> None:
    out = _run("recorder.py", "--quick")
    for rt in RUNTIMES:
        assert re.search(rf"P1b {rt} recorder, recording on \(encoding included\) ÷ off: "
                         rf"{RATIO}", out), out
        assert re.search(rf"P1c {rt} interpreter, recording off ÷ plain program: {RATIO}",
                         out), out
    assert len(re.findall(r"trace: [\d,]+ events, [\d.]+ B/event", out)) == len(RUNTIMES)


def test_stream_quick_prints_the_end_to_end_rate_and_wire_size() -> None:
    out = _run("stream.py", "--quick", "--runtime", "asyncio")
    assert re.search(r"P6 asyncio stream end to end: [\d,]+ events/s", out), out
    assert re.search(r"wire: [\d.]+ B/event", out), out


def test_viztracer_side_runs_or_says_it_is_skipped() -> None:
    out = _run("viztracer_side.py", "--quick")
    if importlib.util.find_spec("viztracer") is None:
        assert "viztracer is not installed: skipped" in out
    else:
        assert re.search(rf"viztracer --log_async: CPU ÷ plain {RATIO}", out), out


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_quick_scenario_does_tasks_times_steps_of_its_op(runtime: str) -> None:
    # The scenario side of a workload has the size it claims: N tasks × K steps of the
    # op its plain program does (yield, or switch for the greenlet ring).
    workloads = _workloads()
    w = workloads.WORKLOADS[runtime]
    tasks, steps = w.quick
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{w.name}.yaml"
        path.write_text(w.scenario_text(w.quick), encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "simtui", "run", str(path), "--format", "jsonl"],
            capture_output=True, text=True, timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    op = "switch" if runtime == "greenlet" else "yield"
    lines = proc.stdout.splitlines()
    done = sum(1 for ln in lines if '"type":"step"' in ln and f'"op":"{op}"' in ln
               and '"task":"main"' not in ln)
    # The ring's greenlets each also switch back to main once when first started.
    assert done == tasks * steps + (tasks if runtime == "greenlet" else 0)


def test_compare_quick_prints_the_walls_and_the_ratio_to_one_run() -> None:
    out = _run("compare.py", "--quick")
    assert out.startswith("machine: ")
    for what in ("compare, 4 lanes ", "one run (asyncio) ", "compare, 4 lanes, -j 1 "):
        assert re.search(rf"{re.escape(what)}\s+wall \d+\.\d\d s", out), out
    assert re.search(rf"compare ÷ one run, 1 alternated rounds: {RATIO}", out), out
    assert re.search(r"beyond its longest run's elapsed: -?\d+\.\d\d s", out), out


def test_decode_prints_the_parents_rate_on_a_whole_stream() -> None:
    # The child writes the recorded trace and the parent decodes and replays all of it: a
    # stream cut short (or never started) would fail the script's own check.
    out = _run("decode.py", "--events", "20000", "--reps", "1")
    assert re.search(r"run 1: +[\d,]+ events/s; parent CPU [\d.]+ µs/event", out), out
    assert re.search(r"P6 decode: median [\d,]+ events/s decoded and replayed "
                     r"\(target ≥ 1,000,000\)", out), out


def test_tui_stream_quick_answers_keys_while_a_real_run_streams() -> None:
    # The real app and a real worker: keys go through the bindings while events arrive.
    out = _run("tui_stream.py", "--quick")
    assert re.search(r"keys every [\d.]+ s while it streams in: [1-9]\d* keys; "
                     r"the UI took in [\d,]+ events", out), out
    assert re.search(r"P10 key → repaint while 300 tasks stream in: median [\d.]+ ms, "
                     r"p95 [\d.]+, max [\d.]+", out), out
