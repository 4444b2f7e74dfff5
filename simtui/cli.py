"""The `simtui` command: argument handling only; the work is done by the engine and the TUI."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, Protocol, TextIO

from simtui import __version__
from simtui.runtimespec import NAMES, SPECS
from simtui.safe import printable

if TYPE_CHECKING:  # argparse is imported only when a command needs it: `--version` stays fast
    import argparse

    from simtui.compare.comparison import Comparison
    from simtui.compare.runner import RunResult
    from simtui.scenario.errors import ScenarioError
    from simtui.trace.export import Writer
    from simtui.trace.wire import Batch

COMMANDS = ("run", "check", "replay", "list", "schema", "bench", "compare", "export")
FORMATS = ("text", "jsonl", "chrome")

USAGE = """\
usage: simtui [SCENARIO] [-r RUNTIME] [--time-scale F] [--speed N]
       simtui run SCENARIO [-r RUNTIME] [--format text|jsonl|chrome] [-o FILE]
                           [--time-scale F] [--snapshots] [--explain]
       simtui check SCENARIO...
       simtui replay TRACE [--speed N]
       simtui compare SCENARIO... [-r RT[,RT...]] [--vary KEY=V1,V2...]
                      [--time-scale F] [--format text|json|chrome] [-o FILE]
                      [--expect STATUS[,STATUS...]] [-j N]
       simtui export TRACE... --format chrome|text [-o FILE]
       simtui list | schema | bench | --version | --help

Watch how a real Python runtime schedules the tasks of a YAML scenario, switch
by switch, on any of the runtimes below.

SCENARIO is a YAML file or the name of a bundled scenario (see `simtui list`);
without one, simtui opens the bundled `gather10`.

commands:
  run      run headless on a real runtime and write the trace
           (exit 0: ok; 1: deadlock, timeout, error or limit; 2: invalid input;
           3: the worker was killed or died; 130 interrupted; 141 output closed)
  check    validate scenario files: FILE:LINE:COL: message per problem (exit 0 or 2)
  replay   open a saved JSONL trace in the TUI; nothing is executed
  compare  run scenarios on several runtimes and option variants at once; a table
           and what differs, in sentences (exit 0: every run ended as expected;
           1: one did not; 2: invalid input; 3: a worker was killed or died)
  export   convert saved JSONL traces: Chrome/Perfetto JSON or readable text
  list     the bundled scenarios with their titles and runtimes
  schema   print the JSON Schema of the scenario format
  bench    measure what one switch costs on each runtime, on this machine

runtimes:
""" + "".join(f"  {name:<{max(map(len, NAMES))}}  {spec.summary}\n"
              for name, spec in SPECS.items())


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
    p.add_argument("-r", "--runtime", choices=NAMES)
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
        if command == "compare":
            return _compare(rest)
        if command == "export":
            return _export(rest)
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
    p.add_argument("--explain", action="store_true",
                   help="with --format text: after each stop (switch, idle or blocked "
                        "scheduler, end), the sentence the TUI's Why pane shows")
    a = p.parse_args(argv)
    if a.explain and a.format != "text":
        return _fail(f"simtui run: --explain goes with --format text, not {a.format}")

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
        if a.explain:
            writer = _Explained(writer, out)
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


class _Explained:
    """A text writer that adds, after each stop's line, the Why sentence at that stop."""

    def __init__(self, writer: Writer, out: IO[str]) -> None:
        from simtui.replay.explain import Narrator

        self.writer = writer
        self.out = out
        self.narrator = Narrator()

    def write(self, event: dict[str, Any]) -> None:
        self._put(self.narrator.feed(event))

    def write_batch(self, batch: Batch) -> None:
        for event in batch.events():
            self.write(event)

    def close(self) -> None:
        self._put(self.narrator.close())
        self.writer.close()

    def _put(self, done: list[tuple[Mapping[str, Any], str | None]]) -> None:
        for event, why in done:
            self.writer.write(dict(event))
            if why is not None:  # sentences name tasks and quote outputs: escaped
                self.out.write(printable(f"{'':12}why: {why}") + "\n")


_SIGNAL_REASONS = {"SIGINT": "interrupted (Ctrl-C)", "SIGTERM": "terminated (SIGTERM)",
                   "SIGHUP": "the terminal hung up (SIGHUP)"}


def _signal_reason(signum: int) -> str:
    import signal

    return _SIGNAL_REASONS[signal.Signals(signum).name]


class _Killable(Protocol):
    def kill(self, reason: str = ...) -> None: ...


