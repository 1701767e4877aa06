"""The safe fetcher: every network read of a page a person (or a board scan) points us at.

For each hop (redirects are followed here, at most `policy.max_redirects`): the host is resolved, every
address is checked (see `_addresses`), and the request goes to the checked IP itself, with the
original Host header and TLS SNI/certificate check against the original name. There is no second
DNS look-up between the check and the connection, so DNS rebinding has no window.

Limits: `policy.max_bytes` on the decoded body (streamed; reading stops at the cap, and a larger
Content-Length is refused before reading), `policy.total_timeout` over the whole fetch (so a server
that drips one byte at a time under the per-read timeout is still cut off), `policy.read_timeout`
between reads. Only HTML, JSON and plain text are accepted.

Residual risks, said plainly: proxies from the environment are ignored on purpose (a proxy would do
its own DNS); a server that ignores `Accept-Encoding: identity` and sends a compressed body has each
received chunk decompressed before the size check, so one chunk may briefly expand in memory.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import httpx

from jobapp.intake._addresses import IPAddress, resolve
from jobapp.intake._walls import PASTE, blocked_reason
from jobapp.intake.errors import (
    FetchConnectionError,
    FetchTimeout,
    InvalidURL,
    PageNotAvailable,
    PasteInstead,
    ResponseTooLarge,
    ServerBusy,
    TooManyRedirects,
    UnsupportedContent,
)
from jobapp.intake.policy import FetchPolicy
from jobapp.intake.urls import DEFAULT_PORTS, normalize_host

HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,application/json;q=0.8,text/plain;q=0.7"
JSON_ACCEPT = "application/json"
TEXT_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/json", "application/ld+json", "text/plain"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PEEK_BYTES = 64 * 1024  # of an error page, enough to recognise a bot check
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


@dataclass(frozen=True)
class Fetched:
    """A page read within the limits."""

    url: str  # where the content came from, after redirects
    status: int
    content_type: str  # media type only, lower-case ("" when the server did not say)
    body: bytes
    charset: str | None = None
    redirects: tuple[str, ...] = ()  # the URLs that redirected, in order
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        encoding = self.charset or _sniff_charset(self.body) or "utf-8"
        try:
            return self.body.decode(encoding, errors="replace")
        except LookupError:  # an unknown charset name
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            raise UnsupportedContent(f"{_site(self.url)} sent something that is not valid JSON.") from None


@dataclass(frozen=True)
class _Target:
    parts: SplitResult
    scheme: str
    host: str  # IDNA, lower-case, no brackets
    port: int

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    def url_for(self, ip: IPAddress) -> str:
        literal = f"[{ip}]" if ip.version == 6 else str(ip)
        return urlunsplit((self.scheme, f"{literal}:{self.port}", self.parts.path or "/", self.parts.query, ""))


async def fetch(url: str, policy: FetchPolicy | None = None, *, accept: str = HTML_ACCEPT) -> Fetched:
    """Read `url` within `policy` (default: FetchPolicy.from_env()), following redirects safely.

    Raises a PermanentError subclass for a bad URL, a refused address, unsupported content, a page
    that is too large or gone; a TransientError subclass for timeouts, connection errors, 429 and 5xx.
    """
    policy = policy or FetchPolicy.from_env()
    target = _target(url)
    visited: list[str] = []
    try:
        async with asyncio.timeout(policy.total_timeout), _client(policy) as client:
            for _hop in range(policy.max_redirects + 1):
                addresses = await resolve(target.host, target.port, policy)
                response = await _send(client, target, addresses, accept)
                try:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECTS and location:
                        current = urlunsplit(target.parts)
                        visited.append(current)
                        target = _target(urljoin(current, location.strip()), redirected=True)
                        continue
                    return await _read(response, urlunsplit(target.parts), tuple(visited), policy)
                finally:
                    await response.aclose()
            raise TooManyRedirects(
                f"{_site(url)} redirected more than {policy.max_redirects} times; paste the posting's final link."
            )
    except TimeoutError:
        raise FetchTimeout(
            f"{_site(url)} did not finish sending the page within {policy.total_timeout:g} seconds."
        ) from None


def _target(url: str, *, redirected: bool = False) -> _Target:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    where = "The site redirected to" if redirected else "That is"
    if scheme not in DEFAULT_PORTS:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise InvalidURL(f"{where} a link that is not a web page ({shown}); only http and https pages can be read.")
    if not parts.hostname:
        raise InvalidURL(f"{where} a web address without a site name.")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise InvalidURL(f"{where} a web address with an invalid port.") from None
    return _Target(parts, scheme, normalize_host(parts.hostname).strip("[]"), port)


def _client(policy: FetchPolicy) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        trust_env=False,  # no proxies from the environment: a proxy would resolve names itself
        follow_redirects=False,  # each hop is checked here
        verify=policy.verify,
        timeout=httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout),
        # No connection reuse: a pooled connection must never carry a request for another host.
        limits=httpx.Limits(max_keepalive_connections=0),
        headers={"User-Agent": policy.user_agent, "Accept-Encoding": "identity", "Accept-Language": "en"},
    )


async def _send(client: httpx.AsyncClient, target: _Target, addresses: list[IPAddress], accept: str) -> httpx.Response:
    """Send to the checked addresses in turn until one accepts the connection."""
    failure: Exception | None = None
    for ip in addresses:
        request = client.build_request(
            "GET",
            target.url_for(ip),
            headers={"Host": target.host_header, "Accept": accept},
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
        )
        try:
            return await client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            failure = error  # try the next address of the same checked set
        except httpx.TimeoutException:
            raise FetchTimeout(f"{target.host} did not answer in time.") from None
        except httpx.HTTPError as error:
            raise FetchConnectionError(f"The connection to {target.host} failed ({_reason(error)}).") from None
    if isinstance(failure, httpx.ConnectTimeout):
        raise FetchTimeout(f"Could not connect to {target.host} in time.")
    raise FetchConnectionError(f"Could not connect to {target.host} ({_reason(failure)}).")


async def _read(response: httpx.Response, url: str, redirects: tuple[str, ...], policy: FetchPolicy) -> Fetched:
    status = response.status_code
    site = _site(url)
    headers = {k.lower(): v for k, v in response.headers.items()}
    if status == 429 or status >= 500:
        if reason := blocked_reason(await _peek(response), headers=headers):
            raise PasteInstead(reason)
        raise ServerBusy(f"{site} answered {status} {response.reason_phrase}; trying again later.", status=status)
    if status >= 400:
        if reason := blocked_reason(await _peek(response), headers=headers):
            raise PasteInstead(reason)
        if status in (401, 403, 451):
            raise PasteInstead(f"{site} did not let the app read that page ({status}). {PASTE}")
        if status in (404, 410):
            gone = f"{site} says the page does not exist ({status}): the posting may have been taken down."
            raise PageNotAvailable(gone, status=status)
        raise PageNotAvailable(f"{site} answered {status} {response.reason_phrase}.", status=status)
    if status >= 300 or status == 204:
        raise PageNotAvailable(f"{site} answered {status} {response.reason_phrase} without a page.", status=status)

    media_type, charset = _content_type(headers.get("content-type", ""))
    _check_type(media_type, site)
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise ResponseTooLarge(_too_large(site, policy))
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > policy.max_bytes:
                raise ResponseTooLarge(_too_large(site, policy))
    except httpx.TimeoutException:
        raise FetchTimeout(f"{site} stopped sending the page.") from None
    except httpx.HTTPError as error:
        raise FetchConnectionError(f"The connection to {site} broke off ({_reason(error)}).") from None
    return Fetched(url, status, media_type, bytes(body), charset, redirects, headers)


async def _peek(response: httpx.Response) -> str:
    """The start of an error page (enough to recognise a bot check); errors reading it are ignored."""
    body = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= PEEK_BYTES:
                break
    except httpx.HTTPError:
        pass
    return bytes(body[:PEEK_BYTES]).decode("utf-8", errors="replace")


def _content_type(header: str) -> tuple[str, str | None]:
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media_type.strip().lower(), charset


def _check_type(media_type: str, site: str) -> None:
    if not media_type or media_type in TEXT_TYPES or media_type.endswith("+json"):
        return
    if media_type == "application/pdf":
        raise UnsupportedContent(
            f"That link on {site} is a PDF, not a web page. Open it, copy the posting "
            "and paste the description instead."
        )
    if media_type.startswith("image/"):
        raise UnsupportedContent(f"That link on {site} is an image, not a posting. Paste the description instead.")
    raise UnsupportedContent(
        f"That link on {site} leads to a file of type {media_type}, not a web page. Paste the description instead."
    )


def _sniff_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii") if match else None


def _too_large(site: str, policy: FetchPolicy) -> str:
    megabytes = policy.max_bytes / (1024 * 1024)
    return f"The page on {site} is larger than {megabytes:g} MB, so reading stopped. Paste the description instead."


def _site(url: str) -> str:
    return urlsplit(url).hostname or url


def _reason(error: BaseException | None) -> str:
    return (str(error).strip() or type(error).__name__) if error else "no address answered"
