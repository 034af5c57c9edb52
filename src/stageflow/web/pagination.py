"""Keyset pagination cursors: the (created_at, id) of a page's last row, URL-safe."""

from __future__ import annotations

import base64
from datetime import datetime

from stageflow.errors import InvalidInput, Problem

Cursor = tuple[datetime, str]


def encode(created_at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode()


def decode(cursor: str | None) -> Cursor | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        when, _, row_id = text.partition("|")
        parsed = datetime.fromisoformat(when)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(Problem("not a cursor from a previous page", field="after")) from exc
    if not row_id or parsed.tzinfo is None:
        raise InvalidInput(Problem("not a cursor from a previous page", field="after"))
    return parsed, row_id
