"""The login's parts alone: password hashing, the configuration rule, session cookies, the session stores
and the failed-login limiter (in memory and in Redis)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from jobapp.auth import (
    AuthConfigError,
    LoginLimiter,
    MemorySessionStore,
    RedisSessionStore,
    SessionSigner,
    hash_password,
    is_loopback,
    load_auth_config,
    storage_for,
    verify_password,
)
from jobapp.auth._passwords import check_credentials
from tests.conftest import require_service

SECRET = "s" * 40
REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    """A hand-moved clock for cookie and store expiry."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- passwords --


def test_a_password_hash_is_argon2id_salted_and_verifies_only_the_password():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert verify_password(first, "correct horse")
    assert not verify_password(first, "correct horsE")
    assert not verify_password("not a hash", "correct horse")


def test_credentials_need_both_the_name_and_the_password():
    stored = hash_password("pw-123456")
    assert check_credentials("alice", stored, "alice", "pw-123456")
    assert not check_credentials("alice", stored, "bob", "pw-123456")
    assert not check_credentials("alice", stored, "alice", "pw-1234567")


def test_an_empty_password_is_refused():
    with pytest.raises(ValueError, match="empty"):
        hash_password("")


# -- configuration --


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.0.2.2", False),
        ("no-such-host.invalid", False),
    ],
)
def test_loopback_addresses(host, loopback):
    assert is_loopback(host) is loopback


def test_the_loopback_default_needs_no_login():
    config = load_auth_config(env={})
    assert config.bind_host == "127.0.0.1"
    assert not config.login_required


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.2", "::"])
def test_an_exposed_address_without_credentials_names_every_variable_to_set(host):
    with pytest.raises(AuthConfigError) as raised:
        load_auth_config(env={"JOBAPP_HOST": host})
    message = str(raised.value)
    assert host in message
    for variable in ("JOBAPP_USERNAME", "JOBAPP_PASSWORD_HASH", "JOBAPP_SECRET_KEY"):
        assert variable in message
    assert "python -m jobapp.auth hash" in message


def test_only_the_missing_variables_are_named():
    with pytest.raises(AuthConfigError) as raised:
        load_auth_config(env={"JOBAPP_HOST": "0.0.0.0", "JOBAPP_USERNAME": "alice", "JOBAPP_PASSWORD": "pw"})
    assert "JOBAPP_USERNAME" not in str(raised.value)
    assert "JOBAPP_SECRET_KEY     is not set" in str(raised.value)


def test_a_short_secret_is_refused():
    env = {"JOBAPP_HOST": "0.0.0.0", "JOBAPP_USERNAME": "a", "JOBAPP_PASSWORD": "pw", "JOBAPP_SECRET_KEY": "short"}
    with pytest.raises(AuthConfigError, match="too short"):
        load_auth_config(env=env)


def test_require_login_forces_the_login_on_loopback_and_hashes_a_plain_password():
    env = {"JOBAPP_REQUIRE_LOGIN": "1", "JOBAPP_USERNAME": "alice", "JOBAPP_PASSWORD": "pw-plain-1"}
    with pytest.raises(AuthConfigError, match="JOBAPP_REQUIRE_LOGIN is on"):
        load_auth_config(env=env)
    config = load_auth_config(env={**env, "JOBAPP_SECRET_KEY": SECRET})
    assert config.login_required
    assert verify_password(config.password_hash, "pw-plain-1")
    assert "pw-plain-1" not in repr(config)
    assert SECRET not in repr(config)
    assert config.password_hash not in repr(config)


def test_a_stored_hash_must_be_argon2_and_cannot_be_combined_with_a_plain_password():
    env = {"JOBAPP_HOST": "0.0.0.0", "JOBAPP_USERNAME": "alice", "JOBAPP_SECRET_KEY": SECRET}
    with pytest.raises(AuthConfigError, match="not an argon2 hash"):
        load_auth_config(env={**env, "JOBAPP_PASSWORD_HASH": "5f4dcc3b5aa765d61d8327deb882cf99"})
    stored = hash_password("pw")
    with pytest.raises(AuthConfigError, match="not both"):
        load_auth_config(env={**env, "JOBAPP_PASSWORD_HASH": stored, "JOBAPP_PASSWORD": "pw"})
    assert load_auth_config(env={**env, "JOBAPP_PASSWORD_HASH": stored}).password_hash == stored


def test_frontend_origins_and_session_hours_are_validated():
    env = {"JOBAPP_REQUIRE_LOGIN": "1", "JOBAPP_USERNAME": "a", "JOBAPP_PASSWORD": "pw", "JOBAPP_SECRET_KEY": SECRET}
    config = load_auth_config(
        env={**env, "JOBAPP_FRONTEND_ORIGINS": "http://Host:3001/, https://app.example", "JOBAPP_SESSION_HOURS": "0.5"}
    )
    assert config.frontend_origins == ("http://host:3001", "https://app.example")
    assert config.session_seconds == 1800
    with pytest.raises(AuthConfigError, match="not an origin"):
        load_auth_config(env={**env, "JOBAPP_FRONTEND_ORIGINS": "host:3001"})
    with pytest.raises(AuthConfigError, match="positive number"):
        load_auth_config(env={**env, "JOBAPP_SESSION_HOURS": "0"})


