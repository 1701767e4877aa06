"""Which addresses the fetcher may connect to, decided on the resolved IP (never on the host name).

Loopback is allowed only through the policy (tests). Private, link-local, multicast, unspecified,
reserved, shared (CGNAT) and cloud-metadata addresses are always refused, including IPv4 addresses
hidden inside IPv6 ones (::ffff:10.0.0.1, 6to4, NAT64, Teredo).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from jobapp.intake.errors import AddressNotAllowed, FetchConnectionError, PageNotAvailable
from jobapp.intake.policy import FetchPolicy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that lead to instance metadata on the big clouds, refused before any DNS look-up.
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
# Metadata and host-agent addresses; most are link-local or private anyway, 168.63.129.16 is not.
METADATA_IPS = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def refusal(ip: IPAddress, port: int, policy: FetchPolicy) -> str | None:
    """Why connecting to `ip:port` is refused ("a private network address", with its article), or None
    when it is allowed."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and (why := refusal(embedded, port, policy)):
            return why
    if ip in METADATA_IPS:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "an unspecified address (it means this machine)"
    if ip.is_loopback:
        if policy.allow_loopback and (policy.loopback_ports is None or port in policy.loopback_ports):
            return None
        return "a loopback address (this machine)"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "a non-public address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def host_refusal(host: str) -> str | None:
    """Why a name is refused before resolving it (with its article, as `refusal`), or None."""
    name = host.rstrip(".").lower()
    if name in METADATA_HOSTS:
        return "a cloud metadata host"
    return None


async def resolve(host: str, port: int, policy: FetchPolicy) -> list[IPAddress]:
    """Every address of `host`; AddressNotAllowed unless all of them may be connected to.

    Refusing when any address is bad (not just the one we would pick) keeps a name that mixes a
    public and a private record from being used to probe the private one on a retry.
    """
    if why := host_refusal(host):
        raise AddressNotAllowed(f"Refused to read {host}: it is {why}. Only public web addresses can be read.")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await _lookup(host, port, policy)]
    if not addresses:
        raise FetchConnectionError(f"Could not find the site {host} (its name has no address).")
    for ip in addresses:
        if why := refusal(ip, port, policy):
            shown = host if str(ip) == host else f"{host} ({ip})"
            raise AddressNotAllowed(f"Refused to read {shown}: it is {why}. Only public web addresses can be read.")
    return list(dict.fromkeys(addresses))


async def _lookup(host: str, port: int, policy: FetchPolicy) -> list[str]:
    if policy.resolver is not None:
        return await policy.resolver(host, port)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        if error.errno == socket.EAI_NONAME:  # the name does not exist: a typo, or a site that is gone
            raise PageNotAvailable(f"Could not find the site {host}. Check the address.") from None
        # A DNS outage or no network: worth another try.
        raise FetchConnectionError(f"Could not look up the site {host} ({error.strerror or error}).") from None
    return [str(info[4][0]) for info in infos]
