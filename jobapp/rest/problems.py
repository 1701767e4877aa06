"""The API's errors: each a status code and a sentence, answered as `{"error": ..., "detail": ...}`."""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """An answer other than success; `jobapp.api` turns it into the JSON error body."""

    status_code = 400

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(Problem):
    status_code = 404


class Conflict(Problem):
    status_code = 409


class Gone(Problem):
    status_code = 410


class Unprocessable(Problem):
    status_code = 422
