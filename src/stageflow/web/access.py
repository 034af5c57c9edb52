"""Which records a caller may see, asked alike by the REST API and the console pages.

A supervisor or an admin sees every record; a user sees the records they own or have (or had)
work on. Everything that shows a record, or acts on it (a run started on it names it), asks
here first.
"""

from __future__ import annotations

from stageflow.app import App
from stageflow.errors import NotFound, PermissionDenied, Problem
from stageflow.services import records, work_items
from stageflow.services.permissions import Permission, allowed
from stageflow.store.people import User
from stageflow.store.records import RecordRow


def may_see(app: App, user: User, row: RecordRow) -> bool:
    if allowed(user, Permission.VIEW_ALL_RECORDS) or row.owner == user.username:
        return True
    return work_items.involves(app.rt, user.username, record_id=row.id)


def visible_record(app: App, user: User, record_id: str, field: str | None = None) -> RecordRow:
    """The record, if `user` may see it; PermissionDenied (naming `field`) if not."""
    try:
        row = records.get(app.rt, record_id)
    except NotFound:
        raise NotFound(Problem(f"no record {record_id}", field=field)) from None
    if not may_see(app, user, row):
        message = f"{user.username} may not see {row.object} {record_id}: not theirs, no work on it"
        raise PermissionDenied(Problem(message, field=field))
    return row
