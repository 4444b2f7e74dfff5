"""The import contract: the engine is headless, only simtui.tui imports Textual, the CLI is light.

Every module is found by walking the package, not listed: a new module is under the
contract the day it is added.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import simtui

PACKAGE = Path(simtui.__file__).parent
UI = ("textual", "rich")
"""Packages only `simtui.tui` may bring in."""
HEAVY = ("textual", "rich", "gevent", "greenlet", "asyncio", "yaml", "orjson")
"""What a CLI path that does not need them must not import (they cost start-up time, and
gevent or asyncio brought in by accident would change how a runtime behaves)."""


def _headless() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages([str(PACKAGE)], "simtui.")]
    return ["simtui", *sorted(n for n in names if n != "simtui.tui"
                              and not n.startswith("simtui.tui."))]


HEADLESS = _headless()


def _loaded_after(code: str, *args: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                         text=True, timeout=60, cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def _under(loaded: set[str], packages: tuple[str, ...]) -> set[str]:
    return {m for m in loaded if m.split(".")[0] in packages}


def test_the_walk_finds_every_layer() -> None:
    for expected in ("simtui.cli", "simtui.scenario.loader", "simtui.scenario.rules",
                     "simtui.runtimes.worker", "simtui.trace.model", "simtui.replay.explain",
                     "simtui.runtimespec"):
        assert expected in HEADLESS
    assert not [m for m in HEADLESS if m.startswith("simtui.tui")]


@pytest.mark.parametrize("module", HEADLESS)
def test_a_headless_module_imports_no_ui(module: str) -> None:
    # A module that runs when imported (`simtui.__main__`) is given `--version`, so that it
    # ends at once; what it imported on the way is what counts.
    loaded = _loaded_after(f"import sys\nsys.argv[1:] = ['--version']\ntry:\n"
                           f"    import {module}\nexcept SystemExit:\n    pass")
    assert not _under(loaded, UI), module
    assert not {m for m in loaded if m == "simtui.tui" or m.startswith("simtui.tui.")}, module


def _imports_of(path: Path) -> set[str]:
    """Every module an `import` statement anywhere in `path` names (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_cli_reaches_into_the_tui() -> None:
    # The TUI commands import simtui.tui when they start it; nothing else outside tui/ may.
    reaching = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "tui" or relative == Path("cli.py"):
            continue
        if any(m == "simtui.tui" or m.startswith("simtui.tui.") for m in _imports_of(path)):
            reaching.append(str(relative))
    assert reaching == []
    assert any(m.startswith("simtui.tui") for m in _imports_of(PACKAGE / "cli.py"))


# CLI paths and what each may need: nothing else of HEAVY may be loaded after it.
CLI_PATHS = [
    (["--version"], ()),
    (["--help"], ()),
    (["schema"], ()),
    (["check", "gather10"], ("yaml",)),
    (["list"], ("yaml",)),
    (["run", "no_such_scenario.yaml"], ("yaml",)),
    (["replay", "README.md"], ("orjson",)),
    (["compare", "no_such_scenario.yaml"], ("yaml",)),
    (["export", "README.md", "--format", "text"], ("orjson",)),
]


@pytest.mark.parametrize(("args", "needs"), CLI_PATHS, ids=lambda v: " ".join(v) or "-")
def test_a_cli_path_imports_only_what_it_needs(args: list[str], needs: tuple[str, ...]) -> None:
    loaded = _loaded_after(
        "import contextlib, io, sys\nfrom simtui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), "
        "contextlib.redirect_stderr(io.StringIO()):\n    main(sys.argv[1:])", *args)
    extra = {m.split(".")[0] for m in _under(loaded, HEAVY)} - set(needs)
    assert extra == set(), args
    runtimes = {m for m in loaded if m == "simtui.runtimes" or m.startswith("simtui.runtimes.")}
    assert runtimes == set(), args
