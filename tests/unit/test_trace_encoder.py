"""The worker's encoder writes exactly the trace format's objects, whichever path it takes."""

from __future__ import annotations

import orjson

from simtui.trace.events import to_dict
from simtui.trace.io import Encoder

T0 = 1_000_000_000

RECORDS = [
    (T0 + 100, "create", "main", None),
    (T0 + 200, "create", "코루틴[1]", "main"),
    (T0 + 300, "ready", "main", None),
    (T0 + 400, "ready", None, "timer coco[3] \"sleep\""),
    (T0 + 500, "run", "main", None, None),
    (T0 + 600, "run", None, "main", "gather: coco[3] done"),
    (T0 + 700, "step", "main", 2, "gather", 15, 7),
    (T0 + 800, "suspend", "main", "gather", "gather coco[0] … coco[9] (10 tasks)", None),
    (T0 + 900, "suspend", "coco[0]", "sleep", "3 s", 3.0001234),
    (T0 + 1000, "suspend", "a", "switch", None, None),
    (T0 + 1100, "wake", "coco[0]", "sleep"),
    (T0 + 1200, "output", "coco[0]", "코루틴 0 대기 {i} \\ \n"),
    (T0 + 1300, "block", "main", "cpu", 0.25),
    (T0 + 1400, "error", "main", "RuntimeError: lock db is not acquired"),
    (T0 + 1500, "queue", None, ["coco[1]", "timer coco[0]"]),
    (T0 + 1600, "done", "main"),
    (T0 + 1700, "end", None, "deadlock", 0.0000017, [{"task": "a", "waiting_on": "join b"}]),
    (T0 + 1800, "done", "late"),  # after `end`: never written
]


def test_every_event_type_encodes_to_the_format_object() -> None:
    lines = Encoder(T0).encode(RECORDS).decode().splitlines()
    assert len(lines) == len(RECORDS) - 1
    for seq, (line, rec) in enumerate(zip(lines, RECORDS, strict=False)):
        expected = to_dict(seq, (rec[0] - T0) / 1e9, rec[1], rec[2], rec[3:])
        assert orjson.loads(line) == expected, line


def test_time_never_goes_back_and_seq_continues_across_batches() -> None:
    enc = Encoder(T0)
    first = enc.encode([(T0 + 5000, "ready", "a", None)])
    second = enc.encode([(T0 + 4000, "ready", "b", None)])  # stamped earlier by another thread
    a, b = orjson.loads(first), orjson.loads(second)
    assert (a["seq"], b["seq"]) == (0, 1)
    assert b["t"] == a["t"] == 5e-6


def test_the_probe_methods_record_the_layout_the_encoder_reads() -> None:
    from simtui.runtimes.probe import Probe
    from simtui.scenario.model import Step

    probe = Probe()
    ticks = iter(range(probe.t0 + 100, probe.t0 + 10_000, 100))
    probe._clock = lambda: next(ticks)
    probe.create("b", "main")
    probe.ready(None, "timer b")
    probe.run("b", "main")
    probe.step("b", Step("sleep", 21, 9, 1, seconds=3.0))
    probe.suspend("b", "sleep", "3 s", until=3.0)
    probe.wake("b", "sleep")
    probe.output("b", "hi")
    probe.block("b", "cpu", 0.5)
    probe.error("b", "boom")
    probe.queue(["b"])
    probe.done("b")
    probe.end("ok")
    lines = [orjson.loads(x) for x in Encoder(probe.t0).encode(probe.events).splitlines()]
    assert [(e["type"], e["task"]) for e in lines] == [
        ("create", "b"), ("ready", None), ("run", "b"), ("step", "b"), ("suspend", "b"),
        ("wake", "b"), ("output", "b"), ("block", "b"), ("error", "b"), ("queue", None),
        ("done", "b"), ("end", None),
    ]
    assert lines[0]["parent"] == "main" and lines[1]["item"] == "timer b"
    assert lines[2]["from"] == "main"
    assert (lines[3]["index"], lines[3]["op"], lines[3]["line"], lines[3]["col"]) == (
        1, "sleep", 21, 9)
    assert (lines[4]["reason"], lines[4]["detail"], lines[4]["until"]) == ("sleep", "3 s", 3.0)
    assert lines[7]["duration"] == 0.5 and lines[9]["ready"] == ["b"]
    assert lines[11]["status"] == "ok" and "stuck" not in lines[11]
