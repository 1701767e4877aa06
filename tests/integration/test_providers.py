"""The remote LLM providers, driving the real `openai` and `anthropic` SDKs against fake servers on 127.0.0.1.

Most tests run for both vendors (the `vendor` fixture). They check what a caller sees: streamed
pieces, text, usage and cost, the engine error each failure becomes and its message (never the key),
cancellation reaching the HTTP stream, and configuration from the environment. The last class runs
a provider inside the real task engine. Nothing here asserts how long something took.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update

from jobapp.db import writer
from jobapp.llm import OfflineProvider, ProviderConfig, Request, build_provider, get_provider
from jobapp.llm.anthropic_provider import AnthropicProvider
from jobapp.llm.openai_compat import OpenAICompatibleProvider
from jobapp.llm.pricing import cost_label, estimate_tokens, known_price
from jobapp.models import Task, utcnow
from jobapp.tasks import (
    NewTask,
    Outcome,
    PermanentError,
    Runner,
    RunnerConfig,
    TaskContext,
    TaskManager,
    TransientError,
)
from jobapp.tasks.errors import is_transient
from jobapp.work.rubric import DIMENSIONS, Rubric, parse
from tests.integration.fake_llm import (
    CLAUDE,
    INVALID_JSON_TEXT,
    MODEL,
    PIECES,
    VALID_KEY,
    FakeAnthropic,
    FakeLLMServer,
    FakeOpenAI,
)

pytestmark = pytest.mark.timeout(60)

REQUEST = Request(
    purpose="generate-cover-letter",
    system="You write short, concrete cover letters.",
    prompt="Posting: Backend engineer at Acme.\n\nResume: ten years of Python.",
    max_tokens=300,
)
WRONG_KEY = "sk-wrong-9876543210zyxwvuTSRQ"


@dataclass
class Vendor:
    """One fake server and how to build a provider pointed at it."""

    kind: str  # "openai" | "anthropic"
    server: FakeLLMServer

    @property
    def model(self) -> str:
        return self.server.default_model

    def config(self, **overrides: Any) -> ProviderConfig:
        values = {"kind": self.kind, "base_url": self.server.base_url, "api_key": VALID_KEY, "model": self.model}
        return ProviderConfig(**{**values, **overrides})

    def provider(self, **overrides: Any) -> Any:
        return build_provider(self.config(**overrides))

    def last_body(self) -> dict[str, Any]:
        return self.server.requests[-1].body


@pytest.fixture(params=["openai", "anthropic"])
def vendor(request: pytest.FixtureRequest) -> Iterator[Vendor]:
    server_class = FakeOpenAI if request.param == "openai" else FakeAnthropic
    with server_class(models={server_class.default_model, "gpt-4o-mini", "claude-haiku-4-5"}) as server:
        yield Vendor(request.param, server)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log line at every level, from our code, the SDKs and their HTTP stack."""
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "anthropic", "httpx", "httpx2", "httpcore", "httpcore2", "jobapp"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


async def call(provider: Any, how: str, pieces: list[str] | None = None) -> Any:
    if how == "stream":
        return await provider.stream(REQUEST, (pieces if pieces is not None else []).append)
    return await provider.complete(REQUEST)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- answers: text, streaming, usage, cost ------------------------------------------------------


