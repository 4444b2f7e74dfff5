"""What a comparison is: scenarios, runtimes, option variants, a time scale, the outcome expected.

A `Comparison` is a value. `simtui compare` and the TUI's compare screen build it from
their flags and a scenario's own `compare:` key (`declared`), and everything after it —
the runs (`lanes`), running them, measuring, the table and the sentences — is shared.

Rules decided here:

- Each scenario runs on every runtime of its own (`Scenario.runtimes`: those it can run on
  this Python), or on the runtimes given, each of which every scenario must support.
- A variant is `RUNTIME.OPTION=V1,V2…` or `time_scale=F1,F2…`. An option variant applies to
  the runs of its runtime only, one run per value; other runtimes run once. `time_scale`
  applies to every run and multiplies the comparison's own time scale, which multiplies
  the scenario's. Several variants multiply out (every combination).
- What a run is expected to end with is `expect`: `ok` unless said otherwise (a
  scenario's `compare.expect`, or `--expect deadlock` for a scenario that deadlocks on
  purpose). Greenlet's `ok` with greenlets left suspended is `ok`.
- A scenario compared alone may declare the comparison it is for (`compare:`, read by the
  loader): `declared` builds it. Each part given on the command line replaces that part
  of the declaration: `-r` its runtimes (a declared variant of a runtime no longer
  compared is dropped), a `--vary KEY` the declared values of KEY, `--expect` its
  `expect`. With several scenarios only the command line says what to compare.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from simtui import durations, runtimespec
from simtui.scenario.grammar import MAX_TIME_SCALE
from simtui.scenario.model import OptionValue, Scenario
from simtui.trace.events import END_STATUSES

TIME_SCALE = "time_scale"
"""The variant key that scales time, for every runtime."""

_BOOLS = {"true": True, "false": False}


class CompareError(ValueError):
    """A comparison that cannot be run, with a message that says what to change."""


@dataclass(frozen=True, slots=True)
class Vary:
    """One variant: an option of one runtime (or the time scale) and the values it takes."""

    runtime: str | None
    """The runtime whose option this is; None for `time_scale`."""
    option: str
    values: tuple[OptionValue, ...]

    @property
    def key(self) -> str:
        """As written on the command line: `gevent.monkey_patch`, `time_scale`."""
        return self.option if self.runtime is None else f"{self.runtime}.{self.option}"


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything that decides which runs a comparison makes."""

    scenarios: tuple[Scenario, ...]
    runtimes: tuple[str, ...] = ()
    """The runtimes to run on; empty: each scenario's own runtimes."""
    variants: tuple[Vary, ...] = ()
    time_scale: float = 1.0
    """Multiplies every run's time scale (the scenario's own, and a `time_scale` variant)."""
    expect: frozenset[str] = frozenset({"ok"})
    """The statuses a run may end with for the comparison to succeed."""

    def runtimes_of(self, scenario: Scenario) -> tuple[str, ...]:
        return self.runtimes or scenario.runtimes

    def all_runtimes(self) -> tuple[str, ...]:
        """Every runtime some run of the comparison uses, in the order they first appear."""
        seen: dict[str, None] = {}
        for s in self.scenarios:
            seen.update(dict.fromkeys(self.runtimes_of(s)))
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Lane:
    """One run of a comparison: a scenario (its variant's options applied) on one runtime."""

    index: int
    scenario: Scenario
    runtime: str
    time_scale: float
    """The factor given to the worker: it multiplies the scenario's own `time_scale`."""
    settings: Mapping[str, OptionValue] = field(default_factory=lambda: MappingProxyType({}))
    """The variant values of this run, by variant key (`gevent.monkey_patch`, `time_scale`)."""
    label: str = ""
    """How the table names the run: only what tells it apart from the others."""

    @property
    def scenario_name(self) -> str:
        return self.scenario.name


