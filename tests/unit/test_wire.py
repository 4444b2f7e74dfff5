"""The wire: what a probe records reaches the parent as the trace format's events, exactly."""

from __future__ import annotations

import io

import orjson
import pytest

from simtui.runtimes.probe import Probe
from simtui.trace import layout, wire
from simtui.trace.export import JsonlWriter
from simtui.trace.model import Trace
from simtui.trace.wire import Decoder, WireError

TASKS = ["main", "코루틴[1]", "a"]
HEADER = {"type": "header", "format": "simtui-trace", "version": 1, "runtime": "asyncio",
          "tasks": TASKS}


def ticking_probe() -> Probe:
    probe = Probe(TASKS)
    ticks = iter(range(probe.t0 + 100, probe.t0 + 1_000_000, 100))
    probe.clock = lambda: next(ticks)
    return probe


def record_every_type(probe: Probe) -> None:
    probe.create("main", None)
    probe.create("코루틴[1]", "main")
    probe.ready("main")
    probe.ready(None, 'timer 코루틴[1] "sleep"')
    probe.run("main", None)
    probe.run(None, "main", "gather: 코루틴[1] done")
    probe.step("main", 2, "gather", 15, 7)
    probe.suspend("main", "gather", "gather 코루틴[1]")
    probe.suspend("코루틴[1]", "sleep", "3 s", until=3.0001234)
    probe.suspend("a", "switch")
    probe.wake("코루틴[1]", "sleep")
    probe.output("코루틴[1]", "코루틴 0 대기 {i} \\ \n\x1b[2J")
    probe.block("main", "cpu", 0.25)
    probe.error("main", "RuntimeError: lock db is not acquired")
    probe.queue(["코루틴[1]", "timer 코루틴[1]"])
    probe.done("main")
    probe.end("deadlock", [{"task": "a", "waiting_on": "join b"}])
    probe.done("a")  # after `end`: never part of the trace


EXPECTED = [
    {"type": "create", "task": "main", "parent": None},
    {"type": "create", "task": "코루틴[1]", "parent": "main"},
    {"type": "ready", "task": "main"},
    {"type": "ready", "task": None, "item": 'timer 코루틴[1] "sleep"'},
    {"type": "run", "task": "main", "from": None},
    {"type": "run", "task": None, "from": "main", "item": "gather: 코루틴[1] done"},
    {"type": "step", "task": "main", "index": 2, "op": "gather", "line": 15, "col": 7},
    {"type": "suspend", "task": "main", "reason": "gather", "detail": "gather 코루틴[1]"},
    {"type": "suspend", "task": "코루틴[1]", "reason": "sleep", "detail": "3 s",
     "until": 3.0001234},
    {"type": "suspend", "task": "a", "reason": "switch"},
    {"type": "wake", "task": "코루틴[1]", "reason": "sleep"},
    {"type": "output", "task": "코루틴[1]", "text": "코루틴 0 대기 {i} \\ \n\x1b[2J"},
    {"type": "block", "task": "main", "reason": "cpu", "duration": 0.25},
    {"type": "error", "task": "main", "message": "RuntimeError: lock db is not acquired"},
    {"type": "queue", "task": None, "ready": ["코루틴[1]", "timer 코루틴[1]"]},
    {"type": "done", "task": "main"},
    {"type": "end", "task": None, "status": "deadlock", "elapsed": 0.0017,
     "stuck": [{"task": "a", "waiting_on": "join b"}]},
]


def stream_of(probe: Probe) -> bytes:
    return wire.encode(HEADER, probe.names, probe.extras, probe.records)


def decoded(data: bytes, piece: int | None = None) -> list[wire.Batch]:
    decoder = Decoder()
    batches: list[wire.Batch] = []
    step = piece or len(data)
    for k in range(0, len(data), step):
        batches += decoder.feed(data[k : k + step])
    decoder.close()
    return batches


def numbered(expected: list[dict]) -> list[dict]:
    # Each clock reading is 100 ns after the one before; `end` reads it twice (its
    # `elapsed`, then the record's own).
    last = len(expected) - 1
    return [{"seq": i, "t": (i + 1 + (i == last)) * 1e-7, **e} for i, e in enumerate(expected)]


