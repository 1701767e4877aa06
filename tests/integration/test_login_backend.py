"""The login on the real backend (`reflex run --env prod --backend-only` in a subprocess, bound to
127.0.0.1 but with JOBAPP_REQUIRE_LOGIN=1, so it behaves as an exposed server would): pages, the
websocket handshake and its events, an upload, the REST API and a download are refused without a
session and work with one; wrong passwords, the rate limit, logout and expiry.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from jobapp.auth import COOKIE_NAME, SESSION_ENDED
from jobapp.db import make_engine, migrate
from jobapp.models import Document, Job

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from harness import Backend, free_port  # the e2e harness runs the real backend

pytestmark = pytest.mark.timeout(300)

USER, PASSWORD, TOKEN = "alice", "wonderland-2-passphrase", "api-token-for-scripts-0001"
LOGIN_ENV = {
    "JOBAPP_REQUIRE_LOGIN": "1",
    "JOBAPP_USERNAME": USER,
    "JOBAPP_PASSWORD": PASSWORD,
    "JOBAPP_SECRET_KEY": "integration-test-secret-key-0123456789",
    "JOBAPP_API_TOKEN": TOKEN,
}
STATE = "reflex___state____state.jobapp___state___"
HTML = {"accept": "text/html"}


def seed_document(db_url: str) -> int:
    engine = make_engine(db_url)
    with Session(engine) as s:
        job = Job(title="Platform Engineer", company="Acme", description="Build the platform.")
        s.add(job)
        s.flush()
        doc = Document(job_id=job.id, kind="cv", content="# Ada Example\n\nPlatform work.")
        s.add(doc)
        s.commit()
        doc_id = doc.id
    engine.dispose()
    assert doc_id is not None
    return doc_id


def start_backend(tmp: Path, env: dict[str, str]) -> Backend:
    server = Backend(free_port(), tmp / "data", tmp, env)
    migrate(server.db_url)
    server.start()
    return server


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> Iterator[tuple[Backend, int]]:
    tmp = tmp_path_factory.mktemp("guarded")
    server = Backend(free_port(), tmp / "data", tmp, LOGIN_ENV)
    migrate(server.db_url)
    doc_id = seed_document(server.db_url)
    server.start()
    try:
        yield server, doc_id
    finally:
        server.stop()
    log = "\n".join(server.error_lines())
    assert not log, log
    assert PASSWORD not in "\n".join(path.read_text() for path in server.logs)


def base(server: Backend) -> str:
    return f"http://127.0.0.1:{server.port}"


def client_from(server: Backend, source: str = "127.0.0.1") -> httpx.Client:
    """A client on its own loopback address, so each rate-limit test counts alone."""
    return httpx.Client(base_url=base(server), transport=httpx.HTTPTransport(local_address=source))


def log_in(server: Backend, password: str = PASSWORD, source: str = "127.0.0.1") -> httpx.Client:
    """A client that posted the login form."""
    client = client_from(server, source)
    client.post("/_auth/login", data={"username": USER, "password": password, "next": "/"})
    return client


def socket_url(server: Backend) -> str:
    return f"ws://127.0.0.1:{server.port}/_event/?EIO=4&transport=websocket&token={uuid.uuid4()}"


async def open_namespace(server: Backend, cookie: str | None) -> ClientConnection:
    """Open the socket.io connection Reflex's page opens, joined to the /_event namespace."""
    headers = {"Cookie": f"{COOKIE_NAME}={cookie}"} if cookie else {}
    socket = await connect(socket_url(server), additional_headers=headers)
    assert (await socket.recv()).startswith("0{")  # engine.io open
    await socket.send("40/_event,")
    assert (await socket.recv()).startswith("40/_event,")  # namespace joined
    return socket


async def socket_event(socket: ClientConnection, name: str, *args) -> list:
    """Emit a socket.io event on /_event and return the next event the server sends back."""
    await socket.send("42/_event," + json.dumps([name, *args]))
    while True:
        frame = await socket.recv()
        if frame == "2":  # engine.io ping
            await socket.send("3")
        elif frame.startswith("42/_event,"):
            return json.loads(frame.removeprefix("42/_event,"))


def handshake_status(server: Backend, cookie: str | None) -> int:
    async def attempt() -> int:
        headers = {"Cookie": f"{COOKIE_NAME}={cookie}"} if cookie else {}
        try:
            async with connect(socket_url(server), additional_headers=headers):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    return asyncio.run(attempt())


def upload(client: httpx.Client) -> httpx.Response:
    return client.post(
        "/_upload",
        headers={
            "Reflex-Client-Token": str(uuid.uuid4()),
            "Reflex-Event-Handler": f"{STATE}settings____settings_state.import_resume",
        },
        files={"files": ("resume.md", b"# Ada Example\n\nEngineer.", "text/markdown")},
    )


