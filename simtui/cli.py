"""The `simtui` command: argument handling only; the work is done by the engine and the TUI."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, TextIO

from simtui import __version__
from simtui.safe import printable

if TYPE_CHECKING:  # argparse is imported only when a command needs it: `--version` stays fast
    import argparse

    from simtui.scenario.errors import ScenarioError
    from simtui.trace.stream import WorkerProcess

COMMANDS = ("run", "check", "replay", "list", "schema", "bench")
FORMATS = ("text", "jsonl", "chrome")
RUNTIME_CHOICES = ("asyncio", "greenlet", "gevent", "threads")

USAGE = """\
usage: simtui [SCENARIO] [-r RUNTIME] [--time-scale F] [--speed N]
       simtui run SCENARIO [-r RUNTIME] [--format text|jsonl|chrome] [-o FILE]
                           [--time-scale F] [--snapshots]
       simtui check SCENARIO...
       simtui replay TRACE [--speed N]
       simtui list | schema | bench | --version | --help

Watch how a real Python runtime (asyncio, greenlet, gevent, threads under the GIL)
schedules the tasks of a YAML scenario, switch by switch.

SCENARIO is a YAML file or the name of a bundled scenario (see `simtui list`);
without one, simtui opens the bundled `gather10`.

commands:
  run      run headless on a real runtime and write the trace
           (exit 0: ok; 1: deadlock, timeout, error or limit; 2: invalid input;
           3: the worker was killed or died; 130 interrupted; 141 output closed)
  check    validate scenario files: FILE:LINE:COL: message per problem (exit 0 or 2)
  replay   open a saved JSONL trace in the TUI; nothing is executed
  list     the bundled scenarios with their titles and runtimes
  schema   print the JSON Schema of the scenario format
  bench    measure what one switch costs on each runtime, on this machine
