"""The runs and records a user sees: theirs, and those they have work in, page by page."""

from __future__ import annotations

from stageflow.app import App
from stageflow.services import records, runs


def test_a_users_runs_are_those_they_started_or_have_work_in_on_every_page(
    example_app: App,
) -> None:
    app = example_app
    expected = []
    for i in range(3):
        # a run bob starts for alice to approve; one alice starts for bob; one of no concern
        expense = app.records.create("Expense", {"Title": f"e{i}", "Amount": 1.0}).id
        for by, approver in (("bob", "alice"), ("alice", "bob"), ("bob", "carol")):
            inputs = {"recordId": expense, "approver": approver, "amount": 1}
            run = app.start("Expense_Approval", inputs, by=by)
            if "alice" in (by, approver):
                expected.append(run.id)
        # an escalated case: the trigger starts its run, whose triage is her queue's
        case = app.records.create("Case", {"Subject": f"c{i}", "Status": "Escalated"}, by="bob")
        expected += [r.id for r in app.runs(record=case.id)]
    for sort, descending in (("created_at", True), ("name", False)):
        everything = runs.find(app.rt, visible_to="alice", limit=100, sort=sort,
                               descending=descending)  # fmt: skip
        assert sorted(r.id for r in everything) == sorted(expected)
        paged, after = [], None
        while True:
            page = runs.find(app.rt, visible_to="alice", limit=2, after=after, sort=sort,
                             descending=descending)  # fmt: skip
            paged += page
            if len(page) < 2:
                break
            after = (getattr(page[-1], sort), page[-1].id)
        assert [r.id for r in paged] == [r.id for r in everything]
    assert runs.find(app.rt, visible_to="dave") == []


def test_a_users_records_are_those_they_own_or_have_work_on(example_app: App) -> None:
    app = example_app
    owned = app.records.create("Case", {"Subject": "Mine", "Owner": "alice"})
    worked = app.records.create("Case", {"Subject": "Roof", "Status": "Escalated"})
    app.records.create("Case", {"Subject": "Other", "Owner": "bob"})
    seen = records.find(app.rt, "Case", visible_to="alice")
    assert [r.id for r in seen] == [worked.id, owned.id]
    assert records.find(app.rt, "Case", visible_to="dave") == []
    assert len(records.find(app.rt, "Case")) == 3
