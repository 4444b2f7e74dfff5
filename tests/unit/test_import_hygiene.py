"""The engine runs headless: only simtui.tui may import Textual, and the CLI starts light."""

import subprocess
import sys

import pytest

ENGINE = [
    "simtui.cli",
    "simtui.scenario.loader",
    "simtui.scenario.model",
    "simtui.runtimes.probe",
    "simtui.runtimes.base",
    "simtui.runtimes.worker",
    "simtui.trace.model",
    "simtui.trace.wire",
    "simtui.trace.stream",
    "simtui.trace.export",
    "simtui.replay.state",
]


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("module", ENGINE)
def test_engine_module_does_not_import_textual(module: str) -> None:
    loaded = _modules_after_import(module)
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_version_imports_no_runtime_and_no_ui() -> None:
    code = (
        "import sys; from simtui.cli import main; main(['--version']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'gevent', 'greenlet', 'yaml', 'orjson', 'asyncio')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "[]"