def test_every_event_type_reaches_the_parent_as_the_format_object() -> None:
    probe = ticking_probe()
    record_every_type(probe)
    batches = decoded(stream_of(probe))
    events = [e for b in batches for e in b.events()]
    assert events[0] == HEADER
    got = events[1:]
    want = numbered(EXPECTED)
    assert [round(e["t"], 7) for e in got] == [round(e["t"], 7) for e in want]
    for g, w in zip(got, want, strict=True):
        assert {**g, "t": 0, "elapsed": 0} == {**w, "t": 0, "elapsed": 0}


def test_a_stream_cut_anywhere_decodes_the_same() -> None:
    probe = ticking_probe()
    record_every_type(probe)
    data = stream_of(probe)
    whole = [e for b in decoded(data) for e in b.events()]
    for piece in (1, 3, 16, 17, 100):
        assert [e for b in decoded(data, piece) for e in b.events()] == whole


def test_the_jsonl_written_from_batches_is_the_format_object_per_line() -> None:
    probe = ticking_probe()
    record_every_type(probe)
    batches = decoded(stream_of(probe))
    out = io.StringIO()
    writer = JsonlWriter(out)
    for batch in batches:
        writer.write_batch(batch)
    lines = out.getvalue().splitlines()
    assert [orjson.loads(line) for line in lines] == [e for b in batches for e in b.events()]
    assert "\x1b" not in out.getvalue()  # escaped, as every JSONL line simtui writes


def test_a_trace_fed_with_batches_equals_one_fed_with_their_dicts() -> None:
    probe = ticking_probe()
    record_every_type(probe)
    batches = decoded(stream_of(probe), 40)
    fast = Trace()
    fast.extend(batches)
    slow = Trace.from_events(e for b in batches for e in b.events())
    assert list(fast) == list(slow)
    assert fast.header == slow.header == HEADER
    assert fast.end == slow.end
    assert [fast.task(i) for i in range(len(fast))] == [slow.task(i) for i in range(len(slow))]


def test_time_never_goes_back_and_seq_continues_across_batches() -> None:
    probe = Probe(TASKS)
    t = probe.t0
    probe.emit(layout.READY, 0, t=t + 5000)
    first = stream_of(probe)
    del probe.records[:]
    probe.emit(layout.READY, 1, t=t + 4000)  # stamped earlier by another thread
    second = wire.Sender(len(TASKS)).records(probe.records)
    decoder = Decoder()
    a = decoder.feed(first)[-1]
    b = decoder.feed(second[0] + bytes(second[1]))[0]
    assert (a.start, b.start) == (0, 1)
    assert a.ts[0] == b.ts[0] == 5e-6


def test_a_record_that_refers_to_nothing_is_refused() -> None:
    probe = Probe(TASKS)
    probe.emit(layout.WAKE, 0, 99)  # no extras declared
    with pytest.raises(WireError):
        decoded(stream_of(probe))


def test_a_stream_that_ends_inside_a_frame_is_refused() -> None:
    probe = ticking_probe()
    record_every_type(probe)
    data = stream_of(probe)
    decoder = Decoder()
    decoder.feed(data[:-5])
    with pytest.raises(WireError):
        decoder.close()


def test_a_probe_that_does_not_record_records_nothing() -> None:
    probe = Probe(TASKS, record=False)
    record_every_type(probe)
    assert not probe.recording and len(probe.records) == 0



def test_columns_give_back_every_field_of_every_record() -> None:
    # Extremes of each field: the largest time (56 bits), every kind, "none" (-1),
    # callback keys and the largest int32; a torn record at the end is left out.
    import random
    import struct

    rnd = random.Random(7)
    fields = [(rnd.randrange(len(layout.KIND)),
               rnd.choice([0, 1, layout.T_MASK, rnd.randrange(layout.T_MASK)]),
               rnd.choice([layout.NONE, layout.callback_key(5), 0, 2**31 - 1]),
               rnd.choice([layout.NONE, 0, 3, 2**31 - 1])) for _ in range(1000)]
    data = b"".join(struct.pack("=qq", t | kind << layout.T_BITS, layout.word1(task, x))
                    for kind, t, task, x in fields)
    kinds, ts, tasks, xs = layout.columns(data + b"\x01" * 9)
    assert list(zip(kinds, ts, tasks, xs, strict=True)) == fields
