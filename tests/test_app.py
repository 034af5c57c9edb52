"""The Python API a host application calls (stageflow.App)."""

from __future__ import annotations

from stageflow.app import App


def test_a_users_work_items_filtered_by_run_and_by_record(flows_app: App) -> None:
    app = flows_app
    app.people.create_user("alice")
    tickets = [app.records.create("Ticket", {"Title": t}).id for t in ("a", "b")]
    runs = [app.start("Date_Screen_Run", record=t).id for t in tickets]
    assert len(app.work_items(user="alice")) == 2
    assert [w.run_id for w in app.work_items(user="alice", run=runs[1])] == [runs[1]]
    assert [w.record_id for w in app.work_items(user="alice", record=tickets[0])] == [tickets[0]]
