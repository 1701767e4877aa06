"""`TaskKind`: everything the app needs to know about one kind of background work, in one place.

Each kind module (`evaluate`, `cv`, …) exports one `KIND = TaskKind(...)`; `jobapp.work.registry` collects
them, and pages, the live layer, the API and the request helpers read the registry instead of keeping
tables of their own. A description that lacks a name, a label, a verb or a handler fails at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobapp.tasks import Handler


class OptionError(ValueError):
    """An option a request named is unknown or has a value the kind does not accept."""


@dataclass(frozen=True)
class TaskKind:
    name: str  # the task row's `kind`, e.g. "generate-cover-letter"
    label: str  # what people call it in lists and messages, e.g. "cover letter"
    verb: str  # the navigation indicator's words before the job, e.g. "writing a cover letter for"
    run: Handler  # the coroutine that does the work
    # Output-changing options and the values each accepts; the first value is the default. They go into the
    # task's payload and its dedupe fingerprint (two letters in different tones are different work).
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)  # a choice's default when not its first value
    # Free-text options (validated by the kind at run time), e.g. research's company website.
    text_options: tuple[str, ...] = ()
    document_kind: str | None = None  # the Document.kind each run writes, if any
    uses_model: bool = True  # runs on the LLM provider in force when it was queued (saved with the task)
    needs_job: bool = True  # works on one job; a task whose job was deleted says so
    person_can_request: bool = True  # offered on pages and the API (hydrate-job-url is queued by intake)

    def __post_init__(self) -> None:
        for name in ("name", "label", "verb"):
            if not str(getattr(self, name)).strip():
                raise TypeError(f"task kind {self.name or '?'} has no {name}")
        if not callable(self.run):
            raise TypeError(f"task kind {self.name} has no handler")
        for option, values in self.choices.items():
            if not values:
                raise TypeError(f"task kind {self.name}: option {option!r} accepts no value")
            if self.defaults.get(option, values[0]) not in values:
                raise TypeError(f"task kind {self.name}: the default of {option!r} is not one of its values")

    def default(self, option: str) -> str:
        return self.defaults.get(option, self.choices[option][0])

    @property
    def options_allowed(self) -> tuple[str, ...]:
        return (*self.choices, *self.text_options)

    def clean_options(self, raw: Mapping[str, Any] | None) -> dict[str, str]:
        """A request's options, checked: unknown names and values are refused with a readable message;
        missing choices take their default."""
        raw = dict(raw or {})
        if unknown := sorted(set(raw) - set(self.options_allowed)):
            allowed = ", ".join(self.options_allowed) or "none"
            raise OptionError(f"{self.label} has no option {', '.join(map(repr, unknown))} (options: {allowed})")
        options: dict[str, str] = {}
        for option, values in self.choices.items():
            value = raw.get(option, self.default(option))
            if value not in values:
                raise OptionError(f"{option} must be one of {', '.join(values)}, not {value!r}")
            options[option] = value
        for option in self.text_options:
            if value := str(raw.get(option) or "").strip():
                options[option] = value
        return options

    def options_of(self, payload: Mapping[str, Any]) -> dict[str, str]:
        """The options a queued task carries (as saved by `clean_options`), for its handler."""
        options = {
            option: payload[option] if payload.get(option) in values else self.default(option)
            for option, values in self.choices.items()
        }
        options |= {option: payload[option] for option in self.text_options if payload.get(option)}
        return options
