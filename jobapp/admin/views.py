"""The admin's views of the tables, one per model.

What the admin may change, and through what:
- jobs: created, edited and deleted through `jobapp.jobs` (which announces each change, so open tabs update
  live; deleting cancels the job's tasks first);
- tasks: never written here. Cancel and retry (also "requeue": a failed or cancelled task goes back to the
  queue) are the engine's own verbs, `TaskManager.cancel` / `retry`, so dedupe, guarded transitions and live
  pushes hold exactly as in the app;
- documents and settings: read only. A stored API key is shown masked as on the Settings page and cannot be
  searched, filtered, sorted or exported;
- the profile: its name and resume can be edited (what the Settings page edits).

Lists page by 25 (up to 100) and sort by default on indexed columns; searches and filters narrow the same
indexed queries (see alembic 0009 for the indexes added for them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette_admin import (
    BooleanField,
    DateField,
    DateTimeField,
    EnumField,
    IntegerField,
    JSONField,
    StringField,
    TextAreaField,
    URLField,
    row_action,
)
from starlette_admin.actions import ActionSelection, action
from starlette_admin.contrib.sqla import ModelView
from starlette_admin.exceptions import ActionFailed, FormValidationError
from starlette_admin.fields import BaseField
from starlette_admin.flash import flash

from jobapp import jobs
from jobapp.db import get_engine
from jobapp.llm.config import ProviderConfig
from jobapp.models import (
    ACTIVE_STATUSES,
    Document,
    Job,
    JobStatus,
    Profile,
    Setting,
    Task,
    TaskStatus,
    WorkMode,
    utcnow,
)
from jobapp.runtime import get_manager
from jobapp.tasks import AlreadyEnqueued, JobGone
from jobapp.work import KINDS, request_evaluation

PAGE_SIZES = [25, 50, 100]


class _View(ModelView):
    page_size = 25
    page_size_options = PAGE_SIZES
    # Rows come in only through the app's own code paths, never as a file of rows.
    importers: Sequence[Any] = []

    def can_import(self, request: Request) -> bool:
        return False


class _ReadOnly(_View):
    def can_create(self, request: Request) -> bool:
        return False

    def can_edit(self, request: Request) -> bool:
        return False

    def can_delete(self, request: Request) -> bool:
        return False


def _fresh(model: type[Any], pk: Any) -> Any:
    """A row read after a write made through the app's code (the request's own session may predate it)."""
    with Session(get_engine(), expire_on_commit=False) as s:
        return s.get(model, pk)


def _field_named(message: str, names: Sequence[str]) -> str:
    """The form field an error message is about (shown under it), else the title."""
    lowered = message.lower()
    hints = {"salary": "salary_min", "currency": "salary_currency", "closing": "closes_on", "next step": "next_step"}
    for hint, field in hints.items():
        if hint in lowered:
            return field
    return next((name for name in names if name in lowered), "title")


class JobView(_View):
    fields = [
        IntegerField("id", read_only=True),
        StringField("title", maxlength=300),
        StringField("company", maxlength=300),
        StringField("location", maxlength=300),
        URLField("url", maxlength=2000),
        EnumField("status", enum=JobStatus),
        IntegerField("fit_score", read_only=True),
        BooleanField("starred"),
        DateField("next_step_on"),
        StringField("next_step", maxlength=500, exclude_from_list=True),
        IntegerField("salary_min", exclude_from_list=True),
        IntegerField("salary_max", exclude_from_list=True),
        StringField("salary_currency", maxlength=3, exclude_from_list=True),
        EnumField("work_mode", enum=WorkMode, exclude_from_list=True),
        DateField("closes_on", exclude_from_list=True),
        DateTimeField("applied_at", read_only=True, exclude_from_list=True),
        TextAreaField("notes", exclude_from_list=True),
        DateTimeField("created_at", read_only=True),
        DateTimeField("updated_at", read_only=True),
        DateTimeField("evaluated_at", read_only=True, exclude_from_list=True),
        TextAreaField("description", exclude_from_list=True, exclude_from_edit=True),
        JSONField("evaluation", exclude_from_list=True, exclude_from_create=True, exclude_from_edit=True),
        JSONField("user_edited", read_only=True, exclude_from_list=True, exclude_from_create=True),
    ]
    # A new job is a pasted posting (jobs.add_job); what is tracked on it is edited afterwards.
    exclude_fields_from_create = [
        "id",
        "status",
        "fit_score",
        "created_at",
        "updated_at",
        "evaluated_at",
        "applied_at",
        *jobs.TRACKED_FIELDS,
    ]
    exclude_fields_from_edit = ["id", "fit_score", "created_at", "updated_at", "evaluated_at", "applied_at"]
    # starlette-admin filters exactly the searchable fields; text search (`q`) reads only the text ones.
    searchable_fields = ["title", "company", "status", "fit_score", "created_at", "updated_at"]
    sortable_fields = ["id", "title", "company", "status", "fit_score", "created_at", "updated_at"]
    fields_default_sort = [("created_at", True)]

    async def create(self, request: Request, data: dict[str, Any]) -> Any:
        """A pasted posting, saved and evaluated as on the pipeline page."""
        manager = get_manager()
        values = {name: str(data.get(name) or "") for name in ("title", "company", "location", "url", "description")}
        try:
            job_id = await asyncio.to_thread(jobs.add_job, manager, **values)
        except jobs.JobInputError as error:
            raise FormValidationError({"description": str(error)}) from None
        await asyncio.to_thread(request_evaluation, manager, job_id)
        return await asyncio.to_thread(_fresh, Job, job_id)

    async def edit(self, request: Request, pk: Any, data: dict[str, Any]) -> Any:
        names = (*jobs.EDITABLE_FIELDS, *jobs.TRACKED_FIELDS, "status")
        changes = {name: data[name] for name in names if name in data}
        if isinstance(changes.get("status"), JobStatus):
            changes["status"] = changes["status"].value
        try:
            found = await asyncio.to_thread(jobs.update_job, get_manager(), int(pk), changes)
        except (jobs.JobInputError, ValueError) as error:
            raise FormValidationError({_field_named(str(error), names): str(error)}) from None
        if not found:
            raise FormValidationError({"title": f"job #{pk} was deleted meanwhile"})
        return await asyncio.to_thread(_fresh, Job, int(pk))

    async def delete(self, request: Request, pks: list[Any]) -> int | None:
        """Through `jobs.delete_job`: the job's active tasks are cancelled in the same transaction."""
        manager = get_manager()
        deleted = [await asyncio.to_thread(jobs.delete_job, manager, int(pk)) for pk in pks]
        return sum(deleted)


