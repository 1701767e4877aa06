"""discover-jobs: scan every followed company board for new postings, with live progress per company.

Boards are read concurrently (`BOARDS_AT_ONCE`), each through the safe fetcher with its own time limit, so
a slow board holds up only itself. Each board's outcome is written as soon as that board is done: its new
postings become Pending jobs marked "New" (committed then, so the pipeline shows them while the scan goes
on), and the board row records when it was scanned and what it saw, or its error. This is on purpose not
the completing transaction: a scan of twenty boards that is cancelled or crashes halfway keeps what it
found, and running it again adds nothing twice (`SeenPosting`'s primary key). A job already in the
pipeline is never written to.

Progress per company travels as `ProgressTick.detail` ({"boards": [[board id, state, seen, matching, new,
error], …]}), a whole snapshot on every change, and reaches every tab through the live hub.

When the task as a whole fails: when no board could be read at all. It is retried (with backoff) when at
least one of those failures was transient (timeouts, 5xx), and fails at once when all were permanent
(404, bad JSON, a careers page without a board). One board failing while others were read completes the
task, with that board's error in the result and on its row. No followed board at all fails at once.

With "evaluate new postings" on (and a resume saved), each new job's evaluation is queued with the
completion.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from jobapp.db import writer
from jobapp.discovery import store
from jobapp.discovery.boards import BoardRef, read_board, resolve_page
from jobapp.discovery.matching import Filter
from jobapp.errors import describe, is_transient
from jobapp.intake import FetchPolicy
from jobapp.live.events import JobChanged
from jobapp.models import Profile
from jobapp.tasks import NewTask, Outcome, PermanentError, TaskContext, TransientError
from jobapp.work import evaluate
from jobapp.work.kind import TaskKind
from jobapp.work.requests import AUTOMATIC, new_task

NAME = "discover-jobs"
BOARDS_AT_ONCE = 4
ERROR_SHOWN = 160  # characters of a board's error carried live (the board row keeps all of it)
# The live detail crosses processes in one feed message (PostgreSQL NOTIFY refuses 8000 bytes): past this
# size the errors are left out of it (the panel then shows them from the board rows once the scan ends).
DETAIL_BYTES = 5000

R = TypeVar("R")


@dataclass
class BoardScan:
    """One board's part of the scan, as the panel shows it."""

    board_id: int
    company: str
    state: str = "waiting"  # waiting, scanning, done, failed
    seen: int = 0
    matching: int = 0
    new: int = 0
    error: str = ""
    transient: bool = False
    new_ids: list[int] = field(default_factory=list)

    def row(self) -> list[Any]:
        return [self.board_id, self.state, self.seen, self.matching, self.new, self.error[:ERROR_SHOWN]]


@dataclass(frozen=True)
class _Followed:
    board_id: int
    company: str
    ref: BoardRef | None  # None: a careers page not yet resolved
    source: str
    filter: Filter


