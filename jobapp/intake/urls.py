"""Web addresses: checking what a person typed, and one canonical form per posting.

The canonical form is what the app stores and compares, so the same posting reached through a
newsletter link, a tracking redirect or a differently cased host is recognised as one job.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jobapp.intake.errors import InvalidURL

MAX_URL_LENGTH = 2000  # Job.url's column size

# Query parameters that only say where a click came from. Compared lower-cased.
TRACKING_PARAMS = frozenset(
    {
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "fbclid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "ref",
        "referrer",
        "source",
        "gh_src",
        "lever-source",
        "lever-source[]",
        "lever-origin",
        "trk",
        "trackingid",
        "refid",
    }
)
TRACKING_PREFIXES = ("utm_", "hsa_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_OTHER_SCHEMES = re.compile(r"^(javascript|data|mailto|file|ftp|tel|about|blob|vbscript|ws|wss|chrome):", re.I)
_HOST_CHARS = re.compile(r"^[a-z0-9.\-_\[\]:%]+$")


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def normalize_host(hostname: str) -> str:
    """Lower-case, IDNA-encoded (so 'Bücher.de' and 'xn--bcher-kva.de' compare equal), no trailing dot."""
    host = hostname.rstrip(".").lower()
    if ":" in host:  # IPv6 literal
        return f"[{host}]"
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def canonical_url(url: str) -> str:
    """The one form of `url` the app stores: lower-case scheme and host, no default port, no
    credentials, no tracking parameters, the remaining parameters sorted, no fragment (except
    `#/…` and `#!…` routes of single-page boards, where the fragment names the posting)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = normalize_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = parts.path or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k))
    fragment = parts.fragment if parts.fragment.startswith(("/", "!")) else ""
    return urlunsplit((scheme, netloc, path, urlencode(query), fragment))


def validate_url(text: str) -> str:
    """Check a web address a person typed and return its canonical form.

    Adds https:// when no scheme is given. Raises ValueError (jobapp.intake.InvalidURL) with a message
    that says what is wrong.
    """
    value = (text or "").strip()
    if not value:
        raise InvalidURL("Enter the posting's web address.")
    if any(ch.isspace() for ch in value):
        raise InvalidURL("A web address cannot contain spaces; paste the link exactly as your browser shows it.")
    if len(value) > MAX_URL_LENGTH:
        raise InvalidURL(f"That web address is over {MAX_URL_LENGTH} characters; paste the posting's own link.")
    if not _SCHEME.match(value):
        if _OTHER_SCHEMES.match(value):
            scheme = value.split(":", 1)[0].lower()
            raise InvalidURL(f"Only http and https links can be read (this one is {scheme}:).")
        value = "https://" + value.lstrip("/")
    parts = urlsplit(value)
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise InvalidURL(f"Only http and https links can be read (this one is {parts.scheme.lower()}:).")
    if parts.username is not None or parts.password is not None:
        raise InvalidURL("Remove the user name or password from the link; postings are public pages.")
    host = parts.hostname or ""
    if not host or host.strip(".") == "":
        raise InvalidURL("That web address has no site name (like jobs.example.com).")
    if not _HOST_CHARS.match(normalize_host(host)):
        raise InvalidURL(f"{host!r} is not a valid site name.")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidURL("The port in that web address is not a number between 0 and 65535.") from None
    return canonical_url(value)