class TaskView(_ReadOnly):
    fields = [
        IntegerField("id"),
        EnumField("kind", choices=list(KINDS)),
        EnumField("status", enum=TaskStatus),
        IntegerField("job_id"),
        IntegerField("progress"),
        StringField("progress_label"),
        IntegerField("attempt"),
        StringField("error"),
        DateTimeField("created_at"),
        DateTimeField("started_at"),
        DateTimeField("finished_at"),
        IntegerField("max_attempts", exclude_from_list=True),
        IntegerField("crashes", exclude_from_list=True),
        IntegerField("priority", exclude_from_list=True),
        BooleanField("cancel_requested", exclude_from_list=True),
        BooleanField("job_deleted", exclude_from_list=True),
        StringField("provider", exclude_from_list=True),
        StringField("model", exclude_from_list=True),
        DateTimeField("updated_at", exclude_from_list=True),
        DateTimeField("run_after", exclude_from_list=True),
        StringField("worker_id", exclude_from_list=True),
        DateTimeField("lease_expires_at", exclude_from_list=True),
        IntegerField("version", exclude_from_list=True),
        StringField("dedupe_key", exclude_from_list=True),
        JSONField("payload", exclude_from_list=True),
        JSONField("usage", exclude_from_list=True),
        JSONField("errors", exclude_from_list=True),
        JSONField("stages", exclude_from_list=True),
        JSONField("result", exclude_from_list=True),
    ]
    searchable_fields = ["kind", "status", "error", "job_id", "attempt", "created_at", "finished_at"]
    sortable_fields = ["id", "kind", "status", "job_id", "created_at", "finished_at", "progress"]
    # Ids follow creation order, and the primary key needs no index of its own: creation sorts on it.
    sortable_field_mapping = {"created_at": Task.id}  # type: ignore[dict-item]
    fields_default_sort = [("id", True)]
    row_actions = ["view", "cancel", "retry"]
    actions = ["cancel_selected", "retry_selected"]

    async def is_row_action_allowed_for_obj(self, request: Request, name: str, obj: Any) -> bool:
        if name == "cancel":
            return obj.status in ACTIVE_STATUSES and not obj.cancel_requested
        if name == "retry":
            return obj.status in (TaskStatus.FAILED, TaskStatus.CANCELLED) and not obj.job_deleted
        return await super().is_row_action_allowed_for_obj(request, name, obj)

    @row_action(
        name="cancel",
        text="Cancel",
        confirmation="Cancel this task? A running task stops at its next step.",
        icon_class="fa fa-ban",
        submit_btn_text="Cancel the task",
    )
    async def cancel_row(self, request: Request, pk: Any) -> None:
        flash(request, await asyncio.to_thread(_cancel, int(pk)), "success")

    @row_action(
        name="retry",
        text="Retry",
        confirmation="Queue this task again?",
        icon_class="fa fa-rotate-right",
        submit_btn_text="Retry",
    )
    async def retry_row(self, request: Request, pk: Any) -> None:
        flash(request, await asyncio.to_thread(_retry, int(pk)), "success")

    @action(name="cancel_selected", text="Cancel", confirmation="Cancel the selected tasks?")
    async def cancel_selected(self, request: Request, selection: ActionSelection) -> None:
        for pk in await selection.pks():
            await asyncio.to_thread(_cancel, int(pk))
        flash(request, "Cancel requested.", "success")

    @action(name="retry_selected", text="Retry", confirmation="Queue the selected tasks again?")
    async def retry_selected(self, request: Request, selection: ActionSelection) -> None:
        messages = [await asyncio.to_thread(_retry, int(pk), quiet=True) for pk in await selection.pks()]
        flash(request, " ".join(messages), "info")


