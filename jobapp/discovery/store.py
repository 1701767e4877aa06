"""Discovery's rows: the followed boards, the search defaults and schedule, and adding found postings.

Every function takes a session and commits what it changes (the callers are a page's event, in a thread,
and the discover-jobs handler, once per board).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from jobapp.discovery.boards import BoardInputError, BoardRef, Listing, board_from_input, page_key
from jobapp.intake import Posting, find_known_job, validate_url
from jobapp.models import Board, Job, Schedule, SeenPosting, Setting, utcnow

SETTING_KEY = "discovery"
SCHEDULE_NAME = "discover-jobs"
EVERY_HOURS = (0, 1, 3, 6, 12, 24)  # the schedules offered; 0 is off
MAX_DESCRIPTION = 200_000  # as for pasted descriptions (jobapp.jobs.add_job)
MAX_BOARDS = 100  # a scan's live detail must fit one feed message (jobapp.work.discover.DETAIL_BYTES)


@dataclass(frozen=True)
class Preferences:
    """The search defaults every board uses unless it has its own, and what follows a scan."""

    terms: str = ""  # comma-separated search terms ("" → every posting)
    locations: str = ""  # comma-separated locations ("" → anywhere)
    evaluate: bool = False  # queue an evaluation of each new posting when the scan completes
    every_hours: int = 0  # scan by itself every N hours (0: only when asked)


def preferences(s: Session) -> Preferences:
    row = s.get(Setting, SETTING_KEY)
    value = dict(row.value) if row else {}
    schedule = s.get(Schedule, SCHEDULE_NAME)
    return Preferences(
        terms=str(value.get("terms", "")),
        locations=str(value.get("locations", "")),
        evaluate=bool(value.get("evaluate", False)),
        every_hours=(schedule.every_seconds // 3600) if schedule else 0,
    )


def save_preferences(s: Session, prefs: Preferences) -> None:
    """Store the defaults and the schedule. A changed schedule starts counting from now."""
    if prefs.every_hours not in EVERY_HOURS:
        raise ValueError(f"scans can run every {', '.join(map(str, EVERY_HOURS[1:]))} hours, or never by themselves")
    row = s.get(Setting, SETTING_KEY) or Setting(key=SETTING_KEY)
    row.value = {"terms": prefs.terms.strip(), "locations": prefs.locations.strip(), "evaluate": prefs.evaluate}
    row.updated_at = utcnow()
    s.add(row)
    schedule = s.get(Schedule, SCHEDULE_NAME) or Schedule(name=SCHEDULE_NAME)
    every = prefs.every_hours * 3600
    if schedule.every_seconds != every:
        now = utcnow()
        schedule.every_seconds = every
        schedule.next_run_at = now + timedelta(seconds=every) if every else None
        schedule.updated_at = now
        s.add(schedule)
    s.commit()


def schedule(s: Session) -> Schedule | None:
    return s.get(Schedule, SCHEDULE_NAME)


# -- boards -----------------------------------------------------------------------------------------


def boards(s: Session) -> list[Board]:
    return list(s.exec(select(Board).order_by(col(Board.company), col(Board.id))).all())


def add_board(s: Session, text: str, *, terms: str = "", locations: str = "") -> Board:
    """Follow a board (or a careers page, resolved at its first scan). `BoardInputError` says what is wrong."""
    ref = board_from_input(text)
    if ref is not None:
        key, source, company = ref.key, text.strip(), ref.company
    else:
        url = validate_url(text)
        key, source, company = page_key(url), url, _site_name(url)
    if len(boards(s)) >= MAX_BOARDS:
        raise BoardInputError(f"You follow {MAX_BOARDS} boards already; unfollow some first.")
    if (existing := s.exec(select(Board).where(Board.key == key)).first()) is not None:
        raise BoardInputError(f"You already follow {existing.company}.")
    board = Board(
        key=key,
        source=source[:2000],
        api=ref.api if ref else "",
        slug=ref.slug if ref else "",
        company=company[:300],
        terms=terms.strip()[:1000],
        locations=locations.strip()[:1000],
    )
    s.add(board)
    try:
        s.commit()
    except IntegrityError:  # the same board added from another tab at the same moment
        s.rollback()
        raise BoardInputError("You already follow that board.") from None
    s.refresh(board)
    return board


def update_board(s: Session, board_id: int, *, company: str, terms: str, locations: str) -> Board | None:
    board = s.get(Board, board_id)
    if board is None:
        return None
    board.company = company.strip()[:300] or board.company
    board.terms, board.locations = terms.strip()[:1000], locations.strip()[:1000]
    s.add(board)
    s.commit()
    return board


def remove_board(s: Session, board_id: int) -> bool:
    """Unfollow a board; the jobs it found stay (their `board_id` is cleared by the foreign key)."""
    board = s.get(Board, board_id)
    if board is None:
        return False
    s.delete(board)
    s.commit()
    return True


def _site_name(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    parts = [p for p in host.split(".") if p not in ("www", "careers", "jobs")]
    return (parts[0] if parts else host).capitalize()


def record_scan(
    s: Session,
    board_id: int,
    task_id: int,
    *,
    seen: int = 0,
    matching: int = 0,
    new: int = 0,
    error: str = "",
    resolved: BoardRef | None = None,
) -> None:
    """The board's last scan; a careers page keeps the board it was found to embed."""
    board = s.get(Board, board_id)
    if board is None:  # unfollowed while it was being scanned
        return
    board.last_scan_at, board.last_task_id = utcnow(), task_id
    board.last_seen, board.last_matching, board.last_new, board.last_error = seen, matching, new, error[:2000]
    if resolved is not None and not board.api:
        board.api, board.slug = resolved.api, resolved.slug
    s.add(board)
    s.commit()