@contextlib.contextmanager
def _signals_kill(worker: _Killable) -> Iterator[list[int]]:
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
    p.add_argument("-r", "--runtime", choices=NAMES,
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


COMPARE_FORMATS = ("text", "json", "chrome")


def _count(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _compare(argv: list[str]) -> int:
    p = _parser("simtui compare")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="a scenario file or a bundled scenario's name; several are compared "
                        "with each other")
    p.add_argument("-r", "--runtime", metavar="RT[,RT...]",
                   help="the runtimes to run on (default: each scenario's own)")
    p.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2...",
                   help="run once per value: RUNTIME.OPTION (gevent.monkey_patch=true,false) "
                        "or time_scale; repeat for several")
    p.add_argument("--time-scale", type=_positive, default=1.0, metavar="F",
                   help="multiplies each scenario's own time_scale")
    p.add_argument("--format", choices=COMPARE_FORMATS, default=None,
                   help="text: the table and sentences (the default; with a terminal and no "
                        "-o, the compare screen opens instead); json: the same data; chrome: "
                        "every run in one Chrome/Perfetto file, a process each")
    p.add_argument("-o", "--output", metavar="FILE")
    p.add_argument("--expect", default=None, metavar="STATUS[,STATUS...]",
                   help="how a run is expected to end (default: the scenario's "
                        "compare.expect, else ok)")
    p.add_argument("-j", "--jobs", type=_count, metavar="N",
                   help="at most N runs at once (default: a run that computes per core, "
                        "and the runs that only wait alongside)")
    a = p.parse_args(argv)

    from simtui.compare.comparison import (
        CompareError,
        declared,
        lanes,
        parse_expect,
        parse_runtimes,
        parse_vary,
    )
    from simtui.scenario.errors import ScenarioError
    from simtui.scenario.loader import load_scenario

    scenarios = []
    failed = False
    for name in a.scenarios:
        try:
            scenarios.append(load_scenario(name))
        except ScenarioError as e:
            _problems(e, sys.stderr)
            failed = True
    if failed:
        return 2
    try:
        runtimes = parse_runtimes(a.runtime) if a.runtime else ()
        variants = tuple(parse_vary(v) for v in a.vary)
        expect = parse_expect(a.expect) if a.expect is not None else None
        comparison = declared(tuple(scenarios), runtimes, variants, a.time_scale, expect)
        runs = lanes(comparison)
    except CompareError as e:
        return _fail(f"simtui compare: {e}")
    if a.format is None and a.output is None and _has_terminal():
        from simtui.tui.app import run_compare
        from simtui.tui.compare_session import CompareRequest

        # The screen reads the files again at each re-run: it gets what was given.
        return run_compare(CompareRequest(tuple(a.scenarios), runtimes, variants,
                                          a.time_scale, expect, a.jobs))
    a.format = a.format or "text"
    if a.output and (problem := _unwritable(a.output)):
        return _fail(f"{a.output}: cannot write: {problem}")

    from simtui.compare.runner import Runner, cores

    progress = _has_stderr_terminal()

    def done(result: RunResult, k: int, n: int) -> None:
        if progress:
            from simtui.durations import format as seconds

            m = result.metrics
            _say(f"[{k}/{n}] {result.lane.label}: {m.status or 'no outcome'} "
                 f"in {seconds(float(f'{m.elapsed:.3g}'))}", sys.stderr)

    runner = Runner(runs, jobs=a.jobs, on_done=done)
    if progress:
        limit = (f"at most {a.jobs} at once" if a.jobs else
                 f"in parallel, one per core for those that compute ({cores()} cores)")
        _say(f"simtui compare: {len(runs)} run{'s' if len(runs) != 1 else ''}, {limit}",
             sys.stderr)
    with _signals_kill(runner) as caught:
        results = runner.run()
    if caught:
        return 128 + caught[0]
    return _compare_output(a, comparison, results)


def _compare_output(a: argparse.Namespace, comparison: Comparison,
                    done: list[RunResult]) -> int:
    from simtui.compare.report import as_expected, document, table
    from simtui.trace.export import ChromeTrace, json_text

    if a.format == "json":
        text = json_text(document(comparison, done), indent=True) + "\n"
    elif a.format == "chrome":
        doc = ChromeTrace()
        for r in done:
            header = [r.trace.header] if r.trace.header else []
            doc.add([*header, *(r.trace[i] for i in range(len(r.trace)))], name=r.lane.label)
        text = json_text(doc.document()) + "\n"
    else:
        text = "\n".join(table(comparison, done)) + "\n"
    status = _write_output(a.output, text)
    if status:
        return status
    if any(r.metrics.status in (None, "killed") for r in done):
        return EXIT_KILLED
    return 0 if all(as_expected(r, comparison) for r in done) else 1


def _has_stderr_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (ValueError, OSError):
        return False


def _unwritable(path: str) -> str | None:
    """Why `path` cannot be written, found before any work is done; None if it can."""
    if os.path.isdir(path):
        return "a directory"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return "no such directory"
    if not os.access(folder, os.W_OK):
        return "permission denied"
    return None


def _write_output(path: str | None, text: str) -> int:
    """Write `text` to `path` (atomically) or to stdout; the exit status of a failure, or 0."""
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    from simtui.files import atomic_write, reason

    try:
        atomic_write(path, text.encode("utf-8"))
    except OSError as e:
        _say(f"{path}: cannot write: {reason(e)}", sys.stderr)
        return 2
    return 0


def _export(argv: list[str]) -> int:
    p = _parser("simtui export")
    p.add_argument("traces", nargs="+", metavar="TRACE", help="a saved JSONL trace")
    p.add_argument("--format", choices=("chrome", "text"), required=True,
                   help="chrome: Chrome/Perfetto JSON, a process per trace; text: a line "
                        "per event")
    p.add_argument("-o", "--output", metavar="FILE")
    a = p.parse_args(argv)
    import io

    from simtui.trace.export import ChromeTrace, TextWriter, json_text
    from simtui.trace.model import Trace
    from simtui.trace.reader import TraceError

    traces = []
    for path in a.traces:
        try:
            traces.append(Trace.load(path))
        except TraceError as e:
            return _fail(str(e))
    if a.output and (problem := _unwritable(a.output)):
        return _fail(f"{a.output}: cannot write: {problem}")
    if a.format == "chrome":
        doc = ChromeTrace()
        several = len(traces) > 1
        for trace in traces:
            name = None
            if several:
                name = f"{trace.header.get('scenario')} on {trace.header.get('runtime')}"
            doc.add([trace.header, *(trace[i] for i in range(len(trace)))], name=name)
        text = json_text(doc.document()) + "\n"
    else:
        out = io.StringIO()
        for trace in traces:
            writer = TextWriter(out)
            writer.write(trace.header)
            for i in range(len(trace)):
                writer.write(trace[i])
        text = out.getvalue()
    return _write_output(a.output, text)
