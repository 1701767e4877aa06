"""The asyncio runner: claims due tasks within its concurrency caps and runs their handlers.

One runner per backend process. It wakes on the event bus when a task is enqueued in this process and
re-checks the database every `poll_seconds` for work enqueued elsewhere (other processes, backoff
retries coming due). This is the worker's fetch, not a UI refresh: the browser is never polled.

Concurrency caps are per runner process, like Oban's local queue limits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from jobapp.settings import Settings
from jobapp.tasks._heartbeat import Heartbeat
from jobapp.tasks._loop import PeriodicLoop
from jobapp.tasks._pruner import Pruner
from jobapp.tasks._rescuer import Rescuer
from jobapp.tasks.context import Handler, TaskContext
from jobapp.tasks.errors import JobGone, PermanentError, describe, is_transient
from jobapp.tasks.events import TaskChanged
from jobapp.tasks.manager import ClaimedTask, TaskManager

logger = logging.getLogger("jobapp.tasks")


@dataclass(frozen=True)
class RunnerConfig:
    concurrency: int = 4
    kind_limits: Mapping[str, int] = field(default_factory=dict)
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    keep_finished: timedelta = timedelta(days=7)
    keep_failed: timedelta = timedelta(days=30)
    keep_max: int = 5000

    @classmethod
    def from_settings(cls, settings: Settings) -> RunnerConfig:
        return cls(
            concurrency=settings.concurrency,
            kind_limits=settings.kind_limits,
            lease_seconds=settings.lease_seconds,
            poll_seconds=settings.poll_seconds,
            keep_finished=timedelta(days=settings.keep_finished_days),
            keep_failed=timedelta(days=settings.keep_failed_days),
            keep_max=settings.keep_finished_max,
        )


@dataclass
class _Running:
    task: ClaimedTask
    future: asyncio.Task[None]
    claimed_at: float  # event-loop time
    lost: bool = False  # the lease was lost: write nothing when it stops


class Runner:
    def __init__(
        self,
        manager: TaskManager,
        handlers: Mapping[str, Handler],
        config: RunnerConfig | None = None,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.manager = manager
        self.handlers = dict(handlers)
        self.config = config or RunnerConfig()
        # Kept within the 64-character column whatever the host name.
        self.worker_id = worker_id or f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._running: dict[int, _Running] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._background: list[asyncio.Task[None]] = []
        self._fetcher: asyncio.Task[None] | None = None
        self.heartbeat = Heartbeat(self)
        self.rescuer = Rescuer(manager, lease_seconds=self.config.lease_seconds)
        self.pruner = Pruner(
            manager,
            keep_finished=self.config.keep_finished,
            keep_failed=self.config.keep_failed,
            keep_max=self.config.keep_max,
        )
        self._loops: list[PeriodicLoop] = [self.heartbeat, self.rescuer, self.pruner]

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Rescue orphans left by a dead process, then start fetching and the maintenance loops."""
        await asyncio.to_thread(self.manager.rescue)
        events = self.manager.bus.subscribe()
        self._fetcher = asyncio.create_task(self._fetch_loop(), name="jobapp-runner-fetch")
        self._background = [asyncio.create_task(self._listen(events), name="jobapp-runner-listen"), self._fetcher]
        for loop in self._loops:
            loop.start()
        logger.info("task runner %s started (concurrency %d)", self.worker_id, self.config.concurrency)

    async def stop(self, *, grace: float | None = None) -> None:
        """Clean shutdown: stop fetching, cancel in-flight handlers, hand their tasks back.

        `grace` bounds the wait for cancelled handlers (None: wait for all). A handler still running
        after it has its task handed back anyway; if it finishes later, the guarded verbs refuse its
        result, because the task is no longer running under this worker.
        """
        self._stopping = True
        self._wake.set()
        for loop in self._loops:
            await loop.stop()
        # The fetcher is not cancelled: a claim still in its thread would commit after the requeue
        # below and strand its tasks until their lease ran out. It sees `_stopping` and returns.
        for task in self._background:
            if task is not self._fetcher:
                task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        futures = [r.future for r in self._running.values()]
        for future in futures:
            future.cancel()
        if futures:
            _, stuck = await asyncio.wait(futures, timeout=grace)
            if stuck:
                logger.warning("%d handler(s) still running %g s after cancellation", len(stuck), grace)
        requeued = await asyncio.to_thread(self.manager.requeue, self.worker_id)
        logger.info("task runner %s stopped; %d task(s) handed back to the queue", self.worker_id, requeued)

    def wake(self) -> None:
        self._wake.set()

    @property
    def fetching(self) -> bool:
        """Whether the fetch loop is running: False before `start`, after `stop`, or if it died."""
        return self._fetcher is not None and not self._fetcher.done()

    @property
    def running_ids(self) -> set[int]:
        return set(self._running)

    def claimed_before(self, loop_time: float) -> set[int]:
        return {task_id for task_id, r in self._running.items() if r.claimed_at < loop_time}

    def stop_task(self, task_id: int, *, lost: bool) -> None:
        """Cancel a running handler at its next await (cancel request, or lease lost)."""
        if running := self._running.get(task_id):
            running.lost = running.lost or lost
            running.future.cancel()

    # -- fetching ------------------------------------------------------------------------------

    def _kind_room(self) -> dict[str, int]:
        busy: dict[str, int] = {}
        for running in self._running.values():
            busy[running.task.kind] = busy.get(running.task.kind, 0) + 1
        return {kind: limit - busy.get(kind, 0) for kind, limit in self.config.kind_limits.items()}

    async def _fetch_loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            free = self.config.concurrency - len(self._running)
            claimed: list[ClaimedTask] = []
            if free > 0:
                try:
                    claimed = await asyncio.to_thread(
                        self.manager.claim,
                        self.worker_id,
                        limit=free,
                        lease_seconds=self.config.lease_seconds,
                        kind_room=self._kind_room(),
                    )
                except Exception:
                    logger.warning("claiming tasks failed; retrying shortly", exc_info=True)
            if self._stopping:
                return  # `stop` hands what was just claimed back to the queue
            loop_time = asyncio.get_running_loop().time()
            for task in claimed:
                future = asyncio.create_task(self._execute(task), name=f"jobapp-task-{task.id}")
                self._running[task.id] = _Running(task, future, loop_time)
            if claimed and len(claimed) == free:
                continue  # the queue may hold more; slots will free up and wake us
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.config.poll_seconds)
            except TimeoutError:
                pass

    async def _listen(self, events: asyncio.Queue) -> None:
        """React to engine events from this process: new work wakes the fetcher; cancels stop handlers."""
        try:
            while True:
                event = await events.get()
                if not isinstance(event, TaskChanged):
                    continue
                task = event.task
                if task.get("status") == "queued":
                    self._wake.set()
                elif task.get("cancel_requested") and task.get("id") in self._running:
                    self.stop_task(task["id"], lost=False)
        finally:
            self.manager.bus.unsubscribe(events)

    # -- executing -----------------------------------------------------------------------------

    async def _execute(self, task: ClaimedTask) -> None:
        manager, me = self.manager, self.worker_id
        try:
            handler = self.handlers.get(task.kind)
            if handler is None:
                raise PermanentError(f"no handler is registered for task kind {task.kind!r}")
            outcome = await handler(TaskContext(task, manager, me))
            completed = await asyncio.to_thread(
                manager.complete,
                task.id,
                me,
                result=outcome.result,
                apply=outcome.apply,
                follow_ups=outcome.follow_ups,
                usage=outcome.usage,
                provider=outcome.provider,
            )
            if not completed:
                logger.info("task %s finished after its lease was lost; its result was dropped", task.id)
        except asyncio.CancelledError:
            running = self._running.get(task.id)
            if self._stopping:
                raise  # shutdown: `stop` hands the task back to the queue
            if running is None or not running.lost:
                await asyncio.to_thread(manager.mark_cancelled, task.id, me)
        except JobGone:
            await asyncio.to_thread(manager.mark_cancelled, task.id, me, label="Cancelled: job deleted")
        except Exception as error:
            transient = is_transient(error)
            decision = await asyncio.to_thread(manager.fail, task.id, me, error=describe(error), transient=transient)
            logger.warning(
                "task %s (%s) attempt %s failed%s: %s",
                task.id,
                task.kind,
                task.attempt,
                " and will be retried" if decision and decision.retry else "",
                describe(error),
                exc_info=not transient and not isinstance(error, PermanentError),
            )
        finally:
            self._running.pop(task.id, None)
            self._wake.set()
