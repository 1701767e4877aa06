"""Fake LLM servers on 127.0.0.1 that speak the OpenAI chat-completions and Anthropic messages wire formats.

The real official SDKs talk to them over real HTTP (chunked server-sent events when streaming), so
the providers are tested end to end without the internet. Each server checks the key and the model
the way the real APIs do (401 for a wrong key, 404 for an unknown model) and can be told how to answer
the next requests:

    server.answer("rate-limit", "ok")   # the next request gets a 429, the one after a normal answer

Modes:
    "ok"                a normal answer (streamed or whole, as asked)
    "rate-limit"        429
    "no-credit"         OpenAI's 429 with `insufficient_quota`
    "server-error"      500
    "bad-request"       400 with a long message that quotes the key
    "slow"              says nothing for `slow_seconds` (longer than a small client timeout)
    "endless"           streams until the client goes away (`stream_log` records that it did)
    "error-mid-stream"  two pieces, then the vendor's in-stream error event
    "invalid-json"      a completion whose text is broken JSON, for the evaluation's repair logic

`send_usage=False` makes the OpenAI answers carry no usage, as some local servers do.

Structured output: a request that carries a schema (OpenAI `response_format` of type `json_schema`,
Anthropic a forced tool) is checked the way the real APIs check it (OpenAI strict mode: every object
closes `additionalProperties` and requires all its properties, no unsupported keywords) and answered
with `json_answer` (set by the test), validated against that schema first; OpenAI sends it as the
message text, Anthropic as the forced tool's input (streamed as `input_json_delta`). With
`structured=False` the server rejects such requests with 400, as servers without the feature do.

Standard library only (`http.server` in a thread), so it needs no extra test dependency.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema

VALID_KEY = "sk-test-0123456789abcdefWXYZ"
MODEL = "gpt-test"
CLAUDE = "claude-test"
PIECES = ["Dear ", "hiring ", "team, ", "I ", "build ", "reliable ", "systems."]
# A completion that is not valid JSON: an unterminated object with a trailing comment.
INVALID_JSON_TEXT = (
    '{"score": 4, "evidence": ["ten years of Python", "led a team of five"], "gaps": [\n(the model stopped here)'
)
ERROR_EVENT = object()  # in a list of pieces: send the vendor's in-stream error event here and stop
MODES = {
    "ok",
    "rate-limit",
    "no-credit",
    "server-error",
    "bad-request",
    "slow",
    "endless",
    "error-mid-stream",
    "invalid-json",
}


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class StreamLog:
    """What happened to the last streamed answer (the cancellation test reads it)."""

    chunks_sent: int = 0
    finished: bool = False  # the whole stream went out
    disconnected: threading.Event = field(default_factory=threading.Event)  # the client went away first


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        fake.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        if self.path.rstrip("/") != fake.path:
            return self._json(404, fake.error_body("not_found_error", f"no route {self.path}"))
        if fake.valid_key is not None and fake.key_of(self.headers) != fake.valid_key:
            # Real servers quote (part of) the bad key back; this one quotes all of it, to prove it is scrubbed.
            return self._json(
                401, fake.error_body("authentication_error", f"Incorrect API key: {fake.key_of(self.headers)}")
            )
        if body.get("model") not in fake.models:
            return self._json(404, fake.model_not_found(body.get("model")))
        mode = fake.next_mode()
        if mode == "rate-limit":
            return self._json(429, fake.error_body("rate_limit_error", "Rate limit reached"), {"Retry-After": "1"})
        if mode == "no-credit":
            return self._json(429, fake.error_body("insufficient_quota", "You exceeded your current quota."))
        if mode == "server-error":
            return self._json(500, fake.error_body("api_error", "Internal server error"))
        if mode == "bad-request":
            detail = f"max_tokens is too large for this model (request signed with {fake.key_of(self.headers)}). "
            return self._json(400, fake.error_body("invalid_request_error", detail * 20))
        schema = fake.schema_of(body)
        if schema is not None and mode not in ("invalid-json",):
            if not fake.structured:
                return self._json(400, fake.error_body("invalid_request_error", fake.unsupported_message))
            if problems := fake.schema_problems(body, schema):
                return self._json(400, fake.error_body("invalid_request_error", f"Invalid schema: {problems[0]}"))
            try:
                jsonschema.validate(fake.json_answer, schema)
            except jsonschema.ValidationError as error:
                detail = f"fake server: json_answer does not match the request's schema: {error.message}"
                return self._json(500, fake.error_body("api_error", detail))
        if mode == "slow":
            fake.stopping.wait(fake.slow_seconds)
            if fake.stopping.is_set():
                return
        pieces = [INVALID_JSON_TEXT[i : i + 16] for i in range(0, len(INVALID_JSON_TEXT), 16)]
        if mode != "invalid-json":
            pieces = list(fake.pieces)
        if schema is not None and mode != "invalid-json":
            answer = json.dumps(fake.json_answer)
            pieces = [answer[i : i + 40] for i in range(0, len(answer), 40)]
            if not body.get("stream"):
                return self._json(200, fake.structured_message(body, answer))
            return self._stream(fake.structured_events(body, pieces))
        if not body.get("stream"):
            return self._json(200, fake.message(body, "".join(pieces)))
        if mode == "error-mid-stream":
            pieces = [*pieces[:2], ERROR_EVENT]
        self._stream(fake.events(body, pieces, endless=mode == "endless"))

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up first (a timeout test)
            self.close_connection = True

    def _stream(self, events: Any) -> None:
        fake = self.server.fake
        log = fake.stream_log = StreamLog()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for event in events:
                if fake.stopping.is_set():
                    return
                data = event.encode()
                self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
                log.chunks_sent += 1
                if fake.chunk_interval:
                    fake.stopping.wait(fake.chunk_interval)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            log.finished = True
        except (BrokenPipeError, ConnectionResetError):
            log.disconnected.set()
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeLLMServer


class FakeLLMServer:
    """Base: a threaded HTTP server on 127.0.0.1 with a queue of answer modes. Use as a context manager."""

    path = ""
    default_model = ""

    def __init__(self, *, valid_key: str | None = VALID_KEY, models: set[str] | None = None) -> None:
        # valid_key=None accepts any key, as local servers (Ollama, LM Studio) do.
        self.valid_key = valid_key
        self.models = models or {self.default_model}
        self.pieces = list(PIECES)
        self.send_usage = True
        self.structured = True  # False: reject requests for structured output, as servers without it do
        self.json_answer: Any = None  # what a structured answer contains
        self.slow_seconds = 10.0
        self.chunk_interval = 0.0  # seconds between streamed events
        self.requests: list[Seen] = []
        self.stream_log = StreamLog()
        self.stopping = threading.Event()
        self._modes: deque[str] = deque()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=type(self).__name__, daemon=True
        )

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, *modes: str) -> None:
        """Answer the next requests in these modes, then "ok" again."""
        unknown = set(modes) - MODES
        assert not unknown, f"unknown modes {unknown}"
        self._modes.extend(modes)

    def next_mode(self) -> str:
        return self._modes.popleft() if self._modes else "ok"

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()  # wakes slow answers and endless streams
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    # The wire format: each subclass speaks one vendor's API.
    unsupported_message = ""

    def schema_of(self, body: dict[str, Any]) -> dict[str, Any] | None: ...
    def schema_problems(self, body: dict[str, Any], schema: dict[str, Any]) -> list[str]: ...
    def structured_message(self, body: dict[str, Any], answer: str) -> dict[str, Any]: ...
    def structured_events(self, body: dict[str, Any], pieces: list[str]) -> Any: ...
    def key_of(self, headers: Any) -> str: ...
    def error_body(self, kind: str, message: str) -> dict[str, Any]: ...
    def model_not_found(self, model: Any) -> dict[str, Any]: ...
    def message(self, body: dict[str, Any], text: str) -> dict[str, Any]: ...
    def events(self, body: dict[str, Any], pieces: list[Any], *, endless: bool) -> Any: ...
    def stream_error(self) -> str: ...

    @staticmethod
    def prompt_tokens(body: dict[str, Any]) -> int:
        """A deterministic stand-in for a tokenizer: words in the system prompt and messages."""
        words = len(str(body.get("system", "")).split())
        return words + sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))


# What OpenAI's strict mode accepts besides structure (its documented subset of JSON Schema).
STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$ref",
    "$defs", "description", "title", "pattern", "format", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
}  # fmt: skip


def strict_problems(schema: Any, where: str = "schema") -> list[str]:
    """Why OpenAI's strict mode would refuse `schema` (empty when it would accept it)."""
    if not isinstance(schema, dict):
        return []
    problems = [f"{where}: '{k}' is not permitted" for k in schema if k not in STRICT_KEYWORDS]
    if schema.get("type") == "object":
        if schema.get("additionalProperties") is not False:
            problems.append(f"{where}: 'additionalProperties' is required to be supplied and to be false")
        if sorted(schema.get("required", [])) != sorted(schema.get("properties", {})):
            problems.append(f"{where}: 'required' must list every key in 'properties'")
    for name, sub in (schema.get("properties") or {}).items():
        problems += strict_problems(sub, f"{where}.{name}")
    for name, sub in (schema.get("$defs") or {}).items():
        problems += strict_problems(sub, f"{where}.$defs.{name}")
    if isinstance(schema.get("items"), dict):
        problems += strict_problems(schema["items"], f"{where}.items")
    for index, sub in enumerate(schema.get("anyOf") or []):
        problems += strict_problems(sub, f"{where}.anyOf[{index}]")
    return problems


