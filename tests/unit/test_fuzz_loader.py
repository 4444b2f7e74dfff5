"""Robustness of the loader (targets R1, R4): malformed input only ever yields located problems.

Every input either loads or raises `ScenarioError` whose problems are all
`FILE:LINE:COL: message` with the position inside the text; no other exception escapes.
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import bundled_scenarios, load_text
from simtui.scenario.model import OPS

SOURCE = "fuzz.yaml"
RUNS_PER_KIND = {"mutation": 6_000, "random_yaml": 3_000, "random_bytes": 1_500}


def check(data: bytes | str) -> str:
    """Load `data`; "ok" or "error" if it behaved, else an AssertionError naming the input."""
    text = data if isinstance(data, str) else None
    try:
        scenario = load_text(data, SOURCE)
    except ScenarioError as e:
        if text is None:
            try:
                text = data.decode("utf-8-sig")  # type: ignore[union-attr]
            except UnicodeDecodeError:
                text = data.decode("utf-8-sig", "replace")  # type: ignore[union-attr]
        lines = text.removeprefix("\ufeff").splitlines() or [""]
        assert e.problems, repr(data[:200])
        for p in e.problems:
            assert p.source == SOURCE
            assert 1 <= p.line <= len(lines), (str(p), repr(data[:200]))
            assert 1 <= p.col <= len(lines[p.line - 1]) + 1, (str(p), repr(data[:200]))
            assert p.message and "\n" not in p.message, (str(p), repr(data[:200]))
            assert str(p) == f"{SOURCE}:{p.line}:{p.col}: {p.message}"
        return "error"
    except Exception as e:  # noqa: BLE001 - the point: nothing else may escape
        raise AssertionError(f"{type(e).__name__}: {e} for input {data[:300]!r}") from e
    assert scenario.main in scenario.instances
    for inst in scenario.instances.values():
        assert inst.definition in scenario.tasks
    return "ok"


# -- generators ----------------------------------------------------------------------

TOKENS = [
    ":", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "!!python/object/apply:os.system ", "!x ",
    "'", '"', "#", "\t", "\r\n", "---\n", "...\n", "? ", "| ", "> ", "%YAML 1.1\n", "~", "null",
    "{i}", "{", "}}", "{{", "w[3]", "w[99999999999]", "-1", ".nan", ".inf", "1e999", "250ms",
    "0x1F", "1_000", "1:30", "yes", "<<: *a", "\x00", "\x07", "\ufeff", "\u2028", "\x85", "é",
    "코루틴", "  ", "\n", "tasks:", "main:", "count: 100001", "times: 10000001", "x-k: 1",
    *OPS,
]


def mutate(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(8)
        if kind == 0 and text:  # flip one character
            i = rng.randrange(len(text))
            text = text[:i] + chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 0x3000)])) \
                + text[i + 1:]
        elif kind == 1 and len(lines) > 1:  # delete a line
            del lines[rng.randrange(len(lines))]
            text = "".join(lines)
        elif kind == 2 and lines:  # duplicate a line
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = "".join(lines)
        elif kind == 3 and lines:  # change the indentation of a line
            i = rng.randrange(len(lines))
            delta = rng.choice([-4, -2, -1, 1, 2, 4])
            line = lines[i]
            lines[i] = " " * delta + line if delta > 0 else line[min(-delta, len(line)
                                                                         - len(line.lstrip(" "))):]
            text = "".join(lines)
        elif kind == 4:  # insert a token
            i = rng.randrange(len(text) + 1)
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif kind == 5 and text:  # swap two tokens
            words = text.split(" ")
            if len(words) > 2:
                a, b = rng.randrange(len(words)), rng.randrange(len(words))
                words[a], words[b] = words[b], words[a]
                text = " ".join(words)
        elif kind == 6 and lines:  # swap two lines
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            text = "".join(lines)
        elif text:  # truncate
            text = text[: rng.randrange(len(text))]
        lines = text.splitlines(keepends=True)
    return text


def random_value(rng: random.Random, depth: int) -> object:
    roll = rng.random()
    if depth > 3 or roll < 0.45:
        return rng.choice([
            None, True, False, 0, -1, 3, 10**30, 0.5, float("nan"), float("inf"), -2.5,
            "", "yield", "x", "main", "w", "w[1]", "w[x]", "{i}", "{j}", "{", "250ms", "-3s",
            "5m", "1e400", "asyncio", "greenlet", "gevent", "threads", "a b", "x-y", "q",
            *OPS,
        ])
    if roll < 0.7:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["name", "title", "runtime", "runtimes", "main", "time_scale", "timeout", "options",
            "queues", "tasks", "count", "steps", "times", "queue", "item", "maxsize", "gevent",
            "threads", "asyncio", "monkey_patch", "switch_interval", "eager_tasks", "debug",
            "main", "w", "v", "x-note", "w[0]", 1, *OPS]
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def random_scenario(rng: random.Random) -> str:
    doc: dict[str, object] = {}
    if rng.random() < 0.9:
        tasks = {}
        for name in rng.sample(["main", "w", "v", "x-t", "9z"], rng.randint(1, 4)):
            steps = [random_step(rng, 0) for _ in range(rng.randint(0, 4))]
            tasks[name] = ({"count": random_value(rng, 3), "steps": steps}
                           if rng.random() < 0.3 else steps)
        doc["tasks"] = tasks
    for key in rng.sample(["name", "title", "runtime", "runtimes", "main", "time_scale",
                           "timeout", "options", "queues", "bogus"], rng.randint(0, 3)):
        doc[key] = random_value(rng, 1)
    style = rng.choice([None, True, False])
    return yaml.safe_dump(doc, default_flow_style=style, allow_unicode=True, sort_keys=False)


def random_step(rng: random.Random, depth: int) -> object:
    op = rng.choice(OPS)
    if rng.random() < 0.1:
        return op
    if op == "repeat" and depth < 3:
        return {op: {"times": rng.choice([0, 1, 2, -1, "x", 10**8]),
                     "steps": [random_step(rng, depth + 1) for _ in range(rng.randint(0, 3))]}}
    if op == "put":
        return {op: {"queue": rng.choice(["q", "a b", 3]), "item": random_value(rng, 3)}}
    return {op: random_value(rng, 3)}


# -- R1 ------------------------------------------------------------------------------


def test_r1_ten_thousand_malformed_inputs_never_escape_as_tracebacks() -> None:
    rng = random.Random(20_260_101)
    seeds = [p.read_text(encoding="utf-8") for p in bundled_scenarios()]
    assert seeds
    outcomes = {"ok": 0, "error": 0}
    started = time.perf_counter()
    for _ in range(RUNS_PER_KIND["mutation"]):
        outcomes[check(mutate(rng, rng.choice(seeds)))] += 1
    for _ in range(RUNS_PER_KIND["random_yaml"]):
        text = random_scenario(rng)
        if rng.random() < 0.3:
            text = mutate(rng, text)
        outcomes[check(text)] += 1
    for _ in range(RUNS_PER_KIND["random_bytes"]):
        n = rng.randint(0, 300)
        if rng.random() < 0.5:
            data = bytes(rng.randrange(256) for _ in range(n))
        else:  # mostly-printable text, where the YAML parser gets further
            data = "".join(rng.choice(TOKENS) for _ in range(n // 4)).encode("utf-8")
        outcomes[check(data)] += 1
    total = sum(outcomes.values())
    print(f"\nR1: {total:,} inputs, {outcomes['error']:,} refused with located problems, "
          f"{outcomes['ok']:,} loaded, in {time.perf_counter() - started:.1f} s")
    assert total >= 10_000
    assert outcomes["error"] > total // 2  # the generators do produce broken input


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS + list("abcmainw0123 \n")), max_size=60))
def test_r1_token_soup_never_escapes(tokens: list[str]) -> None:
    check("".join(tokens))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_r1_arbitrary_bytes_never_escape(data: bytes) -> None:
    check(data)


# -- R4 ------------------------------------------------------------------------------

CALLS: list[object] = []


def record_call(*args: object) -> str:
    """What a constructing loader would call for the tag below."""
    CALLS.append(args)
    return "constructed"


def test_r4_object_tags_are_refused_and_nothing_is_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    here = f"{__name__}.record_call"
    attacks = [
        f"tasks: !!python/object/apply:{here} [1]\n",
        f"tasks:\n  main:\n    - print: !!python/object/apply:{here} [2]\n",
        f"tasks: !!python/object/apply:os.system ['touch {marker}']\n",
        f"tasks: !!python/object/new:{here} [3]\n",
        f"!!python/object/apply:{here} [4]\n",
        f"tasks:\n  main: [yield]\n? !!python/object/apply:{here} [5]\n: x\n",
        f"x-ignored: !!python/object/apply:{here} [6]\ntasks: {{main: [yield]}}\n",
        f"tasks: {{main: [yield]}}\nname: !!python/name:{here}\n",
        "tasks: {main: [yield]}\nname: !!binary aGVsbG8=\n",
    ]
    for text in attacks:
        CALLS.clear()
        try:
            load_text(text, SOURCE)
        except ScenarioError as e:
            assert any("is not allowed" in p.message for p in e.problems), e
        else:
            raise AssertionError(f"accepted: {text!r}")
        assert CALLS == []
        assert not marker.exists()
    # The same text does call the function when a loader constructs objects: the check above
    # could fail.
    yaml.unsafe_load(attacks[0])
    assert CALLS == [(1,)]


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["x-l0: &l0 {print: lol}"]
    for k in range(1, levels + 1):
        refs = ", ".join([f"*l{k - 1}"] * width)
        step = f"{{repeat: {{times: 1, steps: [{refs}]}}}}" if k > 1 else f"[{refs}]"
        lines.append(f"x-l{k}: &l{k} {step}")
    lines.append(f"tasks:\n  main: [*l{levels}]")
    return "\n".join(lines) + "\n"


def test_r4_alias_bombs_are_refused_with_bounded_memory() -> None:
    bombs = {
        "steps": billion_laughs(),
        "wide": billion_laughs(levels=3, width=3000),
        "refs": "x-a: &a [w, w, w, w, w, w, w, w, w, w]\n"
                + "".join(f"x-{k}: &{chr(98 + k)} [{', '.join(['*' + chr(97 + k)] * 10)}]\n"
                          for k in range(8))
                + "tasks:\n  main: [spawn: *i]\n  w: [yield]\n",
        "recursive": "tasks:\n  main: &s [{repeat: {times: 1, steps: *s}}, *s, *s]\n",
    }
    for name, text in bombs.items():
        tracemalloc.start()
        started = time.perf_counter()
        try:
            load_text(text, SOURCE)
        except ScenarioError as e:
            message = e.problems[0].message
        else:
            raise AssertionError(f"bomb {name} loaded")
        finally:
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        print(f"\nR4 {name}: {len(text):,} bytes refused in {elapsed * 1e3:.1f} ms, "
              f"peak {peak / 1e6:.1f} MB: {message}")
        assert "expand to more than" in message or "used inside itself" in message
        assert peak < 32 * 1024 * 1024, f"{name}: {peak:,} bytes"


def test_deep_nesting_does_not_escape_even_near_the_recursion_limit() -> None:
    deep = "tasks: " + "[" * 50_000 + "]" * 50_000 + "\n"
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # as if called from deep inside an application
    try:
        assert check(deep) == "error"
        assert check("tasks: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n") == "error"
    finally:
        sys.setrecursionlimit(limit)
