"""Web addresses: checking what a person typed, and the forms the app keeps and compares.

Two forms, because two links can name one page without being interchangeable:

- `normalize_url`: what the app fetches and stores. Only changes that never alter what a server
  returns (RFC 3986 normalisation: scheme and host case, default port, percent-encoding, dot
  segments), plus dropping what never names a posting (tracking parameters, credentials, fragments).
- `canonical_url`: what two links are compared by. On top of that, a trailing slash and a
  directory's default document (`index.html`) are ignored: servers answer `/jobs/plain/` and
  `/jobs/plain` with one page (or redirect one to the other), but a server may refuse the form it
  was not given, so the form the person gave is the one fetched.

Query parameters other than tracking ones are kept (sorted): `?gh_jid=…` or `?id=7` may be the only
thing naming the posting.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

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
# What a web server answers for a directory. Only the static-site names: `index.php` or
# `default.aspx` may be real scripts whose directory URL is routed elsewhere.
DEFAULT_DOCUMENTS = ("index.html", "index.htm")
_DEFAULT_DOCUMENT = re.compile(r"/(?:index\.html?)$")
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


def normalize_url(url: str) -> str:
    """The form of `url` the app fetches and stores: lower-case scheme and host, no default port,
    no credentials, no tracking parameters, the remaining parameters sorted, percent-encoding
    normalised, dot segments resolved, no fragment (except `#/…` and `#!…` routes of single-page
    boards, where the fragment names the posting)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = normalize_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(unquote_plus(p.split("=", 1)[0])))
    route = parts.fragment.startswith(("/", "!"))
    # w3lib (Scrapy's canonicaliser) sorts the query and normalises percent-encoding and dot segments.
    return canonicalize_url(
        urlunsplit((scheme, netloc, parts.path, query, parts.fragment if route else "")),
        keep_blank_values=True,
        keep_fragments=route,
    )


def canonical_url(url: str) -> str:
    """The form two links are compared by: `normalize_url` without a trailing slash or a default
    document (`/careers/index.html` → `/careers`); the site's root stays `/`."""
    parts = urlsplit(normalize_url(url))
    return urlunsplit(parts._replace(path=_DEFAULT_DOCUMENT.sub("", parts.path).rstrip("/") or "/"))


def equivalent_urls(canonical: str) -> list[str]:
    """The normalised forms (`normalize_url`) that share the canonical form `canonical`, so stored
    links can be found through the index on Job.url."""
    parts = urlsplit(canonical)
    base = parts.path.rstrip("/")
    paths = dict.fromkeys([parts.path, f"{base}/", *(f"{base}/{name}" for name in DEFAULT_DOCUMENTS)])
    return [urlunsplit(parts._replace(path=path)) for path in paths]


def validate_url(text: str) -> str:
    """Check a web address a person typed and return its normalised form (`normalize_url`).

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
    normal = normalize_url(value)
    if len(normal) > MAX_URL_LENGTH:  # letters outside ASCII grow threefold once percent-encoded
        raise InvalidURL(f"That web address is over {MAX_URL_LENGTH} characters; paste the posting's own link.")
    return normal
