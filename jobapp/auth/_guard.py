"""The guards: ASGI middleware around Reflex's whole backend app (pages, the /_event websocket, /_upload,
the REST API and document downloads), installed through `rx.App(api_transformer=...)`.

- `LoopbackGuard` (loopback bind, no login): everything passes as before, except the REST API, which
  wants JOBAPP_API_TOKEN when one is set and otherwise answers only this machine (a local reverse proxy
  would look local too: that is what JOBAPP_REQUIRE_LOGIN=1 is for).
- `LoginGuard`: nothing but /ping and the login routes passes without a valid session cookie; the REST
  API also takes the API token. A page visit without a session is sent to the login form, which
  returns the person to where they were going; a websocket is refused at its handshake; an open socket
  is closed when its session expires or is logged out (checked as messages pass). Requests carrying an
  `Origin` must come from this server's own origin or JOBAPP_FRONTEND_ORIGINS, so a page on a sibling
  host or port cannot ride the cookie (SameSite=Lax still sends it within the site).

Known limits: the login limiter counts per client address as the server sees it, so behind a reverse
proxy every client shares the proxy's address. A logout reaches sockets on other workers only when
they next check the store (at most STORE_RECHECK_SECONDS after a message arrives).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import time
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from redis.asyncio import Redis
from starlette.datastructures import Headers, QueryParams
from starlette.requests import cookie_parser
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobapp.auth._config import AuthConfig, origin_of
from jobapp.auth._page import login_page
from jobapp.auth._passwords import check_credentials
from jobapp.auth._ratelimit import LoginLimiter, storage_for
from jobapp.auth._sessions import (
    COOKIE_NAME,
    Clock,
    MemorySessionStore,
    RedisSessionStore,
    Session,
    SessionSigner,
    SessionStore,
)

logger = logging.getLogger("jobapp.auth")

LOGIN_PATH = "/_auth/login"
LOGOUT_PATH = "/_auth/logout"
SESSION_PATH = "/_auth/session"
API_PREFIX = "/api/"
# Liveness ("pong") and each worker's health: load balancers, monitors and the test harness call them before
# anyone logs in; neither holds a secret.
PUBLIC_PATHS = frozenset({"/ping", "/api/health"})
# Close code for a socket whose session is missing, expired or logged out (4000-4999: application codes).
SESSION_ENDED = 4401
MAX_FORM_BYTES = 16 * 1024
# How often an open socket re-asks the store whether its session was logged out (expiry is checked always).
STORE_RECHECK_SECONDS = 10.0
API_HINT = "Log in, or send the API token as 'Authorization: Bearer <JOBAPP_API_TOKEN>'."
# Where a guard notes how it let a request through ("session", "token" or "loopback"): the REST API reads it
# (`granted_access`) instead of deciding a second time.
ACCESS = "jobapp.access"


def _headers(scope: Scope) -> Headers:
    return Headers(scope=scope)


def _client_host(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


def _is_https(scope: Scope) -> bool:
    # A spoofed X-Forwarded-Proto can only make a cookie stricter (Secure), never weaker.
    forwarded = _headers(scope).get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return scope.get("scheme") in ("https", "wss") or forwarded == "https"


def _supplied_token(scope: Scope) -> str:
    # Only in the header: a token in the URL would be written to every access log on the way.
    header = _headers(scope).get("authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""


def _token_matches(scope: Scope, token: str) -> bool:
    return bool(token) and hmac.compare_digest(_supplied_token(scope).encode(), token.encode())


def api_access(scope: Scope, api_token: str) -> str | None:
    """How a request may use the REST API without a login: "token" when the server has a token and the request
    carries it, "loopback" when the server has none and the request comes from this machine, else None."""
    if api_token:
        return "token" if _token_matches(scope, api_token) else None
    try:
        return "loopback" if ipaddress.ip_address(_client_host(scope)).is_loopback else None
    except ValueError:
        return None


def granted_access(scope: Scope) -> str | None:
    """How the guard in front let this request through, if one did."""
    return scope.get("state", {}).get(ACCESS)


def _grant(scope: Scope, how: str) -> None:
    scope.setdefault("state", {})[ACCESS] = how


def _path_with_query(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return scope["path"] + (f"?{query}" if query else "")


async def _refuse_socket(receive: Receive, send: Send) -> None:
    """Close before accepting: the server answers the upgrade with 403 and no socket opens."""
    await receive()  # websocket.connect
    await send({"type": "websocket.close", "code": SESSION_ENDED, "reason": "login required"})


class _Middleware:
    """What both guards share: the wrapped app's routes stay visible (Starlette's `url_for` walks mounted
    apps' routes, and the admin pages build their links with it)."""

    app: ASGIApp

    @property
    def routes(self) -> list[Any]:
        return getattr(self.app, "routes", [])


