"""The replay model: the State of a trace (`simtui.trace.model.Trace`) at any event, via keyframes.

`Replay` reads the trace's columns directly. It folds the events into state
once, as they arrive (`sync`), keeping along the way what the panes ask for again and
again: the switch index, the outputs, each task's status segments, and keyframes. A
keyframe holds only per-task integers and the ready queue and waiting list, so any
`state(i)` restores the nearest keyframe at or before `i` and replays at most K events.
Keyframes are spaced by their size (a snapshot with 10,000 tasks is worth more events
than one with 10), which bounds their memory per event whatever the number of tasks.
"""

from __future__ import annotations

import bisect
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import overload

from simtui.replay.state import (
    TASK_STATUSES,
    Held,
    ReadyEntry,
    RunSummary,
    State,
    TaskView,
    Total,
)
from simtui.trace import labels
from simtui.trace.events import queue_discipline
from simtui.trace.model import (
    BLOCK,
    CREATE,
    DONE,
    END,
    ERROR,
    OUTPUT,
    READY,
    RUN,
    STEP,
    SUSPEND,
    WAKE,
    Trace,
)

__all__ = ["Replay"]

# Internal task status codes: the public TASK_STATUSES plus "waiting, already woken".
NEW, S_READY, RUNNING, WAITING, BLOCKING, S_DONE, S_ERROR, WOKEN = range(8)
_STATUS_NAME = [*TASK_STATUSES, "waiting"]
assert TASK_STATUSES[WAITING] == "waiting" and TASK_STATUSES[BLOCKING] == "blocking"

IDLE_AFTER_SUSPEND, IDLE_AFTER_DONE, IDLE_AFTER_CALLBACK = range(3)
"""What left the scheduler with nothing to run: a task's suspend, its end, a callback."""

QUEUE_COMPACT = 1024
"""Taken entries at the front of the queue arrays that trigger cutting them off."""
RECENT_STATES = 8
"""States kept for repeated requests (states are immutable: any index's never changes)."""
KEYFRAME_MIN = 256
"""Fewest events between two keyframes (their cost is negligible with few tasks)."""
KEYFRAME_BYTES_PER_EVENT = 192
"""Keyframes are spaced so that they cost at most about this many bytes per event."""


class _Machine:
    """Mutable state after the first `pos` events; keyframes are frozen copies of it."""

    __slots__ = (
        "pos", "status", "sidx", "stepi", "queue", "qkeys", "qhead", "inq", "waiting",
        "running", "running_item", "came_from", "departed", "last_run",
    )

    def __init__(self) -> None:
        self.pos = 0
        # Flat C arrays, not lists: a keyframe or a State copies them with one memcpy.
        self.status = bytearray()
        """Per name id: internal status code."""
        self.sidx = array("i")
        """Per name id: the event that set the status (-1 before any)."""
        self.stepi = array("i")
        """Per name id: the task's last `step` event (-1 before any)."""
        self.queue = array("i")
        """The ready queue: indices of the `ready` events of its entries, head first."""
        self.qkeys = array("i")
        """The key (task column value) of each queue entry, in the same order."""
        self.qhead = 0
        """Where the queue starts in `queue` and `qkeys`: taking the head only moves it on
        (the dead prefix is cut off now and then), and a copy is one memcpy."""
        self.inq: dict[int, int] = {}
        """How many entries each key (task column value) has in the queue."""
        self.waiting: dict[int, None] = {}
        self.running = -1
        self.running_item = -1
        self.came_from: str | None = None
        self.departed = -1
        self.last_run = -1

    def grow(self, n: int) -> None:
        short = n - len(self.status)
        if short > 0:
            self.status.extend(bytes([NEW]) * short)
            self.sidx.extend(array("i", [-1]) * short)
            self.stepi.extend(array("i", [-1]) * short)


class _Keyframe:
    __slots__ = (
        "pos", "status", "sidx", "stepi", "queue", "qkeys", "waiting", "running",
        "running_item", "came_from", "departed", "last_run",
    )

    def __init__(self, m: _Machine) -> None:
        self.pos = m.pos
        self.status = bytes(m.status)
        self.sidx = m.sidx[:]
        self.stepi = m.stepi[:]
        self.queue = m.queue[m.qhead :]
        self.qkeys = m.qkeys[m.qhead :]
        self.waiting = array("i", m.waiting)
        self.running = m.running
        self.running_item = m.running_item
        self.came_from = m.came_from
        self.departed = m.departed
        self.last_run = m.last_run

    def nbytes(self) -> int:
        return 200 + len(self.status) + 4 * (
            len(self.sidx) + len(self.stepi) + 2 * len(self.queue) + len(self.waiting)
        )

    def restore(self, m: _Machine) -> None:
        m.pos = self.pos
        m.status = bytearray(self.status)
        m.sidx = self.sidx[:]
        m.stepi = self.stepi[:]
        m.queue = self.queue[:]
        m.qkeys = self.qkeys[:]
        m.qhead = 0
        m.inq = dict.fromkeys(self.qkeys, 1)
        if len(m.inq) != len(self.qkeys):  # a key queued twice (callbacks)
            m.inq = dict(Counter(self.qkeys))
        m.waiting = dict.fromkeys(self.waiting)
        m.running = self.running
        m.running_item = self.running_item
        m.came_from = self.came_from
        m.departed = self.departed
        m.last_run = self.last_run


