"""What every runtime shares: the run context, the outcome, calibrated CPU work, loopback I/O."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from simtui.runtimes.probe import Probe
    from simtui.scenario.model import Scenario


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended: an `end` status and, for a deadlock, the stuck tasks."""

    status: str
    stuck: list[dict[str, str]] | None = None


class Runtime(Protocol):
    """What a runtime's module (`RuntimeSpec.module`) is to the worker."""

    def run(self, scenario: Scenario, probe: Probe, ctx: RunContext) -> Outcome:
        """Run `scenario` on the real runtime, recording what it does into `probe`."""
        ...


@dataclass(slots=True)
class RunContext:
    """What a runtime needs besides the scenario and the probe."""

    scale: float
    """Effective time scale: the scenario's `time_scale` × the user's `--time-scale`."""
    cpu: CpuWork = field(default_factory=lambda: CpuWork(0))
    io_port: int | None = None
    """Port of the loopback delay server, when the scenario does `io`."""


def _unit() -> int:
    # A fixed amount of pure-Python work that never releases the GIL voluntarily.
    x = 0
    for k in range(200):
        x += k * k
    return x


class CpuWork:
    """`cpu` steps: pure-Python work, calibrated to take a given time when run alone."""

    def __init__(self, units_per_second: float) -> None:
        self.units_per_second = units_per_second

    @classmethod
    def calibrate(cls, seconds: float = 0.05) -> CpuWork:
        """Measure how many work units this interpreter does per second (best of 3)."""
        best = 0.0
        for _ in range(3):
            n, start = 0, time.perf_counter()
            while True:
                for _ in range(50):
                    _unit()
                n += 50
                took = time.perf_counter() - start
                if took >= seconds / 3:
                    break
            best = max(best, n / took)
        return cls(best)

    def units(self, seconds: float) -> int:
        """How many units make `seconds` of work (at least one for any positive duration)."""
        if seconds <= 0:
            return 0
        return max(1, round(seconds * self.units_per_second))

    unit = staticmethod(_unit)

    def burn(self, seconds: float) -> None:
        """Do `seconds` of work in one go (runtimes that need no per-chunk record)."""
        unit = _unit
        for _ in range(self.units(seconds)):
            unit()


def io_request_blocking(port: int, seconds: float) -> None:
    """A real TCP round trip to the delay server: it answers after `seconds`."""
    with io_connect(port) as sock:
        io_exchange(sock, seconds)


def io_connect(port: int) -> socket.socket:
    """The first half of a request: a blocking TCP connection to the delay server."""
    return socket.create_connection(("127.0.0.1", port))


def io_exchange(sock: socket.socket, seconds: float) -> None:
    """The second half: send the request, block until the server answers and closes."""
    sock.sendall(io_payload(seconds))
    while sock.recv(64):
        pass


def io_payload(seconds: float) -> bytes:
    """The request line the delay server expects."""
    return b"%.9f\n" % seconds
