"""Durations: one parser and one printer, agreeing with each other."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simtui import durations
from simtui.durations import DurationError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3", 3.0), ("0.5", 0.5), ("250ms", 0.25), ("50 us", 50e-6), ("50µs", 50e-6),
     ("2min", 120.0), ("1h", 3600.0), (" 7 s ", 7.0), ("1e-3", 1e-3), ("-0", 0.0)],
)
def test_parse_reads_what_people_write(text: str, seconds: float) -> None:
    assert durations.parse(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "says"),
    [("3m", "`m` could mean minutes or milliseconds"), ("3 MS", "did you mean `ms`"),
     ("3 parsecs", "the units are"), ("-2s", "cannot be negative"), ("soon", "not a duration"),
     ("2000000", "at most 1,000,000 s"), ("nan", "not a duration")],
)
def test_parse_refuses_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(DurationError, match=re.escape(says)):
        durations.parse(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(3, "3 s"), (0, "0 s"), (0.25, "250 ms"), (50e-6, "50 µs"), (1e-7, "100 ns"),
     (90, "90 s"), (-0.5, "-500 ms")],
)
def test_format_uses_the_unit_a_person_would(seconds: float, text: str) -> None:
    assert durations.format(seconds) == text


@given(st.floats(min_value=0, max_value=durations.MAX_SECONDS, allow_nan=False))
def test_format_then_parse_gives_the_value_back(seconds: float) -> None:
    assert durations.parse(durations.format(seconds)) == pytest.approx(seconds, rel=1e-5)


def test_the_schema_pattern_accepts_exactly_the_positive_durations_parse_reads() -> None:
    pattern = re.compile(durations.PATTERN)
    for ok in ("3", "0.5", "250ms", "50 us", "2 min", "+1s"):
        assert pattern.match(ok), ok
    for bad in ("-2s", "3m", "soon", "3 parsecs", ""):
        assert not pattern.match(bad), bad
