"""Anthropic's Messages API through the official `anthropic` SDK.

Same policy as the OpenAI-compatible provider: a client per call (no connections held between
calls), SDK retries off because the task engine retries with backoff, one overall deadline, and
cancellation closes the HTTP stream on the way out of `messages.stream(...)`.

A request with an `answer_schema` forces a tool call (`tool_choice`) whose `input_schema` is the
schema the SDK derives from the pydantic model (`anthropic.transform_schema`); the tool's input is
the answer, returned as JSON text (and streamed as the partial JSON arrives). A server that rejects
tools (400 or 422) is asked again without them for plain JSON, and the provider object remembers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import anthropic

from jobapp.errors import PermanentError
from jobapp.llm.base import Completion, Request
from jobapp.llm.config import ProviderConfig
from jobapp.llm.errors import translated
from jobapp.llm.pricing import priced

ANTHROPIC_URL = "https://api.anthropic.com"
NAME = "Anthropic"
log = logging.getLogger(__name__)


class AnthropicProvider:
    """`Provider` for Claude models."""

    name = NAME
    answers_json = True

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.structured = True  # until the server refuses tools
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
        if self.structured and request.answer_schema is not None:
            params["tools"] = [
                {
                    "name": request.schema_name,
                    "description": f"Record the {request.purpose} answer.",
                    "input_schema": anthropic.transform_schema(request.answer_schema),
                }
            ]
            params["tool_choice"] = {"type": "tool", "name": request.schema_name}
        return params

    async def _send(self, request: Request, send: Callable[[dict[str, Any]], Awaitable[Any]]) -> Any:
        """Send the request; when the server refuses tools, send it again without."""
        params = self._params(request)
        if "tools" not in params:
            return await send(params)
        try:
            return await send(params)
        except (anthropic.BadRequestError, anthropic.UnprocessableEntityError) as error:
            self.structured = False
            log.info("%s refused the forced tool (%s); asking for plain JSON", self.name, error.status_code)
        return await send(self._params(request))

    def _completion(self, message: Any) -> Completion:
        tool_inputs = [block.input for block in message.content if block.type == "tool_use"]
        if tool_inputs:
            text = json.dumps(tool_inputs[0], ensure_ascii=False)
        else:
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
            message = await self._send(request, lambda params: client.messages.create(**params))
        return self._completion(message)

    async def stream(self, request: Request, on_text: Callable[[str], None]) -> Completion:
        async with self._calling(), self._client() as client, AsyncExitStack() as stack:
            # Entering the stream sends the request, so a refusal (400) surfaces here, before any text;
            # the stream is closed on the way out, also when the task is cancelled.
            stream = await self._send(
                request, lambda params: stack.enter_async_context(client.messages.stream(**params))
            )
            async for event in stream:
                if event.type == "text":
                    on_text(event.text)
                elif event.type == "input_json":  # the forced tool's answer, as it is written
                    on_text(event.partial_json)
            message = await stream.get_final_message()
        return self._completion(message)