class TestAnswers:
    async def test_stream_delivers_every_delta_in_order_and_the_joined_text(self, vendor):
        pieces: list[str] = []
        completion = await vendor.provider().stream(REQUEST, pieces.append)

        assert pieces == PIECES
        assert completion.text == "".join(pieces)
        assert completion.model == vendor.model
        assert completion.provider == vendor.provider().name
        # The usage is what the server reported, not a guess.
        body = vendor.last_body()
        assert completion.usage.input_tokens == FakeLLMServer.prompt_tokens(body) > 0
        assert completion.usage.output_tokens == len(PIECES)
        assert not completion.usage.estimated
        assert body["stream"] is True

    async def test_the_request_carries_system_prompt_limit_and_key(self, vendor):
        await vendor.provider().stream(REQUEST, lambda _: None)

        seen = vendor.server.requests[-1]
        if vendor.kind == "openai":
            assert seen.body["messages"] == [
                {"role": "system", "content": REQUEST.system},
                {"role": "user", "content": REQUEST.prompt},
            ]
            assert seen.body["stream_options"] == {"include_usage": True}
            assert seen.body["max_tokens"] == REQUEST.max_tokens  # not api.openai.com: the classic name
            assert seen.headers["authorization"] == f"Bearer {VALID_KEY}"
        else:
            assert seen.body["system"] == REQUEST.system
            assert seen.body["messages"] == [{"role": "user", "content": REQUEST.prompt}]
            assert seen.body["max_tokens"] == REQUEST.max_tokens
            assert vendor.server.key_of(seen.headers) == VALID_KEY
        # SDK retries are off: the engine retries, so one call is one request.
        assert seen.headers.get("x-stainless-retry-count") in (None, "0")

    async def test_complete_returns_the_whole_text_with_usage(self, vendor):
        completion = await vendor.provider().complete(REQUEST)

        assert completion.text == "".join(PIECES)
        assert "stream" not in vendor.last_body() or vendor.last_body()["stream"] is False
        assert completion.usage.input_tokens == FakeLLMServer.prompt_tokens(vendor.last_body())
        assert completion.usage.output_tokens == len("".join(PIECES).split())

    async def test_cost_comes_from_the_price_table_for_a_known_model(self, vendor):
        model = "gpt-4o-mini" if vendor.kind == "openai" else "claude-haiku-4-5"
        completion = await vendor.provider(model=model).stream(REQUEST, lambda _: None)

        price = known_price(model)
        usage = completion.usage
        expected = (usage.input_tokens * price.input_per_million + usage.output_tokens * price.output_per_million) / 1e6
        assert usage.cost_usd == pytest.approx(expected) and usage.cost_usd > 0
        assert usage.price_known
        assert usage.as_dict() == {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cost_usd": usage.cost_usd,
        }
        assert cost_label(usage).startswith("$")

    async def test_an_unknown_model_costs_nothing_and_says_unknown_price(self, vendor):
        usage = (await vendor.provider().complete(REQUEST)).usage

        assert (usage.cost_usd, usage.price_known) == (0.0, False)
        assert usage.as_dict()["price"] == "unknown price"
        assert cost_label(usage) == "unknown price"

    async def test_prices_in_the_config_are_used(self, vendor):
        provider = vendor.provider(input_price_per_million=1.0, output_price_per_million=2.0)
        usage = (await provider.complete(REQUEST)).usage

        assert usage.price_known
        assert usage.cost_usd == pytest.approx((usage.input_tokens * 1.0 + usage.output_tokens * 2.0) / 1e6)

    async def test_a_stream_without_usage_estimates_tokens_and_says_so(self, fake_openai):
        fake_openai.send_usage = False
        provider = build_provider(
            ProviderConfig(kind="openai", base_url=fake_openai.base_url, api_key=VALID_KEY, model=MODEL)
        )
        completion = await provider.stream(REQUEST, lambda _: None)

        usage = completion.usage
        assert usage.estimated
        assert usage.output_tokens == estimate_tokens(completion.text) > 0
        assert usage.input_tokens == estimate_tokens(REQUEST.system) + estimate_tokens(REQUEST.prompt)
        assert usage.as_dict()["estimated"] is True

    async def test_a_local_server_needs_no_key(self):
        with FakeOpenAI(valid_key=None) as server:
            provider = build_provider(ProviderConfig(kind="openai", base_url=server.base_url, model=MODEL))
            completion = await provider.stream(REQUEST, lambda _: None)
        assert completion.text == "".join(PIECES)

    @pytest.mark.parametrize("how", ["stream", "complete"])
    async def test_invalid_json_text_arrives_unchanged(self, vendor, how):
        """The fake can answer broken JSON; the provider passes it on for the caller's repair logic."""
        vendor.server.answer("invalid-json")
        completion = await call(vendor.provider(), how)

        assert completion.text == INVALID_JSON_TEXT
        with pytest.raises(json.JSONDecodeError):
            json.loads(completion.text)


# -- structured output: the schema travels with the request, the answer conforms -----------------

RUBRIC_REQUEST = Request(
    purpose="evaluation-rubric",
    system="You assess fit.",
    prompt="Posting: Backend engineer.\n\nResume: ten years of Python.",
    max_tokens=800,
    answer_schema=Rubric,
)
ANSWER = {
    "dimensions": {key: {"score": 4, "evidence": f"{key} evidence", "gaps": ""} for key in DIMENSIONS},
    "recommendation": "consider",
    "summary": "A solid fit.",
}


async def call_for_json(provider: Any, how: str, pieces: list[str]) -> Any:
    if how == "stream":
        return await provider.stream(RUBRIC_REQUEST, pieces.append)
    return await provider.complete(RUBRIC_REQUEST)


