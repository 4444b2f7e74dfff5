"""A scenario with other option values, written into its own text with every line kept in place.

The worker reads the scenario's text, not the loaded value, so a variant's options must be
in the text. The top-level `options:` entry is replaced by one flow mapping holding the
scenario's own options with the variant's on top, followed by as many line breaks as the
entry spanned (or appended as a last line when there is none): every other line and column
stays where it was, so the steps a trace locates (`line`, `col`) still point at the lines
of the file the user wrote. The new text is loaded again and must hold exactly the options
asked for; a file where that cannot be done (its options written through an alias) is
refused with a message rather than run with the wrong options.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import yaml

from simtui.compare.comparison import CompareError
from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import load_text
from simtui.scenario.model import OptionValue, Scenario

_BREAK = re.compile(r"\r\n|\r|\n")


def with_options(scenario: Scenario, runtime: str,
                 settings: Mapping[str, OptionValue]) -> Scenario:
    """`scenario` with `settings` (option key → value) for `runtime`; CompareError if the
    file cannot say so."""
    if not settings:
        return scenario
    given = {rt: dict(opts) for rt, opts in scenario.options.given.items()}
    given.setdefault(runtime, {}).update(settings)
    entry = "options: " + _flow(given)
    text = scenario.text
    span = _options_span(text)
    if span is None:
        breaks = _BREAK.findall(text)
        newline = breaks[0] if breaks else "\n"
        tail = "" if not text or _BREAK.fullmatch(text[-1:]) else newline
        new_text = f"{text}{tail}{entry}{newline}"
    else:
        start, end = span
        new_text = text[:start] + entry + "".join(_BREAK.findall(text[start:end])) + text[end:]
    what = ", ".join(f"{runtime}.{k}" for k in settings)
    try:
        varied = load_text(new_text, scenario.source, runtime=runtime)
    except ScenarioError as e:
        raise CompareError(f"{scenario.source}: cannot set {what} in this file: "
                           f"{e.problems[0].message}") from None
    for key, value in settings.items():
        if varied.options.get(runtime, key) != value:
            raise CompareError(f"{scenario.source}: cannot set {what} in this file "
                               "(its options are written in a way a variant cannot replace, "
                               "such as an alias)")
    return varied


def _flow(given: Mapping[str, Mapping[str, OptionValue]]) -> str:
    """`{gevent: {monkey_patch: false}}`: the options as one YAML flow mapping."""
    def value(v: OptionValue) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return repr(float(v))

    return "{" + ", ".join(
        f"{rt}: {{" + ", ".join(f"{k}: {value(v)}" for k, v in opts.items()) + "}"
        for rt, opts in given.items() if opts
    ) + "}"


def _options_span(text: str) -> tuple[int, int] | None:
    """Where the top-level `options:` entry is, key to end of value (character offsets)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:  # the loader accepted it; anything odd is refused after the rewrite
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, node in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "options":
            start, end = key.start_mark.index, node.end_mark.index
            if node.start_mark.index < key.end_mark.index or end < start:
                return None  # an alias: its node lies elsewhere; the check after refuses it
            return start, end
    return None
