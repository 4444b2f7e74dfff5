"""`simtui run --explain` through the real command line: the Why sentence at every stop."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.tracehelp import ROOT

WHY = " " * 12 + "why: "


def simtui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simtui", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )


def _lines(out: str) -> list[tuple[str, str | None]]:
    """(event line, the why line after it or None), header left out."""
    lines = out.splitlines()
    assert lines[0].startswith("# ")
    pairs: list[tuple[str, str | None]] = []
    for line in lines[1:]:
        if line.startswith(WHY):
            assert pairs and pairs[-1][1] is None, f"a why line after no event: {line}"
            pairs[-1] = (pairs[-1][0], line[len(WHY):])
        else:
            pairs.append((line, None))
    return pairs


def _kind(line: str) -> str:
    return line.split()[2]


def test_explain_says_why_at_every_switch_the_idle_loop_and_the_end() -> None:
    proc = simtui("run", "gather10", "--time-scale", "0.02", "--explain")
    assert proc.returncode == 0, proc.stderr
    pairs = _lines(proc.stdout)
    runs = [(line, why) for line, why in pairs if _kind(line) == "run"]
    assert len(runs) > 20
    assert all(why for _, why in runs), "every switch is a stop"
    end_line, end_why = pairs[-1]
    assert _kind(end_line) == "end" and end_why is not None
    assert re.search(r"for \S+ \S+ of 10 sleeps: they overlapped\.$", end_why), end_why
    # All ten asleep: the last suspend before the first timer says what the loop waits for.
    idle = [(line, why) for line, why in pairs if why and "The loop has nothing ready" in why]
    assert idle and _kind(idle[0][0]) == "suspend"
    assert re.search(r"it sleeps in select\(\) until t = \d\.\d{4} s, when coco\[\d\]'s "
                     r"timer is due\.$", idle[0][1] or "")
    # Nothing else gets a sentence: steps, outputs and queue entries are not stops.
    assert all(why is None for line, why in pairs if _kind(line) in ("step", "output", "create"))


def test_explain_shows_the_blocked_loop_of_a_blocking_sleep() -> None:
    proc = simtui("run", "gather10_blocking", "--time-scale", "0.01", "--explain")
    assert proc.returncode == 0, proc.stderr
    pairs = _lines(proc.stdout)
    held = [(line, why) for line, why in pairs if why and "blocks the whole event loop" in why]
    assert len(held) == 10
    for line, why in held:
        assert _kind(line) == "block"
        assert re.match(r"coco\[\d\] calls time\.sleep, which blocks the whole event loop "
                        r"for \S+ ms: no other Task can run", why or ""), why


def test_explain_goes_with_the_text_format_only() -> None:
    for fmt in ("jsonl", "chrome"):
        proc = simtui("run", "gather10", "--format", fmt, "--explain")
        assert proc.returncode == 2
        assert "--explain goes with --format text" in proc.stderr
        assert not proc.stdout
        assert "Traceback" not in proc.stderr
