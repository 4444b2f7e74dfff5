"""The loopback delay server: answers each TCP request after the delay it asks for.

The worker starts it as its own process (in the worker's process group) when a scenario
does `io`, so its work never competes with the runtime being recorded. Protocol: the
client sends one line with a delay in seconds; the server waits that long, answers
`ok\\n` and closes the connection. It prints its port on stdout, then serves until killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        line = await reader.readline()
        delay = float(line.decode("ascii").strip() or 0)
        if delay > 0:
            await asyncio.sleep(min(delay, 3600.0))
        writer.write(b"ok\n")
        await writer.drain()
    except (ValueError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    from simtui.runtimes.lifeline import die_with_parent

    die_with_parent(None)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve())


if __name__ == "__main__":
    main()
