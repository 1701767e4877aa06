"""Safe by default: loopback only without a login; anywhere else, one configured account guards every
page, websocket event, upload and API route. Free of Reflex: the app module wraps its backend with
`guard(app, load_auth_config(host))` through `rx.App(api_transformer=...)`.

`python -m jobapp.auth hash` prints a password hash; `... secret` a signing key; `... check` validates
the configuration and prints the address (scripts/start runs it before anything is built).
"""

from jobapp.auth._config import AuthConfig, AuthConfigError, is_loopback, load_auth_config
from jobapp.auth._guard import (
    LOGIN_PATH,
    LOGOUT_PATH,
    SESSION_ENDED,
    SESSION_PATH,
    LoginGuard,
    LoopbackGuard,
    api_access,
    granted_access,
    guard,
)
from jobapp.auth._passwords import hash_password, verify_password
from jobapp.auth._ratelimit import LoginLimiter, storage_for
from jobapp.auth._sessions import COOKIE_NAME, MemorySessionStore, RedisSessionStore, Session, SessionSigner

__all__ = [
    "COOKIE_NAME",
    "LOGIN_PATH",
    "LOGOUT_PATH",
    "SESSION_ENDED",
    "SESSION_PATH",
    "AuthConfig",
    "AuthConfigError",
    "LoginGuard",
    "LoginLimiter",
    "LoopbackGuard",
    "MemorySessionStore",
    "RedisSessionStore",
    "Session",
    "SessionSigner",
    "api_access",
    "granted_access",
    "guard",
    "hash_password",
    "is_loopback",
    "load_auth_config",
    "storage_for",
    "verify_password",
]
