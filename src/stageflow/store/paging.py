"""Keyset pagination over any sortable column: the page after a row is everything that sorts
after (value, id). No OFFSET, so page 50 costs what page 1 costs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, and_, or_

from stageflow.store.tables import UTCDateTime

# The last row of a page: its sort value (ISO text for datetimes) and its id.
Cursor = tuple[Any, str]


def apply(stmt: Any, column: Column[Any], id_column: Column[Any], descending: bool,
          after: Cursor | None) -> Any:  # fmt: skip
    order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())
    stmt = stmt.order_by(*order)
    if after is None:
        return stmt
    value, row_id = after
    if isinstance(column.type, UTCDateTime):
        value = _aware(value)
    if not isinstance(value, str | datetime):
        return stmt  # a cursor edited into nonsense: the first page, as for no cursor
    if descending:
        return stmt.where(or_(column < value, and_(column == value, id_column < row_id)))
    return stmt.where(or_(column > value, and_(column == value, id_column > row_id)))


def _aware(value: Any) -> datetime | None:
    """A datetime with its time zone (the column compares only those), from one or ISO text."""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return None
    return parsed if isinstance(parsed, datetime) and parsed.tzinfo is not None else None
