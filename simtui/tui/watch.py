"""Watching a scenario file for changes made outside simtui (in another editor window)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

DEBOUNCE_MS = 150
"""Changes closer together than this are one change (an editor's write-then-rename)."""


async def watch_file(path: Path, changed: Callable[[], object],
                     report: Callable[[str], object]) -> None:
    """Call `changed` after each change of the file at `path`, until cancelled.

    Nothing ends the watch but cancelling it: `changed` must not raise (the screens wrap
    it), and a watch that fails or stops by itself (the folder was deleted) starts again,
    calling `changed` once to catch up with what happened meanwhile. The folder is watched
    rather than the file, so a file that is replaced (a save by rename) or deleted and
    written again is still seen; `report` gets the first failure of a series.
    """
    from watchfiles import awatch

    path = Path(os.path.realpath(path))
    name = path.name
    folder = str(path.parent)

    def mine(_change: object, what: str) -> bool:
        # The folder itself too: once it is deleted, a watch on it sees nothing more.
        return what == folder or Path(what).name == name

    failures = 0
    started = False
    while True:
        if started:
            changed()
        started = True
        if not os.path.isdir(folder):
            await asyncio.sleep(1.0)  # until the folder is back (a checkout, a restore)
            continue
        try:
            async for _changes in awatch(folder, watch_filter=mine, debounce=DEBOUNCE_MS,
                                         step=30, rust_timeout=500):
                failures = 0
                if not os.path.isdir(folder):
                    break
                changed()
        except Exception as e:  # noqa: BLE001 - a cancelled watch raises CancelledError
            failures += 1
            if failures == 1:
                report(f"watching {folder} for changes failed ({e}); trying again")
        await asyncio.sleep(min(5.0, 0.5 * (failures + 1)))