class TestStructuredOutput:
    @pytest.mark.parametrize("how", ["stream", "complete"])
    async def test_the_request_carries_the_schema_and_the_answer_conforms(self, vendor, how):
        vendor.server.json_answer = ANSWER
        pieces: list[str] = []
        completion = await call_for_json(vendor.provider(), how, pieces)

        assert len(vendor.server.requests) == 1  # accepted as sent: the schema passes the server's checks
        body = vendor.last_body()
        if vendor.kind == "openai":
            spec = body["response_format"]
            assert spec["type"] == "json_schema"
            assert spec["json_schema"]["name"] == "evaluation-rubric"
            assert spec["json_schema"]["strict"] is True
            schema = spec["json_schema"]["schema"]
        else:
            assert body["tool_choice"] == {"type": "tool", "name": "evaluation-rubric"}
            (tool,) = body["tools"]
            schema = tool["input_schema"]
        # Generated from the pydantic model: every dimension is named and required.
        assert sorted(schema["$defs"]["Dimensions"]["required"]) == sorted(DIMENSIONS)
        assert parse(completion.text).model_dump() == Rubric.model_validate(ANSWER).model_dump()
        if how == "stream":
            assert len(pieces) > 1
            assert json.loads("".join(pieces)) == ANSWER  # the JSON arrived piece by piece
        assert completion.usage.input_tokens > 0 and completion.usage.output_tokens > 0

    async def test_a_request_without_a_schema_asks_for_no_structured_output(self, vendor):
        await vendor.provider().complete(REQUEST)
        body = vendor.last_body()
        assert "response_format" not in body and "tools" not in body and "tool_choice" not in body

    @pytest.mark.parametrize("how", ["stream", "complete"])
    async def test_a_server_without_the_feature_gets_plain_json_once_refused(self, vendor, how):
        vendor.server.structured = False
        vendor.server.pieces = [json.dumps(ANSWER)[i : i + 30] for i in range(0, len(json.dumps(ANSWER)), 30)]
        provider = vendor.provider()
        pieces: list[str] = []

        first = await call_for_json(provider, how, pieces)
        second = await call_for_json(provider, how, [])

        feature = "response_format" if vendor.kind == "openai" else "tool_choice"
        # Refused once, asked again without it, and not offered again by the same provider.
        assert [feature in seen.body for seen in vendor.server.requests] == [True, False, False]
        assert parse(first.text).recommendation == parse(second.text).recommendation == "consider"
        if how == "stream":
            assert "".join(pieces) == first.text

    async def test_a_refusal_for_another_reason_is_still_reported(self, vendor):
        vendor.server.answer("bad-request", "bad-request")

        with pytest.raises(PermanentError, match=r"refused the request \(400\): max_tokens is too large"):
            await vendor.provider().complete(RUBRIC_REQUEST)
        assert len(vendor.server.requests) == 2  # with the schema, then without: the second 400 is the answer

    def test_the_offline_drafter_answers_no_json(self):
        assert OfflineProvider.answers_json is False
        assert OpenAICompatibleProvider.answers_json is AnthropicProvider.answers_json is True


# -- failures: each becomes the right engine error, readable and without the key -----------------


ERRORS = [
    # (what the server does, error class, words the message must contain)
    ("rate-limit", TransientError, ["busy (429"]),
    ("server-error", TransientError, ["server error (500)"]),
    ("bad-request", PermanentError, ["refused the request (400)", "max_tokens is too large"]),
    ("wrong-key", PermanentError, ["The API key was rejected by", "(401)", "check it in Settings"]),
    ("unknown-model", PermanentError, ["Model 'no-such-model' not found at http://127.0.0.1:"]),
]


