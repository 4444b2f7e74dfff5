"""The table of runtime facts tells the truth, so what it leaves out is really inexpressible."""

from __future__ import annotations

from typing import Any

import pytest

from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import load_text
from simtui.scenario.model import RUNTIMES
from tests.conformance.recorded import bundled, bundled_cases
from tests.conformance.runtimes import FACTS, cases, ops_of, runtimes_for, unsupported_ops
from tests.conformance.test_claims import CALLS
from tests.conformance.test_deadlocks import DEADLOCKS, JOIN_ERRORS, LEFT_SUSPENDED
from tests.conformance.test_fifo import ORDERS
from tests.conformance.test_runaways import LOOPS, RUNAWAYS
from tests.tracehelp import of

TABLES: dict[str, Any] = {
    "deadlocks": DEADLOCKS, "join_errors": JOIN_ERRORS, "left_suspended": LEFT_SUSPENDED,
    "orders": ORDERS, "runaways": RUNAWAYS, "loops": LOOPS, "calls": CALLS,
}


def test_every_runtime_has_its_facts() -> None:
    assert set(FACTS) == set(RUNTIMES)
    assert all(FACTS[name].name == name for name in FACTS)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_case_is_left_out_only_where_the_loader_refuses_its_ops(runtime: str) -> None:
    facts = FACTS[runtime]
    for table, entries in TABLES.items():
        for name, entry in entries.items():
            ops = ops_of(entry.text)
            if facts.can_run(ops):
                load_text(entry.text, f"{table}/{name}", runtime=runtime)  # no error
                continue
            with pytest.raises(ScenarioError) as refused:
                load_text(entry.text, f"{table}/{name}", runtime=runtime)
            for op in ops & unsupported_ops(runtime):
                assert f"`{op}` cannot run on {runtime}" in str(refused.value), (table, name)


@pytest.mark.parametrize(
    ("name", "runtime"), bundled_cases(), ids=[f"{r}-{n}" for n, r in bundled_cases()]
)
def test_ready_events_and_snapshots_exist_exactly_where_the_table_says(
    name: str, runtime: str
) -> None:
    # Every bundled run asks for snapshots: a runtime with no queue to read has none.
    events = bundled(name, runtime)
    assert bool(of(events, "ready")) == (FACTS[runtime].queue != "none")
    assert bool(of(events, "queue")) == FACTS[runtime].snapshots


def test_only_a_runtime_where_tasks_can_wait_on_each_other_has_deadlocks() -> None:
    assert {p.values[0] for p in cases(DEADLOCKS)} == {
        name for name, facts in FACTS.items() if facts.deadlock is not None
    }


def test_a_join_before_start_has_one_outcome_on_each_runtime_that_can_express_it() -> None:
    # The shape left out of the deadlocks by a fact, not by its ops, is an error instead.
    waits = {p.values[0] for p in cases(DEADLOCKS) if p.values[1] == "join_of_a_task_never_started"}
    fails = {p.values[0] for p in cases(JOIN_ERRORS)}
    assert waits.isdisjoint(fails)
    assert waits | fails == set(runtimes_for(JOIN_ERRORS["join_of_a_task_never_started"].text))


NOT_PREEMPTIVE = [(n, r) for n, r in bundled_cases() if not FACTS[r].preemptive]


@pytest.mark.parametrize(
    ("name", "runtime"), NOT_PREEMPTIVE, ids=[f"{r}-{n}" for n, r in NOT_PREEMPTIVE]
)
def test_a_runtime_that_is_not_preemptive_never_takes_control_from_a_task(
    name: str, runtime: str
) -> None:
    assert [e for e in of(bundled(name, runtime), "suspend") if e["reason"] == "preempt"] == []
