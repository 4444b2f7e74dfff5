"""Whole-scenario checks: what no single value shows.

`call` cycles and depth, how often each instance is started, what `join` waits for, tasks
nothing runs, and the runtimes the scenario can run on — its own (written, or the default
one), the ones it lists, the one chosen with `-r` — with every op and option each cannot
honour, on this Python. Reads the `Written` scenario the format's rules produced.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import yaml

from simtui.runtimespec import NAMES, SPECS, runtimes_for
from simtui.scenario.grammar import MAX_DEPTH
from simtui.scenario.model import UNSUPPORTED, Options, Step, TaskDef, flat
from simtui.scenario.rules import Written
from simtui.scenario.yamlsource import Source


@dataclass(frozen=True, slots=True)
class Verdict:
    """Where a scenario can run: its runtime, its runtimes, and those this Python rules out."""

    runtime: str
    runtimes: tuple[str, ...]
    excluded: Mapping[str, str]
    """Runtimes that can do every op but not the scenario's options on this Python → why."""


def check(src: Source, written: Written, chosen: str | None,
          python: tuple[int, int]) -> Verdict:
    """Report every whole-scenario problem and warning to `src`; where the scenario runs.

    `chosen` is the runtime asked for (`-r`), `python` the version the run will use.
    """
    return _Checks(src, written, chosen, python).run()