class TestErrors:
    @pytest.mark.parametrize("how", ["stream", "complete"])
    @pytest.mark.parametrize(("failure", "error_class", "words"), ERRORS, ids=[e[0] for e in ERRORS])
    async def test_each_failure_maps_to_a_readable_engine_error(
        self, vendor, all_logs, how, failure, error_class, words
    ):
        overrides: dict[str, Any] = {}
        if failure == "wrong-key":
            overrides["api_key"] = WRONG_KEY
        elif failure == "unknown-model":
            overrides["model"] = "no-such-model"
        else:
            vendor.server.answer(failure)
        provider = vendor.provider(**overrides)
        pieces: list[str] = []

        with pytest.raises(error_class) as caught:
            await call(provider, how, pieces)

        message = str(caught.value)
        for word in words:
            assert word in message
        assert (provider.name in message) or failure == "unknown-model"
        assert is_transient(caught.value) is (error_class is TransientError)
        assert pieces == []
        # The key is nowhere: not in the message, not in its cause chain, not in any log line.
        for key in (VALID_KEY, WRONG_KEY):
            assert key not in message
            assert key not in repr(caught.value.__cause__) + repr(caught.value.__context__)
            assert key not in all_logs.text
        assert len(message) < 400

    @pytest.mark.parametrize("how", ["stream", "complete"])
    async def test_a_server_slower_than_the_timeout_is_a_transient_error(self, vendor, how):
        vendor.server.answer("slow")
        provider = vendor.provider(timeout_seconds=0.5)

        with pytest.raises(TransientError, match=r"did not answer within 0\.5 s"):
            await call(provider, how)

    @pytest.mark.parametrize("how", ["stream", "complete"])
    async def test_nothing_listening_is_a_transient_error(self, vendor, how):
        base_url = f"http://127.0.0.1:{free_port()}" + ("/v1" if vendor.kind == "openai" else "")
        provider = vendor.provider(base_url=base_url)

        with pytest.raises(TransientError, match=r"The connection to .* at http://127\.0\.0\.1:\d+.* failed"):
            await call(provider, how)

    async def test_an_error_event_mid_stream_is_a_transient_error(self, vendor):
        vendor.server.answer("error-mid-stream")
        pieces: list[str] = []

        with pytest.raises(TransientError, match=r"stopped mid-answer \((Overloaded|The server had an error.*)\)"):
            await vendor.provider().stream(REQUEST, pieces.append)
        assert pieces == PIECES[:2]  # what came before the error reached the caller, and nothing after

    async def test_an_account_out_of_credit_is_not_retried(self, fake_openai):
        fake_openai.answer("no-credit")
        provider = build_provider(
            ProviderConfig(kind="openai", base_url=fake_openai.base_url, api_key=VALID_KEY, model=MODEL)
        )

        with pytest.raises(PermanentError, match=r"no credit left \(429 insufficient_quota\): check billing"):
            await provider.complete(REQUEST)

    async def test_a_missing_key_for_a_vendor_api_fails_before_any_request(self):
        for config in (ProviderConfig(kind="openai"), ProviderConfig(kind="anthropic")):
            with pytest.raises(PermanentError, match=r"No API key is set for (OpenAI|Anthropic): add it in Settings"):
                await build_provider(config).complete(REQUEST)


# -- cancellation reaches the HTTP stream (DESIGN invariant 6) ----------------------------------


class TestCancellation:
    async def test_cancelling_the_task_mid_stream_closes_the_http_stream(self, vendor):
        vendor.server.answer("endless")
        vendor.server.chunk_interval = 0.01  # a stream that would go on for minutes
        pieces: list[str] = []
        started = asyncio.Event()

        def on_text(text: str) -> None:
            pieces.append(text)
            if len(pieces) >= 3:
                started.set()

        call_task = asyncio.create_task(vendor.provider().stream(REQUEST, on_text))
        await asyncio.wait_for(started.wait(), 15)
        call_task.cancel()

        with pytest.raises(asyncio.CancelledError):
            await call_task
        # The server sees the client hang up while it still has plenty to send.
        log = vendor.server.stream_log
        assert await asyncio.to_thread(log.disconnected.wait, 15), "the HTTP stream was not closed"
        assert not log.finished
        received = len(pieces)
        await asyncio.sleep(0.1)
        assert len(pieces) == received  # nothing arrives after the cancel


# -- configuration --------------------------------------------------------------------------------


