"""Plain greenlet: a ring of N greenlets, each switching K times to the next one.

Mirrors `benchmarks/scenarios/greenlet_ring.yaml` op for op: `main` creates `t0` … `tN-1`
(so `main` is their parent) and starts each, which switches straight back to `main`;
then `main` switches to `t0`, and each `tk` switches K times to `t(k+1)` (the last one to
`t0`). When `t0` has made its K switches it returns, control goes to its parent `main`,
and the program ends with the other greenlets left suspended, as the scenario's run does.
About N × K switches. No simtui code.

Usage: python benchmarks/plain/greenlet_ring.py [TASKS SWITCHES]
"""

from __future__ import annotations

import sys

import greenlet

TASKS = 1000
SWITCHES = 3000


def workload(tasks: int = TASKS, switches: int = SWITCHES) -> None:
    """The whole program, callable in-process (the interpreter benchmark's baseline)."""
    ring: list[greenlet.greenlet] = []

    def body(k: int) -> None:
        # Started by main, straight back: a greenlet started from inside another runs on
        # top of its starter's stack, so starting the ring link by link would nest N deep.
        main.switch()
        following = ring[(k + 1) % tasks]
        for _ in range(switches):
            following.switch()

    def run_main() -> None:
        ring.extend(greenlet.greenlet(lambda k=k: body(k)) for k in range(tasks))
        for link in ring:
            link.switch()
        ring[0].switch()

    main = greenlet.greenlet(run_main)
    main.switch()
    ring.clear()


if __name__ == "__main__":
    workload(*(int(a) for a in sys.argv[1:3]))
