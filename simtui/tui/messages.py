"""Messages the player screen receives from outside the UI thread (the run's reader threads)."""

from __future__ import annotations

from textual.message import Message

from simtui.trace.stream import WorkerProcess


class EventsArrived(Message, bubble=False):
    """New events of run `run_id` are buffered (one message however many there are)."""

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id


class RunExited(Message, bubble=False):
    """The worker of run `run_id` exited (ended, crashed or was killed)."""

    def __init__(self, run_id: int, worker: WorkerProcess) -> None:
        super().__init__()
        self.run_id = run_id
        self.worker = worker
