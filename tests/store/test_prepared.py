"""Statements run through the driver read and write what the Connection path does, inside the
conn's transaction and savepoints, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, bindparam, insert, select, update

from stageflow.app import App
from stageflow.store import tables as t
from stageflow.store.prepared import Prepared, pipelined

_INSERT = Prepared(insert(t.records))
_GET = Prepared(select(t.records).where(t.records.c.id == bindparam("key")))
_RENAME = Prepared(update(t.records).where(t.records.c.id == bindparam("key")))

AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))


def _record(record_id: str, fields: dict[str, object]) -> dict[str, object]:
    return {
        "id": record_id, "object": "Thing", "name": f"name {record_id}", "owner": None,
        "fields": fields, "version": 1, "created_at": AT, "created_by": "u",
        "modified_at": AT, "modified_by": "u",
    }  # fmt: skip


def test_rows_round_trip_with_the_session_paths_types(app: App) -> None:
    fields = {"Amount": 12.5, "Tags": ["a", "b"], "Nested": {"ok": True}, "Text": "é ✓"}
    with app.rt.connect() as conn, conn.begin():
        _INSERT.execute(conn, _record("r1", fields))
    with app.rt.connect() as conn, conn.begin():
        fast = _GET.first(conn, {"key": "r1"})
        usual = conn.execute(select(t.records).where(t.records.c.id == "r1")).one()._mapping
        assert fast == dict(usual)
        assert fast is not None
        assert fast["fields"] == fields
        assert fast["created_at"] == AT
        assert fast["created_at"].tzinfo == UTC
        assert _GET.first(conn, {"key": "nobody"}) is None


def test_execute_many_and_update_set_only_the_named_columns(app: App) -> None:
    with app.rt.connect() as conn, conn.begin():
        _INSERT.execute_many(conn, [_record(f"r{i}", {"i": i}) for i in range(3)])
        _RENAME.execute_many(conn, [{"key": "r1", "name": "renamed"}])
        _INSERT.execute_many(conn, [])  # nothing to write: no statement, no error
    with app.rt.connect() as conn, conn.begin():
        rows = {r: _GET.first(conn, {"key": r}) for r in ("r0", "r1", "r2")}
    assert [row["name"] if row else None for row in rows.values()] == [
        "name r0", "renamed", "name r2",
    ]  # fmt: skip
    assert rows["r1"] is not None
    assert rows["r1"]["fields"] == {"i": 1}


def test_writes_belong_to_the_sessions_transaction_and_savepoints(app: App) -> None:
    with app.rt.connect() as conn, conn.begin():
        _INSERT.execute(conn, _record("kept", {}))
        savepoint = conn.begin_nested()
        _INSERT.execute(conn, _record("undone", {}))
        savepoint.rollback()
    with app.rt.connect() as conn:
        transaction = conn.begin()
        _INSERT.execute(conn, _record("rolled_back", {}))
        transaction.rollback()
    with app.rt.connect() as conn, conn.begin():
        found = [r for r in ("kept", "undone", "rolled_back") if _GET.first(conn, {"key": r})]
    assert found == ["kept"]


def test_a_parameter_left_out_is_refused_not_sent_as_null(app: App) -> None:
    with app.rt.connect() as conn, conn.begin():
        _INSERT.execute(conn, _record("r", {}))
        with pytest.raises(ValueError, match="parameters missing for \\['key'\\]"):
            _RENAME.execute(conn, {"name": "no row named"})
        with pytest.raises(KeyError, match="key"):  # a later row of a batch without it
            _RENAME.execute_many(conn, [{"key": "r", "name": "x"}, {"name": "y"}])


def test_a_column_left_to_its_python_default_is_refused(app: App) -> None:
    log_line = Prepared(insert(t.run_log))  # run_log.detail defaults to "" in Python
    row = {"run_id": "r", "at": AT, "actor": "u", "object_type": "run", "object_name": "r",
           "from_status": None, "to_status": "InProgress"}  # fmt: skip
    with (
        app.rt.connect() as conn,
        conn.begin(),
        pytest.raises(ValueError, match=r"give a value for \['detail'\]"),
    ):
        log_line.execute(conn, row)


def test_pipelined_writes_land_together_and_a_failing_one_fails_the_block(app: App) -> None:
    with app.rt.connect() as conn, conn.begin():
        with pipelined(conn):
            _INSERT.execute(conn, _record("a", {}))
            _INSERT.execute_many(conn, [_record("b", {}), _record("c", {})])
            _RENAME.execute_many(conn, [{"key": "a", "name": "renamed"}])
        assert _GET.first(conn, {"key": "a"}) == {**_record("a", {}), "name": "renamed"}
    with app.rt.connect() as conn:
        transaction = conn.begin()
        # the duplicate raises by the end of the block at the latest (on PostgreSQL, maybe from
        # a later statement in it), as the driver's own error: the hot path does not wrap them
        with pytest.raises(app.rt.engine.dialect.loaded_dbapi.IntegrityError):
            _insert_pipelined(conn, ["d", "a", "e"])
        transaction.rollback()
    with app.rt.connect() as conn, conn.begin():
        found = [r for r in "abcde" if _GET.first(conn, {"key": r})]
    assert found == ["a", "b", "c"]


def _insert_pipelined(conn: Connection, ids: list[str]) -> None:
    with pipelined(conn):
        for record_id in ids:
            _INSERT.execute(conn, _record(record_id, {}))


def test_a_select_with_two_columns_of_one_name_is_refused(app: App) -> None:
    both = Prepared(select(t.records.c.id, t.runs.c.id).where(t.records.c.id == bindparam("key")))
    with (
        app.rt.connect() as conn,
        conn.begin(),
        pytest.raises(ValueError, match="two result columns share a name"),
    ):
        both.first(conn, {"key": "r"})
