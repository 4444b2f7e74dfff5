"""The runtime descriptions: complete, consistent, and pointing at modules that exist."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys

import pytest

from simtui import runtimespec
from simtui.runtimespec import NAMES, SPECS, get, runtimes_for
from simtui.scenario.model import OPS


@pytest.mark.parametrize("name", NAMES)
def test_every_spec_names_a_runtime_module_that_exists(name: str) -> None:
    spec = get(name)
    assert spec.name == name
    assert importlib.util.find_spec(spec.module) is not None, spec.module


@pytest.mark.parametrize("name", NAMES)
def test_unsupported_ops_are_real_ops_with_a_hint(name: str) -> None:
    for op, hint in get(name).unsupported.items():
        assert op in OPS
        assert hint.strip()


def test_one_measured_runtime_is_the_bench_baseline_and_each_has_a_switch() -> None:
    benched = [spec for spec in SPECS.values() if spec.bench is not None]
    assert [spec.name for spec in benched if spec.bench and spec.bench.baseline] == ["greenlet"]
    for spec in benched:
        assert spec.bench is not None and spec.bench.what.strip()
        assert callable(importlib.import_module(spec.bench.module).switch), spec.bench.module


def test_the_patch_option_is_a_bool_option_of_its_runtime() -> None:
    for spec in SPECS.values():
        if spec.patch_option is not None:
            assert spec.option(spec.patch_option).kind == "bool"


def test_runtimes_for_ops_keeps_the_declared_order() -> None:
    assert runtimes_for(frozenset({"print", "sleep"})) == NAMES
    assert runtimes_for(frozenset({"switch"})) == ("greenlet",)
    assert runtimes_for(frozenset({"switch", "yield"})) == ()


def test_an_unknown_runtime_is_a_key_error_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="asyncio, greenlet, gevent, threads"):
        get("trio")


def test_the_spec_module_imports_nothing_of_simtui() -> None:
    source = importlib.util.find_spec("simtui.runtimespec")
    assert source is not None and source.origin is not None
    with open(source.origin, encoding="utf-8") as f:
        text = f.read()
    assert "from simtui" not in text and "import simtui" not in text
    assert runtimespec.__doc__


def test_every_runtime_module_is_a_runtime_the_worker_can_load() -> None:
    # In a fresh interpreter: importing gevent must not leak into the other tests.
    code = (
        "import importlib, inspect\n"
        "from simtui.runtimes.base import Runtime\n"
        "from simtui.runtimespec import SPECS\n"
        "for spec in SPECS.values():\n"
        "    module = importlib.import_module(spec.module)\n"
        "    assert isinstance(module, Runtime), spec.module\n"
        "    params = list(inspect.signature(module.run).parameters)\n"
        "    assert params == ['scenario', 'probe', 'ctx'], (spec.module, params)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout == "ok\n", out.stderr


def test_an_option_without_a_default_says_how_to_read_the_one_in_force() -> None:
    for spec in SPECS.values():
        for o in spec.options:
            # None means "the interpreter's own": the header records the value read then.
            assert (o.default is None) == (o.interpreter_default is not None), o.key
            if o.interpreter_default is not None:
                assert isinstance(o.interpreter_default(), float | bool)
            if o.minimum is not None and o.minimum > 0:
                assert o.kind == "duration" and o.minimum_why, o.key
