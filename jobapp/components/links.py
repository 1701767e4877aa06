"""Links to the backend's own routes (downloads), which may live on another origin than the page."""

from __future__ import annotations

import reflex as rx
from reflex.constants import Dirs
from reflex.vars import Var, VarData

# The backend's origin as the page sees it (same host rules as the websocket).
backend_origin = Var(
    _js_expr="getBackendURL(env.PING).origin",
    _var_data=VarData(
        imports={f"$/{Dirs.STATE_PATH}": "getBackendURL", "$/env.json": rx.ImportVar(tag="env", is_default=True)}
    ),
).to(str)


def backend_link(label: str, path: rx.Var[str] | str, **props) -> rx.Component:
    return rx.link(label, href=backend_origin + path, is_external=True, **props)
