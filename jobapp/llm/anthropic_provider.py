"""Anthropic's Messages API through the official `anthropic` SDK.

Same policy as the OpenAI-compatible provider: a client per call (no connections held between
calls), SDK retries off because the task engine retries with backoff, one overall deadline, and
cancellation closes the HTTP stream on the way out of `messages.stream(...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic

from jobapp.errors import PermanentError
from jobapp.llm.base import Completion, Request
from jobapp.llm.config import ProviderConfig
from jobapp.llm.errors import translated
from jobapp.llm.pricing import priced

ANTHROPIC_URL = "https://api.anthropic.com"
NAME = "Anthropic"


class AnthropicProvider:
    """`Provider` for Claude models."""

    name = NAME

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        base = (config.base_url or ANTHROPIC_URL).rstrip("/")
        # The SDK adds "/v1/messages" itself; people often paste the URL with "/v1".
        self.base_url = base.removesuffix("/v1")
        self.model = config.model_name

    def __repr__(self) -> str:
        return f"AnthropicProvider({self.config!r})"

    def _client(self) -> anthropic.AsyncAnthropic:
        if not self.config.api_key:
            raise PermanentError("No API key is set for Anthropic: add it in Settings (or JOBAPP_LLM_API_KEY)")
        timeout = self.config.timeout_seconds
        # An explicit key also stops the SDK from looking for credentials in the environment or on disk.
        return anthropic.AsyncAnthropic(
            api_key=self.config.api_key,
            base_url=self.base_url,
            timeout=anthropic.Timeout(timeout, connect=min(self.config.connect_timeout_seconds, timeout)),
            max_retries=0,
        )

    def _calling(self) -> Any:
        return translated(
            anthropic,
            provider=self.name,
            base_url=self.base_url,
            model=self.model,
            timeout=self.config.timeout_seconds,
            api_key=self.config.api_key,
        )

    def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": "user", "content": request.prompt}],
        }
        if request.system:
            params["system"] = request.system
        return params

    def _completion(self, message: Any) -> Completion:
        text = "".join(block.text for block in message.content if block.type == "text")
        usage = message.usage
        # Cached prompt tokens are still input the model read; list prices count them as input.
        input_tokens = (
            (usage.input_tokens or 0)
            + (getattr(usage, "cache_creation_input_tokens", None) or 0)
            + (getattr(usage, "cache_read_input_tokens", None) or 0)
        )
        model = message.model or self.model
        return Completion(text, priced(model, input_tokens, usage.output_tokens or 0, self.config), self.name, model)

    async def complete(self, request: Request) -> Completion:
        async with self._calling(), self._client() as client:
            message = await client.messages.create(**self._params(request))
        return self._completion(message)

    async def stream(self, request: Request, on_text: Callable[[str], None]) -> Completion:
        async with self._calling(), self._client() as client, client.messages.stream(**self._params(request)) as stream:
            async for text in stream.text_stream:
                on_text(text)
            message = await stream.get_final_message()
        return self._completion(message)
