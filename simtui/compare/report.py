"""A comparison's results as people read them (a table, then sentences) and as JSON.

Both are made from the same data: one row per run with its figures, the sentences of
`simtui.compare.wording`, and whether every run ended as the comparison expects. Text cells
are escaped with `simtui.safe.printable` before their width is measured, so a control
character in a task name can neither act on the terminal nor break the columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from simtui.compare.comparison import Comparison
from simtui.compare.metrics import output_difference, outputs_comparable
from simtui.compare.runner import RunResult
from simtui.compare.wording import Run, sentences
from simtui.safe import printable

FINISHED_WIDTH = 30
"""Characters of the finish order shown in the table (the JSON has all of it)."""

_INSTANCE = re.compile(r"(.*)\[([0-9]+)\]\Z")


def as_expected(result: RunResult, comparison: Comparison) -> bool:
    """Whether the run ended with a status the comparison expects (`Comparison.expect`)."""
    return result.metrics.status in comparison.expect


def run_sentences(results: Sequence[RunResult]) -> list[str]:
    """The comparison's sentences as they are shown: each ending with a full stop."""
    return [s if s.endswith(".") else s + "."
            for s in sentences([Run(r.lane, r.metrics) for r in results])]


def compact_order(tasks: Sequence[str]) -> str:
    """`coco[0..9], main`: consecutive instances of one task written as a range."""
    out: list[str] = []
    run: tuple[str, int, int] | None = None

    def flush() -> None:
        if run is not None:
            name, a, b = run
            out.append(f"{name}[{a}]" if a == b else f"{name}[{a}..{b}]")

    for task in tasks:
        m = _INSTANCE.match(task)
        if m and run is not None and m.group(1) == run[0] and int(m.group(2)) == run[2] + 1:
            run = (run[0], run[1], run[2] + 1)
            continue
        flush()
        run = None
        if m:
            run = (m.group(1), int(m.group(2)), int(m.group(2)))
        else:
            out.append(task)
    flush()
    return ", ".join(out)


_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"))


def seconds_column(values: Sequence[float], top: float | None = None) -> list[str]:
    """Durations in one unit, chosen by the largest (or `top`), with the same decimals: a
    column of `3.01 s`, `1.00 s`, `0.00 s` reads down, where `3.01 s`, `1 s`, `0 s` would
    not."""
    top = max(values, default=0.0) if top is None else top
    scale, unit = next(((f, u) for f, u in _UNITS if top >= f), _UNITS[-1] if top else _UNITS[0])
    digits = len(str(int(top / scale))) if top else 1
    decimals = max(0, 3 - digits)
    return [f"{v / scale:,.{decimals}f} {unit}" for v in values]


def _t(seconds: float) -> float:
    """A time as the trace has it: 0.1 µs resolution, without the noise of adding floats."""
    return round(seconds, 7)


def rows(results: Sequence[RunResult]) -> list[dict[str, Any]]:
    """One dict per run: the JSON's `runs`, and what the table shows."""
    out = []
    for k, r in enumerate(results):
        m, lane = r.metrics, r.lane
        first = results[0]
        compared = k > 0 and outputs_comparable(
            first.metrics, m, first.lane.scenario.source == lane.scenario.source)
        out.append({
            "run": lane.label,
            "scenario": lane.scenario.name,
            "source": lane.scenario.source,
            "runtime": lane.runtime,
            "settings": dict(lane.settings),
            "options": lane.scenario.options_for(lane.runtime),
            "time_scale": lane.scenario.time_scale * lane.time_scale,
            "status": m.status,
            "elapsed": _t(m.elapsed),
            "switches": m.switches,
            "callbacks": m.callbacks,
            "preemptions": m.preemptions,
            "longest_queue": m.longest_queue,
            "blocked": _t(m.blocked),
            "waiting": _t(m.waiting),
            "overlap": round(m.overlap, 4),
            "finish_order": list(m.finish_order),
            "output_compared": compared,
            "output_differs_at": (output_difference(first.metrics.outputs, m.outputs)
                                  if compared else None),
            "stuck": [{"task": t, "waiting_on": w} for t, w in m.stuck],
            "message": m.message or r.problem,
            "steps": [{
                "task": g.definition, "index": g.index, "op": g.op, "line": g.line,
                "col": g.col, "count": g.count, "start": _t(g.start), "end": _t(g.end),
                "total": _t(g.total), "longest": _t(g.longest), "union": _t(g.union),
                "blocked": _t(g.blocked), "preemptions": g.preemptions,
            } for g in m.groups],
        })
    return out


