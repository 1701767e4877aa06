"""The login form: one self-contained HTML page (no scripts, no external assets), served by the guard
because every Reflex page is behind it."""

from __future__ import annotations

from html import escape

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f6fb;margin:0;
display:flex;min-height:100vh;align-items:center;justify-content:center;color:#1c2024}
main{background:#fff;padding:2rem 2.25rem;border-radius:10px;box-shadow:0 2px 12px #0002;width:20rem}
h1{font-size:1.3rem;margin:0 0 1.25rem}label{display:block;font-size:.9rem;margin:.75rem 0 .25rem}
input{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #ccd;border-radius:6px;font-size:1rem}
button{margin-top:1.25rem;width:100%;padding:.6rem;border:0;border-radius:6px;background:#3e63dd;
color:#fff;font-size:1rem;cursor:pointer}p.error{color:#c62a2f;font-size:.9rem;margin:.5rem 0 0}
"""


def login_page(action: str, next_url: str, error: str = "", username: str = "") -> str:
    notice = f'<p class="error" id="login-error" role="alert">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Log in · jobapp</title><style>{_STYLE}</style></head>
<body><main><h1>jobapp</h1>
<form method="post" action="{escape(action)}" id="login-form">
<input type="hidden" name="next" value="{escape(next_url)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="{escape(username)}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
{notice}
<button type="submit" id="login-submit">Log in</button>
</form></main></body></html>
"""
