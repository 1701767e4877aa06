"""SDK exceptions → the task engine's TransientError / PermanentError, with messages a person understands.

Both official SDKs (`openai`, `anthropic`) share one exception hierarchy by name, so one function
classifies either, given the SDK module. The rule (DESIGN invariant 7): timeouts, 429, 5xx and
connection failures are transient and retried by the engine with backoff; bad keys, unknown models
and rejected requests are permanent and fail at once.

The API key never reaches a message: the provider's own text is only quoted for rejected requests,
and then with the key scrubbed out. The SDK exception is kept as the cause (its status and body help
debugging), but scrubbed first: a careless or hostile server may echo the key in its error body.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from jobapp.errors import PermanentError, TransientError, retry_after

MAX_QUOTED = 300  # characters of a provider's own error text worth showing

# Error types a server may send in the body (Anthropic's mid-stream `error` event has status 200).
TRANSIENT_TYPES = {"overloaded_error", "rate_limit_error", "api_error", "timeout_error", "server_error"}


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced."""
    return text.replace(secret, "[API key]") if secret else text


def _redacted(value: Any, secret: str) -> Any:
    if isinstance(value, str):
        return redact(value, secret)
    if isinstance(value, dict):
        return {k: _redacted(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, secret) for v in value]
    return value


def scrub(error: BaseException, secret: str | None) -> None:
    """Remove `secret` from an exception's message, arguments and body, in place."""
    if not secret:
        return
    error.args = tuple(_redacted(arg, secret) for arg in error.args)
    for attribute in ("message", "body"):
        if hasattr(error, attribute):
            setattr(error, attribute, _redacted(getattr(error, attribute), secret))


def provider_message(error: BaseException, secret: str | None) -> str:
    """The provider's own explanation, trimmed to one readable line, without the key."""
    body = getattr(error, "body", None)
    message = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner if isinstance(inner, str) else None
    if not message:
        message = getattr(error, "message", None) or str(error)
    text = " ".join(redact(str(message), secret).split())
    return text if len(text) <= MAX_QUOTED else text[: MAX_QUOTED - 1] + "…"


def _body_field(error: BaseException, name: str) -> str | None:
    """`type` or `code` of the error body, in either vendor's shape ({"error": {...}} or flat)."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get(name), str):
            return inner[name]
    return None


def translate(
    error: BaseException,
    sdk: ModuleType,
    *,
    provider: str,
    base_url: str,
    model: str,
    timeout: float,
    api_key: str | None,
) -> TransientError | PermanentError | None:
    """The engine error for an SDK (or deadline) exception; None when `error` is not one of those."""
    if isinstance(error, TransientError | PermanentError):
        return error
    if isinstance(error, sdk.APITimeoutError | TimeoutError | asyncio.TimeoutError):
        return TransientError(f"{provider} did not answer within {timeout:g} s")
    if isinstance(error, sdk.APIConnectionError):
        # Refused, reset, DNS, or a stream cut off halfway: the SDK reports them all alike.
        return TransientError(f"The connection to {provider} at {base_url} failed")
    if not isinstance(error, sdk.APIError):
        return None
    status = getattr(error, "status_code", None)
    said = provider_message(error, api_key)
    if status == 429 and "insufficient_quota" in (_body_field(error, "code"), _body_field(error, "type")):
        # OpenAI's "429" for an account out of credit: waiting does not help, paying does.
        return PermanentError(f"{provider} says the account has no credit left (429 insufficient_quota): check billing")
    # Whether the task retries is the engine's call and shown with the task's state, not in the message.
    if status == 429:
        return TransientError(f"{provider} is busy (429: too many requests)", retry_after=retry_after(error))
    if isinstance(status, int) and status >= 500:
        return TransientError(f"{provider} had a server error ({status})", retry_after=retry_after(error))
    if status in (401, 403):
        return PermanentError(f"The API key was rejected by {provider} ({status}): check it in Settings")
    if status == 404:
        return PermanentError(f"Model '{model}' not found at {base_url}: check the model name and base URL in Settings")
    if status == 408:
        return TransientError(f"{provider} timed out on its side (408)", retry_after=retry_after(error))
    if status is None or status < 400:
        # An error reported inside a stream that had already started (status 200).
        if _body_field(error, "type") in TRANSIENT_TYPES or status is None:
            return TransientError(f"{provider} stopped mid-answer ({said})")
        return PermanentError(f"{provider} stopped mid-answer: {said}")
    return PermanentError(f"{provider} refused the request ({status}): {said}")


@asynccontextmanager
async def translated(
    sdk: ModuleType, *, provider: str, base_url: str, model: str, timeout: float, api_key: str | None
) -> AsyncIterator[None]:
    """Run a call under its overall deadline; SDK failures leave as TransientError / PermanentError.

    Cancellation is not an error: it passes through untouched, so the caller's `async with` blocks
    close the HTTP stream on the way out (DESIGN invariant 6).
    """
    try:
        async with asyncio.timeout(timeout):
            yield
    except Exception as error:
        mapped = translate(
            error, sdk, provider=provider, base_url=base_url, model=model, timeout=timeout, api_key=api_key
        )
        scrub(error, api_key)
        if mapped is None or mapped is error:
            raise
        raise mapped from error