# -- postings -----------------------------------------------------------------------------------------


def unseen(s: Session, keys: list[str]) -> set[str]:
    """Of these posting keys, the ones discovery has never added nor found in the pipeline."""
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        known |= set(s.exec(select(SeenPosting.posting_key).where(col(SeenPosting.posting_key).in_(chunk))).all())
    return set(keys) - known


def known_job(s: Session, listing: Listing) -> Job | None:
    """A job already in the pipeline for this posting (added by a person, by any link to it): its posting key
    (intake's identity, the same format), its link, or a company site's "?gh_jid=" page naming it
    (Greenhouse job ids are unique across boards, so a company site naming one is that posting)."""
    if (job := find_known_job(s, key=listing.key, url=listing.url or "", content_hash=None)) is not None:
        return job
    if listing.ats.system != "greenhouse":
        return None
    job_id = listing.ats.job_id
    rows = s.exec(select(Job).where(col(Job.url).ilike(f"%gh_jid={job_id}%")).order_by(col(Job.id))).all()
    return next((job for job in rows if parse_qs(urlsplit(job.url or "").query).get("gh_jid") == [job_id]), None)


def add_postings(s: Session, board_id: int, company: str, found: list[tuple[Listing, Posting]]) -> list[int]:
    """Insert the postings not seen before as new jobs; returns their ids.

    Race-safe: each posting's `SeenPosting` row is inserted first, in a savepoint, and its primary key lets
    only one scan add it. A posting already in the pipeline (a person added it) is marked seen and left
    exactly as it is: discovery never writes to a job that exists.
    """
    board = s.get(Board, board_id)
    now = utcnow()
    added: list[int] = []
    for listing, posting in found:
        try:
            with s.begin_nested():
                seen = SeenPosting(posting_key=listing.key, board_id=board.id if board else None, first_seen_at=now)
                s.add(seen)
                s.flush()
                if (existing := known_job(s, listing)) is not None:
                    seen.job_id = existing.id
                    continue
                job = _job(posting, listing, company, board_id if board else None, now)
                s.add(job)
                s.flush()
                seen.job_id = job.id
                added.append(job.id)  # type: ignore[arg-type]
        except IntegrityError:
            continue  # another scan added it first
    s.commit()
    return added


def _job(posting: Posting, listing: Listing, company: str, board_id: int | None, now) -> Job:
    description = posting.description_markdown
    if posting.salary and posting.salary not in description:
        description = f"{description}\n\n**Salary:** {posting.salary}".strip()
    location = posting.location or listing.location or ("Remote" if listing.remote else "")
    return Job(
        title=(posting.title or listing.title)[:300],
        company=(company or posting.company)[:300],
        location=location[:300],
        url=listing.url if 0 < len(listing.url) <= 2000 else None,
        posting_key=listing.key,
        description=description[:MAX_DESCRIPTION],
        discovered_at=now,
        board_id=board_id,
        is_new=True,
        created_at=now,
        updated_at=now,
        **posting.tracking(),  # salary, work mode, closing date, when the posting gives them
    )