class _Checks:
    """One scenario's whole-scenario checks, in the order their problems depend on."""

    def __init__(self, src: Source, written: Written, chosen: str | None,
                 python: tuple[int, int]) -> None:
        self.src = src
        self.written = written
        self.chosen = chosen
        self.python = python
        self.err = src.err
        self.warn = src.warn

    def run(self) -> Verdict:
        w = self.written
        final = dict(w.tasks)
        main = w.main
        graph_ok = self.check_calls(final)
        if graph_ok:
            self.check_depth(final)
            self.check_starts(final, main)
        self.check_references(final, main)
        ops = frozenset(op for d in final.values() for op in _ops(d.steps))
        supported = runtimes_for(ops)
        runtime = w.runtime
        listed = list(w.listed)
        if runtime is None:
            # The first listed; else the first runtime simtui offers that can run every op;
            # else the first it offers, so that the problems say what stops each op there.
            runtime = listed[0][0] if listed else (supported or NAMES)[0]
        ruled_out = self.ruled_out_by_options(w.options, dict(w.option_nodes))
        runtimes = self.check_runtimes(final, runtime, w.runtime_node is not None, listed,
                                       supported, ruled_out)
        self.check_warnings(final, dict(w.queue_nodes))
        self.check_compare(runtimes)
        return Verdict(runtime, runtimes,
                       {rt: why for rt, (_, why) in ruled_out.items()
                        if rt in supported and not listed})

    def check_calls(self, defs: dict[str, TaskDef]) -> bool:
        """A `call` cycle would recurse forever: refuse it at the call that closes it.

        Iterative, so that a chain of thousands of tasks cannot exhaust Python's stack.
        """
        graph = _call_graph(defs)
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        ok = True
        for start in defs:
            if start in state:
                continue
            path = [start]
            iters = [iter(graph[start])]
            state[start] = 1
            while iters:
                edge = next(iters[-1], None)
                if edge is None:
                    state[path.pop()] = 2
                    iters.pop()
                    continue
                callee, step, _ = edge
                if state.get(callee) == 1:
                    cycle = " → ".join(path[path.index(callee):] + [callee])
                    self.err((step.line, step.col), f"`call` cycle: {cycle} would never end; "
                                                    "a task cannot call itself, directly or not")
                    ok = False
                elif callee not in state:
                    state[callee] = 1
                    path.append(callee)
                    iters.append(iter(graph[callee]))
        return ok

    def check_depth(self, defs: dict[str, TaskDef]) -> None:
        """`repeat` and `call` levels together stay within MAX_DEPTH (calls form a DAG here)."""
        depth: dict[str, int] = {}
        for dname in _callees_first(defs):
            deepest = 0
            for step, level in _flat_levels(defs[dname].steps):
                here = level
                if step.op == "call":
                    callee = defs_name(step.refs[0])
                    here = level + depth[callee]
                    if here > MAX_DEPTH >= depth[callee]:
                        self.err((step.line, step.col),
                                 f"this `call` nests steps {here} levels deep (`repeat` and "
                                 f"`call` levels together; the limit is {MAX_DEPTH})")
                deepest = max(deepest, here)
            depth[dname] = deepest

    def check_starts(self, defs: dict[str, TaskDef], main: str) -> None:
        """Each instance is started at most once over the whole run."""
        started_by_ref: set[str] = set()
        for d in defs.values():
            for step in flat(d.steps):
                if step.op in ("spawn", "gather", "switch"):
                    started_by_ref.update(step.refs)
        # How many times each definition's steps run: its started instances, plus calls.
        runs: dict[str, int] = {n: 0 for n in defs}
        for iname in started_by_ref - {main}:
            runs[defs_name(iname)] += 1
        if main in defs:
            runs[main] += 1
        for dname in reversed(_callees_first(defs)):  # callers before callees
            for step, mult in _flat_mult(defs[dname].steps):
                if step.op == "call" and runs[dname]:
                    runs[defs_name(step.refs[0])] += runs[dname] * mult
        first: dict[str, Step] = {}
        for dname, d in defs.items():
            if not runs[dname]:
                continue
            for step, mult in _flat_mult(d.steps):
                if step.op not in ("spawn", "gather"):
                    continue
                times = runs[dname] * mult
                for ref in step.refs:
                    if ref == main:
                        self.err((step.line, step.col),
                                 f"`{main}` starts the run; it cannot be started again with "
                                 f"`{step.op}`")
                    elif ref in first:
                        self.err((step.line, step.col),
                                 f"`{step.op}` starts `{ref}` again (already started on line "
                                 f"{first[ref].line}); each task instance runs once: give "
                                 "the task a `count` for more instances")
                        break
                    elif times > 1:
                        why = ("inside `repeat`" if mult > 1 else f"`{dname}` has `count`"
                               if (d.count or 1) > 1 else f"`{dname}` runs more than once")
                        self.err((step.line, step.col),
                                 f"this `{step.op}` runs {times:,} times ({why}), so it would "
                                 f"start `{ref}` more than once; each task instance runs "
                                 "once: give the task a `count` for more instances")
                        break
                    else:
                        first[ref] = step

    def check_references(self, defs: dict[str, TaskDef], main: str) -> None:
        """`join` waits for something started; never-referenced tasks are a warning."""
        started: set[str] = set()
        referenced: set[str] = {main}
        for d in defs.values():
            for step in flat(d.steps):
                if step.op in ("spawn", "gather", "switch"):
                    started.update(step.refs)
                referenced.update(defs_name(r) for r in step.refs)
        for d in defs.values():
            for step in flat(d.steps):
                if step.op != "join":
                    continue
                for ref in step.refs:
                    if ref == main:
                        self.err((step.line, step.col),
                                 f"`join` cannot wait for `{main}`: it starts the run and "
                                 "outlives every other task")
                        break
                    if ref not in started:
                        self.err((step.line, step.col),
                                 f"`join` waits for `{ref}`, but no step starts it: "
                                 f"`spawn: {defs_name(ref)}` first")
                        break
        for dname, d in defs.items():
            if dname not in referenced:
                self.warn((d.line, d.col), f"task `{dname}` is never started, called or "
                                           "switched to, so it never runs")

    def ruled_out_by_options(self, options: Options, nodes: dict[str, yaml.Node]
                             ) -> dict[str, tuple[yaml.Node | None, str]]:
        """Runtimes an option turned on rules out on this Python → (the option's node, why).

        Which options need which Python is their spec's (`OptionSpec.needs_python`).
        """
        out: dict[str, tuple[yaml.Node | None, str]] = {}
        for rt, spec in SPECS.items():
            for o in spec.options:
                needs = o.needs_python
                python = self.python
                if (needs is None or rt in out or o.available(python)
                        or not options.given.get(rt, {}).get(o.key)):
                    continue
                out[rt] = (nodes.get(f"{rt}.{o.key}"),
                           f"`options.{rt}.{o.key}` needs Python {needs[0]}.{needs[1]} or "
                           f"newer (this is Python {python[0]}.{python[1]})")
        return out

    def check_runtimes(self, defs: dict[str, TaskDef], runtime: str, explicit: bool,
                       listed: list[tuple[str, yaml.Node]], supported: tuple[str, ...],
                       ruled_out: dict[str, tuple[yaml.Node | None, str]]) -> tuple[str, ...]:
        """The scenario's runtimes; every way its own runtime, a listed one or the chosen
        one (`-r`) cannot run it is a problem.

        The scenario is checked on its own runtime whatever runtime is chosen, so that a
        file loads for runtime R exactly when it loads and R is one of its runtimes:
        `check` and `run -r R` can never disagree.
        """
        what = "this scenario's `runtime`" if explicit else "the default runtime"
        self.refuse_ops(defs, runtime, what)
        if runtime in ruled_out:
            node, why = ruled_out[runtime]
            self.err(node, f"{why}, and {runtime} is {what}: remove the option, use a newer "
                           "Python, or choose another `runtime`")
        for name, node in listed:
            if name not in supported:
                self.err(node, f"`runtimes` lists {name}, which cannot run every op of this "
                               f"scenario (it can run on: {', '.join(supported) or 'none'})")
            elif name in ruled_out and name != runtime:
                self.err(node, f"`runtimes` lists {name}, but {ruled_out[name][1]}: remove "
                               f"{name} from the list or the option")
        runtimes = (tuple(rt for rt, _ in listed) if listed
                    else tuple(rt for rt in supported if rt not in ruled_out))
        chosen = self.chosen
        if chosen is not None and chosen != runtime and chosen not in runtimes:
            # Say why the chosen runtime is not one of them, where the reason is written.
            if chosen not in supported:
                self.refuse_ops(defs, chosen, "the chosen runtime")
            elif chosen in ruled_out:
                node, why = ruled_out[chosen]
                self.err(node, f"{why}, so this scenario cannot run on {chosen} (the chosen "
                               "runtime)")
            else:
                self.err(listed[0][1] if listed else None,
                         f"{chosen} (the chosen runtime) is not in `runtimes` "
                         f"({', '.join(runtimes)}); add it there to run this scenario on it")
        return runtimes

    def check_compare(self, runtimes: tuple[str, ...]) -> None:
        """`compare:` names only runtimes the scenario runs on, and varies only their
        options: what `simtui compare` would refuse is refused where it is written."""
        spec, nodes = self.written.compare, self.written.compare_nodes
        if spec is None:
            return
        for rt in spec.runtimes:
            if rt not in runtimes:
                self.err(nodes[f"runtimes.{rt}"],
                         f"`compare.runtimes` lists {rt}, which this scenario does not run "
                         f"on; it runs on {', '.join(runtimes)}")
        compared = spec.runtimes or runtimes
        for v in spec.vary:
            rt, dot, _ = v.key.partition(".")
            if dot and rt not in compared:
                self.err(nodes[f"vary.{v.key}"],
                         f"`compare.vary` varies an option of {rt}, which is not among the "
                         f"runtimes compared ({', '.join(compared)})")

    def refuse_ops(self, defs: dict[str, TaskDef], runtime: str, what: str) -> None:
        """Every step `runtime` cannot do is a problem, at the step."""
        for d in defs.values():
            for step in flat(d.steps):
                hint = UNSUPPORTED[runtime].get(step.op)
                if hint:
                    self.err((step.line, step.col),
                             f"`{step.op}` cannot run on {runtime} ({what}): {hint}")

    def check_warnings(self, defs: dict[str, TaskDef], queue_nodes: dict[str, yaml.Node]) -> None:
        ops = {s.op for d in defs.values() for s in flat(d.steps)}
        uses_item = self.written.uses_item
        if uses_item is not None and "get" not in ops:
            self.warn(uses_item, "`{item}` is always empty: no step takes an item with `get`")
        used = {s.name for d in defs.values() for s in flat(d.steps) if s.op in ("put", "get")}
        for qname, key in queue_nodes.items():
            if qname not in used:
                self.warn(key, f"queue `{qname}` is never used by a `put` or `get`")


