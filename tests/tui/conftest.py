"""Shared helpers for the TUI tests: recorded traces, a copy of a scenario, polling."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRACES = Path(__file__).resolve().parent / "traces"
SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _repo_cwd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Recorded traces name their scenario as `scenarios/NAME.yaml`, relative to the repo.
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    # The app keeps the user's theme in their config folder: never the real one here.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def scenario_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a bundled scenario into a temporary directory (tests edit the copy)."""

    def copy(name: str) -> Path:
        target = tmp_path / f"{name}.yaml"
        shutil.copyfile(ROOT / "scenarios" / f"{name}.yaml", target)
        return target

    return copy


async def wait_until(pilot, predicate: Callable[[], object], timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `predicate()` holds (a real run takes real, if short, time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await pilot.pause(0.02)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


BACKLOG = """
timeout: 60
runtimes: [asyncio]
tasks:
  main:
    - gather: coco
  coco:
    count: 50
    steps:
      - repeat: {times: 100, steps: [yield]}
"""
"""A run of ~20,000 events on asyncio: many ingest pieces once it is all buffered."""


def ticking_clock(step: float = 0.005) -> Callable[[], float]:
    """A clock that finds `step` seconds more gone at each look (ingest by the clock,
    made exact: a pump takes pieces until its budget is spent)."""
    now = [0.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    return clock
