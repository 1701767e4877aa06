"""Keyset paging: a cursor names the last row of a page by its sort value and id, so the next page is an
index range scan however deep it is (an offset makes the database walk past every row before it).

The cursor is opaque to clients (base64url of JSON) and bound to the sort it was made for.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, literal, tuple_

from jobapp.rest.problems import Unprocessable


class CursorError(Unprocessable):
    """A cursor that this API did not make, or made for another sort."""


@dataclass(frozen=True)
class Sort:
    key: str  # as named in the `sort` parameter, without the "-"
    column: ColumnElement[Any]
    descending: bool
    value_type: type  # what the column holds (a cursor holding anything else was tampered with)

    @property
    def name(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def encode_cursor(sort: Sort, value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = json.dumps({"s": sort.name, "v": value, "id": row_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value, row_id, made_for = data["v"], int(data["id"]), data["s"]
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["t"])
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise CursorError("cursor is not one this API made: pass `next_cursor` from the previous page") from None
    if made_for != sort.name:
        raise CursorError(f"cursor was made for sort={made_for}, not sort={sort.name}")
    if not isinstance(value, sort.value_type) or isinstance(value, bool):
        raise CursorError("cursor is not one this API made: pass `next_cursor` from the previous page")
    return value, row_id


def keyset(query: Select, sort: Sort, id_column: ColumnElement[int], cursor: str | None) -> Select:
    """`query` ordered by the sort (id breaks ties), starting after the cursor's row."""
    if cursor is not None:
        value, row_id = decode_cursor(sort, cursor)
        after = tuple_(sort.column, id_column)
        bound = tuple_(literal(value, sort.column.type), literal(row_id, id_column.type))
        query = query.where(after < bound if sort.descending else after > bound)
    if sort.descending:
        return query.order_by(sort.column.desc(), id_column.desc())
    return query.order_by(sort.column.asc(), id_column.asc())