def _cancel(task_id: int) -> str:
    if get_manager().cancel(task_id) is None:
        raise ActionFailed(f"Task #{task_id} has already finished.")
    return f"Task #{task_id}: cancel requested."


def _retry(task_id: int, *, quiet: bool = False) -> str:
    """`TaskManager.retry`, its refusals as messages (raised, or returned when `quiet` for batch actions)."""
    try:
        if get_manager().retry(task_id) is not None:
            return f"Task #{task_id} queued again."
        message = f"Task #{task_id} is not failed or cancelled."
    except AlreadyEnqueued as error:
        message = f"Task #{task_id} not retried: task #{error.task_id} is already doing this work."
    except JobGone:
        message = f"Task #{task_id} not retried: its job was deleted."
    if quiet:
        return message
    raise ActionFailed(message)


class DocumentView(_ReadOnly):
    fields = [
        IntegerField("id"),
        IntegerField("job_id"),
        StringField("kind"),
        IntegerField("version"),
        StringField("provider"),
        StringField("model"),
        IntegerField("task_id"),
        DateTimeField("created_at"),
        JSONField("options", exclude_from_list=True),
        JSONField("warnings", exclude_from_list=True),
        TextAreaField("content", exclude_from_list=True),
    ]
    searchable_fields = ["kind", "job_id", "created_at"]
    sortable_fields = ["id", "job_id", "kind", "created_at"]
    sortable_field_mapping = {"created_at": Document.id}  # type: ignore[dict-item]
    fields_default_sort = [("id", True)]


class ProfileView(_View):
    fields = [
        IntegerField("id", read_only=True),
        StringField("name", maxlength=200),
        TextAreaField("resume", exclude_from_list=True),
        DateTimeField("updated_at", read_only=True),
    ]
    exclude_fields_from_edit = ["id", "updated_at"]

    def can_create(self, request: Request) -> bool:
        return False  # one row, made by the Settings page

    def can_delete(self, request: Request) -> bool:
        return False

    async def before_edit(self, request: Request, data: dict[str, Any], obj: Any) -> None:
        obj.updated_at = utcnow()


class SettingView(_ReadOnly):
    """Read only: settings are changed on the Settings page, which validates them."""

    # `value` may hold the provider's API key: it is never searched, filtered, sorted or exported.
    fields = [
        StringField("key"),
        JSONField("value", searchable=False, orderable=False, filters=[], exclude_from_export=True),
        DateTimeField("updated_at"),
    ]
    searchable_fields = ["key"]
    sortable_fields = ["key", "updated_at"]

    def can_export(self, request: Request) -> bool:
        return False

    def _setup_primary_key(self) -> None:
        super()._setup_primary_key()
        # SQLModel's string type does not name its Python type; starlette-admin would fall back to `object`.
        self._pk_coerce = str

    async def serialize_field_value(self, value: Any, field: BaseField, request: Request) -> Any:
        if field.name == "value" and isinstance(value, dict) and value.get("api_key"):
            value = {**value, "api_key": ProviderConfig(api_key=str(value["api_key"])).masked_key()}
        return await super().serialize_field_value(value, field, request)


VIEWS: dict[type[Any], type[ModelView]] = {
    Job: JobView,
    Task: TaskView,
    Document: DocumentView,
    Profile: ProfileView,
    Setting: SettingView,
}
