"""A tab's follow loop: what `Board.follow` runs for as long as the tab stays on its page.

The loop registers with the process's live hub, computes the page's view (from the hub's picture, and
from the database for the rows an event said changed), and assigns only the fields whose value differs
from what it last sent: a progress tick sends one task row, not the pipeline. Pushes are coalesced to at
most `FRAMES_PER_SECOND`. The loop ends when the tab disconnects or its socket moves to another worker
(that worker's loop takes over), or when a newer `follow` supersedes it (a navigation, a reload).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import reflex as rx
from sqlmodel import Session, col, select

from jobapp import tracking
from jobapp.discovery import view as discovery
from jobapp.live import activity, views
from jobapp.live.hub import LiveHub, Pending
from jobapp.live.interview import interview_rows
from jobapp.live.rows import JOB_TASKS_LIMIT, job_detail, job_documents, task_row
from jobapp.models import Job
from jobapp.pipeline import bulk
from jobapp.pipeline.query import PipelineQuery
from jobapp.pipeline.view import read_charts, read_view
from jobapp.runtime import current_runner, get_hub
from jobapp.state.activity import ActivityFilter, ActivityView
from jobapp.state.discover_view import DiscoverView
from jobapp.state.interview import InterviewView
from jobapp.state.job_view import JobView, job_id_from_path
from jobapp.state.pipeline_actions import PipelineActions
from jobapp.state.pipeline_view import PipelineCharts, PipelineView
from jobapp.state.task_view import TaskView, task_id_from_path
from jobapp.tasks import TaskSummary
from jobapp.work import research

# A tab's frames: everything that changed within 1/20 s goes in one frame. Each task's progress reaches
# the hub at most 10 times a second (DESIGN: ≤ 10 pushes/s per task; jobapp.tasks.context), but with 200
# tasks reporting, a tab sending 10 frames a second would hold an update up to 100 ms, over the live
# path's budget (p95 80 ms from the write to the page). Frames stay small: only the fields that changed,
# and in the browser a task row re-renders alone (jobapp.pages._tasks).
FRAMES_PER_SECOND = 20
# The activity page's job filter offers the newest this many jobs.
JOBS_OFFERED = 500
# How long an idle loop sleeps before checking that its tab is still connected to this worker.
CHECK_SECONDS = 5.0

Fields = dict[type[rx.State], dict[str, Any]]


@dataclass(frozen=True)
class Page:
    name: str  # "pipeline", "activity", "job", "task", "discover" or "other"
    job_id: int | None = None
    task_id: int | None = None
    # The pipeline's search, filters, sort and page, and the activity page's filter, from the URL's query
    # (a new URL starts a new loop).
    pipeline_query: PipelineQuery = field(default_factory=PipelineQuery)
    activity_query: activity.ActivityQuery = field(default_factory=activity.ActivityQuery)

    @classmethod
    def of(cls, path: str, params: Mapping[str, str] | None = None) -> Page:
        path = "/" + path.strip("/")
        if path == "/":
            return cls("pipeline", pipeline_query=PipelineQuery.from_params(dict(params or {})))
        if path == "/activity":
            return cls("activity", activity_query=activity.ActivityQuery.parse(params or {}))
        if path == "/discover":
            return cls("discover")
        if path == "/interview":
            return cls("interview")
        if job_id := job_id_from_path(path):
            return cls("job", job_id)
        if task_id := task_id_from_path(path):
            return cls("task", task_id=task_id)
        return cls("other")


class TabView:
    """What one tab shows, and what it was last sent."""

    def __init__(self, page: Page, hub: LiveHub, board: type[rx.State]) -> None:
        self.page = page
        self.hub = hub
        self.board = board  # the state class holding the board's fields
        self.sent: dict[tuple[type[rx.State], str], Any] = {}
        # The job page's own copy of its job's tasks (the picture keeps only active and recent ones).
        self.job_tasks: dict[int, TaskSummary] = {}
        self.job: dict[str, Any] | None = None
        # The Tracking card: {"tracking", "contacts", "history"} (jobapp.tracking).
        self.tracked: dict[str, Any] = {}
        self.documents: dict[str, list[dict[str, Any]]] = {}
        # The jobs with work queued or running when the pipeline was last read (its "busy" filter depends on them).
        self.busy_jobs: set[int] | None = None
        # The Discover page's rows, and the scan (id, status) they were read for.
        self.discovery: discovery.Discovery | None = None
        self.discovery_scan: tuple[int, str] | None = None
        # The activity page's filtered tasks (read again when a task changes) and the job filter's choices.
        self.listed: list[TaskSummary] = []
        self.listed_total = 0
        self.job_list: list[tuple[int, str]] = []
        # The interview page's jobs with company research queued or running.
        self.researching: set[int] = set()
        # The task page's full row (JSON), None until read or when it does not exist.
        self.task: dict[str, Any] | None = None
        # The pipeline tab's bulk action, from the tab's state: (what, task ids), None when there is none; and
        # the batch's tasks that ended and left the live picture (read once; a retried one is back in it).
        self.batch: tuple[str, list[int]] | None = None
        self.batch_ended: dict[int, TaskSummary | None] = {}
        # The pipeline's pictures are read for the frame after the page's rows, so the rows show first.
        self.charts_due = False

    async def changes(self, pending: Pending | None) -> Fields:
        """The page's fields whose fresh value differs from what was sent (everything when `pending` is None)."""
        fresh: Fields = {}
        picture = self.hub.picture
        everything = pending is None or pending.everything
        board_fields: dict[str, Any] = {}
        if pending is None and (runner := current_runner()) is not None:
            board_fields["worker"] = runner.worker_id
        if everything or pending.board:  # type: ignore[union-attr]
            board_fields["indicator"] = views.indicator(picture.active_sorted())
        if self.page.name == "pipeline":
            if everything or pending.board:  # type: ignore[union-attr]
                board_fields["job_activity"] = views.job_activity(picture)
            if self._pipeline_stale(pending):
                query = self.page.pipeline_query
                fresh[PipelineView] = await asyncio.to_thread(self._read, lambda s: read_view(s, query))
                self.charts_due = True
            elif self.charts_due:
                fresh[PipelineCharts] = await asyncio.to_thread(self._read, read_charts)
                self.charts_due = False
            if everything or pending.board or pending.batch:  # type: ignore[union-attr]
                fresh.setdefault(PipelineView, {})["batch"] = await self._batch_fields()
        elif self.page.name == "activity" and (everything or pending.board or pending.job_rows):  # type: ignore[union-attr]
            active = picture.active_sorted()
            shown = active[: views.ACTIVE_SHOWN]
            recent = list(picture.recent)
            titles = await self.hub.titles_for(views.job_ids(shown + recent))
            board_fields |= {
                "active": views.task_rows(shown, titles),
                "active_total": len(active),
                "recent": views.task_rows(recent, titles),
            }
        fresh[self.board] = board_fields
        if self.page.name == "activity" and (everything or pending.board or pending.job_rows or pending.deleted):  # type: ignore[union-attr]
            fresh[ActivityView], fresh[ActivityFilter] = await self._activity_fields(pending)
            shown = picture.active_sorted()[: views.ACTIVE_SHOWN]
            board_fields["ticks"] = views.ticks(picture, shown + self.listed)
        elif self.page.name == "task" and (everything or pending.board):  # type: ignore[union-attr]
            fresh[TaskView] = await self._task_fields(pending)
        elif self.page.name == "interview" and (everything or pending.board or pending.job_rows or pending.deleted):  # type: ignore[union-attr]
            fresh[InterviewView] = await self._interview_fields(pending)
        if self.page.name == "job":
            fresh[JobView] = await self._job_fields(pending)
        elif self.page.name == "discover" and (everything or pending.board or pending.boards):  # type: ignore[union-attr]
            fresh[DiscoverView] = await self._discover_fields(everything or pending.boards)  # type: ignore[union-attr]
        return self._unsent(fresh)

    def _pipeline_stale(self, pending: Pending | None) -> bool:
        """The tab's pipeline page must be read again: at the start, after a reconciliation, when a job changed
        (a person moved or edited one, a task wrote into one), or — with the "busy" filter on — when the set
        of jobs with work queued or running changed. Never for progress alone."""
        busy = None
        if self.page.pipeline_query.busy:
            busy = {t.job_id for t in self.hub.picture.active.values() if t.job_id}
        busy_changed = busy != self.busy_jobs
        self.busy_jobs = busy
        if pending is None or pending.everything or pending.job_rows or pending.deleted:
            return True
        return busy_changed

    def set_batch(self, what: str, task_ids: list[int]) -> None:
        """The bulk action the tab's state names (`what` empty: none)."""
        batch = (what, task_ids) if what and task_ids else None
        if batch != self.batch:
            self.batch, self.batch_ended = batch, {}

    async def _batch_fields(self) -> dict[str, Any]:
        """How far the tab's bulk action has got ({} when there is none): each task's summary from the live
        picture, or from the database once it has ended and left the picture."""
        if self.batch is None:
            return {}
        what, task_ids = self.batch
        picture = self.hub.picture
        recent = {t.id: t for t in picture.recent}
        tasks: dict[int, TaskSummary | None] = {}
        unknown: list[int] = []
        for task_id in task_ids:
            task = picture.active.get(task_id) or recent.get(task_id)
            if task is None and task_id not in self.batch_ended:
                unknown.append(task_id)
            tasks[task_id] = task or self.batch_ended.get(task_id)
        if unknown:
            found = await asyncio.to_thread(self.hub.manager.summaries, ids=unknown, limit=len(unknown))
            by_id = {t.id: t for t in found}
            for task_id in unknown:
                tasks[task_id] = task = by_id.get(task_id)
                if task is None or task.finished:  # gone (its job deleted) or ended: it stays so
                    self.batch_ended[task_id] = task
        ticks = {
            task_id: tick
            for task_id, task in tasks.items()
            if task is not None and (tick := picture.progress_of(task)) is not None
        }
        return bulk.batch_view(what, tasks, ticks)

    async def _discover_fields(self, reread: bool) -> dict[str, Any]:
        picture = self.hub.picture
        live = next((t for t in picture.active_sorted() if t.kind == discovery.KIND), None)
        scan = live or next((t for t in picture.recent if t.kind == discovery.KIND), None)
        # A scan that started or ended changed the board rows (each board's last scan): read them again.
        if reread or self.discovery is None or (scan is not None and (scan.id, scan.status) != self.discovery_scan):
            self.discovery = await asyncio.to_thread(self._read, discovery.read)
            self.discovery_scan = (scan.id, scan.status) if scan is not None else None
        data = self.discovery
        scan = scan or data.latest_scan
        tick = picture.progress_of(scan) if scan is not None else None
        rows = discovery.panel(data, scan, tick)
        return {
            "boards": discovery.board_rows(data),
            "scan": discovery.scan_row(scan, tick),
            "panel": rows,
            "panel_summary": discovery.panel_summary(scan, rows),
            "schedule": discovery.schedule_text(data),
            "loaded": True,
        }

    async def _activity_fields(self, pending: Pending | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """The filtered page of tasks, and the filter's controls: the page read from the database when a
        task changed, not on progress ticks (a running row's live progress goes in `Board.ticks`)."""
        query = self.page.activity_query
        everything = pending is None or pending.everything
        if everything or pending.tasks:  # type: ignore[union-attr]
            offset = (query.page - 1) * activity.PAGE_SIZE
            self.listed, self.listed_total = await asyncio.to_thread(
                self.hub.manager.listing, query.task_filter(), offset=offset, limit=activity.PAGE_SIZE
            )
        if everything or pending.job_rows or pending.deleted:  # type: ignore[union-attr]
            self.job_list = await asyncio.to_thread(self._read, _job_list)
        titles = await self.hub.titles_for(views.job_ids(self.listed))
        listed = {
            "tasks": views.task_rows(self.listed, titles),
            "total": self.listed_total,
            "page": query.page,
            "pages": activity.pages(self.listed_total),
            "loaded": True,
        }
        controls = {
            "kind": query.kind,
            "status": query.status,
            "job": query.job,
            "filtered": query.active,
            "job_choices": activity.job_choices(self.job_list, query),
        }
        return listed, controls

    async def _interview_fields(self, pending: Pending | None) -> dict[str, Any]:
        """Jobs in Interview: read again when a job changed (a brief written, a status moved) or when the
        set of jobs being researched changed."""
        researching = {
            t.job_id for t in self.hub.picture.active.values() if t.kind == research.NAME and t.job_id is not None
        }
        if (
            pending is None
            or pending.everything
            or pending.job_rows
            or pending.deleted
            or researching != self.researching
        ):
            self.researching = researching
            rows = await asyncio.to_thread(self._read, lambda s: interview_rows(s, researching))
            return {"jobs": rows, "loaded": True}
        return {}

    async def _task_fields(self, pending: Pending | None) -> dict[str, Any]:
        """A task's history page: its row read again when any task changed, its progress from the picture."""
        task_id = self.page.task_id
        assert task_id is not None
        if pending is None or pending.everything or pending.tasks or self.task is None:
            self.task = await asyncio.to_thread(self.hub.manager.task, task_id)
        if self.task is None:
            return {"missing": True, "loaded": True}
        summary = TaskSummary.from_json(self.task)
        titles = await self.hub.titles_for(views.job_ids([summary]))
        row = task_row(summary, self.hub.picture.progress_of(summary), titles.get(summary.job_id or 0, ""))
        row |= {
            "worker": self.task.get("worker_id") or "",
            "attempts": f"{summary.attempt} of {summary.max_attempts}",
            "crashes": summary.crashes,
        }
        return {
            "task": row,
            "history": activity.history(self.task),
            "loaded": True,
            "missing": False,
        }

    async def _job_fields(self, pending: Pending | None) -> dict[str, Any]:
        job_id = self.page.job_id
        assert job_id is not None
        if pending is not None and job_id in pending.deleted:
            return {"missing": True, "loaded": True}
        if pending is None or pending.everything:
            data = await asyncio.to_thread(self._read, lambda s: _read_job_page(s, self.hub, job_id))
            if data is None:
                return {"job_id": job_id, "missing": True, "loaded": True}
            (self.job, self.tracked, self.documents), tasks = data
            self.job_tasks = {t.id: t for t in tasks}
        else:
            if job_id in pending.job_rows or pending.documents:
                data = await asyncio.to_thread(
                    self._read, lambda s: _read_job(s, job_id, with_documents=pending.documents)
                )
                if data is None:
                    return {"missing": True, "loaded": True}
                self.job, self.tracked, documents = data
                if documents is not None:
                    self.documents = documents
            self.job_tasks.update(pending.job_tasks)
        picture = self.hub.picture
        tasks = sorted(self.job_tasks.values(), key=lambda t: t.id, reverse=True)[:JOB_TASKS_LIMIT]
        self.job_tasks = {t.id: t for t in tasks}
        live = [t for t in tasks if t.active]
        return {
            "job_id": job_id,
            "job": self.job,
            **self.tracked,
            "documents": self.documents,
            "tasks": [task_row(t, picture.progress_of(t)) for t in tasks],
            "active_kinds": sorted({t.kind for t in live}),
            "finished_ids": [t.id for t in tasks if t.finished],
            # Text of a running task, until its document replaces it.
            "streams": {
                str(t.id): ("… " if stream.joined_late else "") + stream.text
                for t in live
                if (stream := picture.texts.get(t.id)) is not None and stream.text
            },
            "loaded": True,
            "missing": False,
        }

    def _unsent(self, fresh: Fields) -> Fields:
        changed: Fields = {}
        for state, values in fresh.items():
            for name, value in values.items():
                if self.sent.get((state, name), _UNSENT) != value:
                    changed.setdefault(state, {})[name] = value
        return changed

    def mark_sent(self, changed: Fields) -> None:
        for state, values in changed.items():
            for name, value in values.items():
                self.sent[(state, name)] = value

    def _read(self, fn):
        with Session(self.hub.manager.engine, expire_on_commit=False) as s:
            return fn(s)


_UNSENT = object()


def _job_list(s: Session) -> list[tuple[int, str]]:
    """The jobs the activity page's job filter offers, newest first."""
    rows = s.exec(select(Job.id, Job.title, Job.url).order_by(col(Job.id).desc()).limit(JOBS_OFFERED)).all()
    return [(job_id, title or url or "(untitled)") for job_id, title, url in rows if job_id is not None]


def _read_job(s: Session, job_id: int, *, with_documents: bool) -> tuple[dict[str, Any], dict[str, Any], Any] | None:
    job = s.get(Job, job_id)
    if job is None:
        return None
    tracked = {
        "tracking": tracking.tracking_view(job),
        "contacts": [tracking.contact_row(c) for c in tracking.contacts_of(s, job_id)],
        "history": [tracking.history_row(c) for c in tracking.history_of(s, job_id)],
    }
    return job_detail(job), tracked, job_documents(s, job_id) if with_documents else None


def _read_job_page(s: Session, hub: LiveHub, job_id: int) -> tuple[tuple[Any, ...], list[TaskSummary]] | None:
    data = _read_job(s, job_id, with_documents=True)
    if data is None:
        return None
    return data, hub.manager.summaries(job_id=job_id, limit=JOB_TASKS_LIMIT)


def _connected_here(token: str) -> bool:
    """The tab's socket is connected to this worker (it may have moved to another one, or closed)."""
    from reflex_base.registry import RegistrationContext

    namespace = RegistrationContext.get().app.event_namespace
    if namespace is None:
        return False
    manager = namespace._token_manager
    record = manager.token_to_socket.get(token)
    return record is not None and record.instance_id == manager.instance_id


async def follow_tab(board: Any, board_cls: type[rx.State]) -> None:
    """The loop of `Board.follow`: `board` is the background event's state proxy."""
    hub = get_hub()
    await hub.ready.wait()
    page = Page.of(board.router.url.path, board.router.url.query_parameters)
    token = board.router.session.client_token
    loop = asyncio.get_running_loop()
    view = TabView(page, hub, board_cls)
    with hub.follow(page.job_id, token) as follower:
        pending: Pending | None = None  # None: send the whole view
        while True:
            if page.name == "pipeline" and (pending is None or pending.batch):
                async with board:
                    actions = await board.get_state(PipelineActions)
                    view.set_batch(actions.batch_what, list(actions.batch_ids))
            changed = await view.changes(pending)
            if changed:
                if not _connected_here(token):
                    return
                async with board:
                    for state, values in changed.items():
                        target = board if state is board_cls else await board.get_state(state)
                        for name, value in values.items():
                            # A new loop (after a navigation) has sent nothing yet, but the tab may hold
                            # the value already (the charts, the indicator): its state says so.
                            if getattr(target, name) != value:
                                setattr(target, name, value)
                view.mark_sent(changed)
            pushed_at = loop.time()
            if view.charts_due:  # the second frame goes at once
                pending = Pending()
                continue
            pending = None
            while pending is None:
                pending = await follower.wait(CHECK_SECONDS)
                if not _connected_here(token):
                    return
            # Coalesce: take everything that arrives within the frame's interval in one push.
            await asyncio.sleep(max(0.0, pushed_at + 1 / FRAMES_PER_SECOND - loop.time()))
            if (more := follower.take()) is not None:
                pending = _merged(pending, more)


def _merged(first: Pending, second: Pending) -> Pending:
    return Pending(
        board=first.board or second.board,
        tasks=first.tasks or second.tasks,
        job_rows=first.job_rows | second.job_rows,
        deleted=first.deleted | second.deleted,
        job_tasks={**first.job_tasks, **second.job_tasks},
        texts=first.texts or second.texts,
        documents=first.documents or second.documents,
        everything=first.everything or second.everything,
        boards=first.boards or second.boards,
        batch=first.batch or second.batch,
    )