def defs_name(instance: str) -> str:
    """The definition an instance name belongs to: `coco[3]` → `coco`."""
    return instance.split("[", 1)[0]


def _call_graph(defs: dict[str, TaskDef]) -> dict[str, list[tuple[str, Step, int]]]:
    """Caller → [(callee, call step, repeat multiplier of the step)]."""
    graph: dict[str, list[tuple[str, Step, int]]] = {n: [] for n in defs}
    for dname, d in defs.items():
        for step, mult in _flat_mult(d.steps):
            if step.op == "call":
                graph[dname].append((defs_name(step.refs[0]), step, mult))
    return graph


def _callees_first(defs: dict[str, TaskDef]) -> list[str]:
    """Definitions ordered so that every callee comes before its callers (no cycles)."""
    graph = _call_graph(defs)
    order: list[str] = []
    done: set[str] = set()
    for start in defs:
        if start in done:
            continue
        done.add(start)
        stack = [(start, iter(graph[start]))]
        while stack:
            node, it = stack[-1]
            edge = next(it, None)
            if edge is None:
                order.append(node)
                stack.pop()
            elif edge[0] not in done:
                done.add(edge[0])
                stack.append((edge[0], iter(graph[edge[0]])))
    return order


def _flat_levels(steps: tuple[Step, ...], level: int = 1) -> Iterator[tuple[Step, int]]:
    for s in steps:
        yield s, level
        if s.body:
            yield from _flat_levels(s.body, level + 1)


def _flat_mult(steps: tuple[Step, ...], mult: int = 1) -> Iterator[tuple[Step, int]]:
    """Each step with how many times it runs per run of its task (`repeat`s multiplied)."""
    for s in steps:
        yield s, mult
        if s.body:
            yield from _flat_mult(s.body, mult * s.times)


def _ops(steps: tuple[Step, ...]) -> set[str]:
    return {s.op for s in flat(steps)}

