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
