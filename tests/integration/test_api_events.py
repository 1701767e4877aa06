"""A task's events over a real HTTP server (granian, as in production) with the real runner and the offline
drafter writing slowly enough that text streams: order, the end, resuming with Last-Event-ID, late joiners."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from jobapp.db import make_engine, migrate
from jobapp.models import Document, Profile

ROOT = Path(__file__).resolve().parents[2]
RESUME = "# Ada Example\n- Built Python services on PostgreSQL at Lumen (2019–2023)\n- Ran Kubernetes on AWS"
POSTING = "# Backend Engineer\nAcme builds logistics software in Python and PostgreSQL on Kubernetes."


@dataclass
class Event:
    kind: str
    data: dict
    id: str


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    db_url = f"sqlite:///{tmp_path / 'jobapp.db'}"
    migrate(db_url)
    engine = make_engine(db_url)
    with Session(engine) as s:
        s.add(Profile(name="Ada Example", resume=RESUME))
        s.commit()
    engine.dispose()
    port = free_port()
    env = dict(os.environ, REFLEX_DB_URL=db_url, JOBAPP_OFFLINE_PACE="0.03", JOBAPP_POLL_SECONDS="0.2")
    env["PYTHONPATH"] = f"{ROOT}:{ROOT / 'tests/integration'}"
    env.pop("JOBAPP_API_TOKEN", None)
    log = (tmp_path / "server.log").open("w")
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen([*command, "api_server:app"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, (tmp_path / "server.log").read_text()
        try:
            if httpx.get(f"{base}/api/kinds", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    errors = [line for line in (tmp_path / "server.log").read_text().splitlines() if "ERROR" in line]
    assert not errors, errors


def read_events(response: httpx.Response, stop_after=None) -> Iterator[Event]:
    """Parse a `text/event-stream` body; comments (keep-alives) are skipped."""
    kind, data, event_id = "message", [], ""
    for line in response.iter_lines():
        if line == "":
            if data:
                event = Event(kind, json.loads("\n".join(data)), event_id)
                yield event
                if stop_after and stop_after(event):
                    return
            kind, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                kind = value
            elif name == "data":
                data.append(value)
            elif name == "id":
                event_id = value


def queue_letter(base: str) -> int:
    job = httpx.post(f"{base}/api/jobs", json={"description": POSTING, "company": "Acme"}).json()["job"]
    body = {"kind": "generate-cover-letter", "job_id": job["id"], "options": {"length": "long"}}
    return httpx.post(f"{base}/api/tasks", json=body).json()["task"]["id"]


def follow(base: str, task_id: int, *, last_event_id: str | None = None, stop_after=None) -> list[Event]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    with httpx.stream("GET", f"{base}/api/tasks/{task_id}/events", headers=headers, timeout=60) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        return list(read_events(response, stop_after))


def position(event: Event) -> tuple[int, int]:
    version, offset = event.id.split(".")
    return int(version), int(offset)


def text_of(events: list[Event], text: str = "") -> str:
    for event in events:
        if event.kind == "text":
            assert event.data["start"] <= len(text), "a piece left a gap"
            text = text[: event.data["start"]] + event.data["text"]
    return text


def document_of(base: str, task_id: int) -> Document:
    job_id = httpx.get(f"{base}/api/tasks/{task_id}").json()["job_id"]
    return next(d for d in httpx.get(f"{base}/api/jobs/{job_id}/documents").json() if d["task_id"] == task_id)


def test_the_events_of_a_running_task_arrive_in_order_until_the_end(server):
    task_id = queue_letter(server)
    events = follow(server, task_id)
    kinds = [e.kind for e in events]
    assert kinds[0] == "status" and kinds[-1] == "end" and kinds.count("end") == 1
    assert {"progress", "text"} <= set(kinds)
    assert events[-1].data["status"] == "completed"
    # Versions and text offsets never go back; each piece continues exactly where the last one ended.
    assert [position(e) for e in events] == sorted(position(e) for e in events)
    offset = 0
    for event in events:
        if event.kind == "text":
            assert event.data["start"] == offset
            offset += len(event.data["text"])
    statuses = [e.data["status"] for e in events if e.kind in ("status", "end")]
    assert statuses[-2:] == ["completed", "completed"] and "running" in statuses
    assert text_of(events).split() == document_of(server, task_id)["content"].split()


def test_a_dropped_stream_resumes_with_last_event_id_sending_only_unseen_text(server):
    task_id = queue_letter(server)
    pieces = 0

    def third_piece(event: Event) -> bool:
        nonlocal pieces
        pieces += event.kind == "text"
        return pieces == 3

    first = follow(server, task_id, stop_after=third_piece)
    seen = text_of(first)
    time.sleep(0.5)  # more text is written while nobody listens
    resumed = follow(server, task_id, last_event_id=first[-1].id)
    assert resumed[0].kind == "status"
    texts = [e for e in resumed if e.kind == "text"]
    assert texts[0].data["start"] == len(seen), "the resumed stream resent text the client had"
    assert text_of(resumed, seen).split() == document_of(server, task_id)["content"].split()
    assert resumed[-1].kind == "end"
    # Resuming after the end tells EventSource to stop (204), instead of replaying the end forever.
    after = httpx.get(f"{server}/api/tasks/{task_id}/events", headers={"Last-Event-ID": resumed[-1].id})
    assert after.status_code == 204


def test_a_late_subscriber_gets_the_text_written_so_far(server):
    task_id = queue_letter(server)
    deadline = time.monotonic() + 30
    while httpx.get(f"{server}/api/tasks/{task_id}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.0)  # some text streams before anyone subscribes
    events = follow(server, task_id)
    texts = [e for e in events if e.kind == "text"]
    assert texts[0].data["start"] == 0 and len(texts[0].data["text"]) > 20
    assert text_of(events).split() == document_of(server, task_id)["content"].split()


def test_a_finished_task_streams_its_state_and_ends(server):
    task_id = queue_letter(server)
    follow(server, task_id)
    again = follow(server, task_id)
    assert [e.kind for e in again] == ["status", "end"] and again[-1].data["status"] == "completed"
    assert httpx.get(f"{server}/api/tasks/999/events").status_code == 404


def test_a_cancelled_task_ends_its_stream(server):
    task_id = queue_letter(server)
    cancelled_at = []

    def cancel_on_first_text(event: Event) -> bool:
        if event.kind == "text" and not cancelled_at:
            cancelled_at.append(httpx.post(f"{server}/api/tasks/{task_id}/cancel").status_code)
        return False

    events = follow(server, task_id, stop_after=cancel_on_first_text)
    assert cancelled_at == [200]
    assert events[-1].kind == "end" and events[-1].data["status"] == "cancelled"