def declared(scenarios: tuple[Scenario, ...], runtimes: tuple[str, ...] = (),
             variants: tuple[Vary, ...] = (), time_scale: float = 1.0,
             expect: frozenset[str] | None = None) -> Comparison:
    """The comparison to make: what is given here, completed by the `compare:` key of a
    scenario compared alone (see the module's docstring). CompareError when a declared
    value cannot be honoured on this Python, located where the scenario writes it."""
    spec = scenarios[0].compare if len(scenarios) == 1 else None
    if spec is None:
        return Comparison(scenarios, runtimes, variants, time_scale,
                          expect if expect is not None else frozenset({"ok"}))
    scenario = scenarios[0]
    runtimes = runtimes or spec.runtimes
    compared = runtimes or scenario.runtimes
    given = {v.key for v in variants}
    mine: list[Vary] = []
    for v in spec.vary:
        rt, dot, option = v.key.partition(".")
        if v.key in given or (dot and rt not in compared):
            continue
        if dot:
            opt = runtimespec.get(rt).option(option)
            if not opt.available() and any(value is not False for value in v.values):
                assert opt.needs_python is not None
                need = ".".join(map(str, opt.needs_python))
                have = ".".join(map(str, sys.version_info[:2]))
                raise CompareError(f"{scenario.source}:{v.line}:{v.col}: compare.vary "
                                   f"{v.key} needs Python {need} or later (this is Python "
                                   f"{have})")
            mine.append(Vary(rt, option, v.values))
        else:
            mine.append(Vary(None, TIME_SCALE, v.values))
    if expect is None:
        expect = frozenset(spec.expect or ("ok",))
    return Comparison(scenarios, runtimes, (*variants, *mine), time_scale, expect)


def parse_runtimes(text: str) -> tuple[str, ...]:
    """`asyncio,threads` → the runtimes, in that order; CompareError for an unknown one."""
    names = [n.strip() for n in text.split(",")]
    out: list[str] = []
    for name in names:
        if name not in runtimespec.SPECS:
            raise CompareError(f"-r: unknown runtime `{name}`; choose among "
                               f"{', '.join(runtimespec.NAMES)}")
        if name in out:
            raise CompareError(f"-r: `{name}` is given twice")
        out.append(name)
    return tuple(out)


def parse_expect(text: str) -> frozenset[str]:
    """`ok,deadlock` → the statuses a run may end with."""
    out = set()
    for status in (s.strip() for s in text.split(",")):
        if status not in END_STATUSES:
            raise CompareError(f"--expect: `{status}` is not a status a run ends with; "
                               f"they are {', '.join(sorted(END_STATUSES))}")
        out.add(status)
    return frozenset(out)


def parse_vary(text: str) -> Vary:
    """`gevent.monkey_patch=true,false` → a Vary, each value read by the option's kind.

    The option must exist in its runtime's spec, and each value must be one this Python
    can honour (`asyncio.eager_tasks=true` needs 3.12): the spec says so, not this code.
    """
    key, eq, values_text = text.partition("=")
    key = key.strip()
    where = f"--vary {text}"
    if not eq or not values_text.strip():
        raise CompareError(f"{where}: write KEY=V1,V2…, such as "
                           "gevent.monkey_patch=true,false or time_scale=1,0.1")
    written = [v.strip() for v in values_text.split(",")]
    if "" in written:
        raise CompareError(f"{where}: an empty value")
    if key == TIME_SCALE:
        return Vary(None, TIME_SCALE, _distinct(where, [_scale(where, v) for v in written]))
    runtime, dot, option = key.partition(".")
    if not dot:
        raise CompareError(f"{where}: `{key}` is neither time_scale nor RUNTIME.OPTION "
                           f"(such as {_example_options()})")
    spec = runtimespec.SPECS.get(runtime)
    if spec is None:
        raise CompareError(f"{where}: unknown runtime `{runtime}`; choose among "
                           f"{', '.join(runtimespec.NAMES)}")
    try:
        opt = spec.option(option)
    except KeyError:
        known = ", ".join(f"{runtime}.{o.key}" for o in spec.options) or "none"
        raise CompareError(f"{where}: {runtime} has no option `{option}` "
                           f"(its options: {known})") from None
    values: list[OptionValue] = []
    for v in written:
        if opt.kind == "bool":
            value: OptionValue = _bool(where, v)
        else:
            value = _duration(where, key, v, opt.minimum, opt.minimum_why)
        if (value is not False) and not opt.available():
            assert opt.needs_python is not None
            need = ".".join(map(str, opt.needs_python))
            have = ".".join(map(str, sys.version_info[:2]))
            raise CompareError(f"{where}: {key}={v} needs Python {need} or later "
                               f"(this is Python {have})")
        values.append(value)
    return Vary(runtime, option, _distinct(where, values))


def _example_options() -> str:
    return ", ".join(f"{spec.name}.{o.key}" for spec in runtimespec.SPECS.values()
                     for o in spec.options[:1])


def _distinct(where: str, values: list[OptionValue]) -> tuple[OptionValue, ...]:
    for a, b in itertools.combinations(values, 2):
        if a == b and type(a) is type(b):
            raise CompareError(f"{where}: the value {format_value(a)} is given twice")
    return tuple(values)


def _bool(where: str, text: str) -> bool:
    try:
        return _BOOLS[text.lower()]
    except KeyError:
        raise CompareError(f"{where}: `{text}` is not true or false") from None


