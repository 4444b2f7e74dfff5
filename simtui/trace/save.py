"""Saving a trace as a JSONL file: a safe default name from its header, an atomic write.

Names in a trace header (the scenario's `name`, the runtime) are data: a default file
name built from them keeps only their last path part, through `safe_name`, so that
`name: "../x"` or an absolute path in a replayed header can never choose the folder.
Where the file goes is the user's choice alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from simtui.files import atomic_write
from simtui.safe import safe_name

SUFFIX = ".trace.jsonl"
CHUNK = 1 << 16
"""Bytes encoded before they are written: a large trace is never held whole."""


def _last_part(value: object, fallback: str) -> str:
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return safe_name(text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1], fallback)


def default_name(header: Mapping[str, Any] | None, runtime: str = "") -> str:
    """`SCENARIO-RUNTIME.trace.jsonl` from the header, safe as a file name in any folder."""
    header = header or {}
    scenario = _last_part(header.get("scenario"), "trace")
    rt = _last_part(header.get("runtime") or runtime, "run")
    return f"{scenario}-{rt}{SUFFIX}"


def free_name(directory: Path, name: str) -> str:
    """`name`, or `STEM-2.trace.jsonl`, `-3`… : the first that names nothing in `directory`."""
    stem = name.removesuffix(SUFFIX)
    suffix = SUFFIX if name.endswith(SUFFIX) else ""
    candidate, k = name, 2
    while os.path.lexists(directory / candidate):
        candidate = f"{stem}-{k}{suffix}"
        k += 1
    return candidate


def encode(header: Mapping[str, Any] | None, events: Iterable[dict[str, Any]],
           end: Mapping[str, Any] | None = None) -> Iterator[bytes]:
    """The trace as JSONL, in chunks: the header, the events, then `end` if not already last."""
    dumps = orjson.dumps
    out: list[bytes] = []
    size = 0
    if header:
        out.append(dumps(dict(header)) + b"\n")
    last: dict[str, Any] | None = None
    for event in events:
        last = event
        line = dumps(event) + b"\n"
        out.append(line)
        size += len(line)
        if size >= CHUNK:
            yield b"".join(out)
            out, size = [], 0
    if end is not None and (last is None or last.get("type") != "end"):
        out.append(dumps(dict(end)) + b"\n")
    if out:
        yield b"".join(out)


def save_trace(path: str | os.PathLike[str], header: Mapping[str, Any] | None,
               events: Iterable[dict[str, Any]], end: Mapping[str, Any] | None = None, *,
               overwrite: bool = False) -> Path:
    """Write the trace to `path` atomically; an existing file only with `overwrite`.

    Returns the path written. Raises `OSError` (`FileExistsError` when the file exists
    and `overwrite` is false, even if it appeared while writing).
    """
    return atomic_write(path, encode(header, events, end), overwrite=overwrite)
