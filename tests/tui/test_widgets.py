"""Each pane alone in a tiny host app, fed hand-built `State`s: what it draws, and how much."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from textual.app import App, ComposeResult
from textual.widget import Widget

from simtui.replay.model import Replay
from simtui.replay.state import ReadyEntry, State, TaskView
from simtui.scenario.loader import load_scenario
from simtui.trace.model import Trace
from simtui.tui.view import PlayerView, Source, step_table
from simtui.tui.widgets.panes import OutputPane, ReadyQueuePane, RunningPane, WaitingPane
from simtui.tui.widgets.rows import RowsView
from simtui.tui.widgets.source import SourcePane
from simtui.tui.widgets.timeline import TimelinePane


@dataclass
class FakeReplay:
    """Just what the panes read from a replay, for states built by hand."""

    tasks: Sequence[str] = ()
    outputs: Sequence[tuple[int, float, str | None, str]] = ()
    segs: dict[str, tuple[list[float], list[str]]] = field(default_factory=dict)

    def segments(self, task: str) -> tuple[list[float], list[str]]:
        return self.segs.get(task, ([], []))


class Host(App[None]):
    def __init__(self, pane: Widget) -> None:
        super().__init__()
        self.pane = pane

    def compose(self) -> ComposeResult:
        yield self.pane


def state(**kw) -> State:  # type: ignore[no-untyped-def]
    base = dict(index=10, t=0.5, switch=3, running=None, running_item=None, came_from=None,
                ready=(), departed=None, tasks={}, waiting=(), done=(), output_count=0,
                event={"type": "run", "t": 0.5, "task": None, "seq": 10})
    base.update(kw)
    return State(**base)


def view(st: State, runtime: str = "asyncio", replay=None, scenario=None,  # type: ignore[no-untyped-def]
         source: Source | None = None) -> PlayerView:
    return PlayerView(
        trace=Trace(), replay=replay or Replay(Trace()), state=st, prev=None, runtime=runtime,
        length=st.index + 1, total_switches=10, start_t=0.0, end_t=1.0, live=False,
        scenario=scenario, source=source, run_id=1, steps=step_table(scenario),
    )


def rows(pane: RowsView) -> list[str]:
    return [pane.render_line(y).text.rstrip() for y in range(pane.size.height)]


async def test_ready_queue_marks_the_head_arrivals_callbacks_and_the_departed() -> None:
    pane = ReadyQueuePane()
    st = state(
        running="coco[0]", departed="coco[0]",
        event={"type": "run", "task": "coco[0]", "t": 0.5, "seq": 10},
        ready=(ReadyEntry("coco[1]", False, False), ReadyEntry("gather done-callback", True, False),
               ReadyEntry("coco[2]", False, True)),
    )
    async with Host(pane).run_test(size=(60, 10)) as pilot:
        pane.view = view(st)
        await pilot.pause()
        text = rows(pane)
        assert "↑ coco[0]" in text[0] and "running" in text[0]
        assert text[1].split() == ["1", "coco[1]", "←", "next"]
        assert text[2].split()[:2] == ["2", "gather"]
        assert text[3].split() == ["3", "coco[2]", "+", "new"]
        assert pane.border_title == "Ready queue (FIFO) · 3"
        callback_style = next(s.style for s in pane.render_line(2) if "gather" in s.text)
        assert callback_style.italic, "callbacks that are not tasks are drawn apart"


async def test_greenlet_has_no_ready_queue_and_lists_suspended_greenlets() -> None:
    pane = ReadyQueuePane()
    st = state(waiting=("task_b",), tasks={"task_b": TaskView("task_b", "waiting", 0.1,
                                                               reason="switch")})
    async with Host(pane).run_test(size=(60, 6)) as pilot:
        pane.view = view(st, runtime="greenlet")
        await pilot.pause()
        text = rows(pane)
        assert text[:2] == ["no ready queue —", "greenlet has no scheduler"]
        assert text[2].split() == ["task_b", "switch"]


async def test_threads_show_a_runnable_set_not_a_fifo() -> None:
    pane = ReadyQueuePane()
    st = state(ready=(ReadyEntry("t1", False, False), ReadyEntry("t2", False, False)))
    async with Host(pane).run_test(size=(60, 6)) as pilot:
        pane.view = view(st, runtime="threads")
        await pilot.pause()
        assert pane.border_title == "Runnable (the OS picks, not FIFO)"
        assert all("next" not in line for line in rows(pane))


async def test_waiting_pane_says_what_each_task_waits_for() -> None:
    pane = WaitingPane()
    tasks = {"main": TaskView("main", "waiting", 0.0, reason="gather", detail="7 left"),
             "coco[0]": TaskView("coco[0]", "waiting", 0.0, reason="sleep", detail="3 s",
                                 until=3.0004)}
    async with Host(pane).run_test(size=(70, 4)) as pilot:
        pane.view = view(state(waiting=("main", "coco[0]"), tasks=tasks))
        await pilot.pause()
        text = rows(pane)
        assert text[0].split() == ["main", "gather", "7", "left"]
        assert text[1].split() == ["coco[0]", "sleep", "3", "s", "wakes", "3.0004", "s"]
        assert pane.border_title == "Waiting (2)"


async def test_running_pane_shows_the_step_and_where_control_came_from() -> None:
    scenario = load_scenario("gather10")
    coco = scenario.tasks["coco"].steps[1]  # the sleep
    pane = RunningPane()
    st = state(running="coco[3]", came_from="coco[2]",
               tasks={"coco[3]": TaskView("coco[3]", "running", 0.5, step=coco.index,
                                          op="sleep", line=coco.line, col=coco.col)})
    async with Host(pane).run_test(size=(30, 5)) as pilot:
        pane.view = view(st, scenario=scenario)
        await pilot.pause()
        lines = str(pane.render()).splitlines()
        assert lines == ["coco[3]", "step 2/3  sleep 3 s", "from coco[2]"]


async def test_source_pane_highlights_the_running_step_and_marks_the_others() -> None:
    scenario = load_scenario("gather10")
    sleep, first = scenario.tasks["coco"].steps[1], scenario.tasks["main"].steps[2]
    tasks = {"coco[0]": TaskView("coco[0]", "running", 0.5, step=sleep.index, line=sleep.line),
             "main": TaskView("main", "waiting", 0.0, step=first.index, line=first.line,
                              reason="gather")}
    pane = SourcePane()
    async with Host(pane).run_test(size=(60, 40)) as pilot:
        pane.view = view(state(running="coco[0]", tasks=tasks, waiting=("main",)),
                         scenario=scenario, source=Source("gather10.yaml", scenario.text))
        await pilot.pause()
        marks = {line.split()[1]: line[0] for line in rows(pane) if line.strip()
                 and line[0] != " "}
        assert marks == {str(sleep.line): "▶", str(first.line): "•"}


async def test_source_pane_marks_an_error_line() -> None:
    pane = SourcePane()
    async with Host(pane).run_test(size=(60, 8)) as pilot:
        pane.view = view(state(), source=Source("x.yaml", "a: 1\nb: [\nc: 3\n", error_line=2))
        await pilot.pause()
        assert [line[:1] for line in rows(pane)[:3]] == [" ", "✗", " "]


async def test_output_pane_shows_lines_up_to_the_cursor_newest_highlighted() -> None:
    outputs = [(k, 0.1 * k, "main", f"line {k}") for k in range(50)]
    pane = OutputPane()
    async with Host(pane).run_test(size=(40, 10)) as pilot:
        pane.view = view(state(output_count=30), replay=FakeReplay(outputs=outputs))
        await pilot.pause()
        text = rows(pane)
        assert any(line.startswith("line 29") for line in text), "the newest is in view"
        assert not any(line.startswith("line 30") for line in text), "nothing past the cursor"
        y = next(i for i, line in enumerate(text) if line.startswith("line 29"))
        assert list(pane.render_line(y))[0].style.bold


async def test_timeline_draws_states_distinctly() -> None:
    replay = FakeReplay(tasks=["a"], segs={"a": ([0.0, 0.25, 0.5, 0.75],
                                                 ["running", "ready", "waiting", "blocking"])})
    pane = TimelinePane()
    pane.axis = "time"  # the hand-built replay has segments by time only
    async with Host(pane).run_test(size=(15 + 40, 3)) as pilot:
        pane.view = view(state(t=0.0), replay=replay)
        await pilot.pause()
        bar = rows(pane)[0][15:]
        assert bar == "█" * 10 + "░" * 10 + "·" * 10 + "▓" * 10


async def test_timeline_renders_only_the_rows_on_screen_with_10000_tasks() -> None:
    names = [f"t{k}" for k in range(10_000)]
    replay = FakeReplay(tasks=names, segs={n: ([0.0, 0.5], ["ready", "running"]) for n in names})
    pane = TimelinePane()
    pane.axis = "time"  # the hand-built replay has segments by time only
    drawn: list[str] = []
    original = pane._bar

    def counting_bar(task, width, v):  # type: ignore[no-untyped-def]
        drawn.append(task)
        return original(task, width, v)

    pane._bar = counting_bar  # type: ignore[method-assign]
    async with Host(pane).run_test(size=(80, 12)) as pilot:
        pane.view = view(state(), replay=replay)
        await pilot.pause()
        assert 0 < len(set(drawn)) <= 12
