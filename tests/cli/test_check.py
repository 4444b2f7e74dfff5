"""`simtui check`, `--version` and `--help` through the real command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from simtui import __version__
from simtui.runtimespec import NAMES, SPECS
from simtui.scenario.loader import bundled_scenarios

ROOT = Path(__file__).resolve().parents[2]


def simtui(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simtui", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


GOOD = "tasks:\n  main:\n    - spawn: w\n    - join: w\n  w: [sleep: 10ms]\n"
BAD = "tasks:\n  main:\n    - sleep: -1\n    - spwan: w\n"
WARN = "tasks:\n  main: [yield]\n  unused: [yield]\n"


def test_good_bad_and_warning_files_at_once(tmp_path: Path) -> None:
    for name, text in (("good.yaml", GOOD), ("bad.yaml", BAD), ("warn.yaml", WARN)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    proc = simtui("check", "good.yaml", "bad.yaml", "warn.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        "good.yaml: ok (2 tasks; runs on asyncio, gevent, threads)",
        "bad.yaml:3:14: `sleep` cannot be negative (`-1`)",
        "bad.yaml:4:7: unknown op `spwan` (did you mean `spawn`?)",
        "warn.yaml:3:3: warning: task `unused` is never started, called or switched to, "
        "so it never runs",
        "warn.yaml: ok (2 tasks; runs on asyncio, gevent, threads)",
    ]


def test_warnings_alone_exit_zero(tmp_path: Path) -> None:
    (tmp_path / "warn.yaml").write_text(WARN, encoding="utf-8")
    proc = simtui("check", "warn.yaml", cwd=tmp_path)
    assert proc.returncode == 0
    assert "warn.yaml:3:3: warning: " in proc.stdout


def test_every_bundled_scenario_checks_by_path_by_name_and_by_directory() -> None:
    names = [p.stem for p in bundled_scenarios()]
    proc = simtui("check", "scenarios", *names[:2])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    oks = [ln for ln in proc.stdout.splitlines() if ": ok (" in ln]
    assert len(oks) == len(names) + 2
    assert "warning" not in proc.stdout


def test_runtime_option_refuses_ops_that_runtime_cannot_do() -> None:
    proc = simtui("check", "-r", "greenlet", "gather10")
    assert proc.returncode == 2
    assert "`gather` cannot run on greenlet (the chosen runtime)" in proc.stdout


def test_missing_file_directory_and_garbage(tmp_path: Path) -> None:
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "junk.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "tag.yaml").write_text("tasks: !!python/object/apply:os.system [ls]\n")
    proc = simtui("check", "nope.yaml", "empty_dir", "junk.yaml", "tag.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("nope.yaml:1:1: no such file")
    assert lines[1] == "empty_dir:1:1: no scenario files (*.yaml) in this directory"
    assert lines[2].startswith("junk.yaml:1:1: not a text file")
    assert lines[3].startswith("tag.yaml:1:8: the YAML tag `!!python/object/apply:os.system`")


def test_check_needs_a_file() -> None:
    proc = simtui("check")
    assert proc.returncode == 2
    assert "usage" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_version_and_help() -> None:
    version = simtui("--version")
    assert (version.returncode, version.stdout) == (0, f"simtui {__version__}\n")
    helped = simtui("--help")
    assert helped.returncode == 0
    for command in ("run", "check", "replay", "list", "schema"):
        assert f"\n  {command} " in helped.stdout
    assert simtui("check", "--help").stdout.startswith("usage: simtui check")


def test_help_lists_every_runtime_with_its_summary() -> None:
    helped = simtui("--help").stdout
    runtimes = helped.split("\nruntimes:\n", 1)[1]
    for name, spec in SPECS.items():
        assert any(ln.split(None, 1) == [name, spec.summary] for ln in runtimes.splitlines()), name


def test_the_runtime_option_offers_the_runtimes_simtui_knows() -> None:
    for command in ("check", "run"):
        proc = simtui(command, "-r", "trio", "gather10")
        assert proc.returncode == 2
        offered = proc.stderr.split("choose from", 1)[1].split(")", 1)[0]
        assert [c.strip(" '") for c in offered.split(",")] == list(NAMES), proc.stderr
