"""The sentences under a comparison's table: one per notable difference, in the teaching voice.

Each sentence answers the reader's question — which runtime, and why does it behave
differently? — from the figures of the runs (`simtui.compare.metrics`), in the runtimes'
own words (`simtui.runtimespec`: what the scheduler and a task are called, whether the
runtime preempts, how its ready queue is ordered) and with durations as people write them
(`simtui.durations.format`). A run is named only by what tells it apart from the others
("on threads", "with monkey_patch=false", "in gather10_blocking").

What makes a difference notable, in the order the sentences come:

1. the runs ended differently (`ok`, `deadlock`, …);
2. a timed step (`sleep`, `cpu`, `block`, `io`) ran differently: its executions overlapped
   in one run and not in another, blocked the scheduler in one and took turns under the GIL
   in another, or took `NOTABLE_RATIO` times as long in all;
3. the runs took notably different times, where no step explains it already;
4. the runtimes switched a different number of times (the scheduler's own callbacks and
   the GIL's preemptions say why);
5. the ready queue grew to notably different lengths;
6. the tasks finished, or printed, in another order than in the first run.

Sentences hold untrusted text (task names, printed lines): whoever prints them escapes it
(`simtui.safe.printable`), as for everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simtui import durations, runtimespec
from simtui.compare.comparison import Lane, setting_label
from simtui.compare.metrics import Metrics, StepGroup, outputs_comparable
from simtui.scenario.model import Scenario, Step, flat

NOTABLE_RATIO = 1.5
"""How many times larger one figure must be than another for the difference to be told."""
OVERLAP = 1.5
"""A step's executions overlapped when, on average, this many ran at once (`concurrency`)."""
BLOCKED_SHARE = 0.5
"""A step blocked the scheduler when `block` events cover this share of its time."""
ELAPSED_FLOOR = 0.01
"""Runs whose times differ by less than this (seconds) took the same time: start-up noise."""
TEXT_CLIP = 40
"""Printed lines quoted in a sentence are cut to this many characters."""

_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve")
_MEANING = {"block": "`time.sleep`"}
"""What a scenario op is in Python, where its name does not say (`block` is the standard
library's blocking sleep on every runtime)."""
_ARGUMENT = re.compile(r"""\s*:\s*("[^"]*"|'[^']*'|[^\s#,}\]]+(?:\s*[A-Za-zµμ]+)?)""")


@dataclass(frozen=True, slots=True)
class Run:
    """What the wording needs of one run: its lane (scenario, runtime, variant) and figures."""

    lane: Lane
    metrics: Metrics


def sentences(runs: Sequence[Run]) -> list[str]:
    """Every notable difference between the runs, one sentence each (none for one run)."""
    if len(runs) < 2:
        return []
    who = _Who(runs)
    out: list[str] = []
    out += _statuses(runs, who)
    usable = [r for r in runs if r.metrics.status not in (None, "killed")]
    steps = _steps(usable, who)
    out += steps
    if not steps:
        out += _elapsed(usable, who)
    out += _switches(usable, who)
    out += _queues(usable, who)
    if runs[0] in usable:  # the orders of a run cut short say nothing
        out += _orders(runs[0], usable, who)
    return [s[:1].upper() + s[1:] for s in out]


# -- naming the runs -----------------------------------------------------------------------------


class _Who:
    """How a sentence names a run: by what differs among the runs compared."""

    def __init__(self, runs: Sequence[Run]) -> None:
        lanes = [r.lane for r in runs]
        sources = {la.scenario.source for la in lanes}
        self.by_scenario = len(sources) > 1
        # Two files may share a scenario name: their paths tell them apart then.
        self.by_path = len({la.scenario_name for la in lanes}) < len(sources)
        self.by_runtime = len({la.runtime for la in lanes}) > 1
        keys = dict.fromkeys(k for la in lanes for k in la.settings)  # in the variants' order
        self.keys = [k for k in keys if len({la.settings.get(k) for la in lanes}) > 1]

    def parts(self, lane: Lane) -> list[tuple[str, str]]:
        out = []
        if self.by_scenario:
            out.append(("in", lane.scenario.source if self.by_path else lane.scenario_name))
        if self.by_runtime:
            out.append(("on", lane.runtime))
        for key in self.keys:
            if key in lane.settings:
                out.append(("with", setting_label(lane, key)))
        return out

    def __call__(self, *lanes: Lane) -> str:
        """`on asyncio`, `on asyncio and gevent`, `on gevent with monkey_patch=false`."""
        named = [self.parts(la) for la in lanes]
        if not any(named):
            return "in every run" if len(lanes) > 1 else "in this run"
        if all(len(p) == 1 for p in named) and len({p[0][0] for p in named}) == 1:
            word = named[0][0][0]
            return f"{word} {_and([p[0][1] for p in named])}"
        return _and([_phrase(p) if p else "in the others" for p in named])