class TestConfig:
    def test_from_env_reads_every_variable(self):
        config = ProviderConfig.from_env(
            {
                "JOBAPP_LLM_PROVIDER": "Anthropic",
                "JOBAPP_LLM_BASE_URL": "https://llm.internal.example/",
                "JOBAPP_LLM_API_KEY": "sk-ant-api03-secretsecret-abcd",
                "JOBAPP_LLM_MODEL": "claude-haiku-4-5",
                "JOBAPP_LLM_TIMEOUT": "45",
                "JOBAPP_LLM_INPUT_PRICE": "1.5",
                "JOBAPP_LLM_OUTPUT_PRICE": "6",
            }
        )
        assert config == ProviderConfig(
            kind="anthropic",
            base_url="https://llm.internal.example/",
            api_key="sk-ant-api03-secretsecret-abcd",
            model="claude-haiku-4-5",
            timeout_seconds=45.0,
            input_price_per_million=1.5,
            output_price_per_million=6.0,
        )
        assert isinstance(build_provider(config), AnthropicProvider)

    def test_defaults_are_the_offline_drafter_with_a_two_minute_timeout(self):
        config = ProviderConfig.from_env({})
        assert (config.kind, config.timeout_seconds, config.connect_timeout_seconds) == ("offline", 120.0, 10.0)
        assert isinstance(build_provider(config), OfflineProvider)

    @pytest.mark.parametrize(
        ("env", "expected_key"),
        [
            ({"JOBAPP_LLM_PROVIDER": "openai", "OPENAI_API_KEY": "sk-openai-fallback-1234"}, "sk-openai-fallback-1234"),
            ({"JOBAPP_LLM_PROVIDER": "anthropic", "ANTHROPIC_API_KEY": "sk-ant-fallback-5678"}, "sk-ant-fallback-5678"),
            (
                {"JOBAPP_LLM_PROVIDER": "openai", "JOBAPP_LLM_API_KEY": "sk-own-key-0000", "OPENAI_API_KEY": "sk-x-1"},
                "sk-own-key-0000",
            ),
            # The vendor's key is never sent to some other server.
            (
                {
                    "JOBAPP_LLM_PROVIDER": "openai",
                    "JOBAPP_LLM_BASE_URL": "https://openrouter.ai/api/v1",
                    "OPENAI_API_KEY": "sk-openai-fallback-1234",
                },
                None,
            ),
            ({"JOBAPP_LLM_PROVIDER": "anthropic", "OPENAI_API_KEY": "sk-openai-fallback-1234"}, None),
        ],
    )
    def test_vendor_key_variables_are_fallbacks_for_the_vendor_api_only(self, env, expected_key):
        assert ProviderConfig.from_env(env).api_key == expected_key

    def test_server_names_are_aliases_for_openai_compatible(self):
        config = ProviderConfig.from_env({"JOBAPP_LLM_PROVIDER": "ollama", "JOBAPP_LLM_MODEL": "llama3.1:8b"})
        assert (config.kind, config.base_url, config.model) == ("openai", "http://localhost:11434/v1", "llama3.1:8b")
        provider = build_provider(config)
        assert isinstance(provider, OpenAICompatibleProvider)
        assert provider.name == "OpenAI-compatible server (localhost:11434)"

    def test_vendor_urls_are_normalised(self):
        anthropic_provider = build_provider(
            ProviderConfig(kind="anthropic", base_url="https://api.anthropic.com/v1/", api_key="k")
        )
        assert anthropic_provider.base_url == "https://api.anthropic.com"  # the SDK adds /v1 itself
        openai_provider = build_provider(ProviderConfig(kind="openai", api_key="k"))
        assert openai_provider.base_url == "https://api.openai.com/v1"
        # OpenAI's own API wants the newer name for the output limit; compatible servers the classic one.
        assert openai_provider._params(REQUEST)["max_completion_tokens"] == REQUEST.max_tokens

    def test_from_dict_ignores_unknown_keys_and_reads_numbers_from_text(self):
        config = ProviderConfig.from_dict(
            {"kind": "openai", "model": "gpt-4o", "timeout_seconds": "30", "id": 7, "api_key": "", "base_url": None}
        )
        assert config == ProviderConfig(kind="openai", model="gpt-4o", timeout_seconds=30.0)

    @pytest.mark.parametrize(
        "env",
        [{"JOBAPP_LLM_PROVIDER": "gemini"}, {"JOBAPP_LLM_PROVIDER": "openai", "JOBAPP_LLM_TIMEOUT": "soon"}],
    )
    def test_bad_settings_are_refused_with_a_reason(self, env):
        with pytest.raises(ValueError, match=r"unknown LLM provider 'gemini'|must be a number"):
            ProviderConfig.from_env(env)

    def test_the_key_is_masked_everywhere_it_could_be_shown(self):
        key = "sk-proj-AbCdEfGhIjKlMnOp-abcd"
        config = ProviderConfig(kind="openai", api_key=key, model="gpt-4o-mini")

        assert config.masked_key() == "sk-…abcd"
        assert ProviderConfig(kind="anthropic", api_key="sk-ant-api03-zzzzzzzzzz-wxyz").masked_key() == "sk-ant-…wxyz"
        assert ProviderConfig(kind="openai", api_key="short").masked_key() == "…"
        assert ProviderConfig().masked_key() == "(not set)"
        for shown in (repr(config), str(config), f"{config}", repr(build_provider(config))):
            assert key not in shown
            assert "sk-…abcd" in shown

    def test_get_provider_reads_the_environment_when_called_without_a_config(self, monkeypatch, fake_openai):
        monkeypatch.setenv("JOBAPP_LLM_PROVIDER", "openai")
        monkeypatch.setenv("JOBAPP_LLM_BASE_URL", fake_openai.base_url)
        monkeypatch.setenv("JOBAPP_LLM_API_KEY", VALID_KEY)
        monkeypatch.setenv("JOBAPP_LLM_MODEL", MODEL)

        provider = get_provider()
        assert isinstance(provider, OpenAICompatibleProvider)
        assert provider.base_url == fake_openai.base_url
        # An explicit config wins over the environment.
        assert isinstance(get_provider(ProviderConfig()), OfflineProvider)

    @pytest.mark.parametrize(
        ("model", "priced_as"),
        [
            ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
            ("gpt-4o", "gpt-4o"),
            ("openai/gpt-4.1-mini", "gpt-4.1-mini"),
            ("claude-sonnet-4-5-20250929", "claude-sonnet-4"),
            ("claude-haiku-4-5", "claude-haiku-4-5"),
            ("llama3.1:8b", None),
            (CLAUDE, None),
        ],
    )
    def test_price_table_matches_dated_and_prefixed_model_names(self, model, priced_as):
        assert known_price(model) == (known_price(priced_as) if priced_as else None)


