"""Job intake from a link: a safe fetcher, canonical URLs, reading a posting out of an ATS API,
JSON-LD or the page text, and the posting's identity (which job it already is).

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
from jobapp.intake.identity import content_hash, key_for_url
from jobapp.intake.lookup import find_job_by_url, find_known_job, lock_intake
from jobapp.intake.policy import ATS_API_BASE, FetchPolicy
from jobapp.intake.posting import Posting
from jobapp.intake.urls import canonical_url, normalize_url, validate_url

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
    "content_hash",
    "extract_posting",
    "fetch",
    "find_job_by_url",
    "find_known_job",
    "key_for_url",
    "lock_intake",
    "normalize_url",
    "read_page",
    "validate_url",
]
