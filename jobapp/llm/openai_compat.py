"""OpenAI-compatible chat completions through the official `openai` SDK.

One provider for OpenAI itself and every server that speaks its API (Ollama, vLLM, LM Studio,
OpenRouter): only the base URL, key and model differ.

- Each call opens its own `AsyncOpenAI` client and closes it when done, so a provider object holds
  no connections, is cheap to build in a click handler, and is safe to use from any event loop.
- The SDK's own retries are off (`max_retries=0`): the task engine retries with backoff and keeps
  every error in the task's history, which SDK-internal retries would hide.
- Streaming asks for a final usage chunk (`stream_options.include_usage`). Servers that ignore it
  (older local servers) get token counts estimated from the text, and the usage says so.
- A cancelled call leaves the `async with` blocks, which closes the HTTP response at once.
- A request with an `answer_schema` asks for structured output: `response_format` of type
  `json_schema`, strict, with the schema the SDK derives from the pydantic model. A server that
  rejects it (400 or 422: older vLLM, LM Studio, proxies) is asked again without it, for plain JSON that
  the caller validates and repairs; the provider object remembers, so its later calls skip the feature.

Known gap: a server that rejects `stream_options` outright answers 400, which is reported as a
permanent error naming the server's complaint.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import openai

from jobapp.errors import PermanentError
from jobapp.llm.base import Completion, Request, Usage
from jobapp.llm.config import ProviderConfig
from jobapp.llm.errors import translated
from jobapp.llm.pricing import estimate_tokens, priced

OPENAI_URL = "https://api.openai.com/v1"
# Local servers accept any key, but the SDK insists on one.
PLACEHOLDER_KEY = "not-needed"
log = logging.getLogger(__name__)


class OpenAICompatibleProvider:
    """`Provider` for OpenAI and OpenAI-compatible servers."""

    answers_json = True

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = (config.base_url or OPENAI_URL).rstrip("/")
        self.model = config.model_name
        host = urlsplit(self.base_url).netloc
        self.is_openai = host == "api.openai.com"
        self.name = "OpenAI" if self.is_openai else f"OpenAI-compatible server ({host})"
        self.structured = True  # until the server refuses `response_format`

    def __repr__(self) -> str:
        return f"OpenAICompatibleProvider({self.config!r})"

    def _client(self) -> openai.AsyncOpenAI:
        key = self.config.api_key
        if not key:
            if self.is_openai:
                raise PermanentError("No API key is set for OpenAI: add it in Settings (or JOBAPP_LLM_API_KEY)")
            key = PLACEHOLDER_KEY
        timeout = self.config.timeout_seconds
        return openai.AsyncOpenAI(
            api_key=key,
            base_url=self.base_url,
            timeout=openai.Timeout(timeout, connect=min(self.config.connect_timeout_seconds, timeout)),
            max_retries=0,
        )

    def _calling(self) -> Any:
        return translated(
            openai,
            provider=self.name,
            base_url=self.base_url,
            model=self.model,
            timeout=self.config.timeout_seconds,
            api_key=self.config.api_key,
        )

    def _params(self, request: Request) -> dict[str, Any]:
        messages = [{"role": "user", "content": request.prompt}]
        if request.system:
            messages.insert(0, {"role": "system", "content": request.system})
        # OpenAI's newer models refuse `max_tokens`; most compatible servers only know `max_tokens`.
        limit = "max_completion_tokens" if self.is_openai else "max_tokens"
        params: dict[str, Any] = {"model": self.model, "messages": messages, limit: request.max_tokens}
        if self.structured and request.answer_schema is not None:
            # The SDK's own strict-schema conversion (every field required, no extra keys), through its
            # public helper for tools: the same schema `response_format` wants.
            schema = openai.pydantic_function_tool(request.answer_schema)["function"]["parameters"]
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "strict": True, "schema": schema},
            }
        return params

    async def _create(self, request: Request, send: Callable[[dict[str, Any]], Awaitable[Any]]) -> Any:
        """Send the request; when the server refuses structured output, send it again without."""
        params = self._params(request)
        if "response_format" not in params:
            return await send(params)
        try:
            return await send(params)
        except (openai.BadRequestError, openai.UnprocessableEntityError) as error:
            self.structured = False
            log.info("%s refused structured output (%s); asking for plain JSON", self.name, error.status_code)
        return await send(self._params(request))

    def _usage(self, request: Request, text: str, reported: Any, model: str) -> Usage:
        if reported is not None and reported.prompt_tokens is not None:
            return priced(model, reported.prompt_tokens, reported.completion_tokens or 0, self.config)
        return priced(
            model,
            estimate_tokens(request.system) + estimate_tokens(request.prompt),
            estimate_tokens(text),
            self.config,
            estimated=True,
        )

    async def complete(self, request: Request) -> Completion:
        async with self._calling(), self._client() as client:
            response = await self._create(request, lambda params: client.chat.completions.create(**params))
        text = (response.choices[0].message.content or "") if response.choices else ""
        model = response.model or self.model
        return Completion(text, self._usage(request, text, response.usage, model), self.name, model)

    async def stream(self, request: Request, on_text: Callable[[str], None]) -> Completion:
        pieces: list[str] = []
        reported = None
        model = self.model
        async with self._calling(), self._client() as client:
            chunks = await self._create(
                request,
                lambda params: client.chat.completions.create(
                    **params, stream=True, stream_options={"include_usage": True}
                ),
            )
            async with chunks:
                async for chunk in chunks:
                    model = chunk.model or model
                    if chunk.usage is not None:
                        reported = chunk.usage  # some servers repeat running totals: keep the last
                    for choice in chunk.choices:
                        delta = choice.delta.content if choice.delta else None
                        if delta:
                            pieces.append(delta)
                            on_text(delta)
        text = "".join(pieces)
        return Completion(text, self._usage(request, text, reported, model), self.name, model)
