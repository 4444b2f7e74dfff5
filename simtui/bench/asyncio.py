"""asyncio's side of `simtui bench`: a Task step through the event loop's ready queue."""

from __future__ import annotations

import time

SWITCHES = 20_000


def switch(n: int = SWITCHES, tasks: int = 100) -> float:
    """`tasks` coroutines each doing `await asyncio.sleep(0)`: seconds per task step."""
    import asyncio

    per = max(1, n // tasks)

    async def worker() -> None:
        for _ in range(per):
            await asyncio.sleep(0)

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        return time.perf_counter() - start

    return asyncio.run(main()) / (per * tasks)
