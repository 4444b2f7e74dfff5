"""`simtui bench`: what one switch costs on each runtime, measured on this machine (claim C7).

Plain, uninstrumented workloads of the same shape on every runtime, repeated with the
runtimes interleaved; the median of the repetitions is reported, with its ratio to the
median of the baseline's switch (a raw greenlet switch). Each runtime's workload lives in
the module its spec's `bench` names (`simtui.bench.asyncio`, ...), as `switch() -> float`
seconds per switch; a runtime whose spec has no `bench` is not measured.
"""

from __future__ import annotations

import importlib
import statistics
from collections.abc import Callable
from typing import cast

from simtui import runtimespec


def measures() -> dict[str, Callable[[], float]]:
    """Each measured runtime's `switch`, in `runtimespec.SPECS` order."""
    found: dict[str, Callable[[], float]] = {}
    for name, spec in runtimespec.SPECS.items():
        if spec.bench is not None:
            module = importlib.import_module(spec.bench.module)
            found[name] = cast(Callable[[], float], module.switch)
    return found


def baseline() -> str:
    """The runtime every ratio is measured against."""
    return next(name for name, spec in runtimespec.SPECS.items()
                if spec.bench is not None and spec.bench.baseline)


def run(repeats: int = 5) -> dict[str, dict[str, float]]:
    """Median seconds per switch per runtime, and its ratio to the baseline's.

    The ratio is that of the two medians printed beside it, so a slower time never
    shows a smaller ratio (a median of per-repetition ratios need not agree with the
    medians of the times).
    """
    fns = measures()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():  # warm-up: imports, first hub, thread start
        fn()
    for _ in range(repeats):
        for name, fn in fns.items():  # interleaved: load changes hit every runtime
            samples[name].append(fn())
    medians = {name: statistics.median(values) for name, values in samples.items()}
    unit = medians[baseline()]
    return {
        name: {"seconds": seconds, "ratio": seconds / unit}
        for name, seconds in medians.items()
    }


def main(repeats: int = 5) -> int:
    import platform

    print(f"per-switch cost on this machine (Python {platform.python_version()}, "
          f"median of {repeats} interleaved repetitions)")
    results = run(repeats)
    for name, r in sorted(results.items(), key=lambda kv: kv[1]["seconds"]):
        what = runtimespec.get(name).bench
        print(f"  {name:<9} {r['seconds'] * 1e6:8.2f} µs  ×{r['ratio']:5.1f}  "
              f"{what.what if what is not None else ''}")
    print("greenlet switches in C with no scheduler; gevent and asyncio add a scheduler "
          "(the hub, the event loop); threads need the OS and the GIL.")
    return 0