def document(comparison: Comparison, results: Sequence[RunResult]) -> dict[str, Any]:
    """The JSON of a comparison: what was compared, every run, the sentences, the verdict."""
    runs = rows(results)
    for row, r in zip(runs, results, strict=True):
        row["expected"] = as_expected(r, comparison)
    return {
        "comparison": {
            "scenarios": [s.source for s in comparison.scenarios],
            "runtimes": list(comparison.all_runtimes()),
            "vary": {v.key: list(v.values) for v in comparison.variants},
            "time_scale": comparison.time_scale,
            "expect": sorted(comparison.expect),
        },
        "runs": runs,
        "sentences": run_sentences(results),
        "as_expected": all(as_expected(r, comparison) for r in results),
    }


def table(comparison: Comparison, results: Sequence[RunResult]) -> list[str]:
    """The table, the sentences under it, and the verdict: lines ready to print."""
    head = ["run", "status", "elapsed", "switches", "max queue", "blocked", "overlap",
            "finish order", "output"]
    body = []
    table_rows = rows(results)
    # Elapsed and blocked in one unit: a blocked time is a part of an elapsed one.
    top = max((r[k] for r in table_rows for k in ("elapsed", "blocked")), default=0.0)
    elapsed = seconds_column([r["elapsed"] for r in table_rows], top)
    blocked = seconds_column([r["blocked"] for r in table_rows], top)
    for k, row in enumerate(table_rows):
        differs = row["output_differs_at"]
        order = compact_order(row["finish_order"]) or "-"
        if len(order) > FINISHED_WIDTH:
            order = order[: FINISHED_WIDTH - 1] + "…"
        body.append([
            row["run"],
            str(row["status"] or "none"),
            elapsed[k],
            f"{row['switches']:,}",
            "-" if row["longest_queue"] is None else f"{row['longest_queue']:,}",
            blocked[k],
            f"{row['overlap']:.1f}×",
            order,
            "(first)" if k == 0 else "other lines" if not row["output_compared"]
            else "same" if differs is None else f"from line {differs}",
        ])
    cells = [[printable(c) for c in line] for line in (head, *body)]
    lines = [printable(title(comparison, results)), ""]
    widths = [max(len(line[j]) for line in cells) for j in range(len(head))]
    right = {2, 3, 4, 5, 6}  # figures line up on their last digit
    for line in cells:
        lines.append("  ".join(c.rjust(w) if j in right else c.ljust(w)
                               for j, (c, w) in enumerate(zip(line, widths, strict=True)))
                     .rstrip())
    said = run_sentences(results)
    if said:
        lines.append("")
        lines += [printable(s) for s in said]
    lines.append("")
    lines.append(printable(verdict(comparison, results)))
    return lines


def title(comparison: Comparison, results: Sequence[RunResult]) -> str:
    """What was compared: `gather10: 3 runs at time scale 0.1`."""
    scenarios = comparison.scenarios
    # Two files may share a scenario name: their paths tell them apart then.
    same = len({s.name for s in scenarios}) < len({s.source for s in scenarios})
    names = (" and ".join(s.source if same else s.name for s in scenarios)
             if len(scenarios) <= 3 else f"{len(scenarios)} scenarios")
    scales = sorted({r.lane.scenario.time_scale * r.lane.time_scale for r in results})
    if not scales:
        at = ""
    elif len(scales) == 1:
        at = f" at time scale {scales[0]:g}"
    else:
        at = f" at time scales {scales[0]:g} to {scales[-1]:g}"
    n = len(results)
    return f"{names}: {n} run{'s' if n != 1 else ''}{at}"


def verdict(comparison: Comparison, results: Sequence[RunResult]) -> str:
    """One line: whether every run ended as expected, and which did not."""
    expect = " or ".join(sorted(comparison.expect))
    wrong = [r for r in results if not as_expected(r, comparison)]
    n = len(results)
    if not wrong:
        runs = "The run" if n == 1 else "Both runs" if n == 2 else f"All {n} runs"
        return f"{runs} ended {expect}, as expected."
    which = "; ".join(f"{r.lane.label} ended {r.metrics.status or 'without an outcome'}"
                      + (f" ({r.metrics.message or r.problem})"
                         if r.metrics.message or r.problem else "")
                      for r in wrong)
    return f"{len(wrong)} of {n} runs did not end {expect} as expected: {which}."