class _Tally:
    """What the run summary counts, kept by the head pass as it takes events in, so that
    the summary at the end of a run of millions of events costs nothing to show.

    The blocking calls seen to end, and the waits a wake ended (each is its task's last
    `suspend` before that wake, unless the task ran, was queued, blocked or ended in
    between): per reason, how many and how long; the GIL's preemptions; the locks waited
    for, in the order first waited for.
    """

    __slots__ = ("blocks", "waits", "woke", "preempts", "locks")

    def __init__(self) -> None:
        self.blocks: dict[str, list[float]] = {}
        self.waits: dict[str, list[float]] = {}
        self.woke = array("i")
        """Per name id: the `suspend` whose wait a wake last ended (-1: none yet)."""
        self.preempts = 0
        self.locks: dict[str, None] = {}

    def block(self, reason: str, seconds: float) -> None:
        t = self.blocks.get(reason)
        if t is None:
            t = self.blocks[reason] = [0, 0.0]
        t[0] += 1
        t[1] += seconds

    def suspend(self, reason: str, detail: str | None) -> None:
        """A suspend other than a plain wait (only those two reasons are counted)."""
        if reason == "preempt":
            self.preempts += 1
        elif reason == "lock":
            subject = labels.read_wait(reason, detail).subject
            if subject:
                self.locks[subject] = None


class _Segments:
    """One task's status over time: start times, start event indices and status codes."""

    __slots__ = ("t", "index", "code", "upto")

    def __init__(self) -> None:
        self.t = array("d")
        self.index = array("i")
        self.code = array("b")
        self.upto = -1
        """The last entry of the status-change log taken in."""


class _StatusNames(Sequence[str]):
    """A live view of status codes as TASK_STATUSES names."""

    __slots__ = ("_codes",)

    def __init__(self, codes: array[int]) -> None:
        self._codes = codes

    def __len__(self) -> int:
        return len(self._codes)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [TASK_STATUSES[c] for c in self._codes[i]]
        return TASK_STATUSES[self._codes[i]]


class _Outputs(Sequence[tuple[int, float, "str | None", str]]):
    """`(event index, t, task, text)` of every output event, built on access."""

    __slots__ = ("_trace", "_index")

    def __init__(self, trace: Trace, index: array[int]) -> None:
        self._trace = trace
        self._index = index

    def __len__(self) -> int:
        return len(self._index)

    def _at(self, i: int) -> tuple[int, float, str | None, str]:
        tr = self._trace
        j = self._index[i]
        return (j, tr._t[j], tr.task(j), tr.field(j, "text"))

    @overload
    def __getitem__(self, i: int) -> tuple[int, float, str | None, str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[int, float, str | None, str]]: ...
    def __getitem__(
        self, i: int | slice
    ) -> tuple[int, float, str | None, str] | list[tuple[int, float, str | None, str]]:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self._index)))]
        if i < 0:
            i += len(self._index)
        return self._at(i)


class _TaskViews(Mapping[str, TaskView]):
    """Every created task's TaskView at one state, built on access and shared between states."""

    __slots__ = ("_replay", "_n", "_index", "_status", "_sidx", "_stepi")

    def __init__(self, replay: Replay, n: int, m: _Machine, index: int) -> None:
        self._replay = replay
        self._n = n
        self._index = index
        # Copies: the machine moves on, this state must not.
        self._status = bytes(m.status)
        self._sidx = m.sidx[:]
        self._stepi = m.stepi[:]

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[str]:
        names = self._replay.trace.names.list
        created = self._replay._created
        return (names[created[j]] for j in range(self._n))

    def __contains__(self, name: object) -> bool:
        tid = self._replay.trace.names.get(name) if isinstance(name, str) else None
        return tid is not None and self._replay._created_rank.get(tid, self._n) < self._n

    def __getitem__(self, name: str) -> TaskView:
        rp = self._replay
        tid = rp.trace.names.get(name)
        if tid is None or rp._created_rank.get(tid, self._n) >= self._n:
            raise KeyError(name)
        return rp._view(tid, self._status[tid], self._sidx[tid], self._stepi[tid], self._index)


