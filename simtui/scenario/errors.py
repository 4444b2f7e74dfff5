"""Errors a user can cause in a scenario file, each with a location."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a scenario file, at a 1-based line and column."""

    source: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.col}: {self.message}"

    def short(self) -> str:
        """`line:col: message`, for the TUI's error banner."""
        return f"{self.line}:{self.col}: {self.message}"


class ScenarioError(Exception):
    """Raised with every problem found in one scenario file (at least one)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
