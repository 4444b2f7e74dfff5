"""Recording overhead and trace size of every runtime (targets.md P1 and P2), in one table.

Usage: `python benchmarks/recording_overhead.py [ROUNDS] [RUNTIME...]`

Each runtime has its own module beside this script, `benchmarks/overhead_<runtime>.py`,
found by that name pattern. The protocol a module follows:

- `RUNTIME: str` — the runtime's name (`asyncio`, `greenlet`, `gevent`, `threads`);
- `TARGET: float` — its P1 target (instrumented ÷ uninstrumented);
- `measure(rounds: int) -> dict` — runs the instrumented and uninstrumented variants of
  the same workload interleaved in one process, `rounds` times, and returns at least
  `ratio` (median of the paired per-round ratios), `bytes_per_event` (of the JSONL the
  parent's `simtui.trace.export.JsonlWriter` writes) and `events_per_step` (events per `step`
  event).
  Optional keys this table shows when present: `workload`, `instrumented_s`, `plain_s`,
  `ratio_with_encoding`, `ratio_vs_raw_library`.

Every module runs in a subprocess of its own (this script with `--one FILE`), because
gevent's monkey patching and each runtime's global hooks must not leak into another's
measurement. The subprocess prints its dict as one JSON line after `RESULT `.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
P2_BYTES = 100.0
P2_EVENTS = 4.0
MARK = "RESULT "


def modules(only: list[str]) -> list[Path]:
    found = sorted(HERE.glob("overhead_*.py"))
    if only:
        found = [p for p in found if p.stem.removeprefix("overhead_") in only]
    return found


def measure_one(path: Path, rounds: int) -> dict[str, Any]:
    """Import one overhead module and run its `measure` (inside the subprocess)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = dict(module.measure(rounds))
    result.setdefault("runtime", module.RUNTIME)
    result.setdefault("target", module.TARGET)
    return result


def run_isolated(path: Path, rounds: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--one", str(path), "--rounds", str(rounds)],
        capture_output=True, text=True, timeout=1800, cwd=HERE.parent,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"runtime": path.stem.removeprefix("overhead_"), "failed": " | ".join(tail)}


def _num(value: Any, fmt: str) -> str:
    return format(value, fmt) if isinstance(value, (int, float)) else "-"


def table(results: list[dict[str, Any]], rounds: int) -> str:
    head = (f"{'runtime':<9} {'P1 ratio':>8} {'target':>6} {'met':>4} {'+encode':>8} "
            f"{'vs raw':>7} {'inst s':>7} {'plain s':>7} {'B/event':>8} {'ev/step':>7}  workload")
    lines = [f"recording overhead: median of {rounds} paired rounds; P2 targets "
             f"≤ {P2_BYTES:g} B/event, ≤ {P2_EVENTS:g} events/step", head, "-" * len(head)]
    for r in results:
        if "failed" in r:
            lines.append(f"{r['runtime']:<9} failed: {r['failed']}")
            continue
        met = "yes" if r["ratio"] <= r["target"] else "no"
        p2 = r["bytes_per_event"] <= P2_BYTES and r["events_per_step"] <= P2_EVENTS
        lines.append(
            f"{r['runtime']:<9} {r['ratio']:>7.2f}× {r['target']:>5.2f}× {met:>4} "
            f"{_num(r.get('ratio_with_encoding'), '>7.2f')}× "
            f"{_num(r.get('ratio_vs_raw_library'), '>6.2f')}× "
            f"{_num(r.get('instrumented_s'), '>7.3f')} {_num(r.get('plain_s'), '>7.3f')} "
            f"{r['bytes_per_event']:>8.1f} {r['events_per_step']:>7.2f}  "
            f"{r.get('workload', '')}{'' if p2 else '  (P2 missed)'}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        rounds = int(argv[3]) if argv[2:3] == ["--rounds"] else 5
        print(MARK + json.dumps(measure_one(Path(argv[1]), rounds)), flush=True)
        return 0
    rounds = int(argv[0]) if argv and argv[0].isdigit() else 5
    only = [a for a in argv if not a.isdigit()]
    found = modules(only)
    if not found:
        print("no benchmarks/overhead_*.py module found", file=sys.stderr)
        return 1
    results = []
    for path in found:
        print(f"measuring {path.name} ...", file=sys.stderr, flush=True)
        results.append(run_isolated(path, rounds))
    print(table(results, rounds))
    return 0 if all("failed" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
