"""Column types: aware UTC datetimes in and out, stored on SQLite as SQLAlchemy's DATETIME text
(so that databases written before and after read alike, and text sorts as time does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.dialects.sqlite import DATETIME

import stageflow
from stageflow.app import App
from stageflow.store import tables as t

TIMES = [
    datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 3, 1, 10, 30, 15, tzinfo=UTC),  # no microseconds
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),  # a year of three digits
]


def _row(i: int, at: datetime) -> dict[str, object]:
    return {
        "id": f"r{i}", "object": "Thing", "name": "n", "owner": None, "fields": {},
        "version": 1, "created_at": at, "created_by": "u", "modified_at": at, "modified_by": "u",
    }  # fmt: skip


def test_sqlite_stores_what_sqlalchemys_datetime_stores_and_reads_it_back(
    sqlite_url: str,
) -> None:
    app = stageflow.connect(sqlite_url, embedded_worker=False)
    try:
        with app.rt.connect() as conn, conn.begin():
            for i, at in enumerate(TIMES):
                conn.execute(insert(t.records).values(_row(i, at)))
            stored = conn.execute(text("SELECT created_at FROM records ORDER BY id")).scalars()
            sqlalchemys = DATETIME().bind_processor(conn.dialect)
            assert list(stored) == [sqlalchemys(at.astimezone(UTC).replace(tzinfo=None))
                                    for at in TIMES]  # fmt: skip
            read = conn.execute(select(t.records.c.created_at).order_by(t.records.c.id))
            assert [(at, at.tzinfo) for at in read.scalars()] == [(at, UTC) for at in TIMES]
    finally:
        app.close()


def test_a_naive_datetime_is_refused(app: App) -> None:
    with (
        pytest.raises(Exception, match="naive datetime"),
        app.rt.connect() as conn,
        conn.begin(),
    ):
        conn.execute(insert(t.records).values(_row(0, datetime(2026, 3, 1))))
