"""Durations as people write them (`3`, `0.5`, `"250ms"`, `"2 min"`) and read them (`3 s`).

One implementation for the whole program: the loader parses scenario durations with
`parse`, the JSON Schema takes its pattern from `PATTERN`, and the trace's words and the
explanations print durations with `format` and read them back with `parse`. Imports
nothing of simtui.
"""

from __future__ import annotations

import math
import re

NUMBER = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
"""A decimal number as the format accepts it (no hex, no underscores, no `inf`)."""

UNITS: dict[str, float] = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0,
    "h": 3600.0,
}
"""Seconds per unit. `m` is not one: minutes or milliseconds? (`min` and `ms` say which.)"""

UNIT_NAMES = "ns, us, ms, s, min, h"
MAX_SECONDS = 1_000_000.0
"""The longest duration a scenario may ask for (about 11.6 days)."""

_TEXT = re.compile(r"\s*(" + NUMBER + r")\s*([A-Za-zµμ]+)?\s*\Z")

PATTERN = (
    r"^\s*" + NUMBER.replace("[-+]?", r"\+?", 1) + r"\s*(?:"
    + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)) + r")?\s*$"
)
"""A JSON Schema `pattern` for duration strings (the sign is left out: negative durations
are refused, so the schema refuses them too)."""


class DurationError(ValueError):
    """`text` is not a duration; the message says why and how to write one."""


def parse(text: str) -> float:
    """Seconds from `3`, `"0.5"`, `"250ms"`, `"50 us"`, `"2min"`; DurationError otherwise.

    Negative, NaN and infinite values and values above MAX_SECONDS are refused, so a
    parsed duration can be used as it is. `-0` is 0.
    """
    m = _TEXT.match(text)
    if m is None:
        raise DurationError(
            f"`{_clip(text)}` is not a duration; write a number of seconds such as 3, 0.5 "
            f'or "250ms", or a number with a unit: {UNIT_NAMES}'
        )
    unit = m.group(2)
    if unit is not None and unit not in UNITS:
        if unit == "m":
            hint = "`m` could mean minutes or milliseconds: write `min` or `ms`"
        else:
            close = [u for u in UNITS if u.lower() == unit.lower()]
            hint = f"the units are {UNIT_NAMES}" + (f" (did you mean `{close[0]}`?)"
                                                     if close else "")
        raise DurationError(f"unknown unit `{_clip(unit)}`; {hint}")
    return check(float(m.group(1)) * (UNITS[unit] if unit else 1.0), text)


def check(seconds: float, written: object = None) -> float:
    """`seconds` if it is a duration the format allows; DurationError otherwise."""
    shown = _clip(written if written is not None else seconds)
    if math.isnan(seconds) or math.isinf(seconds):
        raise DurationError(f"a duration must be finite, not `{shown}`")
    if seconds > MAX_SECONDS:
        raise DurationError(f"a duration must be at most {MAX_SECONDS:,.0f} s, not `{shown}`")
    if seconds < 0:
        raise DurationError(f"a duration cannot be negative (`{shown}`)")
    return seconds + 0.0  # -0.0 becomes 0.0


def format(seconds: float, digits: int | None = None) -> str:  # noqa: A001 - the module's verb
    """A duration in the unit a person would use: `3 s`, `250 ms`, `50 µs`, `0 s`.

    `digits` limits the significant digits (`format(0.0123456, 3)` is `12.3 ms`);
    `parse(format(x))` gives back `x` to within those digits.
    """
    spec = f".{digits}g" if digits else "g"
    s = abs(seconds)
    sign = "-" if seconds < 0 else ""
    if s >= 1 or s == 0:
        return f"{sign}{s:{spec}} s"
    if s >= 1e-3:
        return f"{sign}{s * 1e3:{spec}} ms"
    if s >= 1e-6:
        return f"{sign}{s * 1e6:{spec}} µs"
    return f"{sign}{s * 1e9:{spec}} ns"


def _clip(text: object, n: int = 40) -> str:
    s = str(text)
    return s if len(s) <= n else s[: n - 1] + "…"
