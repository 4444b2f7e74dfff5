"""Durations as people write them (`3`, `0.5`, `"250ms"`, `"2 min"`) and read them (`3 s`).

One implementation for the whole program: the loader parses scenario durations with
`parse`, the JSON Schema takes its pattern from `PATTERN`, and the trace's words and the
explanations print durations with `format` and read them back with `parse`. Imports
nothing of simtui.
"""

from __future__ import annotations

import difflib
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

ZERO = r"[-+]?(?:0+\.?0*|\.0+)(?:[eE][-+]?[0-9]+)?"
"""The numbers among NUMBER that are zero however they are written (`0`, `0.0`, `.0e5`)."""


def _pattern(number: str) -> str:
    units = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
    return r"^\s*" + number.replace("[-+]?", r"\+?", 1) + r"\s*(?:" + units + r")?\s*$"


PATTERN = _pattern(NUMBER)
"""A JSON Schema `pattern` for duration strings (the sign is left out: negative durations
are refused, so the schema refuses them too)."""

ZERO_PATTERN = _pattern(ZERO)
"""The duration strings PATTERN accepts that are zero: what a positive duration is not."""


class DurationError(ValueError):
    """`text` is not a duration; the message says why and how to write one."""


def parse(text: str, what: str | None = None) -> float:
    """Seconds from `3`, `"0.5"`, `"250ms"`, `"50 us"`, `"2min"`; DurationError otherwise.

    Negative, NaN and infinite values and values above MAX_SECONDS are refused, so a
    parsed duration can be used as it is. `-0` is 0. `what` names the value in the
    message (`` `sleep` cannot be negative ``); without it, it is "a duration".
    """
    m = _TEXT.match(text)
    about = f"{what}: " if what else ""
    if m is None:
        raise DurationError(
            f"{about}`{_clip(text)}` is not a duration; write a number of seconds such as 3, "
            f'0.5 or "250ms", or a number with a unit: {UNIT_NAMES}'
        )
    unit = m.group(2)
    if unit is not None and unit not in UNITS:
        if unit == "m":
            hint = "`m` could mean minutes or milliseconds: write `min` or `ms`"
        else:
            close = difflib.get_close_matches(unit.lower()[:100], list(UNITS), n=1, cutoff=0.6)
            hint = f"the units are {UNIT_NAMES}" + (f" (did you mean `{close[0]}`?)"
                                                     if close else "")
        raise DurationError(f"{about}unknown unit `{_clip(unit)}`; {hint}")
    seconds = float(m.group(1)) * (UNITS[unit] if unit else 1.0)
    if math.isinf(seconds):  # `1e400`: too many digits for a float, not infinity
        raise DurationError(f"{what or 'a duration'} must be at most {MAX_SECONDS:,.0f} s, "
                            f"not `{_clip(text)}`")
    return check(seconds, text, what)


def check(seconds: float, written: object = None, what: str | None = None) -> float:
    """`seconds` if it is a duration the format allows; DurationError otherwise.

    `written` is the value as the user wrote it, `what` its name, for the message.
    """
    shown = _clip(written if written is not None else seconds)
    subject = what or "a duration"
    if math.isnan(seconds) or math.isinf(seconds):
        raise DurationError(f"{subject} must be finite, not `{shown}`")
    if seconds > MAX_SECONDS:
        raise DurationError(f"{subject} must be at most {MAX_SECONDS:,.0f} s, not `{shown}`")
    if seconds < 0:
        raise DurationError(f"{subject} cannot be negative (`{shown}`)")
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
    """`text` on one line (line breaks and tabs shown escaped), at most `n` characters."""
    s = str(text).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return s if len(s) <= n else s[: n - 1] + "…"