def _sse(data: dict[str, Any] | str, event: str | None = None) -> str:
    payload = data if isinstance(data, str) else json.dumps(data)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


class FakeOpenAI(FakeLLMServer):
    """POST /v1/chat/completions, as OpenAI, Ollama or vLLM answer it."""

    path = "/v1/chat/completions"
    default_model = MODEL
    # What vLLM said before it had guided decoding for this field.
    unsupported_message = "response_format of type json_schema is not supported by this server"

    def schema_of(self, body: dict[str, Any]) -> dict[str, Any] | None:
        response_format = body.get("response_format") or {}
        if response_format.get("type") != "json_schema":
            return None
        return response_format["json_schema"]["schema"]

    def schema_problems(self, body: dict[str, Any], schema: dict[str, Any]) -> list[str]:
        spec = body["response_format"]["json_schema"]
        if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", spec.get("name", "")):
            return ["json_schema.name must be 1-64 characters of a-z, A-Z, 0-9, _ or -"]
        return strict_problems(schema) if spec.get("strict") else []

    def structured_message(self, body: dict[str, Any], answer: str) -> dict[str, Any]:
        return self.message(body, answer)

    def structured_events(self, body: dict[str, Any], pieces: list[str]) -> Any:
        return self.events(body, pieces, endless=False)

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def key_of(self, headers: Any) -> str:
        return str(headers.get("authorization", "")).removeprefix("Bearer ")

    def error_body(self, kind: str, message: str) -> dict[str, Any]:
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}

    def model_not_found(self, model: Any) -> dict[str, Any]:
        return {
            "error": {
                "message": f"The model `{model}` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            }
        }

    def _usage(self, body: dict[str, Any], output: int) -> dict[str, int]:
        prompt = self.prompt_tokens(body)
        return {"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": prompt + output}

    def message(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1700000000,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
        }
        if self.send_usage:
            answer["usage"] = self._usage(body, len(text.split()))
        return answer

    def events(self, body: dict[str, Any], pieces: list[Any], *, endless: bool) -> Any:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            return _sse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 1700000000,
                    "model": body["model"],
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                }
            )

        yield chunk({"role": "assistant", "content": ""})
        count = 0
        while True:
            for piece in pieces:
                if piece is ERROR_EVENT:
                    yield self.stream_error()
                    return
                count += 1
                yield chunk({"content": piece})
            if not endless or count > 100_000:
                break
        yield chunk({}, "stop")
        # Real servers send usage only when asked (stream_options.include_usage), in a chunk with no choices.
        if self.send_usage and (body.get("stream_options") or {}).get("include_usage"):
            yield _sse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 1700000000,
                    "model": body["model"],
                    "choices": [],
                    "usage": self._usage(body, count),
                }
            )
        yield _sse("[DONE]")

    def stream_error(self) -> str:
        return _sse(
            {"error": {"message": "The server had an error while processing your request.", "type": "server_error"}}
        )