def _phrase(parts: list[tuple[str, str]]) -> str:
    """`on gevent with monkey_patch=false and time_scale=0.1`: one word per kind of part."""
    out: list[tuple[str, list[str]]] = []
    for word, what in parts:
        if out and out[-1][0] == word:
            out[-1][1].append(what)
        else:
            out.append((word, [what]))
    return " ".join(f"{word} {_and(whats)}" for word, whats in out)


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _count(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else f"{n:,}"


def _d(seconds: float) -> str:
    """`3.1 s`, `30 s`, `210 ms`: two significant digits, in the unit a person would use."""
    if seconds >= 100:
        return f"{seconds:,.0f} s"
    # Rounded here rather than by `format`'s digits, which would write 100 ms as `1e+02 ms`.
    return durations.format(float(f"{seconds:.2g}"))


def _spec(lane: Lane) -> runtimespec.RuntimeSpec:
    return runtimespec.get(lane.runtime)


def _holder(lane: Lane) -> str:
    """What a blocking call holds on this runtime: its scheduler, or the only thread."""
    spec = _spec(lane)
    return "the only thread" if spec.queue == "none" else spec.scheduler


# -- 1. how the runs ended ---------------------------------------------------------------------


_ENDED = {
    "ok": "ended ok", "deadlock": "deadlocked", "timeout": "ran into its timeout",
    "error": "ended with an error", "limit": "ran into the event limit",
    "killed": "was killed",
}


def _ending(run: Run) -> str:
    m = run.metrics
    text = _ENDED.get(m.status or "", "ended without an outcome")
    if m.stuck:
        waits = [f"{task} on {what}" for task, what in m.stuck[:3]]
        more = f" and {len(m.stuck) - 3} more" if len(m.stuck) > 3 else ""
        left = "stuck" if m.status == "deadlock" else "left waiting"
        text += f" ({left}: {', '.join(waits)}{more})"
    elif m.status == "killed" and m.message:
        text += f" ({m.message})"
    return text


def _statuses(runs: Sequence[Run], who: _Who) -> list[str]:
    statuses = {r.metrics.status for r in runs}
    if len(statuses) < 2:
        return []
    groups = _grouped(runs, _ending)
    return ["; ".join(f"{who(*(r.lane for r in rs))} the run {ending}"
                      for ending, rs in groups)]


def _grouped(runs: Sequence[Run], key: Callable[[Run], str]) -> list[tuple[str, list[Run]]]:
    out: dict[str, list[Run]] = {}
    for r in runs:
        out.setdefault(key(r), []).append(r)
    return list(out.items())


# -- 2. how the timed steps ran ------------------------------------------------------------------


def manner(group: StepGroup, lane: Lane) -> str:
    """How one step's executions shared the time in a run: `blocked` (each held the
    scheduler), `turns` (preempted, one running at a time), `overlapped`, `sequential`
    (one after another for another reason), or `alone` (a single execution that did not
    block)."""
    if group.union > 0 and group.blocked >= BLOCKED_SHARE * group.union:
        return "blocked"
    if _spec(lane).preemptive and group.preemptions >= group.count:
        return "turns"
    if group.count < 2:
        return "alone"
    return "overlapped" if group.concurrency >= OVERLAP else "sequential"


def _step_of(scenario: Scenario, group: StepGroup) -> Step | None:
    for task in scenario.tasks.values():
        for step in flat(task.steps):
            if step.line == group.line and step.col == group.col:
                return step
    return None


def step_text(scenario: Scenario, group: StepGroup) -> str:
    """The step as the scenario writes it: `` `sleep: 3` ``, `` `block: "1.5 s"` ``."""
    step = _step_of(scenario, group)
    lines = scenario.text.splitlines()
    if step is not None and 0 < step.line <= len(lines):
        rest = lines[step.line - 1][step.col - 1:]
        m = _ARGUMENT.match(rest, len(step.op)) if rest.startswith(step.op) else None
        if m is not None:
            written = m.group(1)
            try:
                if durations.parse(written.strip("\"'")) == step.seconds:
                    return f"`{step.op}: {written}`"
            except durations.DurationError:
                pass
        return f"`{step.op}: {durations.format(step.seconds)}`"
    return f"`{group.op}`"


def _subject(run: Run, group: StepGroup, explain: bool) -> str:
    n = group.count
    text = step_text(run.lane.scenario, group)
    meaning = f" ({_MEANING[group.op]})" if explain and group.op in _MEANING else ""
    if n == 1:
        return f"the {text} step{meaning}"
    return f"the {_count(n)} {text} steps{meaning}"


def _clause(lanes: Sequence[Lane], group: StepGroup, how: str, subject: str,
            span: str) -> str:
    """What `subject` (the steps) did in `lanes`, `span` saying how long they took in all."""
    lane = lanes[0]
    if how == "blocked":
        if group.count == 1:
            return f"{subject} blocked {_holder(lane)} ({span})"
        return f"{subject} blocked {_holder(lane)}, one after another ({span})"
    if how == "turns":
        return (f"{subject} took turns, one running at a time ({span}, "
                f"preempted {group.preemptions:,} times)")
    if how == "overlapped":
        return f"{subject} overlapped ({span}, {_d(group.total)} one after another)"
    if how == "sequential":
        return f"{subject} ran one after another ({span})"
    nouns = {_spec(la).task_noun for la in lanes}
    others = f"{nouns.pop()}s" if len(nouns) == 1 else "tasks"
    return f"{subject} did not hold up the other {others} ({span})"


def _steps(runs: Sequence[Run], who: _Who) -> list[str]:
    """A sentence for each timed step that ran differently in some run."""
    matched: dict[tuple[str, int, int], list[tuple[Run, StepGroup]]] = {}
    for r in runs:
        seen: dict[tuple[str, int], int] = {}
        for g in r.metrics.groups:
            k = seen[g.definition, g.index] = seen.get((g.definition, g.index), -1) + 1
            matched.setdefault((g.definition, g.index, k), []).append((r, g))
    out = []
    for pairs in matched.values():
        if len(pairs) < 2:
            continue
        hows = [manner(g, r.lane) for r, g in pairs]
        spans = [g.span for _, g in pairs]
        if len(set(hows)) == 1 and not _notable(spans):
            continue
        out.append(_step_sentence(pairs, hows, who))
    return out


def _step_sentence(pairs: list[tuple[Run, StepGroup]], hows: list[str], who: _Who) -> str:
    # Runs that did the same thing with the same step share a clause.
    clauses: dict[tuple[str, str, str], list[tuple[Run, StepGroup]]] = {}
    for (r, g), how in zip(pairs, hows, strict=True):
        key = (how, step_text(r.lane.scenario, g), _holder(r.lane) if how == "blocked" else "")
        clauses.setdefault(key, []).append((r, g))
    parts = []
    said: str | None = None
    explained = False
    for (how, text, _), members in clauses.items():
        r, g = max(members, key=lambda m: m[1].span)
        if text == said:
            subject = "it" if g.count == 1 else "they"
        else:
            subject = _subject(r, g, explain=not explained)
            explained = explained or g.op in _MEANING
        said = text
        clause = _clause([m.lane for m, _ in members], g, how, subject, _in_all(members, who))
        parts.append(f"{who(*(m.lane for m, _ in members))}, {clause}")
    return "; ".join(parts)


def _in_all(members: list[tuple[Run, StepGroup]], who: _Who) -> str:
    """`3 s in all`, or each run's time when the runs sharing a clause differ notably."""
    spans = [g.span for _, g in members]
    in_all = "" if all(g.count == 1 for _, g in members) else " in all"
    if len(members) == 1 or not _notable(spans):
        return f"{_d(max(spans))}{in_all}"
    each = _and([f"{_d(g.span)} {who(r.lane)}" for r, g in members])
    return f"in all {each}" if in_all else each


def _notable(values: Sequence[float]) -> bool:
    low, high = min(values), max(values)
    return high > 0 and (low <= 0 or high / low >= NOTABLE_RATIO)


# -- 3. elapsed ---------------------------------------------------------------------------------


def _elapsed(runs: Sequence[Run], who: _Who) -> list[str]:
    times = [r.metrics.elapsed for r in runs]
    if len(runs) < 2 or not _notable(times) or max(times) - min(times) < ELAPSED_FLOOR:
        return []
    ordered = sorted(runs, key=lambda r: r.metrics.elapsed)
    return ["the run took " + ", ".join(f"{_d(r.metrics.elapsed)} {who(r.lane)}"
                                        for r in ordered)]


# -- 4. switches --------------------------------------------------------------------------------


def _switches(runs: Sequence[Run], who: _Who) -> list[str]:
    counts = [r.metrics.switches for r in runs]
    if len(runs) < 2 or max(counts) - min(counts) < max(3, 0.1 * max(counts)):
        return []
    items: list[str] = []
    for r in runs:
        m = r.metrics
        why = []
        if m.callbacks:
            why.append(f"{m.callbacks:,} of them {_spec(r.lane).scheduler} running its own "
                       "callbacks")
        if m.preemptions:
            why.append(f"{m.preemptions:,} of them preemptions")
        noun = " switches" if not items else ""
        items.append(f"{m.switches:,}{noun} {who(r.lane)}"
                     + (f" ({'; '.join(why)})" if why else ""))
    return ["there were " + _and(items)]


# -- 5. the ready queue --------------------------------------------------------------------------


def _queues(runs: Sequence[Run], who: _Who) -> list[str]:
    sizes = [r.metrics.longest_queue for r in runs]
    known = [float(s) for s in sizes if s is not None]
    spread = bool(known) and max(known) - min(known) >= 3 and _notable(known)
    if not (spread or (known and None in sizes)):
        return []
    parts = []
    for size, rs in _grouped(runs, lambda r: str(r.metrics.longest_queue)):
        lanes = [r.lane for r in rs]
        entries = "entry" if size == "1" else "entries"
        parts.append(f"{who(*lanes)} there is none" if size == "None"
                     else f"up to {size} {entries} {who(*lanes)}")
    return ["the ready queue held " + _and(parts)]


# -- 6. orders ----------------------------------------------------------------------------------


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_CLIP else text[: TEXT_CLIP - 1] + "…"


def _orders(first: Run, runs: Sequence[Run], who: _Who) -> list[str]:
    """Where the finish order and the output leave the first run's; runs that leave it in
    the same way share a sentence."""
    base = first.metrics
    finished: dict[str, list[Run]] = {}
    printed: dict[tuple[int, str | None], list[Run]] = {}
    for r in runs:
        if r is first:
            continue
        m = r.metrics
        same = r.lane.scenario.source == first.lane.scenario.source
        diff = (_first_difference(base.finish_order, m.finish_order)
                if same or set(base.finish_order) == set(m.finish_order) else None)
        if diff is not None:
            ahead, behind = diff
            if behind is not None and behind not in m.finish_order:
                what = f"{behind} did not finish"
            elif ahead is not None and behind is not None:
                what = f"{ahead} before {behind}"
            else:
                what = f"{ahead} finished, which it did not {who(first.lane)}"
            finished.setdefault(what, []).append(r)
        line = (_output_difference(base.outputs, m.outputs)
                if outputs_comparable(base, m, same) else None)
        if line is not None:
            printed.setdefault((line[0], line[1]), []).append(r)
    out = []
    for what, rs in finished.items():
        out.append(f"the tasks finished in another order {who(*(r.lane for r in rs))} than "
                   f"{who(first.lane)}: {what}{_chosen_by_the_os(*rs, first)}")
    for (n, mine), rs in printed.items():
        theirs = base.outputs[n - 1] if n <= len(base.outputs) else None
        shown = [f"`{_clip(text)}` {who(*lanes)}" if text is not None else f"nothing {who(*lanes)}"
                 for text, lanes in ((mine, [r.lane for r in rs]), (theirs, [first.lane]))]
        out.append(f"the output differs from line {n} on: {shown[0]}, {shown[1]}")
    return out


def _chosen_by_the_os(*runs: Run) -> str:
    """Why an order may change from run to run, when a runtime's queue is the OS's set."""
    for r in runs:
        spec = _spec(r.lane)
        if spec.queue == "set":
            return f" (on {r.lane.runtime}, which {spec.task_noun} runs next is the OS's choice)"
    return ""


def _first_difference(first: Sequence[str], other: Sequence[str]
                      ) -> tuple[str | None, str | None] | None:
    """Where `other`'s finish order first leaves `first`'s: (the task that finished there
    instead, the task `first` finished there); None where there is no such task. None
    when the orders are the same."""
    for a, b in zip(first, other, strict=False):
        if a != b:
            return (b if b in first else None), a
    if len(first) > len(other):
        return None, first[len(other)]
    if len(other) > len(first):
        return other[len(first)], None
    return None


def _output_difference(first: Sequence[str], other: Sequence[str]
                       ) -> tuple[int, str | None, str | None] | None:
    for n, (a, b) in enumerate(zip(first, other, strict=False), 1):
        if a != b:
            return n, b, a
    if len(first) != len(other):
        n = min(len(first), len(other))
        return (n + 1, other[n] if n < len(other) else None,
                first[n] if n < len(first) else None)
    return None
