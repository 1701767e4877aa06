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

Known gap: a server that rejects `stream_options` outright answers 400, which is reported as a
permanent error naming the server's complaint.
"""

from __future__ import annotations

from collections.abc import Callable
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


class OpenAICompatibleProvider:
    """`Provider` for OpenAI and OpenAI-compatible servers."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = (config.base_url or OPENAI_URL).rstrip("/")
        self.model = config.model_name
        host = urlsplit(self.base_url).netloc
        self.is_openai = host == "api.openai.com"
        self.name = "OpenAI" if self.is_openai else f"OpenAI-compatible server ({host})"

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
        return {"model": self.model, "messages": messages, limit: request.max_tokens}

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
            response = await client.chat.completions.create(**self._params(request))
        text = (response.choices[0].message.content or "") if response.choices else ""
        model = response.model or self.model
        return Completion(text, self._usage(request, text, response.usage, model), self.name, model)

    async def stream(self, request: Request, on_text: Callable[[str], None]) -> Completion:
        pieces: list[str] = []
        reported = None
        model = self.model
        async with self._calling(), self._client() as client:
            chunks = await client.chat.completions.create(
                **self._params(request), stream=True, stream_options={"include_usage": True}
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
