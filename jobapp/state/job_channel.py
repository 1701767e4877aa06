"""The job channel: one job's page data, shared by the tabs that have that job open."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from jobapp.models import ACTIVE_STATUSES
from jobapp.runtime import get_manager
from jobapp.state.rows import read_job_channel

# Jobs whose page is open in some tab; the live publisher pushes only these channels.
WATCHED_JOBS: set[int] = set()


def job_token(job_id: int) -> str:
    return f"job{job_id}"


def job_id_from_path(path: str) -> int:
    """The id in /jobs/<id>; 0 when the path holds none."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else 0


class JobChannel(rx.SharedState):
    """Written by the live publisher; loaded from the database by the first tab that opens the job."""

    # The job: posting, status, evaluation (see jobapp.state.rows.job_detail).
    job: dict[str, Any] = {}
    # Generated versions per kind ("cv", "cover_letter", "research"), newest first.
    documents: dict[str, list[dict[str, Any]]] = {}
    # This job's recent tasks, newest first.
    tasks: list[dict[str, Any]] = []
    # Task id (as text) → text streamed so far by that running task.
    streams: dict[str, str] = {}
    # Kinds with a queued or running task: their buttons say "already queued".
    active_kinds: list[str] = []
    # True once the channel holds the job; False while loading.
    loaded: bool = False
    # True when the job does not exist (deleted, or a bad link).
    missing: bool = False

    def fill(self, data: dict[str, Any]) -> None:
        self.job = data["job"]
        by_kind: dict[str, list[dict[str, Any]]] = {"cv": [], "cover_letter": [], "research": []}
        for doc in data["documents"]:
            by_kind.setdefault(doc["kind"], []).append(doc)
        self.documents = by_kind
        self.tasks = data["tasks"]
        self.active_kinds = sorted({t["kind"] for t in self.tasks if t["status"] in ACTIVE_STATUSES})
        self.loaded = True
        self.missing = False

    @rx.event
    async def watch(self):
        """Link this tab to the open job's channel, loading it if no tab has yet."""
        job_id = job_id_from_path(self.router.url.path)
        channel = await self._link_to(job_token(job_id))
        # A channel nobody watched missed the publisher's pushes: load it afresh.
        watched = job_id in WATCHED_JOBS
        WATCHED_JOBS.add(job_id)
        if watched and channel.loaded and not channel.missing:
            return
        manager = get_manager()

        def read() -> dict[str, Any] | None:
            from jobapp.db import session

            with session() as s:
                return read_job_channel(s, manager, job_id)

        data = await asyncio.to_thread(read)
        if data is None:
            channel.missing = True
            channel.loaded = True
            return
        channel.fill(data)
        # A tab opened mid-stream starts from the text produced so far.
        channel.streams = {
            str(t["id"]): text
            for t in channel.tasks
            if t["status"] in ACTIVE_STATUSES and (text := manager.bus.text(t["id"])) is not None
        }
