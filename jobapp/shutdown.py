"""How a backend process stops: within a bounded time, and at once when asked a second time.

`reflex run --env prod` runs Granian: a supervisor process that forks the backend workers, each running
the app's lifespan (a task runner that hands its running tasks back to the queue when it stops). On
SIGINT or SIGTERM the supervisor sends SIGTERM to every worker and then waits for them with no time limit.
A worker that does not finish stopping therefore holds the whole app, and a second signal does not help:
the supervisor's handler only sets the flag the first one set, and the workers' handlers do the same.

What kept a worker alive, each reproduced with a real `reflex run` (tests/e2e/test_stopping.py):

- a task handler that does not end when cancelled (it catches the cancellation, or awaits something
  that ignores it) kept `Runner.stop` waiting for it, so the tasks were never handed back;
- work still running in a thread (`asyncio.to_thread`: a database call waiting on a lock, a synchronous
  SDK call, a PDF render) is joined before the process exits (multiprocessing runs `threading._shutdown`
  in every worker), however long it takes: the tasks were handed back, but the process stayed.

So a stopping worker waits a bounded time for its cancelled handlers (`runtime.HANDLER_GRACE`), and a
daemon timer ends it once it has been stopping for `runtime.STOP_LIMIT` seconds (`end_process_after`).
A second SIGINT/SIGTERM to the supervisor kills the workers at once
(`kill_workers_on_second_signal`); the tasks they held stay `running` and are re-queued when their lease
expires, as after a crash.
"""

from __future__ import annotations

import os
import threading
from typing import Any


def end_process_after(seconds: float) -> None:
    """End this process `seconds` from now if it is still running; for a worker whose lifespan has ended.

    A daemon thread: it never keeps the process alive, and it still runs while the main thread is
    blocked joining other threads at exit.
    """

    def end() -> None:
        # Not through `logging`: the thread that is stuck may hold a handler's lock.
        os.write(2, f"WARNING jobapp: still stopping after {seconds:g} s; exiting now\n".encode())
        os._exit(1)

    timer = threading.Timer(seconds, end)
    timer.daemon = True
    timer.start()


def kill_workers_on_second_signal() -> None:
    """Make a second SIGINT/SIGTERM to Granian's supervisor kill its workers instead of waiting for them.

    Called when the app module is imported. In `reflex run --env prod` on Linux that happens in the
    supervisor too, before it forks the workers and installs its signal handlers (which bind the method
    patched here), so the supervisor gets this behaviour. Elsewhere (a worker, `reflex export`, a
    backend served by uvicorn) it changes nothing.
    """
    try:
        from granian.server.common import AbstractServer
    except ImportError:  # another ASGI server: nothing to change
        return
    relay = AbstractServer.signal_handler_interrupt
    if getattr(relay, "kills_on_second_signal", False):
        return

    def interrupt(self: Any, *args: Any, **kwargs: Any) -> None:
        if self.interrupt_signal:  # set by the first signal, so this is the second
            for worker in list(self.wrks):
                worker.kill()
        relay(self, *args, **kwargs)

    interrupt.kills_on_second_signal = True  # type: ignore[attr-defined]
    AbstractServer.signal_handler_interrupt = interrupt  # type: ignore[method-assign]
