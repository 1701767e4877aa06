"""One thread per process that checkpoints SQLite's write-ahead log when a task manager asks.

A checkpoint copies the log back into the database file, with an fsync. SQLite runs it inside the commit
that takes the log past its threshold, and there that commit holds the manager's write lock, so every verb
queued behind it waits milliseconds. The manager turns that off on its write connection (keeping a higher
backstop) and asks here every few hundred pages instead: asking is a put on a queue, never a thread start,
so the commit that asks pays nothing. The thread is started on the first request (again in a forked child).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import weakref
from collections.abc import Callable

logger = logging.getLogger("jobapp.tasks")

_requests: queue.SimpleQueue[weakref.WeakMethod[Callable[[], None]]] = queue.SimpleQueue()
_thread: threading.Thread | None = None
_starting = threading.Lock()


def request(checkpoint: Callable[[], None]) -> None:
    """Run `checkpoint` (a bound method, held weakly) on the checkpoint thread."""
    global _thread
    if _thread is None:
        with _starting:
            if _thread is None:
                _thread = threading.Thread(target=_run, name="jobapp-checkpoint", daemon=True)
                _thread.start()
    _requests.put(weakref.WeakMethod(checkpoint))  # type: ignore[arg-type]  # a bound method


def _run() -> None:
    while True:
        if (checkpoint := _requests.get()()) is None:
            continue  # its manager is gone
        try:
            checkpoint()
        except Exception:
            logger.warning("checkpointing the SQLite write-ahead log failed", exc_info=True)
        del checkpoint


def _forget_thread() -> None:
    global _requests, _thread, _starting
    _requests, _thread, _starting = queue.SimpleQueue(), None, threading.Lock()


os.register_at_fork(after_in_child=_forget_thread)