class LoopbackGuard(_Middleware):
    """No login (loopback bind): today's behaviour, with the REST API rule kept in one place."""

    def __init__(self, app: ASGIApp, config: AuthConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == SESSION_PATH:
            await JSONResponse({"login": False, "user": None})(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX) and scope["path"] not in PUBLIC_PATHS:
            if (how := api_access(scope, self.config.api_token)) is None:
                await self._refuse_api(scope, receive, send)
                return
            _grant(scope, how)
        await self.app(scope, receive, send)

    async def _refuse_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.config.api_token:
            message, status = "send the API token as `Authorization: Bearer <token>`", 401
        else:
            message, status = "this API answers only this machine; set JOBAPP_API_TOKEN to use it from elsewhere", 403
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        await JSONResponse({"error": message, "detail": None}, status, headers=headers)(scope, receive, send)


class LoginGuard(_Middleware):
    """Every route behind a session cookie (the REST API also behind the API token)."""

    def __init__(
        self,
        app: ASGIApp,
        config: AuthConfig,
        signer: SessionSigner,
        store: SessionStore,
        limiter: LoginLimiter,
    ) -> None:
        self.app = app
        self.config = config
        self.signer = signer
        self.store = store
        self.limiter = limiter
        self._warned_origins: set[str] = set()

    @classmethod
    def from_config(cls, app: ASGIApp, config: AuthConfig, clock: Clock = time.time) -> LoginGuard:
        """Sessions and login counts in Redis when REFLEX_REDIS_URL is set (several workers), else in memory."""
        signer = SessionSigner(config.secret_key, config.session_seconds, clock)
        if config.redis_url:
            store: SessionStore = RedisSessionStore(Redis.from_url(config.redis_url), clock=clock)
        else:
            store = MemorySessionStore(clock)
        return cls(app, config, signer, store, LoginLimiter(config.login_rate, storage_for(config.redis_url)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if scope["type"] == "http" and path in (LOGIN_PATH, LOGOUT_PATH, SESSION_PATH):
            await self._auth_route(path, scope, receive, send)
            return
        if path in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if not self._origin_trusted(scope):
            await self._refuse_origin(scope, receive, send)
            return
        session = await self.session(scope)
        if session is not None and scope["type"] == "websocket":
            await self.app(scope, *self._watch_socket(session, receive, send))
        elif session is not None:
            _grant(scope, "session")
            await self.app(scope, receive, send)
        elif path.startswith(API_PREFIX) and _token_matches(scope, self.config.api_token):
            _grant(scope, "token")
            await self.app(scope, receive, send)
        else:
            await self._refuse(scope, receive, send)

    # -- sessions --

    async def session(self, scope: Scope) -> Session | None:
        """The live session the request's cookie names, if any."""
        value = cookie_parser(_headers(scope).get("cookie", "")).get(COOKIE_NAME)
        session = self.signer.read(value) if value else None
        if session is None or not await self.store.alive(session):
            return None
        return session

    def _watch_socket(self, session: Session, receive: Receive, send: Send) -> tuple[Receive, Send]:
        """Wrap a socket's channels so it closes once its session expires (checked on every message
        either way) or is logged out (the store is re-asked at most every STORE_RECHECK_SECONDS)."""
        clock = self.signer.clock
        state = {"closed": False, "checked_at": clock()}

        async def still_valid() -> bool:
            if clock() >= session.expires_at:
                return False
            if clock() - state["checked_at"] >= STORE_RECHECK_SECONDS:
                state["checked_at"] = clock()
                return await self.store.alive(session)
            return True

        async def close() -> None:
            state["closed"] = True
            logger.info("Closed a websocket of %s: the session ended", session.username)
            await send({"type": "websocket.close", "code": SESSION_ENDED, "reason": "session ended"})

        async def guarded_receive() -> Message:
            if state["closed"]:
                return {"type": "websocket.disconnect", "code": SESSION_ENDED}
            message = await receive()
            if message["type"] == "websocket.receive" and not await still_valid():
                await close()
                return {"type": "websocket.disconnect", "code": SESSION_ENDED}
            return message

        async def guarded_send(message: Message) -> None:
            if state["closed"]:
                return  # the app may still flush to a socket we closed; the client is gone
            if message["type"] == "websocket.send" and clock() >= session.expires_at:
                await close()
                return
            await send(message)

        return guarded_receive, guarded_send

    # -- origins and redirects --

    def _own_netloc(self, scope: Scope) -> str:
        return _headers(scope).get("host", "").lower()

    def _origin_trusted(self, scope: Scope) -> bool:
        """No Origin (curl, plain navigations) or this server's own, or a configured frontend's."""
        origin = _headers(scope).get("origin")
        if origin is None:
            return True
        return urlsplit(origin).netloc.lower() == self._own_netloc(scope) or (
            origin_of(origin) in self.config.frontend_origins
        )

    def _safe_next(self, target: str, scope: Scope) -> str:
        """A path on this server or a URL on a configured frontend; anything else goes home."""
        if target.startswith("/") and not target.startswith("//") and "\\" not in target:
            return target
        parts = urlsplit(target)
        if parts.scheme in ("http", "https") and (
            origin_of(target) in self.config.frontend_origins or parts.netloc.lower() == self._own_netloc(scope)
        ):
            return target
        return "/"

    async def _refuse_origin(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _headers(scope).get("origin", "")
        if origin not in self._warned_origins:
            self._warned_origins.add(origin)
            logger.warning(
                "Refused a request from the page origin %s: add it to JOBAPP_FRONTEND_ORIGINS if the "
                "frontend is served from there",
                origin,
            )
        if scope["type"] == "websocket":
            await _refuse_socket(receive, send)
            return
        message = f"Requests from {origin} are not accepted (see JOBAPP_FRONTEND_ORIGINS)."
        await PlainTextResponse(message, 403)(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await _refuse_socket(receive, send)
            return
        response: Response
        if scope["path"].startswith(API_PREFIX):
            response = JSONResponse({"error": API_HINT}, 401, headers={"WWW-Authenticate": 'Bearer realm="jobapp"'})
        elif scope["method"] in ("GET", "HEAD") and "text/html" in _headers(scope).get("accept", ""):
            response = RedirectResponse(f"{LOGIN_PATH}?next={quote(_path_with_query(scope), safe='')}", 303)
        else:
            response = PlainTextResponse(f"Log in first: {LOGIN_PATH}", 401)
        await response(scope, receive, send)

    # -- the login routes --

    async def _auth_route(self, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if path == SESSION_PATH:
            response = await self._session_info(scope)
        elif path == LOGIN_PATH and method in ("GET", "HEAD"):
            response = await self._login_form(scope)
        elif path == LOGIN_PATH and method == "POST":
            response = await self._log_in(scope, receive)
        elif path == LOGOUT_PATH and method == "POST":
            response = await self._log_out(scope)
        else:
            allowed = "GET, POST" if path == LOGIN_PATH else "POST" if path == LOGOUT_PATH else "GET"
            response = PlainTextResponse("Method not allowed.", 405, headers={"Allow": allowed})
        await response(scope, receive, send)

    async def _session_info(self, scope: Scope) -> Response:
        """For the app's pages: who is logged in (and whether they must log in again)."""
        if not self._origin_trusted(scope):
            return JSONResponse({"login": True, "user": None, "error": "untrusted origin"}, 403)
        session = await self.session(scope)
        if session is None:
            return JSONResponse({"login": True, "user": None}, 401)
        return JSONResponse({"login": True, "user": session.username, "expires_at": session.expires_at})

    def _form_response(self, scope: Scope, next_url: str, status: int = 200, **page: Any) -> HTMLResponse:
        sources = " ".join(["'self'", *self.config.frontend_origins])
        headers = {
            # The form posts here and may be redirected to a configured frontend; nothing else loads.
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'unsafe-inline'; form-action {sources}; "
                "frame-ancestors 'none'; base-uri 'none'"
            ),
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
        }
        return HTMLResponse(login_page(LOGIN_PATH, next_url, **page), status, headers=headers)

    async def _login_form(self, scope: Scope) -> Response:
        next_url = self._safe_next(QueryParams(scope.get("query_string", b"")).get("next", "/"), scope)
        if await self.session(scope) is not None:
            return RedirectResponse(next_url, 303)
        return self._form_response(scope, next_url)

    async def _log_in(self, scope: Scope, receive: Receive) -> Response:
        if not self._origin_trusted(scope):
            return PlainTextResponse("Log in from this server's own login page.", 403)
        client = _client_host(scope)
        form = await _read_form(receive)
        if form is None:
            return PlainTextResponse("The login form is too large.", 413)
        next_url = self._safe_next(form.get("next", "/"), scope)
        username = form.get("username", "")
        wait = await self.limiter.retry_after(client)
        if wait is not None:
            logger.warning("Refused a login attempt from %s: too many failures", client)
            error = f"Too many failed attempts. Try again in {wait} seconds."
            response = self._form_response(scope, next_url, 429, error=error, username=username)
            response.headers["Retry-After"] = str(wait)
            return response
        ok = await asyncio.to_thread(
            check_credentials, self.config.username, self.config.password_hash, username, form.get("password", "")
        )
        if not ok:
            await self.limiter.failed(client)
            logger.warning("Failed login from %s", client)
            return self._form_response(scope, next_url, 401, error="Wrong username or password.", username=username)
        value, session = self.signer.issue(self.config.username)
        await self.store.add(session)
        logger.info("%s logged in from %s", session.username, client)
        response = RedirectResponse(next_url, 303)
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=int(self.config.session_seconds),
            path="/",
            secure=_is_https(scope),
            httponly=True,
            samesite="lax",
        )
        return response

    async def _log_out(self, scope: Scope) -> Response:
        if not self._origin_trusted(scope):
            return PlainTextResponse("Log out from the app's own pages.", 403)
        session = await self.session(scope)
        if session is not None:
            await self.store.end(session)
            logger.info("%s logged out", session.username)
        # Back to the login form, which then returns to the app's home page the person came from.
        referer = _headers(scope).get("referer", "")
        home = self._safe_next(f"{origin_of(referer)}/", scope) if origin_of(referer) else "/"
        response = RedirectResponse(f"{LOGIN_PATH}?next={quote(home, safe='')}", 303)
        response.delete_cookie(COOKIE_NAME, path="/", secure=_is_https(scope), httponly=True, samesite="lax")
        return response


async def _read_form(receive: Receive) -> dict[str, str] | None:
    """A small urlencoded body as a dict of first values; None when it exceeds MAX_FORM_BYTES."""
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_FORM_BYTES:
            return None
    fields: dict[str, list[str]] = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def guard(app: ASGIApp, config: AuthConfig, clock: Clock = time.time) -> ASGIApp:
    """The guard the configuration calls for, around `app`."""
    if config.login_required:
        return LoginGuard.from_config(app, config, clock)
    return LoopbackGuard(app, config)
