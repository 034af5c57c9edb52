"""Use cases that only read run in reading transactions: on SQLite they do not wait for a
writer (they see the last committed state), on PostgreSQL a write in one fails."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

import stageflow
from stageflow.app import App
from stageflow.services import work_items
from stageflow.services.runtime import reading
from stageflow.store import records as records_store
from tests.conftest import EXAMPLES, seed_people


def _expense_run(app: App) -> tuple[str, str]:
    expense = app.records.create("Expense", {"Title": "lunch", "Amount": 12.0}).id
    run = app.start("Expense_Approval", {"recordId": expense, "approver": "alice", "amount": 1})
    return run.id, run.work_items[0].id


def test_pages_read_while_a_writer_holds_the_sqlite_write_lock(tmp_path: Path) -> None:
    db = tmp_path / "stageflow.db"
    app = stageflow.connect(f"sqlite:///{db}", embedded_worker=True)
    try:
        app.deploy(EXAMPLES)
        seed_people(app)
        run_id, item_id = _expense_run(app)
        writer = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        writer.execute("UPDATE runs SET name = 'not committed yet' WHERE id = ?", (run_id,))
        released = threading.Event()

        def release() -> None:  # a reader that waited would only get through after this
            released.set()
            writer.execute("ROLLBACK")

        timer = threading.Timer(10, release)
        timer.start()
        try:
            assert app.run(run_id).name != "not committed yet"
            assert [r.id for r in app.runs()] == [run_id]
            assert [w.id for w in app.work_items(user="alice")] == [item_id]
            assert app.work_item(item_id).run_id == run_id
            item, flow = work_items.open_item(app.rt, item_id, "alice")  # the Work Guide
            assert item.id == item_id
            assert flow.name
            assert not released.is_set(), "a read waited for the writer"
        finally:
            timer.cancel()
            if not released.is_set():
                writer.execute("ROLLBACK")
            writer.close()
    finally:
        app.close()


def test_a_write_inside_a_reading_transaction_fails_on_postgresql(
    example_app: App, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's reading transaction is a deferred one; nothing refuses a write")
    app = example_app
    with pytest.raises(Exception, match="read-only transaction"), reading(app.rt) as tx:
        records_store.insert_record(tx.conn, "r1", "Expense", "x", None, {}, tx.now, "alice")
    assert app.records.list("Expense") == []
