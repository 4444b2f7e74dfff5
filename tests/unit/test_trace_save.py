"""Saving a trace: default names that are safe in any folder, and the JSONL written in full."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from simtui.trace.reader import read_trace
from simtui.trace.save import default_name, encode, free_name, save_trace

HEADER = {"type": "header", "format": "simtui-trace", "version": 1, "scenario": "s",
          "runtime": "asyncio"}
EVENTS = [{"seq": 0, "t": 0.0, "type": "create", "task": "main", "parent": None},
          {"seq": 1, "t": 0.1, "type": "done", "task": "main"}]
END = {"seq": 2, "t": 0.2, "type": "end", "task": None, "status": "ok", "elapsed": 0.2}


@pytest.mark.parametrize(("scenario", "runtime", "name"), [
    ("gather10", "asyncio", "gather10-asyncio.trace.jsonl"),
    ("../x", "asyncio", "x-asyncio.trace.jsonl"),
    ("nodir/x", "gevent", "x-gevent.trace.jsonl"),
    ("/abs/path/evil", "threads", "evil-threads.trace.jsonl"),
    ("..", "asyncio", "trace-asyncio.trace.jsonl"),
    ("a\x1b]52;c;x\x07b", "../../rt", "a_52_c_x_b-rt.trace.jsonl"),
    (None, None, "trace-run.trace.jsonl"),
])
def test_default_names_keep_only_a_safe_last_part(scenario: object, runtime: object,
                                                  name: str) -> None:
    assert default_name({"scenario": scenario, "runtime": runtime}) == name


def test_free_name_counts_up_past_anything_there(tmp_path: Path) -> None:
    assert free_name(tmp_path, "t.trace.jsonl") == "t.trace.jsonl"
    (tmp_path / "t.trace.jsonl").write_text("", encoding="utf-8")
    (tmp_path / "t-2.trace.jsonl").symlink_to(tmp_path / "missing")  # a dangling link counts
    assert free_name(tmp_path, "t.trace.jsonl") == "t-3.trace.jsonl"


def test_the_end_is_written_once_and_the_file_reads_back(tmp_path: Path) -> None:
    path = save_trace(tmp_path / "t.jsonl", HEADER, EVENTS, END)
    assert [e["type"] for e in read_trace(path)] == ["header", "create", "done", "end"]
    again = b"".join(encode(HEADER, [*EVENTS, END], END))
    assert again == path.read_bytes(), "an end already among the events is not repeated"
    with pytest.raises(FileExistsError):
        save_trace(path, HEADER, EVENTS)
    save_trace(path, HEADER, EVENTS, overwrite=True)
    assert [orjson.loads(x)["type"] for x in path.read_bytes().splitlines()] == [
        "header", "create", "done"]


def test_a_large_trace_is_written_in_chunks(tmp_path: Path) -> None:
    many = [{"seq": k, "t": k / 1e3, "type": "ready", "task": "main"} for k in range(20_000)]
    chunks = list(encode(HEADER, many))
    assert len(chunks) > 1 and all(c.endswith(b"\n") for c in chunks)
    path = save_trace(tmp_path / "big.jsonl", HEADER, many)
    assert sum(1 for _ in read_trace(path)) == 20_001
