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

from simtui.replay.state import TASK_STATUSES, ReadyEntry, State, TaskView
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
        "running",
        "running_item", "came_from", "departed", "last_run",
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
        "running_item",
        "came_from", "departed", "last_run",
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

    def __init__(self, codes: array) -> None:
        self._codes = codes

    def __len__(self) -> int:
        return len(self._codes)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [TASK_STATUSES[c] for c in self._codes[i]]
        return TASK_STATUSES[self._codes[i]]


class _Outputs(Sequence[tuple[int, float, "str | None", str]]):
    """`(event index, t, task, text)` of every output event, built on access."""

    __slots__ = ("_trace", "_index")

    def __init__(self, trace: Trace, index: array) -> None:
        self._trace = trace
        self._index = index

    def __len__(self) -> int:
        return len(self._index)

    def _at(self, i: int) -> tuple[int, float, str | None, str]:
        tr = self._trace
        j = self._index[i]
        return (j, tr._t[j], tr.task(j), tr.field(j, "text"))

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self._index)))]
        if i < 0:
            i += len(self._index)
        return self._at(i)


class _TaskViews(Mapping[str, TaskView]):
    """Every created task's TaskView at one state, built on access and shared between states."""

    __slots__ = ("_replay", "_n", "_status", "_sidx", "_stepi")

    def __init__(self, replay: Replay, n: int, m: _Machine) -> None:
        self._replay = replay
        self._n = n
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
        return rp._view(tid, self._status[tid], self._sidx[tid], self._stepi[tid])


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
        self._views: dict[int, tuple[tuple[int, int, int], TaskView]] = {}
        self._entries_old = _Entries(self, False)
        self._entries_new = _Entries(self, True)
        self._tasks_cache: tuple[int, int, list[str]] | None = None
        self._recent: OrderedDict[int, State] = OrderedDict()
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
        kinds, tcol, xcol, extras = tr._kind, tr._task, tr._x, tr._extras
        status, sidx, stepi = m.status, m.sidx, m.stepi
        queue, qkeys, qhead, inq, waiting = m.queue, m.qkeys, m.qhead, m.inq, m.waiting
        running, running_item, came_from = m.running, m.running_item, m.came_from
        departed, last_run = m.departed, m.last_run
        # A task that loses control without saying so (a `run` of another task while it
        # still runs): where the runnable tasks are a set the OS picks from (threads under
        # the GIL) it is runnable; elsewhere it waits to be switched back.
        implicit = S_READY if queue_discipline(tr.header) == "set" else WAITING
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

        for i in range(m.pos, stop):
            k = kinds[i]
            tid = tcol[i]
            if k == RUN:
                if head:
                    switches_append(i)
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
            elif k == READY:
                if qhead > QUEUE_COMPACT and qhead * 2 > len(queue):
                    del queue[:qhead], qkeys[:qhead]
                    qhead = 0
                queue.append(i)
                qkeys.append(tid)
                inq[tid] = inq.get(tid, 0) + 1
                if tid >= 0:
                    if running == tid:
                        running = -1
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
                if running == tid:
                    running = -1
                waiting.pop(tid, None)
                if tid in inq or extras[xcol[i]][0] == "preempt":
                    code = S_READY
                else:
                    code = WAITING
                    waiting[tid] = None
                status[tid] = code
                sidx[tid] = i
                if head and lastc[tid] != code:
                    lastc[tid] = code
                    ch_i(i)
                    ch_c(code)
                    ch_p(lastch[tid])
                    lastch[tid] = nch
                    nch += 1
            elif k == WAKE:
                if tid >= 0 and status[tid] == WAITING:
                    status[tid] = WOKEN
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
                if head and lastc[tid] != BLOCKING:
                    lastc[tid] = BLOCKING
                    ch_i(i)
                    ch_c(BLOCKING)
                    ch_p(lastch[tid])
                    lastch[tid] = nch
                    nch += 1
            elif k in (DONE, ERROR):
                if tid < 0:
                    continue
                if running == tid:
                    running = -1
                waiting.pop(tid, None)
                code = S_DONE if k == DONE else S_ERROR
                status[tid] = code
                sidx[tid] = i
                if head and lastc[tid] != code:
                    lastc[tid] = code
                    ch_i(i)
                    ch_c(code)
                    ch_p(lastch[tid])
                    lastch[tid] = nch
                    nch += 1
                if head:
                    self._done.append(tid)
                    self._done_idx.append(i)
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
        m.pos = stop
        m.running, m.running_item, m.came_from = running, running_item, came_from
        m.departed, m.last_run, m.qhead = departed, last_run, qhead

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
        return State(
            index=index,
            t=tr._t[index] if index >= 0 else 0.0,
            switch=bisect.bisect_right(self.switches, index),
            running=names[m.running] if m.running >= 0 else None,
            running_item=self._key_name(m.running_item) if m.running_item <= -2 else None,
            came_from=m.came_from,
            ready=ready,
            departed=self._key_name(tcol[m.departed]) if m.departed >= 0 else None,
            tasks=_TaskViews(self, bisect.bisect_right(self._created_idx, index), m),
            waiting=tuple(map(names.__getitem__, m.waiting)),
            done=tuple(map(names.__getitem__, self._done[:n_done])),
            output_count=bisect.bisect_right(self._outputs, index),
            event=tr[index] if index >= 0 else None,
            status=status,
            stuck=stuck or (),
        )

    def _key_name(self, key: int) -> str:
        names = self.trace.names.list
        return names[key] if key >= 0 else names[-2 - key]

    def _view(self, tid: int, code: int, si: int, sj: int) -> TaskView:
        key = (code, si, sj)
        cached = self._views.get(tid)
        if cached is not None and cached[0] == key:
            return cached[1]
        tr = self.trace
        reason = detail = until = None
        if si >= 0 and tr._task[si] == tid:
            kind = tr._kind[si]
            if kind == SUSPEND:
                reason, detail, until = tr._extras[tr._x[si]]
            elif kind == BLOCK:
                reason, duration = tr._extras[tr._x[si]]
                if isinstance(duration, int | float):
                    until = tr._t[si] + duration
        step = op = line = col = None
        if sj >= 0:
            step, op, line, col = tr._extras[tr._x[sj]]
        rank = self._created_rank.get(tid)
        parent = tr.field(self._created_idx[rank], "parent") if rank is not None else None
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
        """Event indices where stepping by switch stops, ascending: every switch (`run`).

        The player steps through these; moments that matter between switches (the
        scheduler idle, or blocked by a task) become stops of their own here.
        """
        return self.switches

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
