"""The engine's limits for the whole deployment: caps, attempt budgets, retention.

They live in one `setting` row (key "engine") over defaults from the environment, so a change made in
Settings reaches every worker at its next claim without a restart. The caps are enforced inside the
claim's transaction, against the running rows of every worker (see `TaskManager.claim`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from sqlalchemy import Connection, insert, select, update

from jobapp.models import Setting, utcnow

SETTING_KEY = "engine"
SETTING = Setting.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Limits:
    concurrency: int = 4  # tasks running at once, across every worker
    kind_limits: Mapping[str, int] = field(default_factory=dict)  # per kind, across every worker
    max_attempts: int = 8  # tries of a task that fails with transient errors (given to new tasks)
    max_crashes: int = 3  # workers a task may lose (killed, machine gone) before it fails
    keep_finished_days: float = 7.0
    keep_failed_days: float = 30.0
    keep_finished_max: int = 5000

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("at least one task must be allowed to run at once")
        for name in ("max_attempts", "max_crashes", "keep_finished_max"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be at least 1")
        if self.keep_finished_days <= 0 or self.keep_failed_days <= 0:
            raise ValueError("tasks must be kept for some time")
        for kind, cap in self.kind_limits.items():
            if cap < 0:
                raise ValueError(f"the cap of {kind} cannot be negative")

    def cap_of(self, kind: str) -> int:
        """How many tasks of `kind` may run at once (the global cap when the kind has none of its own)."""
        return min(self.concurrency, self.kind_limits.get(kind, self.concurrency))

    def with_changes(self, changes: Mapping[str, Any]) -> Limits:
        """A copy with `changes` (from a form or a stored row) applied and checked."""
        known = {f.name: f.type for f in fields(self)}
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in known:
                continue
            if name == "kind_limits":
                values[name] = {str(k): int(v) for k, v in dict(value).items()}
            elif name.endswith("_days"):
                values[name] = float(value)
            else:
                values[name] = int(value)
        return replace(self, **values)


STORED = select(SETTING.c.value).where(SETTING.c.key == SETTING_KEY)


def read_limits(conn: Connection, defaults: Limits) -> Limits:
    """The limits in force: the stored row over `defaults`. A stored row that no longer validates is ignored."""
    return limits_from(conn.execute(STORED).scalar_one_or_none(), defaults)


def limits_from(stored: Any, defaults: Limits) -> Limits:
    """`defaults` with the stored row's values (as read by `STORED`) applied."""
    if not stored:
        return defaults
    if isinstance(stored, str):  # a driver that hands JSON back as text
        stored = json.loads(stored)
    try:
        return defaults.with_changes(stored)
    except (TypeError, ValueError):
        return defaults


def save_limits(conn: Connection, limits: Limits) -> None:
    """Store `limits` (already validated by construction) for every worker to read at its next claim."""
    value = {**asdict(limits), "kind_limits": dict(limits.kind_limits)}
    now = utcnow()
    if conn.execute(update(SETTING).where(SETTING.c.key == SETTING_KEY).values(value=value, updated_at=now)).rowcount:
        return
    conn.execute(insert(SETTING).values(key=SETTING_KEY, value=value, updated_at=now))