def _duration(where: str, key: str, text: str, minimum: float | None, why: str) -> float:
    try:
        seconds = durations.parse(text, key)
    except durations.DurationError as e:
        raise CompareError(f"{where}: {e}") from None
    if minimum is not None and seconds < minimum:
        reason = f" ({why})" if why else ""
        raise CompareError(f"{where}: {key} must be at least "
                           f"{durations.format(minimum)}{reason}, not `{text}`")
    return seconds


def _scale(where: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CompareError(f"{where}: `{text}` is not a number") from None
    if not 0 < value <= MAX_TIME_SCALE:  # also refuses nan and inf
        raise CompareError(f"{where}: a time scale is more than 0 and at most "
                           f"{MAX_TIME_SCALE:g}, not `{text}`")
    return value


def format_value(value: OptionValue) -> str:
    """A variant value as a label shows it: `true`, `5ms`, `0.5` (a time scale)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}"


def format_setting(key: str, runtime: str | None, value: OptionValue) -> str:
    """`monkey_patch=false`, `switch_interval=500µs`, `time_scale=0.1`."""
    if runtime is not None and runtimespec.get(runtime).option(key).kind == "duration":
        return f"{key}={durations.format(float(value), 3).replace(' ', '')}"
    return f"{key}={format_value(value)}"


def check(comparison: Comparison) -> None:
    """CompareError unless every runtime and variant fits the comparison's scenarios."""
    if not comparison.scenarios:
        raise CompareError("nothing to compare: name a scenario")
    sources = [s.source for s in comparison.scenarios]
    for source in sources:
        if sources.count(source) > 1:
            raise CompareError(f"{source}: given twice; name each scenario once")
    for s in comparison.scenarios:
        for rt in comparison.runtimes:
            if rt not in s.runtimes:
                why = s.excluded.get(rt)
                raise CompareError(f"{s.source}: does not run on {rt}"
                                   f"{f' ({why})' if why else ''}; it runs on "
                                   f"{', '.join(s.runtimes)}")
    used = comparison.all_runtimes()
    keys = [v.key for v in comparison.variants]
    for v in comparison.variants:
        if keys.count(v.key) > 1:
            raise CompareError(f"--vary {v.key}: given twice; list every value in one "
                               f"--vary ({v.key}=A,B)")
        if v.runtime is not None and v.runtime not in used:
            hint = (f"add it with -r {','.join((*comparison.runtimes, v.runtime))}"
                    if comparison.runtimes else
                    "no scenario compared runs on it")
            raise CompareError(f"--vary {v.key}: {v.runtime} is not among the runtimes "
                               f"compared ({', '.join(used)}); {hint}")


def lanes(comparison: Comparison) -> list[Lane]:
    """Every run of the comparison, in order: scenario, then runtime, then variant values.

    Raises CompareError when the comparison does not fit its scenarios (`check`) or a
    variant's options cannot be written into a scenario's file.
    """
    from simtui.compare.variant import with_options

    check(comparison)
    out: list[Lane] = []
    scales = [v for v in comparison.variants if v.runtime is None]
    for scenario in comparison.scenarios:
        for runtime in comparison.runtimes_of(scenario):
            mine = [v for v in comparison.variants if v.runtime == runtime] + scales
            for combo in itertools.product(*(v.values for v in mine)):
                settings = {v.key: value for v, value in zip(mine, combo, strict=True)}
                options = {v.option: value for v, value in zip(mine, combo, strict=True)
                           if v.runtime is not None}
                scale = comparison.time_scale * float(settings.get(TIME_SCALE, 1.0))
                out.append(Lane(
                    index=len(out),
                    scenario=with_options(scenario, runtime, options),
                    runtime=runtime,
                    time_scale=scale,
                    settings=MappingProxyType(settings),
                ))
    return _labelled(out)


def _labelled(runs: list[Lane]) -> list[Lane]:
    """Each run named by what tells it apart: the scenario when there are several, the
    runtime, and its variant values."""
    sources = {r.scenario.source for r in runs}
    several = len(sources) > 1
    # Two files may share a scenario name: their paths tell them apart then.
    by_path = len({r.scenario_name for r in runs}) < len(sources)
    out = []
    for r in runs:
        parts = [r.scenario.source if by_path else r.scenario_name] if several else []
        parts.append(r.runtime)
        parts += [setting_label(r, key) for key in r.settings]
        out.append(dataclasses.replace(r, label=" ".join(parts)))
    return out


def setting_label(lane: Lane, key: str) -> str:
    """One variant value of `lane` as its label shows it (`monkey_patch=false`)."""
    runtime, _, option = key.rpartition(".")
    return format_setting(option, runtime or None, lane.settings[key])
