"""VizTracer beside simtui on the asyncio workload, whole process (context, not a target).

Usage: python benchmarks/viztracer_side.py [--rounds N] [--quick]

Runs only where `import viztracer` works; it is never a dependency of simtui (install it
yourself to compare: `pip install viztracer`). Three commands alternate, N rounds, each
measured with `wait4` as in `whole_process.py`: the plain asyncio program, `simtui run`
of the same workload to a JSONL file, and the plain program under `viztracer
--log_async` (its trace of every Python call plus asyncio task tracks) with a buffer big
enough to hold the whole run, since its default one silently drops the oldest entries.
The workload is the recorder's size (1,000 tasks × 100 yields): at the whole-process size
VizTracer would need tens of gigabytes. Reported: CPU and peak memory of each ÷ the plain
program, and what each wrote (entries, bytes).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _paired import ProcessCost, alternate, print_machine, ratios, run_process, stderr, summarize  # noqa: E402,I001
from workloads import ASYNCIO  # noqa: E402

ENTRIES = 10_000_000
"""VizTracer's buffer: ~18 entries per task step, so 1,000 × 100 steps fit with room."""


def _count(path: Path, pattern: bytes) -> int:
    """Occurrences of `pattern` in a file, read a MiB at a time."""
    n = 0
    keep = len(pattern) - 1
    carry = b""
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            data = carry + chunk
            n += data.count(pattern)
            carry = data[len(data) - keep:] if keep else b""
            n -= carry.count(pattern)  # counted already, and again with the next chunk
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="a tiny workload, one round")
    a = p.parse_args(argv)
    if importlib.util.find_spec("viztracer") is None:
        print("viztracer is not installed: skipped (pip install viztracer to compare)")
        return 0
    rounds = 1 if a.quick else max(1, a.rounds)
    size = ASYNCIO.recorder_quick if a.quick else ASYNCIO.recorder
    print_machine()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="simtui-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        scenario = tmp / "asyncio_yields.yaml"
        scenario.write_text(ASYNCIO.scenario_text(size), encoding="utf-8")
        jsonl, viz = tmp / "trace.jsonl", tmp / "viz.json"
        plain_cmd = [py, str(ASYNCIO.plain_path), *map(str, size)]
        simtui_cmd = [py, "-m", "simtui", "run", str(scenario), "-o", str(jsonl),
                      "--format", "jsonl"]
        viz_cmd = [py, "-m", "viztracer", "--log_async", "--tracer_entries", str(ENTRIES),
                   "--quiet", "-o", str(viz), *plain_cmd[1:]]
        written: dict[str, tuple[int, int]] = {}

        def run(name: str, cmd: list[str], out: Path | None, pattern: bytes) -> ProcessCost:
            cost = run_process(cmd)
            if cost.returncode != 0:
                raise SystemExit(f"{name} exited {cost.returncode}")
            if out is not None:
                # simtui: events are the lines after the header; VizTracer: its entries.
                entries = _count(out, pattern) - (pattern == b"\n")
                written[name] = (entries, out.stat().st_size)
                out.unlink()
            stderr(f"  {name}: {cost.cpu:.2f} s CPU, {cost.maxrss_kb / 1024:.0f} MiB")
            return cost

        got = alternate(rounds, {
            "plain": lambda: run("plain", plain_cmd, None, b""),
            "simtui": lambda: run("simtui", simtui_cmd, jsonl, b"\n"),
            "viztracer": lambda: run("viztracer", viz_cmd, viz, b'"ph":'),
        })
    base = got["plain"]
    print(f"asyncio: {ASYNCIO.describe(size)}; {rounds} rounds, alternated, whole processes")
    print(f"  plain program: {summarize([c.cpu for c in base]).show('.2f', ' s')} CPU, "
          f"{summarize([c.maxrss_kb / 1024 for c in base]).show('.0f', ' MiB')}")
    for name in ("simtui", "viztracer"):
        runs = got[name]
        cpu = summarize(ratios([c.cpu for c in runs], [c.cpu for c in base]))
        rss = summarize(ratios([c.maxrss_kb for c in runs], [c.maxrss_kb for c in base]))
        entries, nbytes = written[name]
        label = "simtui run" if name == "simtui" else "viztracer --log_async"
        print(f"  {label}: CPU ÷ plain {cpu.show(unit='×')}, peak memory ÷ plain "
              f"{rss.show(unit='×')} ({summarize([c.maxrss_kb / 1024 for c in runs]).median:.0f}"
              f" MiB); wrote {entries:,} entries, {nbytes / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
