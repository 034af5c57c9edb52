"""Records: one table, typed system columns, field values as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert

from stageflow.store import db
from stageflow.store import tables as t
from stageflow.store import work_items as items
from stageflow.store.prepared import Prepared

_c = t.records.c
ID_LENGTH: int = _c.id.type.length  # type: ignore[attr-defined]
OBJECT_LENGTH: int = _c.object.type.length  # type: ignore[attr-defined]
NAME_LENGTH: int = _c.name.type.length  # type: ignore[attr-defined]
ACTOR_LENGTH: int = _c.created_by.type.length  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RecordRow:
    id: str
    object: str
    name: str
    owner: str | None
    fields: dict[str, Any]
    version: int
    created_at: datetime
    created_by: str
    modified_at: datetime
    modified_by: str

    def values(self) -> dict[str, Any]:
        """Field values plus the system fields that references may name."""
        return {
            **self.fields,
            "Id": self.id,
            "Name": self.name,
            "Object": self.object,
            "Owner": self.owner,
            "CreatedBy": self.created_by,
            "CreatedDate": self.created_at.isoformat(),
            "LastModifiedBy": self.modified_by,
            "LastModifiedDate": self.modified_at.isoformat(),
        }


_GET = Prepared(select(t.records).where(t.records.c.id == bindparam("record_id")))
# FOR NO KEY UPDATE: the lock an UPDATE of the row takes anyway, taken before the read
_GET_LOCKED = Prepared(_GET.statement.with_for_update(key_share=True))
# FOR SHARE SKIP LOCKED: held against updates, or no row while an update holds it
_GET_HELD = Prepared(_GET.statement.with_for_update(read=True, skip_locked=True))


def get(conn: Connection, record_id: str, lock: bool = False) -> RecordRow | None:
    """The record; `lock` takes its row lock first, for a read that its update will build on
    (on PostgreSQL another transaction could otherwise change it between the two)."""
    row = (_GET_LOCKED if lock else _GET).first(conn, {"record_id": record_id})
    return None if row is None else RecordRow(**row)


@dataclass(frozen=True)
class Recheck:
    """What a run's record is at the end of the run's transaction: `changed` holds its values
    if they are no longer what the run decided on; `busy` says an update of it is in flight."""

    changed: dict[str, Any] | None = None
    busy: bool = False


def recheck(conn: Connection, record_id: str, seen: Mapping[str, Any] | None) -> Recheck:
    """Compare the record with `seen` (what a run decided on) and hold it against updates
    until this transaction ends (FOR SHARE), without waiting for a lock.

    Where writers run at the same time (PostgreSQL) a record update may commit between a
    run's reading its record and its commit, and list the record's runs before the run is
    committed: the run would never hear of it. Holding the record orders the two. Waiting for
    it could deadlock (two runs writing each other's records), so an update in flight is
    reported as `busy` instead. Where writers take turns (SQLite) none of this can happen:
    nothing to report, without a query."""
    if db.writers_take_turns(conn):
        return Recheck()
    row = _GET_HELD.first(conn, {"record_id": record_id})
    if row is None:  # locked by an update in flight, or gone
        return Recheck(busy=_GET.first(conn, {"record_id": record_id}) is not None)
    values = RecordRow(**row).values()
    return Recheck(changed=None if values == seen else values)


def insert_record(
    conn: Connection,
    record_id: str,
    obj: str,
    name: str,
    owner: str | None,
    fields: Mapping[str, Any],
    now: datetime,
    by: str,
    if_absent: bool = False,
) -> bool:
    """Insert the record; with `if_absent`, do nothing when a record of that id exists (or
    another transaction inserts one first, at the same moment). True if it was inserted."""
    values = {
        "id": record_id, "object": obj, "name": name, "owner": owner, "fields": dict(fields),
        "version": 1, "created_at": now, "created_by": by, "modified_at": now, "modified_by": by,
    }  # fmt: skip
    if not if_absent or db.writers_take_turns(conn):  # the caller's "absent" still holds
        conn.execute(insert(t.records).values(**values))
        return True
    stmt = (
        postgresql_insert(t.records).values(**values).on_conflict_do_nothing(index_elements=["id"])
    )
    # RETURNING, not rowcount: SQLAlchemy reports -1 rows for it on psycopg
    return conn.execute(stmt.returning(t.records.c.id)).first() is not None


def update_record(
    conn: Connection, record_id: str, name: str, fields: Mapping[str, Any], now: datetime, by: str
) -> None:
    conn.execute(
        update(t.records)
        .where(t.records.c.id == record_id)
        .values(
            name=name,
            fields=dict(fields),
            version=t.records.c.version + 1,
            modified_at=now,
            modified_by=by,
        )
    )


def set_owner(conn: Connection, record_id: str, owner: str | None) -> None:
    conn.execute(update(t.records).where(t.records.c.id == record_id).values(owner=owner))


def delete_record(conn: Connection, record_id: str) -> None:
    conn.execute(delete(t.records).where(t.records.c.id == record_id))


def find(
    conn: Connection, obj: str, limit: int | None = 200, seen_by: items.Viewer | None = None
) -> list[RecordRow]:
    """Records of `obj`, newest first; `seen_by`: only those that user owns or has (had) work
    on."""
    c = t.records.c
    stmt = select(t.records).where(c.object == obj).order_by(c.created_at.desc()).limit(limit)
    if seen_by is not None:
        username, groups = seen_by
        involved = items.has_work_on(t.work_items.c.record_id, c.id, username, groups)
        stmt = stmt.where(or_(c.owner == username, involved))
    return [RecordRow(**r._mapping) for r in conn.execute(stmt)]
