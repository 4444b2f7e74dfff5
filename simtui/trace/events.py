"""Event types of the trace format (trace-format.md, version 1) and their fields."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simtui import __version__, runtimespec

if TYPE_CHECKING:
    from simtui.scenario.model import Scenario

FORMAT = "simtui-trace"
VERSION = 1

# Extra fields of each event type, in order; `None` values are left out of the JSON.
# `inferred` (true, or absent) marks an event deduced at the next observation point rather
# than seen as it happened (threads: who lost the GIL, seen when the next holder records);
# `recorder` on `end` is what recording cost the run, known only once it is over.
FIELDS: dict[str, tuple[str, ...]] = {
    "create": ("parent",),
    "ready": ("item", "inferred"),
    "run": ("from", "item"),
    "suspend": ("reason", "detail", "until", "inferred"),
    "wake": ("reason",),
    "step": ("index", "op", "line", "col"),
    "output": ("text",),
    "block": ("reason", "duration"),
    "done": (),
    "error": ("message",),
    "queue": ("ready",),
    "end": ("status", "elapsed", "stuck", "message", "recorder"),
}
TYPES = tuple(FIELDS)
SUSPEND_REASONS = frozenset(
    {"sleep", "yield", "join", "gather", "lock", "event", "queue", "io", "switch", "preempt"}
)
END_STATUSES = frozenset({"ok", "deadlock", "timeout", "error", "limit", "killed"})
QUEUE_DISCIPLINES = frozenset({"fifo", "set", "none"})
"""The optional header field `queue`: how a runtime orders its ready queue."""
# Fields that are written even when None (the spec requires them present).
ALWAYS = frozenset({"parent", "from"})


def queue_discipline(header: Mapping[str, Any]) -> str:
    """`fifo`, `set` or `none`: how the trace's runtime orders its ready queue.

    The header says so (`queue`); a trace written before that field existed is read by
    the spec of the runtime it names, and an unknown runtime is taken as FIFO.
    """
    declared = header.get("queue")
    if declared in ("fifo", "set", "none"):
        return str(declared)
    spec = runtimespec.SPECS.get(str(header.get("runtime")))
    return spec.queue if spec is not None else "fifo"


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
        "queue": runtimespec.get(runtime).queue,
        "python": platform.python_version(),
        "simtui": __version__,
        "time_scale": time_scale,
        "options": scenario.options_for(runtime),
        "tasks": list(scenario.instances),
    }
