"""The sentences of a comparison, from hand-made figures: what is told, in whose words."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest

from simtui.compare.comparison import Lane
from simtui.compare.metrics import Metrics, StepGroup
from simtui.compare.wording import Run, manner, sentences, step_text
from simtui.scenario.loader import load_text
from simtui.scenario.model import OptionValue

WORKERS = """\
runtimes: [asyncio, gevent, greenlet, threads]
tasks:
  main:
    - spawn: w
  w:
    count: 3
    steps:
      - block: "1.5 s"   # a comment
      - cpu: 250ms
"""
SCENARIO = load_text(WORKERS, "<t>")
BLOCK_LINE, CPU_LINE = 8, 9


def lane(runtime: str, k: int = 0, scenario: Any = SCENARIO,
         settings: dict[str, OptionValue] | None = None) -> Lane:
    return Lane(k, scenario, runtime, 1.0, MappingProxyType(settings or {}), runtime)


def steps(op: str = "block", *, total: float = 3.0, union: float = 1.0, count: int = 3,
          blocked: float = 0.0, preemptions: int = 0) -> StepGroup:
    line = BLOCK_LINE if op == "block" else CPU_LINE
    return StepGroup("w", 0 if op == "block" else 1, op, line, 9, count, 0.0, union, total,
                     total / count, union, blocked, preemptions)


def metrics(**kw: Any) -> Metrics:
    base = Metrics(status="ok", elapsed=1.0, switches=10, callbacks=0, preemptions=0,
                   longest_queue=3, blocked=0.0, waiting=0.0, finish_order=("w[0]", "main"),
                   outputs=("a", "b"), stuck=(), message=None, groups=())
    return replace(base, **kw)


def test_one_run_has_nothing_to_compare() -> None:
    assert sentences([Run(lane("asyncio"), metrics())]) == []


def test_the_same_figures_say_nothing() -> None:
    assert sentences([Run(lane("asyncio"), metrics()), Run(lane("gevent", 1), metrics())]) == []


def test_a_step_that_blocked_in_one_run_and_overlapped_in_another() -> None:
    runs = [Run(lane("gevent"), metrics(groups=(steps(union=3.0, total=3.0, blocked=3.0),))),
            Run(lane("threads", 1), metrics(groups=(steps(union=1.0, total=3.0),)))]
    assert sentences(runs) == [
        "On gevent, the three `block: \"1.5 s\"` steps (`time.sleep`) blocked the hub, one "
        "after another (3 s in all); on threads, they overlapped (1 s in all, 3 s one after "
        "another)"]


def test_greenlet_blocks_its_only_thread_and_threads_take_turns() -> None:
    runs = [Run(lane("greenlet"), metrics(groups=(steps("cpu", union=0.75, total=0.75,
                                                        blocked=0.75),))),
            Run(lane("threads", 1), metrics(groups=(steps("cpu", union=0.8, total=2.0,
                                                          preemptions=40),)))]
    (text,) = sentences(runs)
    assert text == ("On greenlet, the three `cpu: 250ms` steps blocked the only thread, one "
                    "after another (750 ms in all); on threads, they took turns, one running "
                    "at a time (800 ms in all, preempted 40 times)")


def test_runs_that_differ_by_an_option_are_named_by_it() -> None:
    runs = [Run(lane("gevent", 0, settings={"gevent.monkey_patch": True}),
                metrics(groups=(steps(union=1.0),))),
            Run(lane("gevent", 1, settings={"gevent.monkey_patch": False}),
                metrics(groups=(steps(union=3.0, blocked=3.0),)))]
    (text,) = sentences(runs)
    assert text.startswith("With monkey_patch=true, the three `block: \"1.5 s\"` steps")
    assert "; with monkey_patch=false, they blocked the hub" in text


def test_the_same_manner_at_notably_different_times_gives_each_time() -> None:
    runs = [Run(lane("asyncio"), metrics(groups=(steps(union=1.0),))),
            Run(lane("gevent", 1), metrics(groups=(steps(union=2.0, total=3.0),)))]
    (text,) = sentences(runs)
    assert text == ("On asyncio and gevent, the three `block: \"1.5 s\"` steps (`time.sleep`) "
                    "overlapped (in all 1 s on asyncio and 2 s on gevent, 3 s one after "
                    "another)")


def test_a_single_step_that_did_not_block() -> None:
    runs = [Run(lane("asyncio"), metrics(groups=(steps(count=1, total=1.5, union=1.5,
                                                       blocked=1.5),))),
            Run(lane("threads", 1), metrics(groups=(steps(count=1, total=1.5, union=1.5),)))]
    (text,) = sentences(runs)
    assert text.endswith("on threads, it did not hold up the other threads (1.5 s)")
    runs.append(Run(lane("gevent", 2), runs[1].metrics))
    (text,) = sentences(runs)
    assert text.endswith("on threads and gevent, it did not hold up the other tasks (1.5 s)")
    assert text.startswith("On asyncio, the `block: \"1.5 s\"` step (`time.sleep`) blocked "
                           "the event loop (1.5 s)")


def test_manner() -> None:
    assert manner(steps(blocked=1.0, union=1.0), lane("asyncio")) == "blocked"
    assert manner(steps(preemptions=3), lane("threads")) == "turns"
    assert manner(steps(preemptions=3), lane("asyncio")) == "overlapped"  # never preempts
    assert manner(steps(total=1.1, union=1.0), lane("asyncio")) == "sequential"
    assert manner(steps(count=1, total=1.0, union=1.0), lane("asyncio")) == "alone"


def test_a_step_is_quoted_as_the_scenario_writes_it() -> None:
    assert step_text(SCENARIO, steps("block")) == '`block: "1.5 s"`'
    assert step_text(SCENARIO, steps("cpu")) == "`cpu: 250ms`"
    flow = load_text("tasks:\n  main: [{sleep: 2}, {sleep: 1e-3}]\n", "<t>")
    g = StepGroup("main", 0, "sleep", 2, 11, 1, 0, 0, 0, 0, 0, 0, 0)
    assert step_text(flow, g) == "`sleep: 2`"
    g2 = replace(g, col=23)
    assert step_text(flow, g2) == "`sleep: 1e-3`"


def test_statuses_that_differ_are_told_first_with_what_was_stuck() -> None:
    runs = [Run(lane("asyncio"), metrics()),
            Run(lane("threads", 1), metrics(status="deadlock", stuck=(
                ("main", "lock a"), ("w[0]", "lock b"), ("w[1]", "lock a"),
                ("w[2]", "lock b"))))]
    assert sentences(runs)[0] == (
        "On asyncio the run ended ok; on threads the run deadlocked (stuck: main on lock a, "
        "w[0] on lock b, w[1] on lock a and 1 more)")


def test_elapsed_is_told_when_no_step_explains_it() -> None:
    runs = [Run(lane("asyncio"), metrics(elapsed=1.0)),
            Run(lane("gevent", 1), metrics(elapsed=2.0))]
    assert sentences(runs) == ["The run took 1 s on asyncio, 2 s on gevent"]
    noise = [Run(lane("asyncio"), metrics(elapsed=0.0015)),
             Run(lane("gevent", 1), metrics(elapsed=0.0031))]
    assert sentences(noise) == []  # twice as long, but by less than start-up noise


def test_switches_say_how_many_were_callbacks_and_preemptions() -> None:
    runs = [Run(lane("asyncio"), metrics(switches=43, callbacks=21)),
            Run(lane("threads", 1), metrics(switches=320, preemptions=300))]
    assert sentences(runs) == [
        "There were 43 switches on asyncio (21 of them the event loop running its own "
        "callbacks) and 320 on threads (300 of them preemptions)"]


def test_a_queue_of_notably_different_length_and_a_runtime_without_one() -> None:
    runs = [Run(lane("asyncio"), metrics(longest_queue=10)),
            Run(lane("gevent", 1), metrics(longest_queue=10)),
            Run(lane("greenlet", 2), metrics(longest_queue=None))]
    assert sentences(runs) == [
        "The ready queue held up to 10 entries on asyncio and gevent and on greenlet there "
        "is none"]


def test_another_finish_order_on_threads_is_the_oss_choice() -> None:
    runs = [Run(lane("asyncio"), metrics(finish_order=("w[0]", "w[1]", "w[2]"))),
            Run(lane("threads", 1), metrics(finish_order=("w[0]", "w[2]", "w[1]")))]
    assert sentences(runs) == [
        "The tasks finished in another order on threads than on asyncio: w[2] before w[1] "
        "(on threads, which thread runs next is the OS's choice)"]


def test_a_task_that_did_not_finish() -> None:
    runs = [Run(lane("asyncio"), metrics(finish_order=("w[0]", "main"))),
            Run(lane("gevent", 1), metrics(status="ok", finish_order=("main",)))]
    assert "w[0] did not finish" in sentences(runs)[0]


@pytest.mark.parametrize(("mine", "line"), [
    (("a", "c"), "from line 2 on: `c` on gevent, `b` on asyncio"),
    (("a",), "from line 2 on: nothing on gevent, `b` on asyncio"),
])
def test_another_output_is_quoted_from_the_first_line_that_differs(
        mine: tuple[str, ...], line: str) -> None:
    runs = [Run(lane("asyncio"), metrics()), Run(lane("gevent", 1), metrics(outputs=mine))]
    assert sentences(runs) == [f"The output differs {line}"]


def test_printed_text_is_quoted_as_data_cut_to_a_readable_length() -> None:
    hostile = "\x1b]0;X\x07" + "x" * 60
    runs = [Run(lane("asyncio"), metrics()),
            Run(lane("gevent", 1), metrics(outputs=("a", hostile)))]
    (text,) = sentences(runs)
    # The sentence keeps the text as it is (the printer escapes it), cut short.
    assert "\x1b]0;X\x07" in text and "x" * 40 not in text and "…" in text


def test_a_first_run_cut_short_is_not_the_measure_of_the_others_orders() -> None:
    runs = [Run(lane("asyncio"), metrics(status="killed", message="interrupted (Ctrl-C)",
                                         finish_order=(), outputs=())),
            Run(lane("gevent", 1), metrics())]
    assert sentences(runs) == [
        "On asyncio the run was killed (interrupted (Ctrl-C)); on gevent the run ended ok"]


OTHER = load_text("name: other\ntasks:\n  main: [{print: x}]\n", "other.yaml")


def test_orders_of_two_scenarios_are_compared_only_when_they_print_the_same_lines() -> None:
    mine = Run(lane("asyncio"), metrics(outputs=("a", "b"), finish_order=("w[0]", "main")))
    other = Run(lane("asyncio", 1, scenario=OTHER),
                metrics(outputs=("x",), finish_order=("main",)))
    assert sentences([mine, other]) == []
    same_lines = Run(lane("asyncio", 1, scenario=OTHER),
                     metrics(outputs=("b", "a"), finish_order=("main", "w[0]")))
    name = SCENARIO.name
    assert sentences([mine, same_lines]) == [
        f"The tasks finished in another order in other than in {name}: main before w[0]",
        f"The output differs from line 1 on: `b` in other, `a` in {name}"]


def test_runs_that_leave_the_first_runs_order_alike_share_a_sentence() -> None:
    first = Run(lane("threads"), metrics(finish_order=("w[1]", "w[0]"), outputs=("b", "a")))
    others = [Run(lane(rt, k), metrics(finish_order=("w[0]", "w[1]"), outputs=("a", "b")))
              for k, rt in enumerate(("asyncio", "gevent"), 1)]
    assert sentences([first, *others]) == [
        "The tasks finished in another order on asyncio and gevent than on threads: w[0] "
        "before w[1] (on threads, which thread runs next is the OS's choice)",
        "The output differs from line 1 on: `a` on asyncio and gevent, `b` on threads"]


def test_a_run_is_named_by_its_variants_in_the_order_they_were_given() -> None:
    settings = [{"threads.switch_interval": v, "time_scale": s}
                for v, s in ((0.005, 1.0), (0.02, 0.1))]
    runs = [Run(lane("threads", k, settings=st), metrics(elapsed=1.0 + 9 * k))
            for k, st in enumerate(settings)]
    assert sentences(runs) == ["The run took 1 s with switch_interval=5ms and time_scale=1, "
                               "10 s with switch_interval=20ms and time_scale=0.1"]