# -- inside the task engine ---------------------------------------------------------------------


def _set_task(engine: Any, task_id: int, **values: Any) -> None:
    with writer(engine).begin() as conn:
        conn.execute(update(Task.__table__).where(Task.__table__.c.id == task_id).values(**values))


async def _wait_for(predicate: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return value


class TestInsideTheEngine:
    async def test_a_429_requeues_the_task_with_backoff_and_a_readable_error(
        self, engine, fake_openai, monkeypatch, all_logs
    ):
        # Configured the way a person would: environment variables, and the zero-argument get_provider().
        monkeypatch.setenv("JOBAPP_LLM_PROVIDER", "openai")
        monkeypatch.setenv("JOBAPP_LLM_BASE_URL", fake_openai.base_url)
        monkeypatch.setenv("JOBAPP_LLM_API_KEY", VALID_KEY)
        monkeypatch.setenv("JOBAPP_LLM_MODEL", MODEL)
        fake_openai.answer("rate-limit")

        async def write_letter(ctx: TaskContext) -> Outcome:
            completion = await get_provider().stream(REQUEST, ctx.stream)
            return Outcome(
                result={"text": completion.text}, usage=completion.usage.as_dict(), provider=completion.provider
            )

        manager = TaskManager(engine)
        runner = Runner(manager, {"generate-cover-letter": write_letter}, RunnerConfig(poll_seconds=0.05))
        await runner.start()
        try:
            task_id = manager.enqueue(NewTask("generate-cover-letter", max_attempts=3)).task_id

            row = await _wait_for(
                lambda: (r := manager.task(task_id)) and r["status"] == "queued" and r["errors"] and r,
                "the 429 to send the task back to the queue",
            )
            error = row["errors"][-1]
            assert error["transient"] is True
            assert "busy (429: too many requests)" in error["error"]
            assert row["attempt"] == 1
            assert datetime.fromisoformat(row["run_after"]) > datetime.fromisoformat(error["at"])  # backoff
            assert VALID_KEY not in json.dumps(row)

            # Once the backoff is due (the test skips the wait) the next attempt completes.
            _set_task(engine, task_id, run_after=utcnow())
            done = await _wait_for(
                lambda: (r := manager.task(task_id)) and r["status"] == "completed" and r, "the retry to complete"
            )
        finally:
            await runner.stop()

        assert done["result"] == {"text": "".join(PIECES)}
        assert done["attempt"] == 2
        assert done["provider"] == f"OpenAI-compatible server ({urlsplit(fake_openai.base_url).netloc})"
        assert done["usage"]["output_tokens"] == len(PIECES)
        assert [e["error"] for e in done["errors"]] == [error["error"]]  # the history keeps the 429
        assert VALID_KEY not in all_logs.text