# -- session cookies --


def test_a_cookie_reads_back_as_its_session_until_it_expires():
    clock = Clock()
    signer = SessionSigner(SECRET, 3600, clock)
    value, session = signer.issue("alice")
    assert signer.read(value) == session
    assert session.expires_at == clock.now + 3600
    clock.now += 3599
    assert signer.read(value) == session
    clock.now += 2
    assert signer.read(value) is None


def test_a_tampered_or_foreign_cookie_is_refused():
    signer = SessionSigner(SECRET, 3600)
    value, _ = signer.issue("alice")
    payload, stamp, signature = value.split(".")
    assert signer.read(f"{payload}x.{stamp}.{signature}") is None
    assert signer.read(f"{payload}.{stamp}.{signature[:-2]}") is None
    assert signer.read("garbage") is None
    assert SessionSigner("t" * 40, 3600).read(value) is None
    # The user name cannot be swapped: a payload for "mallory" with alice's signature fails.
    forged_payload = SessionSigner(SECRET, 3600).issue("mallory")[0].split(".")[0]
    assert signer.read(f"{forged_payload}.{stamp}.{signature}") is None


async def test_the_memory_store_forgets_ended_and_expired_sessions():
    clock = Clock()
    signer = SessionSigner(SECRET, 60, clock)
    store = MemorySessionStore(clock)
    _, first = signer.issue("alice")
    _, second = signer.issue("alice")
    await store.add(first)
    await store.add(second)
    assert await store.alive(first) and await store.alive(second)
    await store.end(first)
    assert not await store.alive(first)
    assert await store.alive(second)
    clock.now += 61
    assert not await store.alive(second)


async def test_the_redis_store_is_shared_between_workers_and_expires():
    require_service("Redis", "127.0.0.1", 6379)
    prefix = f"jobapp-test:{uuid.uuid4().hex}"
    redis_a, redis_b = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    worker_a, worker_b = RedisSessionStore(redis_a, prefix), RedisSessionStore(redis_b, prefix)
    try:
        _, session = SessionSigner(SECRET, 1).issue("alice")
        _, other = SessionSigner(SECRET, 60).issue("alice")
        await worker_a.add(session)
        await worker_a.add(other)
        assert await worker_b.alive(session)
        await worker_b.end(other)
        assert not await worker_a.alive(other)
        assert 0 < await redis_a.pttl(f"{prefix}:session:{session.id}") <= 2000  # the key expires with the session
    finally:
        keys = [key async for key in redis_a.scan_iter(f"{prefix}:*")]
        if keys:
            await redis_a.delete(*keys)
        await redis_a.aclose()
        await redis_b.aclose()


# -- failed-login limiter --


async def test_the_memory_limiter_blocks_an_address_after_five_failures_a_minute():
    limiter = LoginLimiter("5/minute", storage_for(""))
    for _ in range(5):
        assert await limiter.retry_after("10.0.0.1") is None
        await limiter.failed("10.0.0.1")
    wait = await limiter.retry_after("10.0.0.1")
    assert wait is not None and 1 <= wait <= 60
    assert await limiter.retry_after("10.0.0.2") is None  # per address


async def test_the_window_moves_on():
    limiter = LoginLimiter("2/second", storage_for(""))
    await limiter.failed("10.0.0.1")
    await limiter.failed("10.0.0.1")
    assert await limiter.retry_after("10.0.0.1") == 1
    await asyncio.sleep(1.1)
    assert await limiter.retry_after("10.0.0.1") is None


def test_a_bad_rate_is_reported_by_its_variable():
    with pytest.raises(ValueError, match="JOBAPP_LOGIN_RATE"):
        LoginLimiter("five a minute", storage_for(""))


async def test_in_redis_the_count_is_shared_by_every_worker():
    require_service("Redis", "127.0.0.1", 6379)
    prefix = f"jobapp-test:{uuid.uuid4().hex}"
    storages = [storage_for(REDIS_URL, prefix), storage_for(REDIS_URL, prefix)]
    worker_a, worker_b = (LoginLimiter("5/minute", storage) for storage in storages)
    try:
        for _ in range(3):
            await worker_a.failed("10.0.0.1")
        for _ in range(2):
            await worker_b.failed("10.0.0.1")
        assert await worker_a.retry_after("10.0.0.1") is not None
        assert await worker_b.retry_after("10.0.0.1") is not None
        assert await worker_b.retry_after("10.0.0.2") is None
    finally:
        await storages[0].reset()


async def test_in_memory_each_process_counts_alone():
    worker_a, worker_b = LoginLimiter("5/minute", storage_for("")), LoginLimiter("5/minute", storage_for(""))
    for _ in range(5):
        await worker_a.failed("10.0.0.1")
    assert await worker_a.retry_after("10.0.0.1") is not None
    assert await worker_b.retry_after("10.0.0.1") is None
