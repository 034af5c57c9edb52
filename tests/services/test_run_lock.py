"""One writer per run on PostgreSQL: a use case that waited for a run's row lock works on what
the previous holder committed, the run's record included."""

from __future__ import annotations

import threading

from stageflow.app import App
from stageflow.services.runs import load, load_for_item
from stageflow.services.runtime import transaction
from stageflow.store import records as records_store
from tests.conftest import EXAMPLES, seed_people, wait_until_a_backend_waits_for_a_lock


def test_a_run_loaded_after_waiting_for_its_lock_has_its_records_committed_values(
    pg_app: App,
    postgres_url: str,
) -> None:
    app = pg_app
    app.deploy(EXAMPLES)
    seed_people(app)
    expense = app.records.create("Expense", {"Title": "lunch", "Amount": 12.0}).id
    run = app.start(
        "Expense_Approval",
        {"recordId": expense, "approver": "alice", "amount": 1},
        record=expense,
    )
    item_id = run.work_items[0].id
    seen: dict[str, object] = {}

    def second_writer() -> None:  # e.g. another person completing a work item of the run
        with transaction(app.rt) as tx:
            later = load_for_item(tx, item_id)
            assert later.record is not None
            seen["Title"] = later.record["Title"]

    with transaction(app.rt) as tx:
        load(tx, run.id)  # holds the run's lock, then changes its record
        records_store.update_record(
            tx.conn, expense, "dinner", {"Title": "dinner", "Amount": 40.0}, tx.now, "bob"
        )
        waiter = threading.Thread(target=second_writer)
        waiter.start()
        wait_until_a_backend_waits_for_a_lock(postgres_url)
    waiter.join(10)

    assert seen == {"Title": "dinner"}
