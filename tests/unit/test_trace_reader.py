"""Loading saved trace files: a good one round-trips, a broken one is one TraceError."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from simtui.replay.model import Replay
from simtui.trace.model import Trace, TraceError
from tests.unit.replaygen import generate


def write(path: Path, lines: list[str] | bytes) -> Path:
    if isinstance(lines, bytes):
        path.write_bytes(lines)
    else:
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def events() -> list[dict]:
    return generate(random.Random(7), "asyncio", 120, snapshots=True)


def lines_of(events: list[dict]) -> list[str]:
    return [json.dumps(e, ensure_ascii=False) for e in events]


def test_a_saved_trace_loads_whole(tmp_path, events):
    trace = Trace.load(write(tmp_path / "ok.jsonl", lines_of(events)))
    assert trace.header == events[0]
    assert list(trace) == events[1:]
    assert trace.end == events[-1]
    assert len(Replay(trace)) == len(events) - 1


def test_a_trace_cut_short_before_its_end_still_loads(tmp_path, events):
    trace = Trace.load(write(tmp_path / "cut.jsonl", lines_of(events[:-1])))
    assert len(trace) == len(events) - 2
    assert trace.end is None


def broken_cases(events: list[dict]) -> dict[str, tuple[list[str] | bytes, int | None, str]]:
    good = lines_of(events)
    bad_seq = dict(events[5], seq=99)
    back_in_time = dict(events[7], t=-1.0)
    no_from = {k: v for k, v in next(e for e in events if e.get("type") == "run").items()
               if k != "from"}
    no_from_at = next(i for i, e in enumerate(events) if e.get("type") == "run")
    return {
        "empty": (b"", None, "empty"),
        "blank lines only": (b"\n\n  \n", None, "empty"),
        "binary": (bytes(range(256)) * 4, 1, "not JSON"),
        "not JSON": (["this is not json", *good[1:]], 1, "not JSON"),
        "a JSON list": (["[1, 2, 3]", *good[1:]], 1, "header"),
        "no header": (good[1:], 1, "header"),
        "another format": ([json.dumps(dict(events[0], format="viztracer")), *good[1:]], 1,
                           "format"),
        "a newer version": ([json.dumps(dict(events[0], version=2)), *good[1:]], 1, "version"),
        "truncated last line": ((("\n".join(good))[:-7]).encode(), len(good), "truncated"),
        "garbage in the middle": ([*good[:10], "{oops", *good[10:]], 11, "not JSON"),
        "unknown type": ([*good[:4], json.dumps(dict(events[4], type="teleport")), *good[5:]],
                         5, "teleport"),
        "seq gap": ([*good[:6], json.dumps(bad_seq), *good[7:]], 7, "seq"),
        "time goes back": ([*good[:7], json.dumps(back_in_time), *good[8:]], 8, "back in time"),
        "missing field": ([*good[:no_from_at], json.dumps(no_from), *good[no_from_at + 1:]],
                          no_from_at + 1, "'from'"),
        "not an object": ([*good[:3], "42", *good[4:]], 4, "not a JSON object"),
        "task not a name": ([*good[:3], json.dumps(dict(events[3], task=[1])), *good[4:]], 4,
                            "task"),
        "event after end": ([*good, json.dumps(dict(events[1], seq=len(events) - 1))],
                            len(good) + 1, "after 'end'"),
    }


CASES = list(broken_cases(generate(random.Random(7), "asyncio", 120, snapshots=True)))


@pytest.mark.parametrize("case", CASES)
def test_a_broken_file_is_one_trace_error_with_its_line(tmp_path, events, case):
    content, line, words = broken_cases(events)[case]
    path = write(tmp_path / "broken.jsonl", content)
    with pytest.raises(TraceError) as info:
        Trace.load(path)
    err = info.value
    assert words.lower() in err.message.lower(), err.message
    assert err.line == line
    expected_where = f"{path}:{line}" if line is not None else str(path)
    assert str(err).startswith(f"{expected_where}: ")


def test_a_missing_file_or_a_directory_is_a_trace_error(tmp_path):
    for path in (tmp_path / "nope.jsonl", tmp_path):
        with pytest.raises(TraceError) as info:
            Trace.load(path)
        assert str(path) in str(info.value)


def test_extend_refuses_a_bad_event_and_keeps_the_good_ones(events):
    trace = Trace()
    trace.extend(events[:5])
    bad = {k: v for k, v in events[5].items() if k != "type"}
    with pytest.raises(TraceError):
        trace.extend([bad])
    assert len(trace) == 4
    assert list(trace) == events[1:5]
    trace.extend(events[5:])  # the stream goes on from where it was
    assert list(trace) == events[1:]
    with pytest.raises(TraceError):
        trace.extend([dict(events[1], seq=len(events))])
    assert len(trace) == len(events) - 1


def test_unknown_extra_fields_are_kept(events):
    extra = [events[0], dict(events[1], note="added by a newer runtime"), *events[2:]]
    trace = Trace.from_events(extra)
    assert trace[0]["note"] == "added by a newer runtime"
    assert list(trace) == extra[1:]


def test_a_file_without_line_breaks_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    import simtui.trace.reader as reader

    monkeypatch.setattr(reader, "CHUNK", 1 << 10)
    monkeypatch.setattr(reader, "MAX_LINE", 1 << 12)
    path = write(tmp_path / "blob.jsonl", b"x" * (1 << 14))
    with pytest.raises(TraceError) as info:
        Trace.load(path)
    assert "too long" in info.value.message and info.value.line == 1


def test_an_event_the_store_cannot_keep_is_reported_with_its_file_and_line(tmp_path, events):
    step = next(i for i, e in enumerate(events) if e.get("type") == "step")
    bad = dict(events[step], index=[1, 2])  # well-formed JSON, but not a step index
    lines = lines_of(events)
    lines[step] = json.dumps(bad)
    path = write(tmp_path / "odd.jsonl", lines)
    with pytest.raises(TraceError) as info:
        Trace.load(path)
    assert str(info.value).startswith(f"{path}:{step + 1}: ")


def test_extend_refuses_something_that_is_not_an_event():
    trace = Trace()
    with pytest.raises(TraceError):
        trace.extend([["not", "a", "dict"]])
    assert len(trace) == 0