async def run(ctx: TaskContext) -> Outcome:
    followed, prefs, has_resume = await ctx.read(_load)
    if not followed:
        raise PermanentError("Follow at least one company board on the Discover page first.")
    scans = {b.board_id: BoardScan(b.board_id, b.company) for b in followed}
    policy = FetchPolicy.from_env()
    slots = asyncio.Semaphore(BOARDS_AT_ONCE)

    def report(label: str, *, stage: bool = False) -> None:
        done = sum(1 for s in scans.values() if s.state in ("done", "failed"))
        ctx.report(5 + 90 * done // len(scans), label, stage=stage, detail=_detail(scans.values()))

    async def scan(board: _Followed) -> None:
        async with slots:
            entry = scans[board.board_id]
            entry.state = "scanning"
            report(f"Reading {board.company}")
            await _scan_board(ctx, board, entry, policy)
            if entry.state == "done":
                label = f"{board.company}: {entry.seen} seen, {entry.matching} matching, {entry.new} new"
            else:
                label = f"{board.company}: failed: {entry.error}"
            report(label, stage=True)

    report(f"Scanning {len(followed)} board{'s' if len(followed) != 1 else ''}", stage=True)
    await asyncio.gather(*(scan(board) for board in followed))

    failed = [s for s in scans.values() if s.state == "failed"]
    if len(failed) == len(scans):
        message = "No board could be read. " + " ".join(f"{s.company}: {s.error}" for s in failed)
        raise TransientError(message) if any(s.transient for s in failed) else PermanentError(message)
    new_ids = [job_id for s in scans.values() for job_id in s.new_ids]
    follow_ups: list[NewTask] = []
    if prefs.evaluate and has_resume and new_ids:
        follow_ups = await ctx.read(lambda s: [new_task(s, evaluate.KIND, j, priority=AUTOMATIC) for j in new_ids])
    return Outcome(
        result={
            "boards": [
                {"board_id": s.board_id, "company": s.company, "seen": s.seen, "matching": s.matching}
                | {"new": s.new, "error": s.error}
                for s in scans.values()
            ],
            "seen": sum(s.seen for s in scans.values()),
            "matching": sum(s.matching for s in scans.values()),
            "new": len(new_ids),
            "failed": len(failed),
            "evaluations": len(follow_ups),
            "evaluations_skipped": "no resume in Settings" if prefs.evaluate and new_ids and not has_resume else "",
        },
        follow_ups=follow_ups,
    )


def _detail(scans: Iterable[BoardScan]) -> dict[str, Any]:
    rows = [scan.row() for scan in scans]
    if len(json.dumps(rows)) > DETAIL_BYTES:
        rows = [[*row[:5], ""] for row in rows]
    return {"boards": rows}


async def _scan_board(ctx: TaskContext, board: _Followed, entry: BoardScan, policy: FetchPolicy) -> None:
    """Read one board and write what it found; its failure is recorded, never raised."""
    task_id = ctx.task.id
    try:
        ref = board.ref or await resolve_page(board.source, policy)
        listed = await read_board(ref, policy)
        matching = [listing for listing in listed if board.filter.matches(listing)]
        fresh = await ctx.read(lambda s: store.unseen(s, [m.key for m in matching]))
        # Reading a posting in full (HTML → Markdown) is CPU work: only for the new ones, off the loop.
        found = await asyncio.to_thread(lambda: [(m, m.posting()) for m in matching if m.key in fresh])
        entry.new_ids = await _write(ctx, lambda s: store.add_postings(s, board.board_id, board.company, found))
        entry.seen, entry.matching, entry.new = len(listed), len(matching), len(entry.new_ids)
        await _write(
            ctx,
            lambda s: store.record_scan(
                s, board.board_id, task_id, seen=entry.seen, matching=entry.matching, new=entry.new, resolved=ref
            ),
        )
        entry.state = "done"
        for job_id in entry.new_ids:
            ctx.publish(JobChanged(job_id))
    except asyncio.CancelledError:
        raise
    except Exception as error:
        entry.state, entry.error, entry.transient = "failed", describe(error), is_transient(error)
        try:
            await _write(ctx, lambda s: store.record_scan(s, board.board_id, task_id, error=entry.error))
        except Exception as write_error:  # the board's error stays in the task's result
            entry.error += f" (not saved on the board: {describe(write_error)})"


async def _write(ctx: TaskContext, fn: Callable[[Session], R]) -> R:
    """A write of the handler's own rows (boards, found postings), committed by `fn`, off the event loop."""

    def run() -> R:
        with Session(writer(ctx.engine), expire_on_commit=False) as s:
            return fn(s)

    return await asyncio.to_thread(run)


def _load(s: Session) -> tuple[list[_Followed], store.Preferences, bool]:
    prefs = store.preferences(s)
    followed = []
    for board in store.boards(s):
        ref = BoardRef(board.api, board.slug) if board.api and board.slug else None
        terms = board.terms or prefs.terms
        locations = board.locations or prefs.locations
        followed.append(_Followed(board.id, board.company, ref, board.source, Filter.of(terms, locations)))  # type: ignore[arg-type]
    profile = s.exec(select(Profile).order_by(col(Profile.id))).first()
    return followed, prefs, bool(profile and profile.resume.strip())


def scheduled_task(s: Session) -> NewTask:
    """The scan the schedule queues (the same work as a click: one scan at a time)."""
    return new_task(s, KIND, None, priority=AUTOMATIC)


KIND = TaskKind(
    name=NAME,
    label="board scan",
    verb="scanning company boards:",
    run=run,
    uses_model=False,
    needs_job=False,
)
