"""The live hub: one per process. It folds the event bus (this process's events, and every other
process's through the feed) into the `Picture`, and wakes the tabs that follow it.

No polling for the UI: the hub sleeps on the bus. Each open tab runs its own follow loop (a Reflex
background event, `jobapp.state.board.Board.follow`) that registers a `Follower` here, sleeps on it, and
writes only its own tab's state: one writer per state, on the worker that holds the tab's socket.

Safety net: pub/sub between processes may drop messages (a listener reconnecting, a process killed
between its commit and its send), so `reconcile` re-reads the summaries of the tasks the picture thinks
active, and of those active in the database, every `RECONCILE_SECONDS` and after a feed reconnection.
Versions make replays harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from jobapp.live.picture import RECENT_LIMIT, Change, Picture
from jobapp.models import ACTIVE_STATUSES, FINISHED_STATUSES, Job
from jobapp.tasks import TaskChanged, TaskManager, TaskSummary

logger = logging.getLogger("jobapp.live")

RECONCILE_SECONDS = 30.0
TITLES_KEPT = 2000


@dataclass
class Pending:
    """What changed since a follower last looked."""

    board: bool = False  # a task changed: the indicator and the task lists may differ
    tasks: bool = False  # a task's row changed (not only its unwritten progress): lists read from the DB may differ
    job_rows: set[int] = field(default_factory=set)  # jobs whose row may differ
    deleted: set[int] = field(default_factory=set)  # jobs that are gone
    job_tasks: dict[int, TaskSummary] = field(default_factory=dict)  # the followed job's tasks that changed
    texts: bool = False  # the followed job's streamed text grew
    documents: bool = False  # a task of the followed job completed and may have written a document
    everything: bool = False  # read it all again (the picture was reconciled)
    boards: bool = False  # the followed boards or discovery settings changed
    batch: bool = False  # the tab started or dismissed a bulk action (its state says which tasks)


class Follower:
    """One tab's subscription: the tab (its client token), the job it shows (None: no job page), and what
    changed since it looked."""

    def __init__(self, job_id: int | None, token: str = "") -> None:
        self.job_id = job_id
        self.token = token
        self.pending = Pending()
        self._wake = asyncio.Event()

    def note(self, change: Change) -> None:
        pending = self.pending
        if change.task is not None or change.tick:
            pending.board = True
        pending.tasks |= change.task is not None
        if change.job_id is not None and change.job_row:
            (pending.deleted if change.deleted else pending.job_rows).add(change.job_id)
        if self.job_id is not None and change.job_id == self.job_id:
            if change.task is not None:
                pending.job_tasks[change.task.id] = change.task
                pending.documents |= change.task.status == "completed"
            pending.texts |= change.text
        pending.boards |= change.boards
        self._wake.set()

    def note_batch(self) -> None:
        self.pending.batch = True
        self._wake.set()

    def note_everything(self) -> None:
        self.pending.everything = True
        self._wake.set()

    async def wait(self, timeout: float) -> Pending | None:
        """The changes since the last call, once there are any; None after `timeout` seconds of quiet."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return None
        return self.take()

    def take(self) -> Pending | None:
        """The changes since the last call, or None when there are none (never waits)."""
        if not self._wake.is_set():
            return None
        self._wake.clear()
        pending, self.pending = self.pending, Pending()
        return pending


class LiveHub:
    def __init__(self, manager: TaskManager) -> None:
        self.manager = manager
        self.picture = Picture()
        self.titles: dict[int, str] = {}  # job titles shown beside tasks
        self.ready = asyncio.Event()
        self._followers: set[Follower] = set()
        self._events: asyncio.Queue[Any] | None = None

    # -- followers -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def follow(self, job_id: int | None, token: str = "") -> Iterator[Follower]:
        follower = Follower(job_id, token)
        self._followers.add(follower)
        try:
            yield follower
        finally:
            self._followers.discard(follower)

    def batch_changed(self, token: str) -> None:
        """The tab `token` started or dismissed a bulk action: its follow loop reads which tasks from the tab's
        state. The loop runs here, on the worker holding the tab's socket, as the event that calls this does;
        a loop started elsewhere (after the socket moved) reads the batch when it starts."""
        for follower in self._followers:
            if follower.token == token:
                follower.note_batch()

    @property
    def followers(self) -> int:
        return len(self._followers)

    # -- folding -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Load the picture, then fold events until cancelled. Events published during the load are
        queued (the subscription comes first) and folded after it: versions keep the newer."""
        self._events = events = self.manager.bus.subscribe()
        try:
            await self._load()
            self.ready.set()
            reconcile_at = asyncio.get_running_loop().time() + RECONCILE_SECONDS
            while True:
                try:
                    batch = [await asyncio.wait_for(events.get(), max(0.0, reconcile_at - self._now()))]
                except TimeoutError:
                    await self.reconcile()
                    reconcile_at = self._now() + RECONCILE_SECONDS
                    continue
                while not events.empty():
                    batch.append(events.get_nowait())
                self.fold(batch)
        finally:
            self.manager.bus.unsubscribe(events)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def fold(self, events: list[Any]) -> None:
        """Apply events to the picture and tell the followers what changed."""
        for event in events:
            try:
                change = self.picture.apply(event)
            except Exception:
                logger.warning("could not apply a live event (%r); skipped", type(event).__name__, exc_info=True)
                continue
            if change is None:
                continue
            if change.job_row and change.job_id is not None:
                self.titles.pop(change.job_id, None)
            for follower in self._followers:
                follower.note(change)

    async def _load(self) -> None:
        active, recent = await asyncio.to_thread(self._read_picture)
        self.picture.load(active, recent)

    def _read_picture(self) -> tuple[list[TaskSummary], list[TaskSummary]]:
        active = self.manager.summaries(statuses=ACTIVE_STATUSES, limit=5000)
        recent = self.manager.summaries(statuses=FINISHED_STATUSES, limit=RECENT_LIMIT)
        return active, recent

    async def reconcile(self) -> None:
        """Fold the database's view of every task the picture or the database holds active (a replay
        of anything the feed lost), then have every tab read its view afresh."""
        known = list(self.picture.active)
        try:
            summaries = await asyncio.to_thread(self._read_active, known)
        except Exception:
            logger.warning("reconciling the live picture failed; the next round tries again", exc_info=True)
            return
        self.fold([TaskChanged(task) for task in summaries])
        for follower in self._followers:
            follower.note_everything()

    def _read_active(self, known: list[int]) -> list[TaskSummary]:
        active = self.manager.summaries(statuses=ACTIVE_STATUSES, limit=5000)
        seen = {t.id for t in active}
        rest = [task_id for task_id in known if task_id not in seen]
        return active + (self.manager.summaries(ids=rest, limit=len(rest)) if rest else [])

    # -- reads for views -------------------------------------------------------------------------

    async def titles_for(self, job_ids: set[int]) -> dict[int, str]:
        """Titles of these jobs (cached; a job's entry is dropped when it changes)."""
        missing = {job_id for job_id in job_ids if job_id and job_id not in self.titles}
        if missing:
            found = await asyncio.to_thread(self._read_titles, missing)
            if len(self.titles) > TITLES_KEPT:
                self.titles.clear()
            self.titles.update(found)
        return {job_id: self.titles.get(job_id, "") for job_id in job_ids}

    def _read_titles(self, job_ids: set[int]) -> dict[int, str]:
        with Session(self.manager.engine) as s:
            rows = s.exec(select(Job.id, Job.title, Job.url).where(col(Job.id).in_(job_ids))).all()
        return {job_id: title or url or "(untitled)" for job_id, title, url in rows}