class FakeAnthropic(FakeLLMServer):
    """POST /v1/messages, as Anthropic answers it."""

    path = "/v1/messages"
    default_model = CLAUDE
    unsupported_message = "tools: this server does not support tool use"

    def schema_of(self, body: dict[str, Any]) -> dict[str, Any] | None:
        choice = body.get("tool_choice") or {}
        if choice.get("type") != "tool":
            return None
        tool = next((t for t in body.get("tools", []) if t.get("name") == choice.get("name")), None)
        return tool["input_schema"] if tool else {"type": "object", "title": "no tool by the forced name"}

    def schema_problems(self, body: dict[str, Any], schema: dict[str, Any]) -> list[str]:
        if schema.get("title") == "no tool by the forced name":
            return [f"tool_choice names {body['tool_choice'].get('name')!r}, which is not in tools"]
        return [] if schema.get("type") == "object" else ["tools.0.input_schema.type: must be 'object'"]

    def structured_message(self, body: dict[str, Any], answer: str) -> dict[str, Any]:
        message = self.message(body, answer)
        message["content"] = [
            {"type": "tool_use", "id": "toolu_fake", "name": body["tool_choice"]["name"], "input": json.loads(answer)}
        ]
        message["stop_reason"] = "tool_use"
        return message

    def structured_events(self, body: dict[str, Any], pieces: list[str]) -> Any:
        start = self.message(body, "")
        start["content"], start["stop_reason"] = [], None
        yield _sse({"type": "message_start", "message": start}, "message_start")
        block = {"type": "tool_use", "id": "toolu_fake", "name": body["tool_choice"]["name"], "input": {}}
        yield _sse({"type": "content_block_start", "index": 0, "content_block": block}, "content_block_start")
        for piece in pieces:
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield _sse({"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta")
        yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        yield _sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": len(pieces)},
            },
            "message_delta",
        )
        yield _sse({"type": "message_stop"}, "message_stop")

    @property
    def base_url(self) -> str:
        return self.origin

    def key_of(self, headers: Any) -> str:
        # Older SDKs send `x-api-key`; the current one sends the key as a bearer token.
        return str(headers.get("x-api-key") or str(headers.get("authorization", "")).removeprefix("Bearer "))

    def error_body(self, kind: str, message: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": kind, "message": message}}

    def model_not_found(self, model: Any) -> dict[str, Any]:
        return self.error_body("not_found_error", f"model: {model}")

    def message(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": self.prompt_tokens(body), "output_tokens": len(text.split())},
        }

    def events(self, body: dict[str, Any], pieces: list[Any], *, endless: bool) -> Any:
        start = self.message(body, "")
        start["content"], start["stop_reason"] = [], None
        start["usage"]["output_tokens"] = 1
        yield _sse({"type": "message_start", "message": start}, "message_start")
        yield _sse(
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            "content_block_start",
        )
        yield _sse({"type": "ping"}, "ping")
        count = 0
        while True:
            for piece in pieces:
                if piece is ERROR_EVENT:
                    yield self.stream_error()
                    return
                count += 1
                yield _sse(
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
                    "content_block_delta",
                )
            if not endless or count > 100_000:
                break
        yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        yield _sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": count},
            },
            "message_delta",
        )
        yield _sse({"type": "message_stop"}, "message_stop")

    def stream_error(self) -> str:
        return _sse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "error")
