"""The account corner of the navigation, for a backend with the login on (jobapp/auth).

The page asks the backend's `/_auth/session` who is logged in: nobody when the login is off, so nothing
shows; otherwise the name and a Log out button (a plain form POST, which the guard answers with the
login form). When the websocket cannot connect and the backend says the session is gone (expired, or
logged out elsewhere), the page goes to the login form, which brings the person back here.

The backend may live on another origin than the page (a static export), so every URL is built on the
backend's origin and the session probe sends credentials. Reflex uploads with an XMLHttpRequest that
sends no cookies across origins; the custom code below lets it send them to `/_upload`.
"""

from __future__ import annotations

import reflex as rx
from reflex.components.component import Component
from reflex.constants import Dirs, Hooks, Imports
from reflex.constants.compiler import MemoizationDisposition, MemoizationMode
from reflex.vars import Var, VarData
from reflex_components_core.el.elements.base import BaseHTML

from jobapp.components.links import backend_origin

_USER = "const [jobappUser, setJobappUser] = useState(null);"
# On mount: learn who is logged in. When connection errors start: if the session is gone, log in again.
_PROBE = """useEffect(() => {
  const origin = getBackendURL(env.PING).origin;
  fetch(`${origin}/_auth/session`, { credentials: "include" })
    .then((response) => {
      if (response.status === 401 && connectErrors.length > 0) {
        window.location.assign(`${origin}/_auth/login?next=${encodeURIComponent(window.location.href)}`);
        return null;
      }
      return response.ok ? response.json() : null;
    })
    .then((info) => info && setJobappUser(info.user ?? null))
    .catch(() => {}); // backend unreachable: Reflex's connection banner already says so
}, [connectErrors.length > 0]);"""
_UPLOAD_CREDENTIALS = """if (typeof XMLHttpRequest !== "undefined" && !XMLHttpRequest.prototype.jobappCredentials) {
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    open.call(this, method, url, ...rest);
    if (String(url).endsWith("/_upload")) this.withCredentials = true;
  };
  XMLHttpRequest.prototype.jobappCredentials = true;
}"""

# The logged-in name (null when nobody is, or the login is off); carries the hooks that fill it.
account_user = Var(
    _js_expr="jobappUser",
    _var_data=VarData(
        imports={
            **Imports.CONNECT_ERRORS,
            "react": [rx.ImportVar(tag="useContext"), rx.ImportVar(tag="useEffect"), rx.ImportVar(tag="useState")],
            f"$/{Dirs.STATE_PATH}": "getBackendURL",
            "$/env.json": rx.ImportVar(tag="env", is_default=True),
        },
        hooks={Hooks.CONNECT_ERRORS: None, _USER: None, _PROBE: None},
    ),
).to(str)


class _PostForm(BaseHTML):
    """A native <form> that really submits (rx.el.form always prevents the default)."""

    tag = "form"
    action: Var[str]
    method: Var[str]


class _AccountMenu(rx.Fragment):
    """One memoized React component for the whole menu, so the probe's hooks run once per page
    (Reflex would otherwise memoize the name and the condition apart, each with its own copy)."""

    _memoization_mode = MemoizationMode(disposition=MemoizationDisposition.ALWAYS, recursive=False)

    def add_custom_code(self) -> list[str]:
        return [_UPLOAD_CREDENTIALS]


def account_menu() -> Component:
    return _AccountMenu.create(
        rx.cond(
            account_user,
            rx.hstack(
                rx.text(account_user, size="2", color_scheme="gray", id="account-user"),
                _PostForm.create(
                    rx.button("Log out", type="submit", size="1", variant="soft", id="logout"),
                    action=backend_origin + "/_auth/logout",
                    method="post",
                ),
                align="center",
                spacing="2",
            ),
        ),
    )
