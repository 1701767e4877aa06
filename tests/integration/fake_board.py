"""A fake job board on 127.0.0.1: a real HTTP (or HTTPS) server in a thread, for the intake tests.

Tests give it routes and read back what it received:

    with FakeBoard() as board:
        board.json("/v1/boards/acme/jobs/1", greenhouse_job())
        board.page("/careers/1", html)
        board.redirect("/old", "http://169.254.169.254/")
        board.respond("/flaky", Reply(500), Reply(200, b"ok"))   # one reply per request, the last repeats
        board.stream("/huge", total=20 * MB)                      # no Content-Length, stops when the client goes
        board.drip("/slow", interval=0.1, limit=100)              # one byte at a time
        board.respond("/held", Reply(200, "{}", JSON, hold=gate))   # answers once the test sets `gate`
        board.url("/careers/1"), board.hits("/careers/1"), board.requests

The canned ATS answers below follow the public Greenhouse, Lever and Ashby job APIs (trimmed); the
canned pages are a company's careers pages (`posting_page`, `careers_page`). Standard library only
(pytest only for `guard_loopback`'s monkeypatch).
"""

from __future__ import annotations

import html
import json
import socket
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

MB = 1024 * 1024
HTML = "text/html; charset=utf-8"
JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str = b""
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # wait for this before answering (a slow board, released by the test)
    delay: float = 0.0  # seconds to wait before answering (past a fetch's time limit, say)


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    path: str  # with the query string
    headers: dict[str, str]  # lower-case names
    sni: str | None  # the TLS server name the client sent (HTTPS only)


@dataclass
class StreamLog:
    """How much of a streamed body went out before the client hung up."""

    sent: int = 0
    finished: bool = False  # the whole body went out
    done: threading.Event = field(default_factory=threading.Event)  # the handler returned


Route = Callable[["_Handler"], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeBoard


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        fake = self.server.fake
        sni = getattr(self.connection, "sni", None)
        fake.record(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, sni))
        route = fake.routes.get(urlsplit(self.path).path)
        if route is None:
            self.send_reply(Reply(404, "<h1>Not found</h1>"))
        else:
            route(self)

    def send_reply(self, reply: Reply) -> None:
        if reply.hold is not None:
            reply.hold.wait(timeout=120)
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client hung up (the fetcher may refuse before reading)