def test_without_a_session_every_route_is_refused(guarded):
    server, doc_id = guarded
    anonymous = httpx.Client(base_url=base(server))
    for page in ("/", "/activity", "/settings", "/jobs/1"):
        visit = anonymous.get(page, headers=HTML)
        assert visit.status_code == 303, page
        assert visit.headers["location"].startswith("/_auth/login?next=")
    assert anonymous.get("/_health").status_code == 401
    api = anonymous.get(f"/api/documents/{doc_id}.md")
    assert api.status_code == 401
    assert "Bearer" in api.json()["error"]
    assert upload(anonymous).status_code == 401
    assert handshake_status(server, None) == 403
    assert handshake_status(server, "forged.value.here") == 403
    assert anonymous.get("/ping").json() == "pong"  # liveness stays public


def test_a_wrong_password_is_refused(guarded):
    server, _ = guarded
    client = log_in(server, password="not-the-password", source="127.0.0.3")
    assert COOKIE_NAME not in client.cookies
    assert client.get("/_auth/session").status_code == 401


def test_with_a_session_pages_events_uploads_and_downloads_work(guarded):
    server, doc_id = guarded
    client = log_in(server)
    assert client.get("/_auth/session").json()["user"] == USER
    download = client.get(f"/api/documents/{doc_id}.md")
    assert download.status_code == 200
    assert "Platform work." in download.text
    assert upload(client).status_code == 200
    assert client.get("/_health").status_code == 200

    async def events() -> None:
        socket = await open_namespace(server, client.cookies[COOKIE_NAME])
        try:
            assert await socket_event(socket, "ping") == ["ping", "pong"]
            setter = {
                "name": f"{STATE}pipeline____pipeline_state.set_title",
                "payload": {"value": "Typed over the socket"},
                "router_data": {"pathname": "/", "query": {}},
            }
            name, update = await socket_event(socket, "event", setter)
            assert name == "event"
            assert "Typed over the socket" in json.dumps(update)
        finally:
            await socket.close()

    asyncio.run(events())


def test_the_api_token_opens_the_api_but_not_the_pages(guarded):
    server, doc_id = guarded
    scripted = httpx.Client(base_url=base(server), headers={"Authorization": f"Bearer {TOKEN}"})
    assert scripted.get(f"/api/documents/{doc_id}.pdf").content.startswith(b"%PDF")
    assert scripted.get("/", headers=HTML).status_code == 303
    assert upload(scripted).status_code == 401


def test_five_failures_from_an_address_get_429_with_retry_after(guarded):
    server, _ = guarded
    for _ in range(5):
        wrong = log_in(server, password="guess", source="127.0.0.2")
        assert COOKIE_NAME not in wrong.cookies
    blocked = client_from(server, "127.0.0.2").post("/_auth/login", data={"username": USER, "password": PASSWORD})
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert COOKIE_NAME not in blocked.cookies
    # Another address is not held back.
    assert log_in(server, source="127.0.0.4").get("/_auth/session").status_code == 200


def test_logout_ends_the_session(guarded):
    server, doc_id = guarded
    client = log_in(server)
    cookie = client.cookies[COOKIE_NAME]
    out = client.post("/_auth/logout")
    assert out.status_code == 303
    assert out.headers["location"].startswith("/_auth/login")
    replay = httpx.Client(base_url=base(server), cookies={COOKIE_NAME: cookie})
    assert replay.get("/", headers=HTML).status_code == 303
    assert replay.get(f"/api/documents/{doc_id}.md").status_code == 401
    assert handshake_status(server, cookie) == 403


def test_an_expired_session_is_refused_and_its_open_socket_closes(tmp_path):
    # Sessions of ~5 seconds, on a backend of their own.
    server = start_backend(tmp_path, {**LOGIN_ENV, "JOBAPP_SESSION_HOURS": str(5 / 3600)})
    try:
        client = log_in(server)
        cookie = client.cookies[COOKIE_NAME]
        expires_at = client.get("/_auth/session").json()["expires_at"]

        async def outlive_the_session() -> None:
            socket = await open_namespace(server, cookie)
            assert await socket_event(socket, "ping") == ["ping", "pong"]
            await asyncio.sleep(max(0.0, expires_at - time.time()) + 1.5)
            with pytest.raises(ConnectionClosed) as closed:
                await socket_event(socket, "ping")
            assert closed.value.rcvd is not None and closed.value.rcvd.code == SESSION_ENDED

        asyncio.run(outlive_the_session())
        assert client.get("/", headers=HTML).status_code == 303
        assert client.get("/_auth/session").status_code == 401
        assert handshake_status(server, cookie) == 403
    finally:
        server.stop()
    assert not server.error_lines(), "\n".join(server.error_lines())