class _Entries(dict[int, ReadyEntry]):
    """Queue key -> its ReadyEntry, made once and shared by every state."""

    __slots__ = ("_replay", "_arrived")

    def __init__(self, replay: Replay, arrived: bool) -> None:
        super().__init__()
        self._replay = replay
        self._arrived = arrived

    def __missing__(self, key: int) -> ReadyEntry:
        entry = self[key] = ReadyEntry(self._replay._key_name(key), key < 0, self._arrived)
        return entry


class Replay:
    """The state of a trace at any event, the switch index, outputs and status segments.

    Call `sync()` after the trace grows (from the thread that reads the replay); the
    sequences it exposes (`switches`, `outputs`, `segments()`) are live views that grow
    with it. `state(i)` costs at most one keyframe restore plus K events plus building
    the State (O(ready queue) at C speed; TaskViews are built when looked up, and shared
    between states while the task does not change).
    """

    def __init__(
        self, trace: Trace, *, keyframe_bytes_per_event: int = KEYFRAME_BYTES_PER_EVENT,
        keyframe_min: int = KEYFRAME_MIN,
    ) -> None:
        self.trace = trace
        self._kf_budget = keyframe_bytes_per_event
        self._kf_min = keyframe_min
        self._head = _Machine()
        self._cursor = _Machine()
        self._kf_pos: list[int] = [0]
        self._kf: list[_Keyframe] = [_Keyframe(self._head)]
        self._next_kf = keyframe_min
        self.switches = array("i")
        """Event indices of `run` events (the switch index), ascending."""
        self._outputs = array("i")
        self.outputs: Sequence[tuple[int, float, str | None, str]] = _Outputs(
            trace, self._outputs
        )
        self._created: list[int] = []
        self._created_idx = array("i")
        self._created_rank: dict[int, int] = {}
        self._done = array("i")
        self._done_idx = array("i")
        self._ch_i = array("i")
        self._ch_c = array("b")
        self._ch_p = array("i")
        self._lastc: list[int] = []
        self._lastch: list[int] = []
        self._seg_cache: dict[int, _Segments] = {}
        self._end_idx: int | None = None
        self._views: dict[int, tuple[tuple[int, int, int, int, int], TaskView]] = {}
        self._entries_old = _Entries(self, False)
        self._entries_new = _Entries(self, True)
        self._tasks_cache: tuple[int, int, list[str]] | None = None
        self._recent: OrderedDict[int, State] = OrderedDict()
        self._stops = array("i")
        """Event indices where stepping pauses (see `stops`), ascending."""
        self._stop_kind: dict[int, str] = {}
        """The stops that are not plain switches: index -> `idle`, `blocked` or `end`."""
        self._suspends: list[array[int]] = []
        self._wakes: list[array[int]] = []
        self._wakers: list[array[int]] = []
        """Per name id: its `suspend` events, its `wake` events that ended a wait, and who
        ended each (a task column value; -1: the scheduler, a timer or I/O)."""
        self._queued_by_at = array("i")
        self._queued_by = array("i")
        """Callbacks queued while a task ran: the `ready` event's index, and that task."""
        self._item_kinds: dict[int, str] = {}
        self._tally = _Tally()
        self._summary: RunSummary | None = None
        # Decided at the event after: an idle candidate (its index and what it followed)
        # and the last `block` event.
        self._idle_at = -1
        self._idle_how = IDLE_AFTER_SUSPEND
        self._block_at = -1
        self.sync()

    def __len__(self) -> int:
        return self._head.pos

    # -- ingest --------------------------------------------------------------------------------

    def sync(self) -> None:
        """Take in the events appended to the trace since the last call: O(new events)."""
        n = len(self.trace)
        head = self._head
        while head.pos < n:
            stop = min(n, self._next_kf)
            self._apply(head, stop, True)
            if head.pos == self._next_kf:
                kf = _Keyframe(head)
                self._kf_pos.append(head.pos)
                self._kf.append(kf)
                self._next_kf = head.pos + max(self._kf_min, kf.nbytes() // self._kf_budget)

    def _apply(self, m: _Machine, stop: int, head: bool) -> None:
        """Apply events m.pos .. stop-1 to `m`; the head machine also records the indexes."""
        tr = self.trace
        m.grow(len(tr.names.list))
        names = tr.names.list
        kinds, tcol, xcol, extras, tcolumn = tr._kind, tr._task, tr._x, tr._extras, tr._t
        status, sidx, stepi = m.status, m.sidx, m.stepi
        queue, qkeys, qhead, inq, waiting = m.queue, m.qkeys, m.qhead, m.inq, m.waiting
        running, running_item, came_from = m.running, m.running_item, m.came_from
        departed, last_run = m.departed, m.last_run
        # A task that loses control without saying so (a `run` of another task while it
        # still runs): where the runnable tasks are a set the OS picks from (threads under
        # the GIL) it is runnable; elsewhere it waits to be switched back.
        discipline = queue_discipline(tr.header)
        implicit = S_READY if discipline == "set" else WAITING
        # With no scheduler (raw greenlet) control is always somewhere: never idle.
        can_idle = discipline != "none"
        # Only the head machine finds the stops; `pending` says one is to be decided at
        # the next event (an idle moment, the end of a blocking call).
        pending = False
        if head:
            # Status changes go to one log (event, status, the task's previous change):
            # cheap appends here; `segments()` follows a task's chain when asked. The few
            # lines that log a change are written out at each place rather than called:
            # this loop runs for every event the UI takes in (P6), and most events change
            # some task's status, so a call there would be a call per event.
            lastc, lastch = self._lastc, self._lastch
            if len(lastc) < len(status):
                lastc.extend([-1] * (len(status) - len(lastc)))
                lastch.extend([-1] * (len(status) - len(lastch)))
            ch_i, ch_c, ch_p = self._ch_i.append, self._ch_c.append, self._ch_p.append
            nch = len(self._ch_i)
            switches_append = self.switches.append
            stops_append = self._stops.append
            tally = self._tally
            woke, waits = tally.woke, tally.waits
            if len(woke) < len(status):
                woke.extend(array("i", [-1]) * (len(status) - len(woke)))
            suspends, wakes, wakers = self._suspends, self._wakes, self._wakers
            while len(suspends) < len(status):
                suspends.append(array("i"))
                wakes.append(array("i"))
                wakers.append(array("i"))
            idle_at, idle_how, block_at = self._idle_at, self._idle_how, self._block_at
            pending = idle_at >= 0 or block_at >= 0

        for i in range(m.pos, stop):
            k = kinds[i]
            tid = tcol[i]
            if pending:
                # The event before was an idle moment or the end of a blocking call: now
                # that the next event is here, it is known which.
                if block_at >= 0:
                    # The blocking call is over: how long it held the scheduler is known.
                    tally.block(extras[xcol[block_at]][0], tcolumn[i] - tcolumn[block_at])
                    self._recent.pop(block_at, None)
                    block_at = -1
                if idle_at >= 0:
                    if self._idle_ends(idle_how, i):
                        self._mark_idle(idle_at)
                    idle_at = -1
                pending = False
            if k == RUN:
                if head:
                    switches_append(i)
                    stops_append(i)
                prev = running
                if prev >= 0 and prev != tid:
                    c = status[prev]
                    if c in (RUNNING, BLOCKING):
                        status[prev] = implicit
                        sidx[prev] = i
                        if implicit == WAITING:
                            waiting[prev] = None
                        if head and lastc[prev] != implicit:
                            lastc[prev] = implicit
                            ch_i(i)
                            ch_c(implicit)
                            ch_p(lastch[prev])
                            lastch[prev] = nch
                            nch += 1
                departed = -1
                if tid != -1 and tid in inq:
                    if qkeys[qhead] == tid:
                        departed = queue[qhead]
                        qhead += 1
                    else:  # out of FIFO order: the threads' runnable set, or a bug to show
                        pos = qkeys.index(tid, qhead)
                        departed = queue[pos]
                        del queue[pos]
                        del qkeys[pos]
                    left = inq[tid] - 1
                    if left:
                        inq[tid] = left
                    else:
                        del inq[tid]
                came_from = extras[xcol[i]][0]
                last_run = i
                if tid >= 0:
                    running = tid
                    running_item = -1
                    if status[tid] != RUNNING:
                        status[tid] = RUNNING
                        sidx[tid] = i
                        if head and lastc[tid] != RUNNING:
                            lastc[tid] = RUNNING
                            ch_i(i)
                            ch_c(RUNNING)
                            ch_p(lastch[tid])
                            lastch[tid] = nch
                            nch += 1
                    waiting.pop(tid, None)
                else:
                    running = -1
                    running_item = tid
                    if head and can_idle and qhead == len(queue) and waiting:
                        # A callback ran with nothing queued behind it: the scheduler is
                        # idle after it, unless what follows is the callback's own work.
                        idle_at, idle_how, pending = i, IDLE_AFTER_CALLBACK, True
            elif k == READY:
                if qhead > QUEUE_COMPACT and qhead * 2 > len(queue):
                    del queue[:qhead], qkeys[:qhead]
                    qhead = 0
                queue.append(i)
                qkeys.append(tid)
                inq[tid] = inq.get(tid, 0) + 1
                if tid >= 0:
                    if running == tid:  # a yield: the task queues itself and stops
                        running = -1
                        came_from = names[tid]
                    status[tid] = S_READY
                    sidx[tid] = i
                    waiting.pop(tid, None)
                    if head and lastc[tid] != S_READY:
                        lastc[tid] = S_READY
                        ch_i(i)
                        ch_c(S_READY)
                        ch_p(lastch[tid])
                        lastch[tid] = nch
                        nch += 1
                elif head and running >= 0:
                    self._queued_by_at.append(i)
                    self._queued_by.append(running)
            elif k == STEP:
                if tid >= 0:
                    stepi[tid] = i
                    if status[tid] == BLOCKING:
                        status[tid] = RUNNING
                        sidx[tid] = i
                        if head and lastc[tid] != RUNNING:
                            lastc[tid] = RUNNING
                            ch_i(i)
                            ch_c(RUNNING)
                            ch_p(lastch[tid])
                            lastch[tid] = nch
                            nch += 1
            elif k == SUSPEND:
                if tid < 0:
                    continue
                was_running = running == tid
                if was_running:
                    running = -1
                    came_from = names[tid]
                waiting.pop(tid, None)
                reason = extras[xcol[i]][0]
                if tid in inq or reason == "preempt":
                    code = S_READY
                else:
                    code = WAITING
                    waiting[tid] = None
                status[tid] = code
                sidx[tid] = i
                if head:
                    suspends[tid].append(i)
                    if reason == "preempt" or reason == "lock":
                        tally.suspend(reason, extras[xcol[i]][1])
                    if lastc[tid] != code:
                        lastc[tid] = code
                        ch_i(i)
                        ch_c(code)
                        ch_p(lastch[tid])
                        lastch[tid] = nch
                        nch += 1
                    if code == WAITING and was_running and can_idle and qhead == len(queue):
                        idle_at, idle_how, pending = i, IDLE_AFTER_SUSPEND, True
            elif k == WAKE:
                if head and tid >= 0:
                    # A wake ends the wait the task's last suspend began when nothing set
                    # its status since (it did not run, queue, block or end in between),
                    # once: the tally needs no bookkeeping on any other event.
                    si = sidx[tid]
                    if si >= 0 and kinds[si] == SUSPEND and woke[tid] != si:
                        woke[tid] = si
                        w = waits.get(extras[xcol[si]][0])
                        if w is None:
                            w = waits[extras[xcol[si]][0]] = [0, 0.0]
                        w[0] += 1
                        w[1] += tcolumn[i] - tcolumn[si]
                if tid >= 0 and status[tid] == WAITING:
                    status[tid] = WOKEN
                    if head:
                        reason = extras[xcol[i]][0]
                        # Who ended the wait: a timer or I/O is the scheduler's doing; for
                        # the rest, the task running now, or the one that queued the
                        # callback running now (gevent's lock and link notifications).
                        if reason == "sleep" or reason == "io":
                            by = -1
                        elif running >= 0:
                            by = running
                        elif running_item != -1 and departed >= 0:
                            by = self._queued_by_at_event(departed)
                        else:
                            by = -1
                        # Kept only when it changes who ended the last wait: a run of
                        # timed waits costs nothing here.
                        mine = wakers[tid]
                        if by >= 0 or (mine and mine[-1] >= 0):
                            wakes[tid].append(i)
                            mine.append(by)
            elif k == OUTPUT:
                if head:
                    self._outputs.append(i)
                if tid >= 0 and status[tid] == BLOCKING:
                    status[tid] = RUNNING
                    sidx[tid] = i
                    if head and lastc[tid] != RUNNING:
                        lastc[tid] = RUNNING
                        ch_i(i)
                        ch_c(RUNNING)
                        ch_p(lastch[tid])
                        lastch[tid] = nch
                        nch += 1
            elif k == BLOCK:
                if tid < 0:
                    continue
                waiting.pop(tid, None)
                status[tid] = BLOCKING
                sidx[tid] = i
                if head:
                    if lastc[tid] != BLOCKING:
                        lastc[tid] = BLOCKING
                        ch_i(i)
                        ch_c(BLOCKING)
                        ch_p(lastch[tid])
                        lastch[tid] = nch
                        nch += 1
                    stops_append(i)
                    self._stop_kind[i] = "blocked"
                    block_at, pending = i, True
            elif k in (DONE, ERROR):
                if tid < 0:
                    continue
                was_running = running == tid
                if was_running:
                    running = -1
                    came_from = names[tid]
                waiting.pop(tid, None)
                code = S_DONE if k == DONE else S_ERROR
                status[tid] = code
                sidx[tid] = i
                if head:
                    if lastc[tid] != code:
                        lastc[tid] = code
                        ch_i(i)
                        ch_c(code)
                        ch_p(lastch[tid])
                        lastch[tid] = nch
                        nch += 1
                    self._done.append(tid)
                    self._done_idx.append(i)
                    if was_running and can_idle and qhead == len(queue) and waiting:
                        idle_at, idle_how, pending = i, IDLE_AFTER_DONE, True
            elif k == CREATE:
                if tid < 0:
                    continue
                status[tid] = NEW
                sidx[tid] = i
                if head and lastc[tid] != NEW:
                    lastc[tid] = NEW
                    ch_i(i)
                    ch_c(NEW)
                    ch_p(lastch[tid])
                    lastch[tid] = nch
                    nch += 1
                    if tid not in self._created_rank:
                        self._created_rank[tid] = len(self._created)
                        self._created.append(tid)
                        self._created_idx.append(i)
            elif k == END and head:
                self._end_idx = i
                stops_append(i)
                self._stop_kind[i] = "end"
                self._summary = None  # made from the tally when first asked for (`_summary_of`)
        m.pos = stop
        m.running, m.running_item, m.came_from = running, running_item, came_from
        m.departed, m.last_run, m.qhead = departed, last_run, qhead
        if head:
            self._idle_at, self._idle_how, self._block_at = idle_at, idle_how, block_at

    def _idle_ends(self, how: int, i: int) -> bool:
        """Whether event `i`, the one after an idle candidate, shows that the scheduler
        really had nothing to run in between.

        The end of the run is not an idle moment. After a task suspends, whatever comes
        next came from outside (a timer, I/O, another thread). A task's end and a
        callback are often followed by their own work instead (asyncio queues gather's
        done-callback just after a Task's end, a joining thread wakes, a timer callback
        wakes its task): then only what the scheduler's own wait ends with shows that it
        was idle: a due timer queued (asyncio; after a Task's end an I/O callback too), or
        a task's timer or I/O wake after a task's end.
        """
        tr = self.trace
        kind = tr._kind[i]
        if kind == END:
            return False
        if how == IDLE_AFTER_SUSPEND:
            return True
        key = tr._task[i]
        if kind == READY and key <= -2:
            kind_of = self._item_kinds.get(key)
            if kind_of is None:
                kind_of = self._item_kinds[key] = labels.read_item(tr.names.list[-2 - key]).kind
            # A due timer is queued only once the loop's wait is over; an I/O callback
            # may also be queued by the callback that just ran (a transport's setup).
            return kind_of == "timer" or (kind_of == "io" and how == IDLE_AFTER_DONE)
        if kind == WAKE and how == IDLE_AFTER_DONE:
            return tr._extras[tr._x[i]][0] in ("sleep", "io")
        return False

    def _mark_idle(self, index: int) -> None:
        stops = self._stops
        if stops and stops[-1] == index:  # a callback's run: the switch is an idle stop too
            self._stop_kind.setdefault(index, "idle")
        else:
            stops.append(index)
            self._stop_kind[index] = "idle"
        self._recent.pop(index, None)  # a state made before the next event came is stale

    def _summary_of(self) -> RunSummary:
        """What the finished run showed: the tally the head pass kept, made into a summary
        when first asked for (O(reasons), whatever the length of the run)."""
        if self._summary is not None:
            return self._summary
        tr = self.trace
        tally = self._tally
        end_event = tr.end or {}
        elapsed = end_event.get("elapsed")
        header = tr.header
        scale = header.get("time_scale")
        options = header.get("options")
        interval = options.get("switch_interval") if isinstance(options, dict) else None
        self._summary = RunSummary(
            elapsed=float(elapsed) if isinstance(elapsed, int | float) else 0.0,
            time_scale=float(scale) if isinstance(scale, int | float) else 1.0,
            tasks=len(self._created),
            switches=len(self.switches),
            waits={r: Total(int(c), t) for r, (c, t) in tally.waits.items()},
            blocks={r: Total(int(c), t) for r, (c, t) in tally.blocks.items()},
            preempts=tally.preempts,
            locks=tuple(tally.locks),
            switch_interval=float(interval) if isinstance(interval, int | float) else None,
        )
        return self._summary

    def _queued_by_at_event(self, ready: int) -> int:
        """The task that was running when the callback of `ready` event was queued, or -1."""
        at = self._queued_by_at
        k = bisect.bisect_left(at, ready)
        return self._queued_by[k] if k < len(at) and at[k] == ready else -1

    # -- state at an event ---------------------------------------------------------------------

    def state(self, index: int) -> State:
        """The state after events 0..index (-1: before any event); O(K) via keyframes."""
        if not -1 <= index < self._head.pos:
            raise IndexError(f"event {index} out of range (-1 .. {self._head.pos - 1})")
        recent = self._recent
        cached = recent.get(index)
        if cached is not None:
            recent.move_to_end(index)
            return cached
        pos = index + 1
        m = self._cursor
        k = bisect.bisect_right(self._kf_pos, pos) - 1
        kf_pos = self._kf_pos[k]
        # Step on from where the cursor is when that is no farther than the keyframe.
        if not (kf_pos <= m.pos <= pos):
            self._kf[k].restore(m)
        self._apply(m, pos, False)
        state = self._state_of(m, index)
        # A screen asks for the same few states in turn (this one and the one before, to
        # show what changed): keep them rather than seek back from a keyframe each time.
        recent[index] = state
        if len(recent) > RECENT_STATES:
            recent.popitem(last=False)
        return state

    def _state_of(self, m: _Machine, index: int) -> State:
        tr = self.trace
        names = tr.names.list
        tcol = tr._task
        last_run = m.last_run
        queue, keys, head = m.queue, m.qkeys, m.qhead
        # The queue is in arrival order, so the entries that arrived since the last switch
        # are its tail; the rest is built at C speed from shared, interned entries.
        split = len(queue)
        while split > head and queue[split - 1] > last_run:
            split -= 1
        ready = tuple(map(self._entries_old.__getitem__, keys[head:split]))
        if split < len(keys):
            ready += tuple(map(self._entries_new.__getitem__, keys[split:]))
        status = stuck = None
        if self._end_idx is not None and index >= self._end_idx:
            end = tr[self._end_idx]
            status = end.get("status")
            stuck = tuple(end.get("stuck") or ())
        n_done = bisect.bisect_right(self._done_idx, index)
        stop = held = None
        stops = self._stops
        k = bisect.bisect_left(stops, index)
        if k < len(stops) and stops[k] == index:
            stop = self._stop_kind.get(index, "switch")
        if stop == "blocked":
            reason, asked = tr._extras[tr._x[index]]
            after = index + 1 < self._head.pos
            held = Held(
                task=names[tcol[index]], reason=reason, since=tr._t[index],
                seconds=tr._t[index + 1] - tr._t[index] if after else None,
                asked=float(asked) if isinstance(asked, int | float) else None,
            )
        return State(
            index=index,
            t=tr._t[index] if index >= 0 else 0.0,
            switch=bisect.bisect_right(self.switches, index),
            running=names[m.running] if m.running >= 0 else None,
            running_item=self._key_name(m.running_item) if m.running_item <= -2 else None,
            came_from=m.came_from,
            ready=ready,
            departed=self._key_name(tcol[m.departed]) if m.departed >= 0 else None,
            tasks=_TaskViews(self, bisect.bisect_right(self._created_idx, index), m, index),
            waiting=tuple(map(names.__getitem__, m.waiting)),
            done=tuple(map(names.__getitem__, self._done[:n_done])),
            output_count=bisect.bisect_right(self._outputs, index),
            event=tr[index] if index >= 0 else None,
            status=status,
            stuck=stuck or (),
            stop=stop,
            held=held,
            summary=self._summary_of() if status is not None else None,
        )

    def _key_name(self, key: int) -> str:
        names = self.trace.names.list
        return names[key] if key >= 0 else names[-2 - key]

    def _view(self, tid: int, code: int, si: int, sj: int, index: int) -> TaskView:
        # What the task last waited on and who ended that wait are kept per task, in
        # the order they happened (the head pass appends them): a state finds its own
        # by bisection, and no keyframe or state copies them.
        sw = by = -1
        if tid < len(self._suspends):
            seen = self._suspends[tid]
            k = bisect.bisect_right(seen, index)
            sw = seen[k - 1] if k else -1
            woke = self._wakes[tid]
            k = bisect.bisect_right(woke, index)
            by = self._wakers[tid][k - 1] if k else -1
        key = (code, si, sj, sw, by)
        cached = self._views.get(tid)
        if cached is not None and cached[0] == key:
            return cached[1]
        tr = self.trace
        reason = detail = until = None
        if si >= 0 and tr._task[si] == tid:
            kind = tr._kind[si]
            if kind == SUSPEND:
                reason, detail, until = tr._extras[tr._x[si]][:3]
            elif kind == BLOCK:
                reason, duration = tr._extras[tr._x[si]]
                if isinstance(duration, int | float):
                    until = tr._t[si] + duration
        step = op = line = col = None
        if sj >= 0:
            step, op, line, col = tr._extras[tr._x[sj]]
        rank = self._created_rank.get(tid)
        parent = tr.field(self._created_idx[rank], "parent") if rank is not None else None
        waited = waited_detail = waited_since = None
        if sw >= 0:
            waited, waited_detail = tr._extras[tr._x[sw]][:2]
            waited_since = tr._t[sw]
        view = TaskView(
            name=tr.names.list[tid],
            status=_STATUS_NAME[code],
            since=tr._t[si] if si >= 0 else 0.0,
            reason=reason,
            detail=detail,
            until=until,
            step=step,
            op=op,
            line=line,
            col=col,
            parent=parent,
            woken=code == WOKEN,
            waited=waited,
            waited_detail=waited_detail,
            waited_since=waited_since,
            woken_by=tr.names.list[by] if by >= 0 else None,
        )
        self._views[tid] = (key, view)
        return view

    # -- indexes -------------------------------------------------------------------------------

    def next_switch(self, index: int) -> int | None:
        """The smallest `run` event index > index."""
        k = bisect.bisect_right(self.switches, index)
        return self.switches[k] if k < len(self.switches) else None

    def prev_switch(self, index: int) -> int | None:
        """The largest `run` event index < index."""
        k = bisect.bisect_left(self.switches, index)
        return self.switches[k - 1] if k > 0 else None

    def switch_count(self, index: int) -> int:
        """How many `run` events are at or before index."""
        return bisect.bisect_right(self.switches, index)

    # -- stops: where stepping pauses ---------------------------------------------------------

    @property
    def stops(self) -> Sequence[int]:
        """Event indices where stepping pauses, ascending (`State.stop` says which kind).

        Every switch (`run`); the moments between switches where the story is: the
        scheduler idle, with nothing ready until a timer or I/O (the event after which
        that is so; a callback's run when the scheduler idles after it, which is known
        only once the next event is in); a blocking call that holds the whole scheduler
        (its `block` event); and the `end`.
        """
        return self._stops

    def next_stop(self, index: int) -> int | None:
        """The smallest stop > index."""
        stops = self.stops
        k = bisect.bisect_right(stops, index)
        return stops[k] if k < len(stops) else None

    def prev_stop(self, index: int) -> int | None:
        """The largest stop < index."""
        stops = self.stops
        k = bisect.bisect_left(stops, index)
        return stops[k - 1] if k > 0 else None

    def stop_count(self, index: int) -> int:
        """How many stops are at or before index."""
        return bisect.bisect_right(self.stops, index)

    @property
    def tasks(self) -> Sequence[str]:
        """Task names in creation order, then the header's not yet created."""
        names = self.trace.names.list
        header = self.trace.header.get("tasks") or ()
        cache = self._tasks_cache
        if cache is not None and cache[0] == len(self._created) and cache[1] == len(header):
            return cache[2]
        out = [names[tid] for tid in self._created]
        seen = set(out)
        out += [name for name in header if name not in seen]
        self._tasks_cache = (len(self._created), len(header), out)
        return out

    def segments(self, task: str) -> tuple[Sequence[float], Sequence[str]]:
        """The task's status over trace time: start times (ascending) and the status from each."""
        s = self._segs_of(task)
        if s is None:
            return array("d"), []
        return s.t, _StatusNames(s.code)

    def segment_indices(self, task: str) -> Sequence[int]:
        """The event index at which each of `segments(task)` starts (for a switch axis)."""
        s = self._segs_of(task)
        return s.index if s is not None else array("i")

    def status_at(self, task: str, t: float) -> str:
        """The task's status at trace time t (after every event at t); `new` before it exists."""
        s = self._segs_of(task)
        if s is None:
            return "new"
        k = bisect.bisect_right(s.t, t) - 1
        return TASK_STATUSES[s.code[k]] if k >= 0 else "new"

    def _segs_of(self, task: str) -> _Segments | None:
        tid = self.trace.names.get(task)
        if tid is None or tid < 0 or tid >= len(self._lastch) or self._lastch[tid] < 0:
            return None
        s = self._seg_cache.get(tid)
        if s is None:
            s = self._seg_cache[tid] = _Segments()
        top = self._lastch[tid]
        if s.upto != top:
            chain = []
            j = top
            while j > s.upto:  # back along the task's chain to what is already here
                chain.append(j)
                j = self._ch_p[j]
            ts = self.trace._t
            for j in reversed(chain):
                i = self._ch_i[j]
                s.t.append(ts[i])
                s.index.append(i)
                s.code.append(self._ch_c[j])
            s.upto = top
        return s

    @property
    def keyframes(self) -> int:
        """How many keyframes are kept (for the benchmarks)."""
        return len(self._kf)
