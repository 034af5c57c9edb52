"""List filters every door shares: an unknown status or a limit below 1 is refused, not an
empty (or a whole, or a failing) list."""

from __future__ import annotations

import pytest

from stageflow.app import App
from stageflow.errors import InvalidInput


def test_an_unknown_status_is_refused_naming_status_and_listing_the_statuses(app: App) -> None:
    app.people.create_user("alice")
    run_statuses = "NotStarted, InProgress, Suspended, Completed, Canceled, Error"
    with pytest.raises(
        InvalidInput, match=rf"\[status\]: 'Bogus' is not a run status \({run_statuses}\)"
    ):
        app.runs(status="Bogus")
    item_statuses = r"\(Assigned, Completed, Canceled\)"
    with pytest.raises(
        InvalidInput, match=rf"\[status\]: 'assigned' is not a work item status {item_statuses}"
    ):
        app.work_items(status="assigned")  # every item: statuses are case-sensitive
    with pytest.raises(InvalidInput, match=r"\[status\]: 'Open' is not a work item status"):
        app.work_items(user="alice", status="Open")  # the user's own
    assert app.runs(status="Completed") == []
    assert app.work_items(status=None) == []


def test_a_limit_below_one_is_refused(app: App) -> None:
    """It listed every run on SQLite and failed with a traceback on PostgreSQL."""
    for listing in (
        lambda: app.runs(limit=-1),
        lambda: app.work_items(limit=0),
        lambda: app.work_items(user="alice", limit=-1),
        lambda: app.records.list("Case", limit=-1),
    ):
        with pytest.raises(InvalidInput, match=r"\[limit\]: limit is at least 1, got -?[01]"):
            listing()
