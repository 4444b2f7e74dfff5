"""The trace's words: every detail and item a runtime writes reads back to what was meant."""

from __future__ import annotations

import pytest

from simtui.trace import labels


def test_a_lock_wait_names_the_lock_and_its_holder() -> None:
    w = labels.read_wait("lock", labels.lock("db", "worker[0]"))
    assert (w.subject, w.holder) == ("db", "worker[0]")
    assert w.text() == "lock db, held by worker[0]"
    assert labels.read_wait("lock", labels.lock("db")).holder is None


def test_a_queue_wait_says_full_or_empty() -> None:
    assert labels.read_wait("queue", labels.queue("jobs", full=True)).text() == "queue jobs, full"
    assert labels.read_wait("queue", labels.queue("jobs", full=False)).has(labels.EMPTY)


def test_an_io_wait_names_its_phase_and_written_duration() -> None:
    w = labels.read_wait("io", labels.io(1.0, labels.CONNECT))
    assert (w.phase, w.seconds) == (labels.CONNECT, 1.0)
    assert labels.read_wait("io", labels.io(0.25, labels.REPLY)).text() == "io 250 ms, reply"


def test_a_sleep_keeps_its_written_duration_and_whether_it_was_patched() -> None:
    assert labels.read_wait("sleep", labels.sleep(3)).seconds == 3.0
    assert labels.read_wait("sleep", labels.sleep(3, patched=True)).has(labels.PATCHED)


def test_join_gather_and_thread_start() -> None:
    assert labels.read_wait("join", labels.join("b", started=False)).has(labels.NOT_STARTED)
    many = labels.gather([f"w[{k}]" for k in range(10)])
    assert many == "w[0] … w[9], 10 tasks"
    assert labels.gather(["a", "b"]) == "a b"
    assert labels.read_wait("event", labels.thread_start("b")).started_thread == "b"


def test_a_detail_never_repeats_its_reason() -> None:
    # As an `end.stuck` entry's `waiting_on` is written (`read_wait(...).text()`).
    assert labels.read_wait("event", labels.event("never")).text() == "event never"
    assert labels.read_wait("yield", None).text() == "yield"


@pytest.mark.parametrize(
    ("item", "kind", "subject"),
    [
        (labels.timer("coco[0]"), "timer", "coco[0]"),
        (labels.gather_done("coco[3]"), "gather_done", "coco[3]"),
        (labels.STOP_LOOP, "stop_loop", ""),
        (labels.CANCELLED, "cancelled", ""),
        ("NoneType", "cancelled", ""),
        (labels.io_callback("sock_connect_cb"), "io", "sock_connect_cb"),
        (labels.notifier("worker[0]", "_notify_links"), "notify", "worker[0]"),
        (labels.notifier("lock db", "notify_links"), "notify", "lock db"),
        ("AsyncResult.notify_links", "notify", "AsyncResult"),
        ("something", "other", "something"),
    ],
)
def test_items_read_back_to_their_kind(item: str, kind: str, subject: str) -> None:
    it = labels.read_item(item)
    assert (it.kind, it.subject) == (kind, subject)


def test_a_stuck_entry_reads_back_to_the_wait_it_was_written_from() -> None:
    for reason, detail in [("lock", labels.lock("db", "a")), ("join", labels.join("b")),
                           ("queue", labels.queue("jobs", full=True)), ("switch", None),
                           ("gather", labels.gather(["a", "b", "c"]))]:
        # Written as the runtimes write it: the wait's own text.
        wait = labels.read_wait(reason, detail)
        assert labels.read_waiting_on(wait.text()) == wait
    assert labels.read_waiting_on("lock y, held by b").holder == "b"


def test_the_tasks_a_join_or_gather_names() -> None:
    assert labels.read_wait("gather", labels.gather(["a", "b"])).joined == ("a", "b")
    assert labels.read_wait("join", labels.join("b", started=False)).joined == ("b",)
    many = labels.gather([f"w[{k}]" for k in range(10)])
    assert labels.read_wait("gather", many).joined is None, "shortened: not all are named"
    assert labels.read_wait("lock", "db").joined == ()


def test_a_scenario_object_in_a_hub_callback_reads_back_as_its_kind_and_name() -> None:
    item = labels.read_item(labels.notifier(labels.owner("lock", "db"), "_notify_links"))
    assert (item.kind, item.method, item.owner) == ("notify", "notify_links", ("lock", "db"))
    assert labels.read_item(labels.notifier("w[0]", "_notify_links")).owner is None
    assert labels.read_item(labels.notifier("AsyncResult", "_notify_links")).owner is None
