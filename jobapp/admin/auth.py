"""Who may use the admin: one person, with credentials from configuration.

- `JOBAPP_ADMIN_USERNAME` and `JOBAPP_ADMIN_PASSWORD_HASH` (an argon2 hash: `python -m jobapp.admin`); when
  they are not set, the app login's `JOBAPP_USERNAME` / `JOBAPP_PASSWORD_HASH` are used;
- `JOBAPP_SECRET_KEY` signs the session cookie.

With any of them missing the admin refuses everyone, and its login page says what to set. The password is
checked by argon2 (constant time), the username with `hmac.compare_digest`, and a wrong username costs the
same argon2 check as a wrong password, so neither can be guessed from timing. A session names the user and a
fingerprint of the password hash: changing the password ends every session.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates
from starlette_admin.auth import AdminUser, AuthProvider, LoginFailed

HOW_TO_TURN_ON = (
    "The admin is off: set JOBAPP_ADMIN_USERNAME, JOBAPP_ADMIN_PASSWORD_HASH (an argon2 hash, from "
    "`python -m jobapp.admin`) and JOBAPP_SECRET_KEY, then restart the app."
)
WRONG = "Wrong username or password."
SESSION_KEY = "jobapp_admin"
_hasher = PasswordHasher()
# Checked when the username is wrong, so that costs the same time as a wrong password.
_DECOY = _hasher.hash("not the password")


@dataclass(frozen=True)
class Credentials:
    username: str
    password_hash: str
    secret_key: str

    @classmethod
    def from_env(cls) -> Credentials | None:
        """The configured credentials, or None when the admin is off (something is missing)."""
        username = os.environ.get("JOBAPP_ADMIN_USERNAME") or os.environ.get("JOBAPP_USERNAME", "")
        password_hash = os.environ.get("JOBAPP_ADMIN_PASSWORD_HASH") or os.environ.get("JOBAPP_PASSWORD_HASH", "")
        secret_key = os.environ.get("JOBAPP_SECRET_KEY", "")
        if not (username.strip() and password_hash.strip() and secret_key.strip()):
            return None
        return cls(username.strip(), password_hash.strip(), secret_key)

    @property
    def fingerprint(self) -> str:
        """Names the password in a session without revealing anything of it."""
        return hmac.new(self.secret_key.encode(), self.password_hash.encode(), hashlib.sha256).hexdigest()[:32]

    def check(self, username: str, password: str) -> bool:
        """The username and password match (argon2 runs whatever the username, for equal timing)."""
        right_user = hmac.compare_digest(username.encode(), self.username.encode())
        try:
            right_password = _hasher.verify(self.password_hash if right_user else _DECOY, password)
        except (VerificationError, InvalidHashError):
            right_password = False
        return right_user and right_password


class AdminAuth(AuthProvider):
    """starlette-admin's login page and session check, over `Credentials`."""

    def __init__(self, credentials: Credentials | None) -> None:
        super().__init__()
        self.credentials = credentials

    async def login(self, username: str, password: str, remember_me: bool, request: Request) -> Response | None:
        if self.credentials is None:
            raise LoginFailed(HOW_TO_TURN_ON)
        if not username or not password:
            raise LoginFailed(WRONG)
        if not await asyncio.to_thread(self.credentials.check, username, password):
            raise LoginFailed(WRONG)
        request.session[SESSION_KEY] = {"user": self.credentials.username, "key": self.credentials.fingerprint}
        return None

    async def authenticate(self, request: Request) -> AdminUser | None:
        if self.credentials is None:
            return None
        signed_in = request.session.get(SESSION_KEY) or {}
        if signed_in.get("user") != self.credentials.username:
            return None
        if not hmac.compare_digest(str(signed_in.get("key", "")), self.credentials.fingerprint):
            return None
        return AdminUser(username=self.credentials.username)

    async def logout(self, request: Request) -> Response | None:
        request.session.pop(SESSION_KEY, None)
        return None

    async def render_login(self, request: Request, templates: Jinja2Templates) -> Response:
        if self.credentials is None and request.method == "GET":
            # Say at once how to turn it on, rather than after a first attempt.
            return templates.TemplateResponse(request=request, name="login.html", context={"error": HOW_TO_TURN_ON})
        return await super().render_login(request, templates)


def hash_password(password: str) -> str:
    """An argon2 hash for JOBAPP_ADMIN_PASSWORD_HASH."""
    return _hasher.hash(password)