"""


MAX_FACTOR = 1000.0
"""Largest `--time-scale` or `--speed` accepted."""


def _positive(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= MAX_FACTOR:
        raise argparse.ArgumentTypeError(
            f"must be a number more than 0 and at most {MAX_FACTOR:g}: {text!r}")
    return value


def _parser(prog: str) -> argparse.ArgumentParser:
    import argparse

    return argparse.ArgumentParser(prog=prog, add_help=True)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-r", "--runtime", choices=RUNTIME_CHOICES)
    p.add_argument("--time-scale", type=_positive, default=1.0, metavar="F",
                   help="multiplies the scenario's own time_scale")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("--version", "-V"):
        print(f"simtui {__version__}")
        return 0
    if args and args[0] in ("--help", "-h", "help"):
        print(USAGE, end="")
        return 0
    command = args[0] if args and args[0] in COMMANDS else None
    rest = args[1:] if command else args
    try:
        if command == "run":
            return _run(rest)
        if command == "check":
            return _check(rest)
        if command == "replay":
            return _replay(rest)
        if command == "list":
            return _list(rest)
        if command == "schema":
            return _schema(rest)
        if command == "bench":
            return _bench(rest)
        return _tui(rest)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _output_closed()


EXIT_KILLED = 3
"""`simtui run`: the worker had to be killed, or died, so the run has no outcome."""
EXIT_PIPE = 128 + 13
"""The output pipe was closed (`| head`): the status of a process ended by SIGPIPE."""


def _output_closed() -> int:
    """The reader of stdout is gone: end quietly, as a command killed by SIGPIPE does."""
    # The interpreter flushes stdout once more at exit and would complain that the pipe
    # is broken; stdout goes to /dev/null instead, as the Python documentation advises.
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    return EXIT_PIPE


NEED_TERMINAL = "simtui needs a terminal; `simtui run` writes the trace headless"


def _has_terminal() -> bool:
    """Whether stdin and stdout are both a terminal, as the TUI needs.

    Without one Textual would draw into a pipe and poll a stdin that never answers,
    spinning a core; the user almost certainly wanted `simtui run`.
    """
    try:
        return sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty()
    except (ValueError, OSError):  # closed
        return False


def _say(text: object, file: TextIO | None = None, lines: bool = False) -> None:
    """Print a message that may quote file names, scenario text or worker output: every
    control character in it is shown escaped (`lines`: newlines and tabs kept)."""
    print(printable(text, lines=lines), file=file or sys.stdout)


def _problems(error: ScenarioError, file: TextIO | None = None) -> None:
    # One line per problem, each escaped on its own: a newline in a file name stays
    # visible and cannot start a line that looks like another message.
    for problem in error.problems:
        _say(problem, file)


def _fail(error: ScenarioError | str) -> int:
    """Say why the input is refused, on stderr; the exit status of invalid input."""
    if isinstance(error, str):
        _say(error, sys.stderr)
    else:
        _problems(error, sys.stderr)
    return 2


def _run(argv: list[str]) -> int:
    p = _parser("simtui run")
    p.add_argument("scenario")
    _add_run_options(p)
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("-o", "--output", metavar="FILE")
    p.add_argument("--snapshots", action="store_true",
                   help="add `queue` events read from the runtime's own ready queue")
    a = p.parse_args(argv)

    from simtui.scenario.errors import ScenarioError
    from simtui.scenario.loader import load_scenario

    try:
        scenario = load_scenario(a.scenario, runtime=a.runtime)
    except ScenarioError as e:
        return _fail(e)
    runtime = a.runtime or scenario.runtime

    from simtui.trace.export import open_writer
    from simtui.trace.protocol import Exit
    from simtui.trace.stream import WorkerProcess

    with contextlib.ExitStack() as stack:
        out: IO[str]
        if a.output:
            try:
                out = stack.enter_context(open(a.output, "w", encoding="utf-8", newline="\n"))
            except OSError as e:
                _say(f"{a.output}: cannot write: {e.strerror or e}", sys.stderr)
                return 2
        else:
            out = sys.stdout
        worker = WorkerProcess(scenario, runtime, a.time_scale, snapshots=a.snapshots)
        stack.callback(worker.wait, 5)
        stack.callback(worker.kill)  # runs first: any error ends the worker too
        caught = stack.enter_context(_signals_kill(worker))
        worker.start()
        if caught:  # a signal came while the worker was starting
            worker.kill(_signal_reason(caught[0]))
        last = None
        writer = open_writer(a.format, out)
        try:
            for batch in worker.batches():
                writer.write_batch(batch)
                last = batch.end or last
            writer.close()
        except BrokenPipeError:
            worker.kill("the output pipe was closed")
            return _output_closed()
        except OSError as e:  # a full disk, a terminal gone
            worker.kill("the trace could not be written")
            if caught:
                return 128 + caught[0]
            _say(f"{a.output or 'stdout'}: cannot write: {e.strerror or e}", sys.stderr)
            return 2
    if caught:
        return 128 + caught[0]
    status = last.get("status") if last is not None else None
    if status is None:
        if worker.returncode == Exit.REFUSED:  # the worker refused the scenario: reported
            _say(worker.error_text, sys.stderr, lines=True)
            return 2
        _say(f"simtui: the worker ended without a trace (exit {worker.returncode})\n"
             f"{worker.error_text}", sys.stderr, lines=True)
        return EXIT_KILLED
    if status == "killed":
        message = last.get("message") if last is not None else None
        _say(f"simtui: the run did not finish: {message or 'the worker was killed'}", sys.stderr)
        return EXIT_KILLED
    if worker.returncode == Exit.BUG:
        _say(f"simtui: internal error in the worker:\n{worker.error_text}", sys.stderr,
             lines=True)
    return 0 if status == "ok" else 1


_SIGNAL_REASONS = {"SIGINT": "interrupted (Ctrl-C)", "SIGTERM": "terminated (SIGTERM)",
                   "SIGHUP": "the terminal hung up (SIGHUP)"}


def _signal_reason(signum: int) -> str:
    import signal

    return _SIGNAL_REASONS[signal.Signals(signum).name]


@contextlib.contextmanager
def _signals_kill(worker: WorkerProcess) -> Iterator[list[int]]:
    """While `simtui run` runs: Ctrl-C, SIGTERM or SIGHUP kill the worker, with the reason.

    The run then ends the usual way: the stream ends with the `end` the parent writes for
    the killed worker (so a trace file is complete), and the caller exits 128 + the
    signal's number. The handler raises nothing the first time, so no event is left half
    written; a second signal stops at once.
    """
    import signal

    caught: list[int] = []

    def handle(signum: int, frame: object) -> None:
        if caught:
            raise KeyboardInterrupt
        caught.append(signum)
        worker.kill(_signal_reason(signum))

    previous = {}
    for name in _SIGNAL_REASONS:
        signum = getattr(signal, name)
        with contextlib.suppress(ValueError, OSError):  # not the main thread: leave them
            previous[signum] = signal.signal(signum, handle)
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _check(argv: list[str]) -> int:
    p = _parser("simtui check")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="a scenario file, a directory of them, or a bundled scenario's name")
    p.add_argument("-r", "--runtime", choices=RUNTIME_CHOICES,
                   help="also check that every op can run on this runtime")
    a = p.parse_args(argv)

    from simtui.scenario.errors import ScenarioError
    from simtui.scenario.loader import load_scenario

    status = 0
    for path in _scenario_files(a.scenarios):
        if os.path.isdir(path):
            _say(f"{path}:1:1: no scenario files (*.yaml) in this directory")
            status = 2
            continue
        try:
            scenario = load_scenario(path, runtime=a.runtime)
        except ScenarioError as e:
            _problems(e)
            status = 2
            continue
        for w in scenario.warnings:
            _say(f"{w.source}:{w.line}:{w.col}: warning: {w.message}")
        count = len(scenario.instances)
        # A runtime this Python rules out is named with the reason: `run -r` refuses it.
        missing = "".join(f"; not on {rt}: {why}" for rt, why in scenario.excluded.items())
        _say(f"{scenario.source}: ok ({count} task{'s' if count != 1 else ''}; "
             f"runs on {', '.join(scenario.runtimes)}{missing})")
    return status


def _scenario_files(names: list[str]) -> list[str]:
    """The arguments, with each directory replaced by the scenario files in it."""
    import stat
    from pathlib import Path

    out: list[str] = []
    for name in names:
        try:
            is_dir = stat.S_ISDIR(os.stat(name).st_mode)
        except (OSError, ValueError):  # missing, a name too long...: the loader says which
            is_dir = False
        if not is_dir:
            out.append(name)
            continue
        try:
            # Every *.yaml entry that is not a directory: a FIFO among them is listed so
            # that it is refused by name rather than skipped without a word.
            found = sorted(str(f) for f in Path(name).iterdir()
                           if f.suffix in (".yaml", ".yml") and not f.is_dir())
        except OSError:
            found = []  # unreadable: reported like an empty directory
        out.extend(found or [name])  # reported as empty
    return out


def _replay(argv: list[str]) -> int:
    p = _parser("simtui replay")
    p.add_argument("trace")
    p.add_argument("--speed", type=_positive, default=None)
    a = p.parse_args(argv)
    from simtui.trace.reader import TraceError, read_trace

    try:  # a file that is not a trace at all is refused before the screen opens
        next(read_trace(a.trace))
    except StopIteration:
        _say(f"{a.trace}:1: empty file, not a simtui trace", sys.stderr)
        return 2
    except TraceError as e:
        _say(e, sys.stderr)
        return 2
    if not _has_terminal():  # checked after the file: a bad file is the first thing to say
        return _fail(NEED_TERMINAL)
    from simtui.tui.app import run_tui

    return run_tui(trace_path=a.trace, speed=a.speed)


def _list(argv: list[str]) -> int:
    _parser("simtui list").parse_args(argv)
    from simtui.scenario.errors import ScenarioError
    from simtui.scenario.loader import bundled_scenarios, load_scenario

    rows = []
    for path in bundled_scenarios():
        try:
            s = load_scenario(str(path))
        except ScenarioError as e:  # a bundled scenario must load; show it if not
            rows.append((path.stem, f"(invalid: {e.problems[0].message})", ""))
            continue
        runtimes = ", ".join(f"{rt}*" if rt == s.runtime else rt for rt in s.runtimes)
        rows.append((path.stem, s.title, runtimes))
    if not rows:
        print("no bundled scenarios found", file=sys.stderr)
        return 1
    width = max(len(r[0]) for r in rows)
    for name, title, runtimes in rows:
        _say(f"{name:<{width}}  {title}  [{runtimes}]")
    print("\n* the scenario's default runtime; open one with `simtui NAME`")
    return 0


def _bench(argv: list[str]) -> int:
    p = _parser("simtui bench")
    p.add_argument("--repeats", type=int, default=5, help="interleaved repetitions (median)")
    a = p.parse_args(argv)
    from simtui.bench import main as bench

    return bench(max(1, a.repeats))


def _schema(argv: list[str]) -> int:
    _parser("simtui schema").parse_args(argv)
    import json

    from simtui.scenario.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def _tui(argv: list[str]) -> int:
    p = _parser("simtui")
    p.add_argument("scenario", nargs="?", default="gather10")
    _add_run_options(p)
    p.add_argument("--speed", type=_positive, default=None, metavar="N",
                   help="switches per second when playing")
    a = p.parse_args(argv)

    from simtui.scenario.errors import ScenarioError
    from simtui.scenario.loader import load_scenario

    try:  # refuse a broken file before the screen opens: the shell shows the error
        load_scenario(a.scenario, runtime=a.runtime)
    except ScenarioError as e:
        return _fail(e)
    if not _has_terminal():
        return _fail(NEED_TERMINAL)
    from simtui.tui.app import run_tui

    return run_tui(
        scenario=a.scenario, runtime=a.runtime, time_scale=a.time_scale, speed=a.speed
    )
