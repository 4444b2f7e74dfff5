"""Every bundled scenario runs in the same order as when the references were recorded.

The references (`reference.json`) were recorded by the runtimes before their recorders
were rewritten; regenerate them with `python -m tests.fidelity.sequences` only when a
change of schedule is meant. See `sequences.py` for what is compared and what is left out.
"""

from __future__ import annotations

import pytest

from simtui.trace import labels
from tests.fidelity.sequences import cases, key, load_reference, record

REFERENCE = load_reference()
CASES = cases()


def test_every_case_has_a_reference() -> None:
    assert sorted(key(path, runtime) for path, runtime in CASES) == sorted(REFERENCE)


@pytest.mark.parametrize(("path", "runtime"), CASES, ids=[key(p, r) for p, r in CASES])
def test_the_run_and_ready_orders_are_the_reference(path: str, runtime: str) -> None:
    expected = REFERENCE[key(path, runtime)]
    got = record(path, runtime)
    for what in ("status", "stuck", "run", "ready"):
        assert got[what] == expected[what], what
    assert by_kind(got["callbacks"]) == by_kind(expected["callbacks"])


def by_kind(items: list[str]) -> dict[str, list[str]]:
    """Ready-queue entries that are not tasks, in order per kind (timers, gather's
    done-callbacks, hub notifiers ...). Across kinds the order is the clock's: a loop
    that gets to its timers late moves more of them to the queue at once, so a timer
    can come before or after another task's done-callback from one run to the next,
    while the order within each kind stays the scenario's."""
    out: dict[str, list[str]] = {}
    for item in items:
        out.setdefault(labels.read_item(item).kind, []).append(item)
    return out


def test_callbacks_are_compared_in_order_within_each_kind_only() -> None:
    early = ["timer a", "timer b", "gather: a done", "gather: b done"]
    late = ["timer a", "gather: a done", "timer b", "gather: b done"]
    assert by_kind(early) == by_kind(late)
    assert by_kind(early) != by_kind(["timer b", "timer a", "gather: a done", "gather: b done"])
