"""Writing and reading the JSONL trace: batch encoding, line splitting, the header."""

from __future__ import annotations

import platform
from collections.abc import Iterable, Iterator
from typing import IO, Any

import orjson

from simtui import __version__
from simtui.scenario.model import Scenario
from simtui.trace.events import FIELDS, FORMAT, VERSION


def make_header(scenario: Scenario, runtime: str, time_scale: float) -> dict[str, Any]:
    """The first line of a trace (trace-format.md, Header)."""
    return {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "scenario": scenario.name,
        "title": scenario.title,
        "source": scenario.source,
        "runtime": runtime,
        "python": platform.python_version(),
        "simtui": __version__,
        "time_scale": time_scale,
        "options": scenario.options_for(runtime),
        "tasks": list(scenario.instances),
    }


class Encoder:
    """Turns recorded tuples into JSONL, numbering events and keeping `t` monotonic."""

    def __init__(self, t0_ns: int) -> None:
        self.t0_ns = t0_ns
        self.seq = 0
        self.last_t = 0.0
        self.ended = False

    def encode(self, records: Iterable[tuple[Any, ...]]) -> bytes:
        """Encode records up to and including an `end` one; later records are dropped."""
        out: list[bytes] = []
        dumps = orjson.dumps
        t0 = self.t0_ns
        for rec in records:
            if self.ended:
                break
            kind = rec[1]
            # Threads stamp the clock before appending, so two records can land out of
            # order by a few nanoseconds; the trace's clock must never go back.
            t = round((rec[0] - t0) / 1e9, 7)
            if t < self.last_t:
                t = self.last_t
            self.last_t = t
            ev: dict[str, Any] = {"seq": self.seq, "t": t, "type": kind, "task": rec[2]}
            for name, value in zip(FIELDS[kind], rec[3:], strict=False):
                if value is not None or name == "parent" or name == "from":
                    ev[name] = value
            out.append(dumps(ev))
            self.seq += 1
            if kind == "end":
                self.ended = True
        if not out:
            return b""
        out.append(b"")
        return b"\n".join(out)


def encode_header(header: dict[str, Any]) -> bytes:
    return orjson.dumps(header) + b"\n"


def split_lines(buffer: bytearray, chunk: bytes) -> list[bytes]:
    """Append `chunk` to `buffer`; return the complete lines and keep the rest buffered."""
    buffer += chunk
    cut = buffer.rfind(b"\n")
    if cut < 0:
        return []
    lines = bytes(buffer[:cut]).split(b"\n")
    del buffer[: cut + 1]
    return lines


def parse_lines(lines: Iterable[bytes]) -> list[dict[str, Any]]:
    loads = orjson.loads
    return [loads(line) for line in lines if line]


def read_jsonl(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Every object of a JSONL trace file, header first."""
    buffer = bytearray()
    while chunk := stream.read(1 << 18):
        yield from parse_lines(split_lines(buffer, chunk))
    if buffer.strip():
        yield orjson.loads(bytes(buffer))
