"""`GET /api/tasks/{id}/events`: a task's status, progress and streamed text as Server-Sent Events.

Events, in the order they happen:
- `status`: the task's summary (as in `GET /api/tasks/{id}`, without payload and result), first the current
  one, then after every change;
- `progress`: `{"progress": 0–100, "label": "…"}` between written changes (at most 10 a second);
- `text`: `{"start": n, "text": "…"}`, generated text that continues the task's text at character `start`
  (so a client keeps `text = text[:start] + piece`; `start` 0 after text means the task started over);
- `end`: the final summary, once the task has finished; then the stream closes.
A comment line is sent every `KEEPALIVE_SECONDS` of quiet, so proxies keep the connection open.

Ids are `"{version}.{offset}"`: the task's version and how much of its text was sent. After a dropped
connection, `Last-Event-ID` resumes: the current state is sent again, then only the text not yet seen
(all of it again, from `start` 0, when the task changed meanwhile, e.g. started another attempt). A resume
of a task that has finished and whose end was seen is answered 204, which tells `EventSource` to stop.
Text produced before this process heard the task is not kept anywhere (see `jobapp.rest.streams`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path
from fastapi.sse import format_sse_event
from starlette.responses import Response, StreamingResponse

from jobapp.rest.problems import NotFound
from jobapp.rest.schemas import MAX_ID
from jobapp.rest.streams import TaskStream, TaskStreams
from jobapp.runtime import get_manager
from jobapp.tasks import ProgressTick, TaskChanged, TaskSummary, TextStreamed

router = APIRouter(tags=["tasks"])

KEEPALIVE_SECONDS = 15.0
KEEPALIVE = b": keep-alive\n\n"


@cache
def get_streams() -> TaskStreams:
    """This process's fold of task events for event streams (started by the app's lifespan)."""
    return TaskStreams(get_manager().bus)


@dataclass(frozen=True)
class Position:
    """Where a client is: the task version it saw last and how much of the text it has."""

    version: int
    offset: int

    @classmethod
    def parse(cls, last_event_id: str | None) -> Position | None:
        """A `Last-Event-ID` of ours, or None (absent or not ours: the stream starts from the beginning)."""
        version, _, offset = (last_event_id or "").strip().partition(".")
        if not (version.isdigit() and offset.isdigit()) or len(version) > 12 or len(offset) > 12:
            return None
        return cls(int(version), int(offset))


def _event(kind: str, data: dict[str, Any], version: int, offset: int) -> bytes:
    return format_sse_event(data_str=json.dumps(data), event=kind, id=f"{version}.{offset}")


class _Stream:
    """One client's stream: what it has been sent, and the bytes for what it has not."""

    def __init__(self, start: TaskSummary, seen: TaskStream, resume: Position | None) -> None:
        self.task = start
        # Resuming a task that has not changed: the client keeps its text and needs only the rest.
        self.offset = resume.offset if resume and resume.version == start.version else 0
        self.seen = seen

    def opening(self) -> list[bytes]:
        out = [self._status()]
        if self.task.finished:
            return [*out, self._end()]
        if self.seen.tick is not None and self.task.status == "running":
            out.append(self._progress(self.seen.tick))
        if self.seen.text:
            if not self.seen.base <= self.offset <= self.seen.end:
                self.offset = self.seen.base  # from what this process has (a gap, or a client ahead of it)
            out += self._text(self.offset, self.seen.text[self.offset - self.seen.base :])
        return out

    def follow(self, event: Any) -> list[bytes]:
        if isinstance(event, TaskChanged):
            if event.task.version <= self.task.version:
                return []
            # Back in the queue, or claimed for another attempt: the text starts over.
            restarted = event.task.status == "queued" or event.task.attempt != self.task.attempt
            self.task = event.task
            if restarted:
                self.offset = 0
            return [self._status(), self._end()] if self.task.finished else [self._status()]
        if isinstance(event, ProgressTick):
            return [self._progress(event)] if self.task.status in ("running", "queued") else []
        if isinstance(event, TextStreamed):
            if event.start == 0:
                self.offset = 0  # a first piece: the task (re)started, whatever this stream missed
            end = event.start + len(event.text)
            if end <= self.offset:
                return []
            start = max(event.start, self.offset)
            return self._text(start, event.text[start - event.start :])
        return []

    @property
    def done(self) -> bool:
        return self.task.finished

    def _status(self) -> bytes:
        return _event("status", self.task.to_json(), self.task.version, self.offset)

    def _end(self) -> bytes:
        return _event("end", self.task.to_json(), self.task.version, self.offset)

    def _progress(self, tick: ProgressTick) -> bytes:
        return _event("progress", {"progress": tick.progress, "label": tick.label}, self.task.version, self.offset)

    def _text(self, start: int, piece: str) -> list[bytes]:
        if not piece:
            return []
        self.offset = start + len(piece)
        return [_event("text", {"start": start, "text": piece}, self.task.version, self.offset)]


@router.get(
    "/api/tasks/{task_id}/events",
    response_class=StreamingResponse,
    summary="Follow a task live (Server-Sent Events)",
    responses={
        200: {
            "description": "`status`, `progress`, `text` and `end` events; ids are `{version}.{text offset}`, "
            "sent back as `Last-Event-ID` to resume.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        204: {"description": "Resumed after the end: the task has finished and its end was sent."},
    },
)
async def task_events(
    task_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> Response:
    streams = get_streams()
    seen, queue = streams.watch(task_id)  # before reading the database: no change can fall in between
    try:
        summary = await asyncio.to_thread(get_manager().summary, task_id)
        if summary is None:
            raise NotFound(f"task #{task_id} does not exist (finished tasks are pruned after a while)")
        if seen.summary is not None and seen.summary.version > summary.version:
            summary = seen.summary
        resume = Position.parse(last_event_id)
        if summary.finished and resume is not None and resume.version >= summary.version:
            streams.unwatch(task_id, queue)
            return Response(status_code=204)
    except BaseException:
        streams.unwatch(task_id, queue)
        raise
    stream = _Stream(summary, seen, resume)

    async def body() -> AsyncIterator[bytes]:
        try:
            for chunk in stream.opening():
                yield chunk
            while not stream.done:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield KEEPALIVE
                    continue
                if event is None:
                    return  # the server is shutting down
                for chunk in stream.follow(event):
                    yield chunk
        finally:
            streams.unwatch(task_id, queue)

    # Starlette cancels `body` when the client disconnects, which unregisters the queue.
    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
