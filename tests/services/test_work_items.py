"""Completing work items through the service layer: the screen flow's record updates."""

from __future__ import annotations

import pytest

from stageflow.app import App
from stageflow.errors import InvalidInput


@pytest.fixture
def flows_app(flows_app: App) -> App:
    """The project's, with the assignee of its work items."""
    flows_app.people.create_user("alice")
    return flows_app


def test_a_record_update_writes_only_a_record_of_the_object_it_names(flows_app: App) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "ticket"}).id
    account = app.records.create("Account", {"Title": "ACME"}).id
    item = app.start("Noted", {"target": account}, record=ticket).work_items[0].id
    with pytest.raises(InvalidInput) as refused:
        app.complete_work_item(item, "alice", {"answer": "overwritten"})
    assert refused.value.problems[0].field == "record_updates[0].id"
    assert str(refused.value.problems[0].message) == (
        f"screen flow 'Note_Screen', record update 1 (Ticket): {{!recordId}} is {account!r}, "
        "a record of Account, not of Ticket"
    )
    assert app.records.get(account).fields["Title"] == "ACME"  # nothing written
    assert app.work_item(item).status == "Assigned"

    fine = app.start("Noted", {"target": ticket}, record=ticket).work_items[0].id
    assert app.complete_work_item(fine, "alice", {"answer": "done"}).status == "Completed"
    assert app.records.get(ticket).fields["Title"] == "done"


def test_a_record_update_whose_id_resolves_to_nothing_is_refused_naming_it(
    flows_app: App,
) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "ticket"}).id
    item = app.start("Noted", record=ticket).work_items[0].id  # no target: recordId is null
    with pytest.raises(InvalidInput) as refused:
        app.complete_work_item(item, "alice", {"answer": "a"})
    assert refused.value.problems[0].field == "record_updates[0].id"
    assert "record update 1 (Ticket): its id {!recordId} resolved to nothing" in str(refused.value)
    assert app.work_item(item).status == "Assigned"
