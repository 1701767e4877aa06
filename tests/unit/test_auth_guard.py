"""The guards as ASGI middleware around a small Starlette app (a page, an API route, a websocket echo),
driven in-process with a hand-moved clock: redirects, origins, the login form, rate limits, logout, and
sockets closed when their session ends. The same guard around the real backend: tests/integration."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from jobapp.auth import (
    COOKIE_NAME,
    SESSION_ENDED,
    AuthConfig,
    LoginGuard,
    LoopbackGuard,
    hash_password,
)
from jobapp.auth._guard import STORE_RECHECK_SECONDS

PASSWORD = "correct horse battery"
TOKEN = "api-token-0123456789"
FRONTEND = "http://127.0.0.1:3001"
HTML = {"accept": "text/html,application/xhtml+xml"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def page(request):
    return HTMLResponse("<h1>the pipeline</h1>")


async def api_route(request):
    return JSONResponse({"documents": []})


async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass  # what a real app does when its socket goes away


inner = Starlette(
    routes=[
        Route("/", page),
        Route("/jobs/{id}", page),
        Route("/ping", lambda request: HTMLResponse("pong")),
        Route("/api/documents", api_route),
        WebSocketRoute("/_event/", echo),
    ]
)
PASSWORD_HASH = hash_password(PASSWORD)


def login_config(**overrides) -> AuthConfig:
    values = {
        "bind_host": "0.0.0.0",
        "login_required": True,
        "username": "alice",
        "password_hash": PASSWORD_HASH,
        "secret_key": "k" * 40,
        "session_seconds": 3600.0,
        "api_token": TOKEN,
        "frontend_origins": (FRONTEND,),
    }
    return AuthConfig(**{**values, **overrides})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock) -> TestClient:
    return TestClient(LoginGuard.from_config(inner, login_config(), clock), follow_redirects=False)


def log_in(client: TestClient, password: str = PASSWORD, next_url: str = "/", **headers):
    return client.post(
        "/_auth/login", data={"username": "alice", "password": password, "next": next_url}, headers=headers
    )


def test_without_a_session_a_page_visit_goes_to_the_login_form_and_back(client):
    visit = client.get("/jobs/7?tab=docs", headers=HTML)
    assert visit.status_code == 303
    assert visit.headers["location"] == "/_auth/login?next=%2Fjobs%2F7%3Ftab%3Ddocs"
    form = client.get(visit.headers["location"])
    assert form.status_code == 200
    assert 'name="next" value="/jobs/7?tab=docs"' in form.text
    assert "<script" not in form.text and "http" not in form.text.split("<body>")[1]  # self-contained
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]

    done = log_in(client, next_url="/jobs/7?tab=docs")
    assert done.status_code == 303 and done.headers["location"] == "/jobs/7?tab=docs"
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/", "Max-Age=3600"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http here
    assert client.get("/jobs/7", headers=HTML).text == "<h1>the pipeline</h1>"


def test_the_cookie_is_secure_over_https(client):
    assert "Secure" in log_in(client, **{"x-forwarded-proto": "https"}).headers["set-cookie"]


def test_everything_but_ping_and_the_login_routes_is_refused(client):
    assert client.get("/ping").text == "pong"
    assert client.get("/assets/app.js").status_code == 401
    api = client.get("/api/documents")
    assert api.status_code == 401
    assert api.headers["www-authenticate"].startswith("Bearer")
    assert "Bearer" in api.json()["error"]
    assert client.get("/_auth/session").status_code == 401
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/_event/"):
        pass
    assert refused.value.code == SESSION_ENDED


def test_the_api_takes_the_token_or_the_session(client):
    assert client.get("/api/documents", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/api/documents", headers={"authorization": "Bearer wrong"}).status_code == 401
    # The token opens the API only, not the pages or the websocket.
    assert client.get("/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 401
    log_in(client)
    assert client.get("/api/documents").json() == {"documents": []}
    assert client.get("/_auth/session").json()["user"] == "alice"


def test_a_wrong_password_is_refused_and_five_failures_a_minute_get_a_429(client):
    for _ in range(5):
        wrong = log_in(client, password="guess")
        assert wrong.status_code == 401
        assert "Wrong username or password." in wrong.text
        assert COOKIE_NAME not in wrong.headers.get("set-cookie", "")
    blocked = log_in(client)  # even the right password waits now
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert "Too many failed attempts" in blocked.text
    assert client.get("/", headers=HTML).status_code == 303


def test_logout_ends_the_session_even_for_a_copied_cookie(client):
    log_in(client)
    copied = client.cookies[COOKIE_NAME]
    out = client.post("/_auth/logout", headers={"referer": "http://testserver/jobs/7"})
    assert out.status_code == 303
    assert out.headers["location"] == "/_auth/login?next=http%3A%2F%2Ftestserver%2F"
    assert f'{COOKIE_NAME}=""' in out.headers["set-cookie"]
    replay = TestClient(client.app, follow_redirects=False, cookies={COOKIE_NAME: copied})
    assert replay.get("/", headers=HTML).status_code == 303
    assert client.get("/_auth/logout").status_code == 405  # a link cannot log anyone out


def test_an_expired_cookie_is_refused(client, clock):
    log_in(client)
    clock.now += 3601
    assert client.get("/", headers=HTML).status_code == 303
    assert client.get("/api/documents").status_code == 401


def test_an_open_socket_closes_when_its_session_expires(client, clock):
    log_in(client)
    with client.websocket_connect("/_event/") as socket:
        socket.send_text("one")
        assert socket.receive_text() == "one"
        clock.now += 3601
        socket.send_text("two")
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert closed.value.code == SESSION_ENDED


def test_an_open_socket_closes_soon_after_its_session_is_logged_out(client, clock):
    log_in(client)
    cookie = client.cookies[COOKIE_NAME]
    with client.websocket_connect("/_event/") as socket:
        TestClient(client.app, cookies={COOKIE_NAME: cookie}).post("/_auth/logout")
        socket.send_text("still here")  # within the recheck interval the socket still answers
        assert socket.receive_text() == "still here"
        clock.now += STORE_RECHECK_SECONDS
        socket.send_text("gone")
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert closed.value.code == SESSION_ENDED


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/jobs/7", "/jobs/7"),
        (f"{FRONTEND}/jobs/7", f"{FRONTEND}/jobs/7"),
        ("http://testserver/settings", "http://testserver/settings"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_the_way_back_stays_on_this_app(client, target, kept):
    assert log_in(client, next_url=target).headers["location"] == kept


def test_other_origins_cannot_ride_the_cookie(client):
    assert log_in(client, **{"origin": "http://127.0.0.1:9999"}).status_code == 403
    log_in(client)
    evil = {"origin": "http://127.0.0.1:9999"}
    assert client.get("/api/documents", headers=evil).status_code == 403
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/_event/", headers=evil):
        pass
    # The configured frontend (another port of the same host) may use the socket and the API.
    with client.websocket_connect("/_event/", headers={"origin": FRONTEND}) as socket:
        socket.send_text("hi")
        assert socket.receive_text() == "hi"
    assert client.get("/api/documents", headers={"origin": FRONTEND}).status_code == 200
    assert client.get("/api/documents", headers={"origin": "http://testserver"}).status_code == 200


def test_a_logged_in_visit_to_the_login_form_goes_straight_back(client):
    log_in(client)
    assert client.get("/_auth/login?next=/settings").headers["location"] == "/settings"


def test_without_the_login_everything_passes_and_the_api_keeps_its_rule():
    local = AuthConfig(bind_host="127.0.0.1", login_required=False)
    from_here = TestClient(LoopbackGuard(inner, local), client=("127.0.0.1", 5000))
    assert from_here.get("/", headers=HTML).text == "<h1>the pipeline</h1>"
    assert from_here.get("/api/documents").status_code == 200
    assert from_here.get("/_auth/session").json() == {"login": False, "user": None}
    with from_here.websocket_connect("/_event/") as socket:
        socket.send_text("hi")
        assert socket.receive_text() == "hi"
    # Through a proxy or a forwarded port the API answers only with the token, when one is set.
    from_afar = TestClient(LoopbackGuard(inner, local), client=("192.0.2.9", 5000))
    assert from_afar.get("/api/documents").status_code == 403  # no token configured: this machine only
    with_token = TestClient(LoopbackGuard(inner, AuthConfig("127.0.0.1", False, api_token=TOKEN)))
    assert with_token.get("/api/documents", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert with_token.get(f"/api/documents?token={TOKEN}").status_code == 401  # never in the URL: logs keep URLs
    assert with_token.get("/api/documents").status_code == 401


def test_routes_behind_the_guard_keep_their_names():
    """An app mounted under the guard still builds links to named routes of what it wraps (the admin pages
    redirect to their login with `url_for("admin:login")`)."""
    from starlette.routing import Mount

    async def login(request):
        return JSONResponse({"url": str(request.url_for("admin:login"))})

    inner = Starlette(routes=[Mount("/admin", routes=[Route("/login", login, name="login")], name="admin")])
    outer = Starlette(routes=[Mount("", app=LoopbackGuard(inner, AuthConfig("127.0.0.1", False)))])
    answer = TestClient(outer, client=("127.0.0.1", 5000)).get("/admin/login")
    assert answer.json() == {"url": "http://testserver/admin/login"}
