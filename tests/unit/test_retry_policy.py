"""The retry policy as tables: `decide`, `backoff_seconds` and the error classification (invariant 7).

Pure functions, so no database: the verb `TaskManager.fail` only writes what `decide` returns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from jobapp.tasks import retry
from jobapp.tasks.errors import PermanentError, TransientError, describe, is_transient

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
BASE, CAP, JITTER = 2.0, 300.0, 0.25  # the defaults of backoff_seconds


def expected_delay(attempt: int) -> float:
    """The un-jittered, uncapped delay: 2 s, 4 s, 8 s …"""
    return BASE * 2 ** min(max(0, attempt - 1), 64)


@pytest.fixture
def pinned_jitter(monkeypatch: pytest.MonkeyPatch):
    """Make `random.uniform` return one end of its range, chosen by the test."""

    def pin(end: str) -> None:
        monkeypatch.setattr(retry.random, "uniform", lambda low, high: low if end == "low" else high)

    return pin


# -- decide --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "max_attempts", "transient", "retries"),
    [
        pytest.param(1, 3, True, True, id="transient-first-attempt"),
        pytest.param(2, 3, True, True, id="transient-attempts-left"),
        pytest.param(3, 3, True, False, id="transient-exhausted"),
        pytest.param(4, 3, True, False, id="transient-past-budget"),
        pytest.param(1, 1, True, False, id="transient-single-attempt"),
        pytest.param(1, 3, False, False, id="permanent-first-attempt"),
        pytest.param(2, 3, False, False, id="permanent-attempts-left"),
        pytest.param(3, 3, False, False, id="permanent-exhausted"),
    ],
)
def test_decide(attempt: int, max_attempts: int, transient: bool, retries: bool) -> None:
    decision = retry.decide(attempt=attempt, max_attempts=max_attempts, transient=transient, now=NOW)
    assert decision.retry is retries
    if not retries:
        assert decision.run_after is None
        return
    assert decision.run_after is not None
    delay = (decision.run_after - NOW).total_seconds()
    low, high = expected_delay(attempt) * (1 - JITTER), expected_delay(attempt) * (1 + JITTER)
    assert low <= delay <= high


def test_decide_retry_is_always_later_than_now() -> None:
    for attempt in range(1, 12):
        decision = retry.decide(attempt=attempt, max_attempts=99, transient=True, now=NOW)
        assert decision.retry
        assert decision.run_after is not None
        assert decision.run_after > NOW


# -- backoff_seconds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "delay"),
    [
        (0, 2.0),  # never negative exponents: attempt 0 behaves like the first
        (1, 2.0),
        (2, 4.0),
        (3, 8.0),
        (4, 16.0),
        (8, 256.0),  # 256 s × 1.25 = 320 s: capped at 300 s even with jitter
        (9, 512.0),  # capped
        (20, 2.0**20),
        (2000, 2.0**65),  # a huge attempt number is capped too, not an overflow
    ],
)
def test_backoff_grows_exponentially_and_is_capped(attempt: int, delay: float, pinned_jitter) -> None:
    pinned_jitter("low")
    assert retry.backoff_seconds(attempt) == pytest.approx(min(CAP, delay * (1 - JITTER)))
    pinned_jitter("high")
    assert retry.backoff_seconds(attempt) == pytest.approx(min(CAP, delay * (1 + JITTER)))


def test_backoff_jitter_stays_within_bounds() -> None:
    rng_state = random.getstate()
    random.seed(1234)
    try:
        for attempt in range(1, 12):
            samples = [retry.backoff_seconds(attempt) for _ in range(200)]
            base = expected_delay(attempt)
            assert all(min(CAP, base * (1 - JITTER)) <= s <= min(CAP, base * (1 + JITTER)) for s in samples)
            # Below the cap, jitter spreads retries out (so a burst of 429s does not retry in lock-step).
            if base * (1 + JITTER) < CAP:
                assert len({round(s, 6) for s in samples}) > 1
    finally:
        random.setstate(rng_state)


def test_backoff_never_shrinks_as_attempts_grow(pinned_jitter) -> None:
    pinned_jitter("low")
    delays = [retry.backoff_seconds(attempt) for attempt in range(1, 15)]
    assert delays == sorted(delays)
    assert max(delays) == pytest.approx(CAP)


@pytest.mark.parametrize(("base", "cap", "jitter"), [(1.0, 10.0, 0.0), (0.5, 4.0, 0.5)])
def test_backoff_parameters(base: float, cap: float, jitter: float, pinned_jitter) -> None:
    pinned_jitter("high")
    got = [retry.backoff_seconds(a, base=base, cap=cap, jitter=jitter) for a in range(1, 8)]
    want = [min(cap, base * 2 ** (a - 1) * (1 + jitter)) for a in range(1, 8)]
    assert got == pytest.approx(want)


# -- is_transient --------------------------------------------------------------------------------


@dataclass
class HTTPStatusError(Exception):
    """Stands in for SDK errors that carry `status_code` (openai.APIStatusError, anthropic …)."""

    status_code: int


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


class ResponseError(Exception):
    """Stands in for httpx.HTTPStatusError, whose status lives on `.response`."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.response = _Response(status_code)


class ConnectError(Exception):
    """Same name as httpx.ConnectError, which this layer classifies without importing httpx."""


@pytest.mark.parametrize(
    "error",
    [
        TransientError("rate limited"),
        TimeoutError(),
        ConnectionError("reset"),
        ConnectionResetError(),
        ConnectionRefusedError(),
        HTTPStatusError(429),
        HTTPStatusError(500),
        HTTPStatusError(502),
        HTTPStatusError(503),
        ResponseError(429),
        ResponseError(503),
        ConnectError("dns"),
    ],
    ids=repr,
)
def test_is_transient(error: BaseException) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("bad input"),
        ValueError("bad json"),
        KeyError("field"),
        RuntimeError("bug"),
        HTTPStatusError(400),
        HTTPStatusError(401),
        HTTPStatusError(403),
        HTTPStatusError(404),
        HTTPStatusError(422),
        ResponseError(404),
    ],
    ids=repr,
)
def test_is_permanent(error: BaseException) -> None:
    assert not is_transient(error)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (TransientError("the model is overloaded, try later"), "the model is overloaded, try later"),
        (PermanentError("invalid API key"), "invalid API key"),
        (ValueError("no JSON object in the reply"), "ValueError: no JSON object in the reply"),
        (PermanentError(), "PermanentError"),
    ],
)
def test_describe_is_readable(error: BaseException, message: str) -> None:
    assert describe(error) == message


def test_run_after_is_aware_utc() -> None:
    decision = retry.decide(attempt=1, max_attempts=2, transient=True, now=NOW)
    assert decision.run_after is not None
    assert decision.run_after.utcoffset() == timedelta(0)


def test_a_bare_timeout_is_described_in_words() -> None:
    assert describe(TimeoutError()) == "Timed out"
    assert describe(TimeoutError("read timed out")) == "TimeoutError: read timed out"
