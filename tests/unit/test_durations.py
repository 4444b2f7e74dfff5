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


@pytest.mark.parametrize(
    ("text", "says"),
    [("soon", "`sleep`: `soon` is not a duration"), ("3 weeks", "`sleep`: unknown unit `weeks`"),
     ("-1", "`sleep` cannot be negative (`-1`)"),
     ("2000000", "`sleep` must be at most 1,000,000 s, not `2000000`")],
)
def test_parse_names_the_value_it_refuses(text: str, says: str) -> None:
    with pytest.raises(DurationError) as info:
        durations.parse(text, "`sleep`")
    assert str(info.value).startswith(says)


def test_a_number_too_long_for_a_float_is_too_large_not_infinite() -> None:
    with pytest.raises(DurationError, match=re.escape("at most 1,000,000 s, not `1e400`")):
        durations.parse("1e400")


@pytest.mark.parametrize(("unit", "meant"), [("mins", "min"), ("hr", "h"), ("MS", "ms"),
                                             ("Min", "min")])
def test_a_unit_close_to_a_real_one_is_suggested(unit: str, meant: str) -> None:
    with pytest.raises(DurationError, match=re.escape(f"(did you mean `{meant}`?)")):
        durations.parse(f"3 {unit}")


def test_a_refused_text_stays_on_one_line() -> None:
    with pytest.raises(DurationError) as info:
        durations.parse("a\nb\tc")
    assert "`a\\nb\\tc`" in str(info.value) and "\n" not in str(info.value)


def test_the_zero_pattern_matches_exactly_the_zero_durations_pattern_matches() -> None:
    zero, any_ = re.compile(durations.ZERO_PATTERN), re.compile(durations.PATTERN)
    for text in ("0", "0.0", "00", ".0", "0.", "0e5", "+0", " 0 ms", "0.000s", "0min"):
        assert zero.match(text) and durations.parse(text) == 0, text
    for text in ("1", "0.5", "10", "0e", "1e-3", "100ms", "0.01 s", ".01"):
        assert not zero.match(text), text
        assert not any_.match(text) or durations.parse(text) > 0, text
