"""Who may reach the app: the bind address, whether a login is required, and the one account.

The rule: listening on loopback only needs no login (as before); listening anywhere else, or
JOBAPP_REQUIRE_LOGIN=1 (for a reverse proxy on this machine, or tests), requires one, and then the
account and the signing secret must be configured or the app refuses to start.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from jobapp.auth._passwords import hash_password, is_password_hash

DEFAULT_HOST = "127.0.0.1"
DEFAULT_SESSION_HOURS = 12.0
DEFAULT_LOGIN_RATE = "5/minute"
MIN_SECRET_LENGTH = 32
TRUE = ("1", "true", "yes", "on")


class AuthConfigError(ValueError):
    """The configuration cannot be served safely; the message says what to set."""


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the app on this machine. Names count only if every address they
    resolve to is loopback; `0.0.0.0` and `::` are every interface, so they are not."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def url_host(host: str) -> str:
    """The host as it goes into a URL (IPv6 literals in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased; empty when the URL has no scheme or host."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@dataclass(frozen=True)
class AuthConfig:
    """Everything the login guard needs, read once at start. Secrets are kept out of the repr."""

    bind_host: str
    login_required: bool
    username: str = ""
    password_hash: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    session_seconds: float = DEFAULT_SESSION_HOURS * 3600
    api_token: str = field(default="", repr=False)
    # `limits` notation ("5/minute", "10 per hour"): failed logins allowed per client address.
    login_rate: str = DEFAULT_LOGIN_RATE
    # With several backend workers Reflex needs Redis; sessions and login counts then live there too.
    redis_url: str = ""
    # Where a separately served frontend lives (`http://host:port`): trusted as an Origin and as a
    # place to send the person back to after logging in.
    frontend_origins: tuple[str, ...] = ()

    def describe(self, port: int | str) -> str:
        """One line for the start-up output: the real address and whether a login guards it."""
        address = f"http://{url_host(self.bind_host)}:{port}"
        if self.bind_host in ("0.0.0.0", "::"):
            reach = "every network interface"
        elif is_loopback(self.bind_host):
            reach = "this machine only"
        else:
            reach = "the network"
        login = f"login required for {self.username!r}" if self.login_required else "no login"
        return f"jobapp listens on {address} ({reach}; {login})"


def _missing_credentials(env: Mapping[str, str]) -> list[str]:
    lines = []
    if not env.get("JOBAPP_USERNAME", "").strip():
        lines.append("  JOBAPP_USERNAME       the account name")
    if not env.get("JOBAPP_PASSWORD_HASH") and not env.get("JOBAPP_PASSWORD"):
        lines.append(
            "  JOBAPP_PASSWORD_HASH  an argon2 hash printed by `python -m jobapp.auth hash`"
            " (or JOBAPP_PASSWORD, hashed in memory at start)"
        )
    secret = env.get("JOBAPP_SECRET_KEY", "")
    if len(secret) < MIN_SECRET_LENGTH:
        what = "is too short" if secret else "is not set"
        lines.append(
            f"  JOBAPP_SECRET_KEY     {what}: at least {MIN_SECRET_LENGTH} random characters,"
            " e.g. from `python -m jobapp.auth secret`"
        )
    return lines


def _password_hash(env: Mapping[str, str]) -> str:
    stored, plain = env.get("JOBAPP_PASSWORD_HASH", ""), env.get("JOBAPP_PASSWORD", "")
    if stored and plain:
        raise AuthConfigError("Set JOBAPP_PASSWORD_HASH or JOBAPP_PASSWORD, not both.")
    if stored:
        if not is_password_hash(stored):
            raise AuthConfigError(
                "JOBAPP_PASSWORD_HASH is not an argon2 hash (it starts with $argon2id$): make one with"
                " `python -m jobapp.auth hash`, and single-quote it in the shell, since it contains `$`."
            )
        return stored
    return hash_password(plain)


def _frontend_origins(raw: str) -> tuple[str, ...]:
    origins = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        origin = origin_of(item)
        if not origin:
            raise AuthConfigError(f"JOBAPP_FRONTEND_ORIGINS: {item!r} is not an origin like http://host:3000.")
        origins.append(origin)
    return tuple(origins)


def _session_seconds(raw: str) -> float:
    try:
        hours = float(raw)
    except ValueError:
        hours = 0.0
    if hours <= 0:
        raise AuthConfigError(f"JOBAPP_SESSION_HOURS must be a positive number of hours, not {raw!r}.")
    return hours * 3600


def load_auth_config(bind_host: str | None = None, env: Mapping[str, str] | None = None) -> AuthConfig:
    """Read the login settings; raise AuthConfigError, naming the variables to set, when the app
    would listen beyond this machine (or JOBAPP_REQUIRE_LOGIN is on) without an account."""
    env = os.environ if env is None else env
    host = (bind_host or env.get("JOBAPP_HOST") or DEFAULT_HOST).strip()
    forced = env.get("JOBAPP_REQUIRE_LOGIN", "").strip().lower() in TRUE
    exposed = not is_loopback(host)
    common = {
        "bind_host": host,
        "api_token": env.get("JOBAPP_API_TOKEN", ""),
        "redis_url": env.get("REFLEX_REDIS_URL", ""),
        "frontend_origins": _frontend_origins(env.get("JOBAPP_FRONTEND_ORIGINS", "")),
    }
    if not exposed and not forced:
        return AuthConfig(login_required=False, **common)
    missing = _missing_credentials(env)
    if missing:
        reason = (
            f"jobapp is set to listen on {host}, which other machines can reach, so it needs a login."
            if exposed
            else "JOBAPP_REQUIRE_LOGIN is on, so jobapp needs a login."
        )
        way_out = "\nOr leave JOBAPP_HOST unset to listen on 127.0.0.1 only, without a login." if exposed else ""
        raise AuthConfigError(f"{reason} Set:\n" + "\n".join(missing) + way_out)
    return AuthConfig(
        login_required=True,
        username=env["JOBAPP_USERNAME"].strip(),
        password_hash=_password_hash(env),
        secret_key=env["JOBAPP_SECRET_KEY"],
        session_seconds=_session_seconds(env.get("JOBAPP_SESSION_HOURS", str(DEFAULT_SESSION_HOURS))),
        login_rate=env.get("JOBAPP_LOGIN_RATE", DEFAULT_LOGIN_RATE),
        **common,
    )
