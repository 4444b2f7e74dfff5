"""`simtui list`: every bundled scenario with its title and runtimes."""

from __future__ import annotations

import subprocess
import sys

from simtui.scenario.loader import bundled_scenarios, load_scenario


def test_list_shows_each_bundled_scenario_with_title_and_runtimes() -> None:
    proc = subprocess.run([sys.executable, "-m", "simtui", "list"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    paths = bundled_scenarios()
    assert paths
    for path in paths:
        s = load_scenario(str(path))
        row = [ln for ln in lines if ln.split(" ", 1)[0] == path.stem]
        assert len(row) == 1, path.stem
        assert f"  {s.title}  " in row[0]
        listed = row[0].rsplit("[", 1)[1].rstrip("]").split(", ")
        assert [rt.rstrip("*") for rt in listed] == list(s.runtimes)
        assert f"{s.runtime}*" in listed  # the default runtime is marked
    assert "(invalid" not in proc.stdout
