"""What the safe fetcher may do: which addresses, how much, how long, and where the ATS APIs live."""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

# Public APIs of the applicant-tracking systems; tests point them at a fake server on loopback.
ATS_API_BASE: Mapping[str, str] = {
    "greenhouse": "https://boards-api.greenhouse.io",
    "lever": "https://api.lever.co",
    "lever-eu": "https://api.eu.lever.co",
    "ashby": "https://api.ashbyhq.com",
}

Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch. The defaults are the safe ones; only tests loosen them."""

    # Loopback (127.0.0.0/8, ::1) is refused unless allowed here; `loopback_ports` narrows the
    # allowance to those ports (None: any port). Private, link-local, metadata… are always refused.
    allow_loopback: bool = False
    loopback_ports: frozenset[int] | None = None
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    total_timeout: float = 20.0  # the whole fetch, every hop included: the slow-drip guard
    connect_timeout: float = 5.0
    read_timeout: float = 10.0  # between two reads: a stalled server
    user_agent: str = "jobapp/0.1 (job-search workspace; reads one posting a person asked for)"
    ats_api_base: Mapping[str, str] = field(default_factory=lambda: dict(ATS_API_BASE))
    # Test hooks: a resolver standing in for DNS, and the TLS trust (True: the system's CA bundle).
    resolver: Resolver | None = None
    verify: ssl.SSLContext | bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FetchPolicy:
        """JOBAPP_FETCH_ALLOW_LOOPBACK=1 (tests only), JOBAPP_FETCH_LOOPBACK_PORTS=8000,8001,
        JOBAPP_FETCH_MAX_BYTES, JOBAPP_FETCH_TIMEOUT, JOBAPP_ATS_API_BASE='{"greenhouse": "http://…"}'."""
        env = os.environ if environ is None else environ
        ports = frozenset(int(p) for p in env.get("JOBAPP_FETCH_LOOPBACK_PORTS", "").split(",") if p.strip())
        bases = dict(ATS_API_BASE)
        if raw := env.get("JOBAPP_ATS_API_BASE", "").strip():
            overrides = json.loads(raw)
            if not isinstance(overrides, dict):
                raise ValueError('JOBAPP_ATS_API_BASE must be a JSON object such as {"greenhouse": "http://…"}')
            bases.update({str(k): str(v).rstrip("/") for k, v in overrides.items()})
        return cls(
            allow_loopback=env.get("JOBAPP_FETCH_ALLOW_LOOPBACK", "").strip().lower() in ("1", "true", "yes"),
            loopback_ports=ports or None,
            max_bytes=int(env.get("JOBAPP_FETCH_MAX_BYTES", 5 * 1024 * 1024)),
            total_timeout=float(env.get("JOBAPP_FETCH_TIMEOUT", 20.0)),
            ats_api_base=bases,
        )
