"""The asyncio runner: claims due tasks, runs their handlers, and writes their endings in batches.

One runner per process. It wakes on the event bus when a task is queued (in this process, or in another
one when the cross-process feed relays it) and re-checks the database every `poll_seconds` as a slow
safety net (backoff retries coming due, a missed message). This is the worker's fetch, not a UI refresh.

Batching, without losing durability:
- a claim takes every free slot in one statement, a few milliseconds after new work is announced, so a
  burst of clicks is claimed together;
- finished handlers queue their results, and one transaction writes every result that is waiting (group
  commit) and claims work for the slots they free; a task is reported completed only after that commit;
- progress is written once a second for every running task (`ProgressWriter`).

`concurrency` bounds what this process runs at once; the caps of the whole deployment (global and per
kind) are enforced by the claim itself, in the database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from jobapp.tasks._heartbeat import Heartbeat
from jobapp.tasks._loop import PeriodicLoop
from jobapp.tasks._progress import ProgressWriter
from jobapp.tasks._pruner import Pruner
from jobapp.tasks._rescuer import Rescuer
from jobapp.tasks.context import Handler, Outcome, TaskContext
from jobapp.tasks.errors import JobGone, PermanentError, describe, is_transient, retry_after
from jobapp.tasks.events import TaskChanged
from jobapp.tasks.manager import ClaimedTask, Finished, HeartbeatResult, TaskManager

logger = logging.getLogger("jobapp.tasks")

PRUNE_FIRST_AFTER = 60.0  # seconds after start-up


@dataclass(frozen=True)
class RunnerConfig:
    concurrency: int = 4  # tasks this process runs at once (the deployment's caps are the manager's limits)
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    # How long a wake-up for new work waits before claiming, so work queued together is claimed together.
    gather_seconds: float = 0.003
    progress_seconds: float = 1.0  # how often progress is written
    commit_batch: int = 256  # most results one group commit writes


@dataclass
class _Running:
    task: ClaimedTask
    future: asyncio.Task[None]
    claimed_at: float  # event-loop time
    lost: bool = False  # the lease was lost: write nothing when it stops
    finishing: bool = False  # the handler returned; its result is being committed (not cancellable)


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
        self._new_work = False  # the last wake-up announced new work (worth gathering a few ms for)
        self._stopping = False
        self._fetcher: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._committer: asyncio.Task[None] | None = None
        self._to_commit: list[tuple[Finished, asyncio.Future[bool | Exception]]] = []
        self._commit_wake = asyncio.Event()
        # One claim at a time (the fetcher's, or the group commit's), so free slots are counted once.
        self._claiming = asyncio.Lock()
        self.progress_writer = ProgressWriter(manager, self.worker_id, interval=self.config.progress_seconds)
        self.heartbeat = Heartbeat(
            manager, self.worker_id, lease_seconds=self.config.lease_seconds, on_beat=self._on_heartbeat
        )
        self.rescuer = Rescuer(manager, lease_seconds=self.config.lease_seconds)
        self.pruner = Pruner(manager)
        self._loops: list[PeriodicLoop] = [self.heartbeat, self.rescuer, self.pruner, self.progress_writer]

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Rescue orphans left by a dead process, then start fetching and the maintenance loops."""
        await asyncio.to_thread(self.manager.rescue, lease_seconds=self.config.lease_seconds)
        await asyncio.to_thread(self.manager.register_worker, self.worker_id)
        events = self.manager.bus.subscribe()
        self._listener = asyncio.create_task(self._listen(events), name="jobapp-runner-listen")
        self._committer = asyncio.create_task(self._commit_loop(), name="jobapp-runner-commit")
        self._fetcher = asyncio.create_task(self._fetch_loop(), name="jobapp-runner-fetch")
        # The rescue and the worker's first beat were just done, and retention is not urgent: none of them
        # runs again now, against the first claim, for the write lock.
        self.heartbeat.start(first_after=self.heartbeat.interval)
        self.rescuer.start(first_after=self.rescuer.interval)
        self.pruner.start(first_after=PRUNE_FIRST_AFTER)
        self.progress_writer.start()
        logger.info("task runner %s started (up to %d tasks at once)", self.worker_id, self.config.concurrency)

    async def stop(self, *, grace: float | None = None) -> None:
        """Clean shutdown: stop fetching, cancel in-flight handlers, commit finished ones, hand the rest back.

        `grace` bounds the wait for cancelled handlers and results being written (None: wait for all). A
        handler still running after it has its task handed back anyway; if it finishes later, the guarded
        verbs refuse its result, because the task is no longer running under this worker.
        """
        self._stopping = True
        self._wake.set()
        if self._listener is not None:
            self._listener.cancel()
        # The fetcher is not cancelled: a claim still in its thread would commit after the requeue
        # below and strand its tasks until their lease ran out. It sees `_stopping` and returns.
        await asyncio.gather(*(t for t in (self._listener, self._fetcher) if t is not None), return_exceptions=True)
        # Results already computed are kept: only handlers still working are cancelled.
        working = [r.future for r in self._running.values() if not r.finishing]
        for future in working:
            future.cancel()
        futures = [r.future for r in self._running.values()]
        if futures:
            _, stuck = await asyncio.wait(futures, timeout=grace)
            if stuck:
                logger.warning("%d handler(s) still running %g s after cancellation", len(stuck), grace)
        # The maintenance loops run until the handlers are done: the heartbeat keeps the leases of tasks
        # still winding down, and what a handler reports while it stops is written (then flushed once).
        for loop in self._loops:
            await loop.stop()
        try:
            await self.progress_writer.tick()
        except Exception:
            logger.warning("writing the last progress failed", exc_info=True)
        if self._committer is not None:
            self._commit_wake.set()  # it returns once nothing waits to be written
            await asyncio.wait([self._committer], timeout=grace)
        requeued = await asyncio.to_thread(self.manager.requeue, self.worker_id)
        logger.info("task runner %s stopped; %d task(s) handed back to the queue", self.worker_id, requeued)

    def wake(self) -> None:
        """Claim now instead of at the next poll (a backoff that was made due, say)."""
        self._wake.set()

    @property
    def fetching(self) -> bool:
        """Whether the fetch loop is running: False before `start`, after `stop`, or if it died."""
        return self._fetcher is not None and not self._fetcher.done()

    @property
    def running_ids(self) -> set[int]:
        return set(self._running)

    def stop_task(self, task_id: int, *, lost: bool) -> None:
        """Cancel a running handler at its next await (cancel request, or lease lost)."""
        if (running := self._running.get(task_id)) and not running.finishing:
            running.lost = running.lost or lost
            running.future.cancel()

    def _on_heartbeat(self, started: float, beat: HeartbeatResult) -> None:
        for task_id in beat.cancel:
            self.stop_task(task_id, lost=False)
        # A task claimed before this beat but no longer held was rescued elsewhere: stop, write nothing.
        claimed_before = {task_id for task_id, r in self._running.items() if r.claimed_at < started}
        for task_id in claimed_before - beat.held:
            self.stop_task(task_id, lost=True)

    # -- fetching ------------------------------------------------------------------------------

    async def _fetch_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            if self._new_work:
                await asyncio.sleep(self.config.gather_seconds)  # let work queued together arrive
            self._wake.clear()
            self._new_work = False
            claimed: list[ClaimedTask] = []
            async with self._claiming:
                free = self.config.concurrency - len(self._running)
                if free > 0:
                    try:
                        claimed = await asyncio.to_thread(
                            self.manager.claim, self.worker_id, limit=free, lease_seconds=self.config.lease_seconds
                        )
                    except Exception:
                        logger.warning("claiming tasks failed; retrying shortly", exc_info=True)
                if self._stopping:
                    return  # `stop` hands what was just claimed back to the queue
                self._start(claimed, loop.time())
            if claimed and len(claimed) == free:
                continue  # the queue may hold more; slots will free up and wake us
            try:
                # A timeout scope, not wait_for: no task is created for each wait (one per group commit).
                async with asyncio.timeout(self.config.poll_seconds):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _listen(self, events: asyncio.Queue) -> None:
        """React to engine events (this process's, and others' through the feed): new work wakes the
        fetcher; a cancel request stops the handler at once."""
        try:
            while True:
                event = await events.get()
                if not isinstance(event, TaskChanged):
                    continue
                task = event.task
                if task.status == "queued":
                    self._new_work = True
                    self._wake.set()
                elif task.cancel_requested and task.id in self._running:
                    self.stop_task(task.id, lost=False)
        finally:
            self.manager.bus.unsubscribe(events)

    # -- executing -----------------------------------------------------------------------------

    async def _execute(self, task: ClaimedTask) -> None:
        manager, me = self.manager, self.worker_id
        ctx = TaskContext(task, manager.engine, manager.bus, self.progress_writer)
        refilled = False  # the group commit that wrote the ending also claimed work for this slot
        try:
            handler = self.handlers.get(task.kind)
            if handler is None:
                raise PermanentError(f"no handler is registered for task kind {task.kind!r}")
            outcome = await handler(ctx)
            if running := self._running.get(task.id):
                running.finishing = True
            completed = await self._commit(task, outcome, ctx)
            # An exception may mean the whole transaction failed, and with it the claim.
            refilled = not isinstance(completed, Exception)
            if isinstance(completed, Exception):
                raise completed
            if not completed:
                logger.info("task %s finished after its lease was lost; its result was dropped", task.id)
        except asyncio.CancelledError:
            running = self._running.get(task.id)
            if self._stopping:
                raise  # shutdown: `stop` hands the task back to the queue
            if running is None or not running.lost:
                await asyncio.to_thread(manager.mark_cancelled, task.id, me, stages=ctx.stages)
        except JobGone:
            await asyncio.to_thread(
                manager.mark_cancelled, task.id, me, label="Cancelled: job deleted", stages=ctx.stages
            )
        except Exception as error:
            transient = is_transient(error)
            decision = await asyncio.to_thread(
                manager.fail,
                task.id,
                me,
                error=describe(error),
                transient=transient,
                retry_after=retry_after(error),
                stages=ctx.stages,
            )
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
            self.progress_writer.forget(task.id)
            self._running.pop(task.id, None)
            if not refilled:
                self._wake.set()  # the fetcher claims for the freed slot

    async def _commit(self, task: ClaimedTask, outcome: Outcome, ctx: TaskContext) -> bool | Exception:
        """Queue the result for the next group commit and wait until it is written (or refused)."""
        finished = Finished(
            task.id,
            outcome.result,
            apply=outcome.apply,
            follow_ups=tuple(outcome.follow_ups),
            usage=outcome.usage,
            provider=outcome.provider,
            model=outcome.model,
            stages=tuple(ctx.stages),
            delete_job=outcome.delete_job,
        )
        written: asyncio.Future[bool | Exception] = asyncio.get_running_loop().create_future()
        self._to_commit.append((finished, written))
        self._commit_wake.set()
        return await written

    def _start(self, claimed: list[ClaimedTask], loop_time: float) -> None:
        for task in claimed:
            future = asyncio.create_task(self._execute(task), name=f"jobapp-task-{task.id}")
            self._running[task.id] = _Running(task, future, loop_time)

    async def _commit_loop(self) -> None:
        """Group commit: write every result that is waiting in one transaction, and claim work for the
        slots they free in that same transaction. Results that finish while a commit runs wait for the next
        one, so batches grow exactly when the database is the bottleneck."""
        loop = asyncio.get_running_loop()
        while True:
            await self._commit_wake.wait()
            self._commit_wake.clear()
            while self._to_commit:
                batch = self._to_commit[: self.config.commit_batch]
                del self._to_commit[: len(batch)]
                async with self._claiming:
                    # The batch's tasks are still counted as running until their handlers return.
                    free = 0 if self._stopping else self.config.concurrency - len(self._running) + len(batch)
                    try:
                        outcomes, claimed = await asyncio.to_thread(
                            self.manager.complete_and_claim,
                            self.worker_id,
                            [f for f, _ in batch],
                            claim=free,
                            lease_seconds=self.config.lease_seconds,
                        )
                    except Exception as error:
                        outcomes, claimed = [error] * len(batch), []
                    if not self._stopping:  # else `stop` hands them back to the queue
                        self._start(claimed, loop.time())
                for (_, written), outcome in zip(batch, outcomes, strict=True):
                    if not written.done():
                        written.set_result(outcome)
            if self._stopping:
                return
