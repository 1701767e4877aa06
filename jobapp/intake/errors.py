"""What can go wrong while reading a posting from the web, as errors the task engine understands.

Every class is an `IntakeError` (so a caller can catch them all) and also a `PermanentError` (fail at
once: another try would end the same way) or a `TransientError` (retried with backoff). Messages are
written for the person who pasted the link.
"""

from __future__ import annotations

from jobapp.errors import PermanentError, TransientError


class IntakeError(Exception):
    """Base of every error raised by `jobapp.intake`."""


# -- permanent ----------------------------------------------------------------------------------


class InvalidURL(IntakeError, PermanentError, ValueError):
    """The text is not an http(s) web address we can fetch."""


class AddressNotAllowed(IntakeError, PermanentError):
    """The host resolves to an address we never connect to (this machine, a private network, cloud metadata)."""


class TooManyRedirects(IntakeError, PermanentError):
    """The site kept redirecting."""


class UnsupportedContent(IntakeError, PermanentError):
    """The link leads to something other than a web page or JSON (a PDF, an image, a download)."""


class ResponseTooLarge(IntakeError, PermanentError):
    """The page is bigger than the size cap; reading stopped at the cap."""


class PageNotAvailable(IntakeError, PermanentError):
    """The site answered with a client error (404, 410, 403…) or the posting is gone from its board."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        # Deliberately not `status_code`: the engine reads that name to classify errors as transient.
        self.status = status


class PasteInstead(IntakeError, PermanentError):
    """The page cannot be read automatically (bot wall, login page, no posting found)."""


# -- transient ----------------------------------------------------------------------------------


class FetchTimeout(IntakeError, TransientError):
    """The site did not answer, or did not finish answering, within the time cap."""


class FetchConnectionError(IntakeError, TransientError):
    """The connection could not be made or broke off."""


class ServerBusy(IntakeError, TransientError):
    """The site answered 429 (slow down) or a 5xx error."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
