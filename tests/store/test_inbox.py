"""My open work items merge the user's own with their queues' and groups', page by page."""

from __future__ import annotations

from stageflow.app import App
from stageflow.services import work_items


def test_inbox_pages_merge_every_principal_in_date_order(example_app: App) -> None:
    app = example_app
    for i in range(3):
        expense = app.records.create("Expense", {"Title": f"e{i}", "Amount": 10.0 + i}).id
        app.start("Expense_Approval", {"recordId": expense, "approver": "alice", "amount": 1})
        app.records.create("Case", {"Subject": f"c{i}", "Status": "Escalated"})  # queue item
    everything = work_items.inbox(app.rt, "alice", "Assigned", 100)
    assert len(everything) == 6
    assert {w.assigned_to for w in everything} == {"user:alice", "queue:Support_Triage"}
    keys = [(w.created_at, w.id) for w in everything]
    assert keys == sorted(keys, reverse=True)
    paged, after = [], None
    while True:
        page = work_items.inbox(app.rt, "alice", "Assigned", 2, after)
        paged += page
        if len(page) < 2:
            break
        after = (page[-1].created_at, page[-1].id)
    assert [w.id for w in paged] == [w.id for w in everything]
    by_name = work_items.inbox(app.rt, "alice", "Assigned", 100, sort="name", descending=False)
    assert [w.name for w in by_name] == sorted(w.name for w in everything)
