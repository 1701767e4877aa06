"""Job intake from a link: a safe fetcher, canonical URLs, and reading a posting out of an ATS API,
JSON-LD or the page text.

    posting = await extract_posting("jobs.lever.co/acme/…", FetchPolicy.from_env())

Every error raised here is an `IntakeError` and also the engine's PermanentError or TransientError,
so a task handler can let them through and the engine retries only what is worth retrying.
"""

from jobapp.intake.errors import (
    AddressNotAllowed,
    FetchConnectionError,
    FetchTimeout,
    IntakeError,
    InvalidURL,
    PageNotAvailable,
    PasteInstead,
    ResponseTooLarge,
    ServerBusy,
    TooManyRedirects,
    UnsupportedContent,
)
from jobapp.intake.extraction import extract_posting, read_page
from jobapp.intake.fetching import Fetched, fetch
from jobapp.intake.lookup import find_job_by_url
from jobapp.intake.policy import ATS_API_BASE, FetchPolicy
from jobapp.intake.posting import Posting
from jobapp.intake.urls import canonical_url, validate_url

__all__ = [
    "ATS_API_BASE",
    "AddressNotAllowed",
    "FetchConnectionError",
    "FetchPolicy",
    "FetchTimeout",
    "Fetched",
    "IntakeError",
    "InvalidURL",
    "PageNotAvailable",
    "PasteInstead",
    "Posting",
    "ResponseTooLarge",
    "ServerBusy",
    "TooManyRedirects",
    "UnsupportedContent",
    "canonical_url",
    "extract_posting",
    "fetch",
    "find_job_by_url",
    "read_page",
    "validate_url",
]
