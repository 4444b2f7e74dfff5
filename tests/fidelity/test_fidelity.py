"""Every bundled scenario runs in the same order as when the references were recorded.

The references (`reference.json`) were recorded by the runtimes before their recorders
were rewritten; regenerate them with `python -m tests.fidelity.sequences` only when a
change of schedule is meant. See `sequences.py` for what is compared and what is left out.
"""

from __future__ import annotations

import pytest

from tests.fidelity.sequences import cases, key, load_reference, record

REFERENCE = load_reference()
CASES = cases()


def test_every_case_has_a_reference() -> None:
    assert sorted(key(path, runtime) for path, runtime in CASES) == sorted(REFERENCE)


@pytest.mark.parametrize(("path", "runtime"), CASES, ids=[key(p, r) for p, r in CASES])
def test_the_run_and_ready_orders_are_the_reference(path: str, runtime: str) -> None:
    expected = REFERENCE[key(path, runtime)]
    got = record(path, runtime)
    for what in ("status", "stuck", "run", "ready", "callbacks"):
        assert got[what] == expected[what], what