class FakeBoard:
    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.scheme = "http"
        if tls is not None:
            self.scheme = "https"
            self._wrap(tls)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-board", daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> FakeBoard:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _wrap(self, context: ssl.SSLContext) -> None:
        """Serve HTTPS; each connection remembers the SNI name its client sent."""
        names: dict[int, str | None] = {}

        def on_sni(sock: ssl.SSLSocket, name: str | None, _ctx: ssl.SSLContext) -> None:
            names[id(sock)] = name

        context.sni_callback = on_sni
        server = self._server
        plain_get_request = server.get_request

        def get_request() -> tuple[Any, Any]:
            sock, address = plain_get_request()
            wrapped = context.wrap_socket(sock, server_side=True)
            wrapped.sni = names.pop(id(wrapped), None)  # type: ignore[attr-defined]
            return wrapped, address

        server.get_request = get_request  # type: ignore[method-assign]

    # -- what it serves ------------------------------------------------------------------------

    def url(self, path: str = "", *, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def respond(self, path: str, *replies: Reply) -> None:
        """Answer `path` with `replies` in turn; the last one repeats."""
        queue = list(replies)

        def route(handler: _Handler) -> None:
            with self._lock:
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
            handler.send_reply(reply)

        self.routes[path] = route

    def page(self, path: str, html: str, *, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.respond(path, Reply(status, html, HTML, headers or {}))

    def json(self, path: str, data: Any, *, status: int = 200) -> None:
        self.respond(path, Reply(status, json.dumps(data), JSON))

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        self.respond(path, Reply(status, "", HTML, {"Location": location}))

    def stream(self, path: str, *, total: int, content_type: str = HTML, declare_length: bool = False) -> StreamLog:
        """A big body sent in 64 KB pieces, without Content-Length unless `declare_length`."""
        log = StreamLog()
        piece = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"

        def route(handler: _Handler) -> None:
            try:
                handler.send_response(200)
                handler.send_header("Content-Type", content_type)
                if declare_length:
                    handler.send_header("Content-Length", str(total))
                handler.send_header("Connection", "close")  # the body ends when the connection does
                handler.end_headers()
                handler.close_connection = True
                while log.sent < total:
                    chunk = piece[: total - log.sent]
                    handler.wfile.write(chunk)
                    log.sent += len(chunk)
                log.finished = True
            except OSError:
                pass  # the client hung up
            finally:
                log.done.set()

        self.routes[path] = route
        return log

    def drip(self, path: str, *, interval: float, limit: int) -> StreamLog:
        """A page that arrives one byte every `interval` seconds, at most `limit` bytes."""
        log = StreamLog()

        def route(handler: _Handler) -> None:
            try:
                handler.send_response(200)
                handler.send_header("Content-Type", HTML)
                handler.send_header("Content-Length", str(limit))
                handler.end_headers()
                handler.close_connection = True
                while log.sent < limit:
                    handler.wfile.write(b"x")
                    handler.wfile.flush()
                    log.sent += 1
                    time.sleep(interval)
                log.finished = True
            except OSError:
                pass
            finally:
                log.done.set()

        self.routes[path] = route
        return log

    # -- what it saw ---------------------------------------------------------------------------

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def hits(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if path is None or urlsplit(r.path).path == path)

    def seen(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path]


def guard_loopback(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every connection attempt's host and fail any that is not loopback before it leaves:
    a broken address check can never send a test's traffic off this machine."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple):
            host = str(address[0]).split("%", 1)[0]
            attempts.append(host)
            if host not in ("127.0.0.1", "::1") and not host.startswith("127."):
                raise AssertionError(f"a test tried to connect to {address!r}, which is not loopback")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def counts(board: FakeBoard) -> dict[str, int]:
    """Requests per path (for failure messages)."""
    out: dict[str, int] = defaultdict(int)
    for seen in board.requests:
        out[urlsplit(seen.path).path] += 1
    return dict(out)


# -- canned ATS answers -----------------------------------------------------------------------

GREENHOUSE_CONTENT = (
    "&lt;h2&gt;About the role&lt;/h2&gt;&lt;p&gt;You will build &lt;strong&gt;Python&lt;/strong&gt; services "
    "&amp;amp; data pipelines.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;PostgreSQL&lt;/li&gt;&lt;li&gt;Kubernetes&lt;/li&gt;"
    "&lt;/ul&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
)


def greenhouse_job(job_id: int = 4012345, *, company: str | None = "Acme Robotics") -> dict[str, Any]:
    job: dict[str, Any] = {
        "id": job_id,
        "title": "Senior Backend Engineer",
        "absolute_url": f"https://boards.greenhouse.io/acme/jobs/{job_id}",
        "location": {"name": "Remote - US"},
        "updated_at": "2025-01-10T12:00:00-05:00",
        "content": GREENHOUSE_CONTENT,
        "departments": [{"id": 1, "name": "Engineering"}],
        "offices": [],
        "pay_input_ranges": [
            {"min_cents": 12000000, "max_cents": 15000000, "currency_type": "USD", "title": "Base", "blurb": ""}
        ],
    }
    if company is not None:
        job["company_name"] = company
    return job


LEVER_ID = "5ac21346-8e0c-4494-8e7a-3eb92ff77902"


def lever_posting() -> dict[str, Any]:
    return {
        "id": LEVER_ID,
        "text": "Platform Engineer",
        "categories": {"commitment": "Full-time", "department": "Engineering", "location": "Berlin, Germany"},
        "description": "<div><b>Acme Corp</b> builds warehouse robots.</div>",
        "descriptionPlain": "Acme Corp builds warehouse robots.",
        "lists": [
            {"text": "What you will do", "content": "<li>Run our Kubernetes clusters</li><li>Write Go</li>"},
            {"text": "What you bring", "content": "<li>5 years of infrastructure work</li>"},
        ],
        "additional": "<p>We offer relocation support.</p>",
        "hostedUrl": f"https://jobs.lever.co/acme-corp/{LEVER_ID}",
        "applyUrl": f"https://jobs.lever.co/acme-corp/{LEVER_ID}/apply",
        "workplaceType": "hybrid",
        "salaryRange": {"currency": "EUR", "interval": "per-year-salary", "min": 70000, "max": 90000},
    }


ASHBY_ID = "0f6a3e5c-3b41-4b0e-9d7e-8f1e2d3c4b5a"
ASHBY_OTHER_ID = "11111111-2222-4333-8444-555555555555"


def ashby_board() -> dict[str, Any]:
    def job(job_id: str, title: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": job_id,
            "title": title,
            "department": "Engineering",
            "team": "Data",
            "employmentType": "FullTime",
            "location": "Remote",
            "secondaryLocations": [],
            "isRemote": True,
            "workplaceType": "Remote",
            "descriptionHtml": f"<p>{title} at Nimbus.</p><h3>Stack</h3><ul><li>dbt</li><li>Snowflake</li></ul>",
            "descriptionPlain": f"{title} at Nimbus.",
            "jobUrl": f"https://jobs.ashbyhq.com/nimbus-labs/{job_id}",
            "applyUrl": f"https://jobs.ashbyhq.com/nimbus-labs/{job_id}/application",
            **extra,
        }

    return {
        "apiVersion": "1",
        "jobs": [
            job(ASHBY_OTHER_ID, "Office Manager", isRemote=False, workplaceType="OnSite", location="London"),
            job(
                ASHBY_ID,
                "Analytics Engineer",
                compensation={
                    "compensationTierSummary": "$140K – $170K • Offers Equity",
                    "summaryComponents": [
                        {
                            "compensationType": "Salary",
                            "interval": "1 YEAR",
                            "currencyCode": "USD",
                            "minValue": 140000,
                            "maxValue": 170000,
                        },
                        {"compensationType": "EquityPercentage", "minValue": 0.1, "maxValue": 0.2},
                    ],
                },
            ),
        ],
    }


# -- canned pages -----------------------------------------------------------------------------


def careers_page(body: str, *, head: str = "", site: str = "Acme Robotics") -> str:
    """A company's careers page around `body` (an embedded board, an apply link…)."""
    return (
        f"<!doctype html><html><head><title>Careers | {html.escape(site)}</title>{head}</head><body>"
        f"<header><nav><a href='/'>Home</a> <a href='/careers'>All jobs</a></nav></header>"
        f"<main>{body}</main><footer>© {html.escape(site)}</footer></body></html>"
    )


def posting_page(title: str, text: str, *, site: str = "Initech", head: str = "") -> str:
    """A posting as an ordinary page (no JSON-LD, no ATS): its text in `main`, the site's chrome around."""
    return careers_page(f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>", head=head, site=site)


# -- canned board lists (discover-jobs) ----------------------------------------------------------


def greenhouse_list(*jobs: tuple[int, str, str]) -> dict[str, Any]:
    """A Greenhouse board's job list (`/v1/boards/{token}/jobs?content=true`): (id, title, location) each."""
    listed = []
    for job_id, title, location in jobs:
        job = greenhouse_job(job_id, company=None)
        job |= {"title": title, "location": {"name": location}}
        listed.append(job)
    return {"jobs": listed, "meta": {"total": len(listed)}}


def lever_list(site: str, *postings: tuple[str, str, str]) -> list[dict[str, Any]]:
    """A Lever site's postings (`/v0/postings/{site}?mode=json`): (id, title, location) each."""
    listed = []
    for posting_id, title, location in postings:
        posting = lever_posting()
        posting |= {
            "id": posting_id,
            "text": title,
            "categories": {**posting["categories"], "location": location},
            "hostedUrl": f"https://jobs.lever.co/{site}/{posting_id}",
            "applyUrl": f"https://jobs.lever.co/{site}/{posting_id}/apply",
        }
        listed.append(posting)
    return listed
