"""A bundled scenario opened by name is known by that name, not by where simtui is installed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from simtui.scenario.loader import load_scenario, resolve


def simtui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simtui", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_a_scenario_loaded_by_name_keeps_the_name_as_its_source() -> None:
    scenario = load_scenario("gather10")
    assert scenario.source == "gather10"
    assert resolve(scenario.source) is not None  # and the name finds the file again
    assert load_scenario("gather10.yaml").source == "gather10.yaml"


def test_check_and_the_trace_header_name_the_bundled_scenario_as_given(tmp_path: Path) -> None:
    check = simtui("check", "gather10", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("gather10: ok ("), check.stdout
    run = simtui("run", "gather10", "--format", "jsonl", "--time-scale", "0.001", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    header = json.loads(run.stdout.splitlines()[0])
    assert header["source"] == "gather10"
    assert str(Path(sys.prefix)) not in run.stdout and "/scenarios/" not in run.stdout
