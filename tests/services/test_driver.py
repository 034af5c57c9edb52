"""Applying events to runs through the service layer: what the driver checks that the pure
engine cannot (it reads no database)."""

from __future__ import annotations

import pytest

from stageflow.app import App
from stageflow.errors import InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed


@pytest.mark.parametrize(
    ("orchestration", "assignee"),
    [("Date_Screen_Run", "user:alice"), ("Ghost_Queue_Run", "queue:Ghost_Queue")],
)
def test_a_work_item_for_someone_who_does_not_exist_fails_its_step_until_they_are_added(
    flows_app: App, orchestration: str, assignee: str
) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    run = app.start(orchestration, record=ticket)
    assert run.status == "Error"
    step = run.stages[0].steps[0]
    assert step.status == "Error"
    assert step.error is not None
    assert step.error.message == (
        f"interactive step 'Pick' is assigned to {assignee}, who does not exist: "
        f"add that {assignee.split(':')[0]}, then resume the run"
    )
    assert [wi.status for wi in run.work_items] == ["Canceled"]  # nobody is left holding it

    kind, name = assignee.split(":")
    app.people.create_user(name) if kind == "user" else app.people.create_queue(name)
    resumed = app.resume(run.id)
    assert resumed.status == "InProgress"
    assert [(wi.status, str(wi.assignee)) for wi in resumed.work_items] == [
        ("Canceled", assignee),
        ("Assigned", assignee),
    ]


def test_reassigning_to_someone_who_does_not_exist_is_refused(flows_app: App) -> None:
    app = flows_app
    app.people.create_user("alice")
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    item = app.start("Date_Screen_Run", record=ticket).work_items[0]
    with pytest.raises(NotFound, match="no queue 'Ghost_Queue'"):
        app.reassign_work_item(item.id, "queue:Ghost_Queue", by="alice")
    kept = app.work_item(item.id)
    assert (kept.assignee_kind, kept.assignee) == ("user", "alice")


def test_a_work_item_for_an_inactive_user_fails_its_step_until_they_are_activated(
    flows_app: App,
) -> None:
    app = flows_app
    app.people.create_user("alice")
    app.people.update_user("alice", active=False)  # she can no longer sign in to do it
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    run = app.start("Date_Screen_Run", record=ticket)
    step = run.stages[0].steps[0]
    assert (run.status, step.status) == ("Error", "Error")
    assert step.error is not None
    assert step.error.message == (
        "interactive step 'Pick' is assigned to user:alice, who is inactive: "
        "activate that user, then resume the run"
    )
    app.people.update_user("alice", active=True)
    resumed = app.resume(run.id)
    assert [wi.status for wi in resumed.work_items] == ["Canceled", "Assigned"]


def test_reassigning_to_an_inactive_user_is_refused(flows_app: App) -> None:
    app = flows_app
    for name in ("alice", "bob"):
        app.people.create_user(name)
    app.people.update_user("bob", active=False)
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    item = app.start("Date_Screen_Run", record=ticket).work_items[0]
    with pytest.raises(InvalidInput, match="user 'bob' is inactive"):
        app.reassign_work_item(item.id, "user:bob", by="alice")
    kept = app.work_item(item.id)
    assert (kept.assignee_kind, kept.assignee) == ("user", "alice")


def test_a_queue_member_takes_a_queue_item_and_the_other_members_no_longer_can(
    flows_app: App,
) -> None:
    app = flows_app
    for name in ("alice", "bob", "carol"):
        app.people.create_user(name)
    app.people.create_queue("Ghost_Queue", ["alice", "bob"])
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    item = app.start("Ghost_Queue_Run", record=ticket).work_items[0]
    with pytest.raises(PermissionDenied, match="carol is not that user nor one of its members"):
        app.accept_work_item(item.id, "carol")
    run = app.accept_work_item(item.id, "bob")
    taken = run.work_items[0]
    assert (str(taken.assignee), taken.status) == ("user:bob", "Assigned")
    assert any(
        e.actor == "bob" and "reassigned from queue:Ghost_Queue to user:bob" in e.detail
        for e in run.log
    )
    assert [w.id for w in app.work_items(user="alice")] == []  # gone from her queue view
    with pytest.raises(PermissionDenied):
        app.accept_work_item(item.id, "alice")
    with pytest.raises(PermissionDenied):
        app.complete_work_item(item.id, "alice", {})
    with pytest.raises(TransitionNotAllowed, match="not to a group or queue"):
        app.accept_work_item(item.id, "bob")


def test_a_work_item_is_created_by_whoever_caused_it(flows_app: App) -> None:
    app = flows_app
    for name in ("alice", "bob"):
        app.people.create_user(name)
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    first = app.start("Two_Screens_Run", record=ticket, by="sue").work_items[0]
    assert (first.created_by, app.work_item(first.id).created_by) == ("sue", "sue")
    run = app.complete_work_item(first.id, "alice", {"due": "2030-01-02"})
    second = run.work_items[1]
    assert (second.assignee.name, second.created_by) == ("bob", "alice")
    assert app.work_item(second.id).created_by == "alice"
