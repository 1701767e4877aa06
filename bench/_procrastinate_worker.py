"""One procrastinate worker process for bench/pg_throughput.py:
`python _procrastinate_worker.py CONNINFO CONCURRENCY READY_FILE`.

Runs the same no-op task the benchmark defers, with the given concurrency, until terminated; creates
READY_FILE once it is connected, as jobapp's worker processes do."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import procrastinate


def main(conninfo: str, concurrency: int, ready: str) -> None:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))

    @app.task(name="noop")
    async def noop() -> None:
        return None

    async def run() -> None:
        async with app.open_async():
            await asyncio.to_thread(Path(ready).touch)
            await app.run_worker_async(concurrency=concurrency, wait=True)

    asyncio.run(run())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
