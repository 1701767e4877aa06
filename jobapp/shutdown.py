"""How a backend process stops: within a bounded time, and at once when asked a second time.

`reflex run --env prod` runs Granian: a supervisor process that forks the backend workers, each running
the app's lifespan (a task runner that hands its running tasks back to the queue when it stops). On
SIGINT or SIGTERM the supervisor sends SIGTERM to every worker and then waits for them with no time
limit, so one worker that does not stop holds the whole app; a second signal only set the same flag
again. Four things kept a worker alive, each reproduced with a real `reflex run`
(tests/e2e/test_stopping.py):

- The worker froze on a repeated signal. Granian's worker handler calls `WorkerSignal.set()`, which
  sends on a one-slot channel that only the running server reads, holding the GIL: a second stop
  signal before the server has taken the first blocks the main thread, and every other thread with
  it, for ever. SIGTERM to every process gives each worker two (its own and the supervisor's relay),
  so a worker still starting (its lifespan: migrations, the runner) froze.
- The signal was lost. A forked worker keeps the supervisor's Python handler until it has loaded the
  app (Reflex compiles it there: seconds, with several workers starting on few cores) and installed
  its own; a stop signal in that window set a flag on the worker's copy of the supervisor, and the
  worker served on.
- A task handler that does not end when cancelled (it catches the cancellation, or awaits something
  that ignores it) kept `Runner.stop` waiting, so the tasks were never handed back.
- Work still running in a thread (`asyncio.to_thread`: a database call waiting on a lock, a synchronous
  SDK call, a PDF render) is joined before the process exits (multiprocessing runs `threading._shutdown`
  in every worker), however long it takes: the tasks were handed back, but the process stayed.

One more gap made a clean stop look like a crash: a stop signal to every process at once reaches each
worker and the supervisor together, and a worker that has stopped before the supervisor has handled its
own signal (a busy machine can hold the supervisor back that long) was logged as "Unexpected exit from
worker-N", an ERROR, and counted as failed.

So (`install_stop_handling`): a worker passes on only the first stop signal; one that arrives while it
loads the app is kept and delivered when its lifespan starts (`stop_requested_before_start`); a
stopping worker waits a bounded time for its cancelled handlers (`runtime.HANDLER_GRACE`) and ends
itself once it has been stopping for `runtime.STOP_LIMIT` seconds (`end_process_after`); a second
signal to the supervisor kills the workers at once, leaving their running tasks to be re-queued when
the lease expires, as after a crash; and a worker's clean exit waits up to `GROUP_STOP_GRACE` for the
supervisor's own stop before it counts as unexpected.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from typing import Any

# How long a worker's clean exit waits for the supervisor's own stop signal before it counts as a failure.
GROUP_STOP_GRACE = 2.0

# The stop signal a worker received before Granian gave it a handler of its own (see install_stop_handling).
_stop_before_start: int | None = None


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


def install_stop_handling() -> None:
    """Patch Granian's supervisor and worker signal handlers (module docstring: the gaps they leave).

    - Supervisor: a second stop signal kills the workers instead of waiting for them.
    - A forked worker still holding the supervisor's handler keeps the signal for its lifespan.
    - A worker's own handler sets Granian's shutdown signal once, and ignores repeats.
    - A worker that exits cleanly just before the supervisor takes the same stop is not a failure.

    Called when the app module is imported: in `reflex run --env prod` on Linux that happens in the
    supervisor, before it installs its handlers (which bind the method patched here) and forks the
    workers (which look `set_loop_signals` up when they start). Elsewhere (`reflex export`, a backend
    served by uvicorn) it changes nothing.
    """
    try:
        from granian import _signals
        from granian.server.common import AbstractServer, AbstractWorker
    except ImportError:  # another ASGI server: nothing to change
        return
    relay = AbstractServer.signal_handler_interrupt
    if getattr(relay, "jobapp_stop_handling", False):
        return

    def interrupt(self: Any, signum: int = signal.SIGTERM, *args: Any, **kwargs: Any) -> None:
        global _stop_before_start
        if os.getpid() != self.pid:  # a worker that still has the handler it inherited
            _stop_before_start = signum
            return
        if self.interrupt_signal:  # set by the first signal, so this is the second
            for worker in list(self.wrks):
                worker.kill()
        relay(self, signum, *args, **kwargs)

    set_loop_signals = _signals.set_loop_signals

    def set_loop_signals_once(loop: asyncio.AbstractEventLoop) -> Any:
        shutdown = set_loop_signals(loop)
        stopping = False

        def stop() -> None:
            nonlocal stopping
            if not stopping:  # WorkerSignal.set() blocks if called again before the server took it
                stopping = True
                shutdown.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        return shutdown

    watch = AbstractWorker._watcher

    def watch_for_a_group_stop(self: Any) -> None:
        self.inner.join()
        if getattr(self.inner, "exitcode", None) == 0 and _supervisor_stops(self.parent):
            return  # the supervisor is stopping every worker: not a failure
        watch(self)  # Granian's: "Unexpected exit", and a respawn

    interrupt.jobapp_stop_handling = True  # type: ignore[attr-defined]
    AbstractServer.signal_handler_interrupt = interrupt  # type: ignore[method-assign]
    AbstractWorker._watcher = watch_for_a_group_stop  # type: ignore[method-assign]
    _signals.set_loop_signals = set_loop_signals_once


def _supervisor_stops(server: Any) -> bool:
    """Whether the supervisor takes a stop signal within GROUP_STOP_GRACE (run in a worker's watcher thread)."""
    deadline = time.monotonic() + GROUP_STOP_GRACE
    while not server.interrupt_signal:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def stop_requested_before_start() -> bool:
    """For a worker whose lifespan is starting: whether it was told to stop while it loaded the app.

    If so, the signal is raised again now, when Granian's handler is in place to stop the worker.
    """
    if _stop_before_start is None:
        return False
    signal.raise_signal(_stop_before_start)
    return True
