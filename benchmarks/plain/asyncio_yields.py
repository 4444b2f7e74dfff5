"""Plain asyncio: N tasks × K `await asyncio.sleep(0)`, gathered by `main`.

Mirrors `benchmarks/scenarios/asyncio_yields.yaml` op for op: `main` gathers N coroutines
(`asyncio.gather` wraps each in a Task, as the scenario's `gather` does), and each one
does K bare yields to the event loop. `asyncio.run` sets up and closes the loop, as
simtui's asyncio runtime does with `asyncio.Runner`. No simtui code.

Usage: python benchmarks/plain/asyncio_yields.py [TASKS YIELDS]
"""

from __future__ import annotations

import asyncio
import sys

TASKS = 1000
YIELDS = 1800


async def _worker(yields: int) -> None:
    for _ in range(yields):
        await asyncio.sleep(0)


async def _main(tasks: int, yields: int) -> None:
    await asyncio.gather(*(_worker(yields) for _ in range(tasks)))


def workload(tasks: int = TASKS, yields: int = YIELDS) -> None:
    """The whole program, callable in-process (the interpreter benchmark's baseline)."""
    asyncio.run(_main(tasks, yields))


if __name__ == "__main__":
    workload(*(int(a) for a in sys.argv[1:3]))
