"""Pushes engine events into the shared states every open tab is linked to.

No polling: this coroutine sleeps on the event bus. Each batch of events is applied to in-memory
summaries and pushed over the websocket through `rx.SharedState` channels:

- `board`: active and recent tasks, pipeline rows, the navigation indicator (every tab);
- `job{id}`: one job with its tasks, documents and streamed text (only tabs on that job's page).

Pushes are coalesced to at most `PUSHES_PER_SECOND`, so 200 tasks reporting progress cost a few
pushes a second, not thousands. The database is read only when an event says a row changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session, col, select

from jobapp.models import ACTIVE_STATUSES, Job
from jobapp.state.board import BOARD_TOKEN, Board
from jobapp.state.job_channel import WATCHED_JOBS, JobChannel, job_token
from jobapp.state.rows import job_row, read_job_channel
from jobapp.tasks import JobChanged, TaskChanged, TaskManager, TextStreamed, ViewRefresh
from jobapp.work import VERBS

logger = logging.getLogger("jobapp.live")
S = TypeVar("S", bound=rx.State)

PUSHES_PER_SECOND = 10
# Active tasks listed on the board (running first); the count covers all. Nobody reads 200 rows, and
# every listed row is sent and re-rendered in every tab on each push.
ACTIVE_SHOWN = 50
# How often links of closed tabs are dropped; a tab must look disconnected on two checks in a row.
PRUNE_SECONDS = 60.0
RECENT_LIMIT = 30
PIPELINE_LIMIT = 500


def indicator(active: list[dict[str, Any]]) -> str:
    """'Building 3 items: evaluating #14 (+2 more)', or '' when nothing is queued or running."""
    if not active:
        return ""
    first = next((t for t in active if t["status"] == "running"), active[0])
    verb = VERBS.get(first["kind"], first["kind"])
    subject = f"#{first['job_id']}" if first.get("job_id") else f"task {first['id']}"
    more = f" (+{len(active) - 1} more)" if len(active) > 1 else ""
    return f"Building {len(active)} item{'s' if len(active) != 1 else ''}: {verb} {subject}{more}"


def activity_label(task: dict[str, Any]) -> str:
    noun = task["kind"].replace("generate-", "").replace("-job", "").replace("-", " ")
    state = f"{task.get('progress', 0)}%" if task["status"] == "running" else task["status"]
    return f"{noun} {state}"


class LivePublisher:
    def __init__(self, app: rx.App, manager: TaskManager) -> None:
        self.app = app
        self.manager = manager
        self.events = manager.bus.subscribe()
        self.active: dict[int, dict[str, Any]] = {}
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_LIMIT)
        self.jobs: dict[int, dict[str, Any]] = {}
        self._suspects: set[str] = set()  # tokens found disconnected at the last prune
        self._pushed: dict[str, Any] = {}  # the board's fields as last pushed
        self._last_prune = 0.0

    async def run(self) -> None:
        try:
            await asyncio.to_thread(self._load)
            await self._push_board()
            loop = asyncio.get_running_loop()
            last_push = 0.0
            while True:
                batch = [await self.events.get()]
                # Coalesce: wait out the push interval, then take everything that arrived meanwhile.
                await asyncio.sleep(max(0.0, last_push + 1 / PUSHES_PER_SECOND - loop.time()))
                while not self.events.empty():
                    batch.append(self.events.get_nowait())
                last_push = loop.time()
                try:
                    await self._apply(batch)
                    if last_push - self._last_prune >= PRUNE_SECONDS:
                        self._last_prune = last_push
                        await self._prune_links()
                except Exception:
                    logger.warning("live update failed; the next event pushes fresh state", exc_info=True)
        finally:
            self.manager.bus.unsubscribe(self.events)

    def _load(self) -> None:
        """The starting picture, read once at start-up."""
        for task in reversed(self.manager.summaries(statuses=ACTIVE_STATUSES, limit=1000)):
            self.active[task["id"]] = task
        for task in reversed(self.manager.summaries(statuses=("completed", "failed", "cancelled"), limit=RECENT_LIMIT)):
            self.recent.appendleft(task)
        with Session(self.manager.engine) as s:
            rows = s.exec(select(Job).order_by(col(Job.id).desc()).limit(PIPELINE_LIMIT)).all()
        self.jobs = {job.id: job_row(job) for job in rows}  # type: ignore[misc]

    async def _apply(self, batch: list[Any]) -> None:
        reread_jobs: set[int] = set()
        deleted_jobs: set[int] = set()
        channel_jobs: set[int] = set()  # jobs whose task rows changed in the database
        ticks: dict[int, dict[int, dict[str, Any]]] = {}  # job → task → unpersisted progress
        streams: dict[int, dict[str, str]] = {}
        board_dirty = False
        for event in batch:
            if isinstance(event, TaskChanged):
                board_dirty |= self._merge_task(event.task)
                job_id = event.task.get("job_id") or self._job_of(event.task["id"])
                if not job_id:
                    continue
                if "status" not in event.task:
                    ticks.setdefault(job_id, {})[event.task["id"]] = event.task
                    continue
                channel_jobs.add(job_id)
                if event.task["status"] == "completed":
                    reread_jobs.add(job_id)
            elif isinstance(event, TextStreamed) and event.job_id:
                streams.setdefault(event.job_id, {})[str(event.task_id)] = event.text
            elif isinstance(event, JobChanged):
                (deleted_jobs if event.deleted else reread_jobs).add(event.job_id)
            elif isinstance(event, ViewRefresh):
                self._pushed.clear()
                board_dirty = True
        if reread_jobs or deleted_jobs:
            await asyncio.to_thread(self._reread_jobs, reread_jobs, deleted_jobs)
            board_dirty = True
        if board_dirty:
            await self._push_board()
        for job_id in (channel_jobs | reread_jobs | set(streams) | set(ticks)) & WATCHED_JOBS:
            await self._push_job(
                job_id, streams.get(job_id, {}), ticks.get(job_id, {}), reload=job_id in reread_jobs | channel_jobs
            )

    def _job_of(self, task_id: int) -> int | None:
        known = self.active.get(task_id)
        return known.get("job_id") if known else None

    def _merge_task(self, change: dict[str, Any]) -> bool:
        """Fold a (possibly partial) task summary into the picture. True if the board changed."""
        task_id = change["id"]
        if "status" not in change:  # an unpersisted progress tick
            if task_id not in self.active:
                return False
            self.active[task_id] = {**self.active[task_id], **change}
            return True
        task = {**self.active.get(task_id, {}), **change}
        if task["status"] in ACTIVE_STATUSES:
            self.active[task_id] = task
        else:
            self.active.pop(task_id, None)
            for old in [t for t in self.recent if t["id"] == task_id]:
                self.recent.remove(old)
            self.recent.appendleft(task)
        return True

    def _reread_jobs(self, changed: set[int], deleted: set[int]) -> None:
        with Session(self.manager.engine) as s:
            for job_id in changed:
                job = s.get(Job, job_id)
                if job is None:
                    deleted.add(job_id)
                else:
                    self.jobs[job_id] = job_row(job)
        for job_id in deleted:
            self.jobs.pop(job_id, None)

    def _with_titles(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for task in tasks:
            job = self.jobs.get(task.get("job_id") or 0)
            out.append({**task, "job_title": job["title"] if job else "", "job_id": task.get("job_id") or 0})
        return out

    @contextlib.asynccontextmanager
    async def _shared(self, token: str, cls: type[S]) -> AsyncIterator[S]:
        """Modify a shared state by its shared token; Reflex fans the change out to linked tabs.

        Like `App.modify_state` minus its emit: the shared token is not a tab, so there is no socket
        to send its own delta to (App.modify_state would log a warning on every push).
        """
        with self.app.set_contexts():
            async with self.app.state_manager.modify_state_with_links(rx.BaseStateToken(ident=token, cls=cls)) as root:
                yield await root.get_state(cls)
                await root._get_resolved_delta()
                root._clean()

    async def _prune_links(self) -> None:
        """Forget tabs that closed: Reflex skips them when fanning out, but keeps their tokens."""
        token_manager = self.app.event_namespace._token_manager  # type: ignore[union-attr]
        suspects: set[str] = set()

        async def live_links(state: rx.SharedState) -> set[str]:
            linked = set(state._linked_from)
            gone = {t for t in linked if not await token_manager.is_token_connected(t)}
            suspects.update(gone)
            return linked - (gone & self._suspects)

        async with self._shared(BOARD_TOKEN, Board) as board:
            if (kept := await live_links(board)) != board._linked_from:
                board._linked_from = kept
        for job_id in list(WATCHED_JOBS):
            async with self._shared(job_token(job_id), JobChannel) as channel:
                if (kept := await live_links(channel)) != channel._linked_from:
                    channel._linked_from = kept
                if not kept:
                    WATCHED_JOBS.discard(job_id)
        self._suspects = suspects

    async def _push_board(self) -> None:
        active = sorted(self.active.values(), key=lambda t: (t["status"] != "running", t["id"]))
        activity: dict[str, list[str]] = {}
        for task in active:
            if task.get("job_id"):
                activity.setdefault(str(task["job_id"]), []).append(activity_label(task))
        fresh = {
            "active": self._with_titles(active[:ACTIVE_SHOWN]),
            "active_total": len(active),
            "recent": self._with_titles(list(self.recent)),
            "jobs": sorted(self.jobs.values(), key=lambda j: -j["id"]),
            "job_activity": {job_id: " · ".join(labels) for job_id, labels in activity.items()},
            "indicator": indicator(active),
            "filled": True,
        }
        # Assign only what changed: an assigned var is sent to every tab, and a progress tick must
        # not resend the whole pipeline.
        changed = {name: value for name, value in fresh.items() if self._pushed.get(name) != value}
        if not changed:
            return
        async with self._shared(BOARD_TOKEN, Board) as board:
            for name, value in changed.items():
                setattr(board, name, value)
        self._pushed.update(changed)

    async def _push_job(
        self, job_id: int, streams: dict[str, str], ticks: dict[int, dict[str, Any]], *, reload: bool
    ) -> None:
        """Update one job channel: re-read it after a persisted change, else patch progress in place."""
        fresh = None
        if reload:
            fresh = await asyncio.to_thread(self._read_channel, job_id)
        async with self._shared(job_token(job_id), JobChannel) as channel:
            if fresh is not None:
                channel.fill(fresh)
            elif reload:
                channel.missing = True
            elif ticks and any(t["id"] in ticks for t in channel.tasks):
                channel.tasks = [{**t, **ticks.get(t["id"], {})} for t in channel.tasks]
            if streams:
                channel.streams = {**channel.streams, **streams}
            # Text of tasks that are no longer active is part of a document now (or was discarded).
            live = {str(t["id"]) for t in channel.tasks if t["status"] in ACTIVE_STATUSES}
            if any(task_id not in live for task_id in channel.streams):
                channel.streams = {k: v for k, v in channel.streams.items() if k in live}

    def _read_channel(self, job_id: int) -> dict[str, Any] | None:
        with Session(self.manager.engine) as s:
            data = read_job_channel(s, self.manager, job_id)
        if data is not None:
            # Unpersisted progress ticks are newer than the rows just read.
            data["tasks"] = [{**t, **self.active.get(t["id"], {})} for t in data["tasks"]]
        return data
