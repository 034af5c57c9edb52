"""Runs, their work item projection and their log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, or_, select, update

from stageflow.engine.commands import LogEntry
from stageflow.engine.state import Run, WorkItem
from stageflow.errors import InvalidInput, NotFound
from stageflow.store import paging
from stageflow.store import tables as t
from stageflow.store import work_items as items
from stageflow.store.codec import encode_state
from stageflow.store.prepared import Prepared, pipelined

RUN_NAME_LENGTH: int = t.runs.c.name.type.length  # type: ignore[attr-defined]
ACTOR_LENGTH: int = t.runs.c.created_by.type.length  # type: ignore[attr-defined]

# The hot path's statements: every event runs them (see store/prepared.py).
_d = t.definitions.c
# Not joined: the run's record. On PostgreSQL a locked load that waited for the run's lock
# re-reads only the run's row, so a record joined in could be older than the run.
_RUN_ROW = select(
    t.runs, _d.content_hash.label("definition_hash"), _d.source_file.label("definition_file")
).join(t.definitions, _d.id == t.runs.c.definition_id)
_LOAD = Prepared(_RUN_ROW.where(t.runs.c.id == bindparam("run_key")))
_LOAD_LOCKED = Prepared(_LOAD.statement.with_for_update(of=t.runs))
_ITEMS_RUN = select(t.work_items.c.run_id).where(t.work_items.c.id == bindparam("item_key"))
_LOAD_OF_ITEM = Prepared(_RUN_ROW.where(t.runs.c.id == _ITEMS_RUN.scalar_subquery()))
_LOAD_OF_ITEM_LOCKED = Prepared(_LOAD_OF_ITEM.statement.with_for_update(of=t.runs))
_INSERT_RUN = Prepared(insert(t.runs))
# UPDATE statements SET the columns named by the parameters; the row is picked by `*_key`.
_UPDATE_RUN = Prepared(update(t.runs).where(t.runs.c.id == bindparam("run_key")))
_UPDATE_ITEM = Prepared(update(t.work_items).where(t.work_items.c.id == bindparam("item_key")))
_INSERT_ITEMS = Prepared(insert(t.work_items))
_INSERT_LOG = Prepared(insert(t.run_log))
_LOG_OF = Prepared(
    select(t.run_log).where(t.run_log.c.run_id == bindparam("run_key")).order_by(t.run_log.c.id)
)


def insert_run(conn: Connection, run: Run, definition_id: int) -> None:
    _INSERT_RUN.execute(
        conn,
        {
            "id": run.id,
            "name": run.name,
            "orchestration": run.orchestration.name,
            "definition_id": definition_id,
            "version": run.version,
            "status": run.status.value,
            "current_stage": run.current,
            "record_id": run.record_id,
            "state": encode_state(run),
            "created_at": run.created_at,
            "created_by": run.created_by,
            "modified_at": run.modified_at,
            "modified_by": run.modified_by,
        },
    )


def load_row(conn: Connection, run_id: str, lock: bool = True) -> dict[str, Any] | None:
    """The run's row; `lock` takes its row lock (one writer per run) where the database has them."""
    return (_LOAD_LOCKED if lock else _LOAD).first(conn, {"run_key": run_id})


def load_row_of_item(conn: Connection, item_id: str, lock: bool = True) -> dict[str, Any] | None:
    """The row of the run work item `item_id` belongs to, as `load_row`; None if there is no
    such item."""
    return (_LOAD_OF_ITEM_LOCKED if lock else _LOAD_OF_ITEM).first(conn, {"item_key": item_id})


def save(
    conn: Connection,
    before: Run | None,
    after: Run,
    log: Sequence[LogEntry],
    definition_id: int | None = None,
) -> None:
    """Write the new snapshot, the changed work items and the log lines, in the caller's tx.

    A new run (`before` is None) is inserted with its definition's id.
    """
    with pipelined(conn):  # nothing here reads a result: one round trip on PostgreSQL
        if before is None:
            assert definition_id is not None
            insert_run(conn, after, definition_id)
        else:
            _UPDATE_RUN.execute(
                conn,
                {
                    "run_key": after.id,
                    "status": after.status.value,
                    "current_stage": after.current,
                    "state": encode_state(after),
                    "modified_at": after.modified_at,
                    "modified_by": after.modified_by,
                },
            )
        _save_items(conn, before, after)
        append_log(conn, after.id, log)


def append_log(conn: Connection, run_id: str, log: Sequence[LogEntry]) -> None:
    _INSERT_LOG.execute_many(conn, [_log_row(run_id, e) for e in log])


def _save_items(conn: Connection, before: Run | None, after: Run) -> None:
    old = before.work_items if before is not None else {}
    new_rows, changed = [], []
    for item_id, item in after.work_items.items():
        prev = old.get(item_id)
        if prev is None:
            new_rows.append(_item_row(after, item))
        elif prev != item:
            changed.append(item)
    _INSERT_ITEMS.execute_many(conn, new_rows)
    _UPDATE_ITEM.execute_many(conn, [_item_changes(item) for item in changed])


def _item_row(run: Run, w: WorkItem) -> dict[str, Any]:
    return {
        "id": w.id,
        "run_id": run.id,
        "step": w.step,
        "name": w.name,
        "status": w.status.value,
        "assignee_kind": w.assignee.kind.value,
        "assignee": w.assignee.name,
        "record_id": w.record_id,
        "orchestration": run.orchestration.name,
        "created_at": w.created_at,
        "created_by": w.created_by,
        "modified_at": w.modified_at,
        "modified_by": w.modified_by,
        "completed_by": w.completed_by,
        "completed_at": w.completed_at,
    }


def _item_changes(w: WorkItem) -> dict[str, Any]:
    """What an event can change of a stored work item (engine.working `set_item`): its other
    columns never change once it exists. Leaving them out of the UPDATE spares SQLite
    rewriting the entries of the indexes on them (ix_work_items_run_id) in every commit."""
    return {
        "item_key": w.id,
        "status": w.status.value,
        "assignee_kind": w.assignee.kind.value,
        "assignee": w.assignee.name,
        "modified_at": w.modified_at,
        "modified_by": w.modified_by,
        "completed_by": w.completed_by,
        "completed_at": w.completed_at,
    }


def _log_row(run_id: str, e: LogEntry) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "at": e.at,
        "actor": e.actor,
        "object_type": e.object_type,
        "object_name": e.object_name,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "detail": e.detail,
    }


@dataclass(frozen=True)
class RunSummary:
    id: str
    name: str
    orchestration: str
    version: int
    status: str
    current_stage: str | None
    record_id: str | None
    created_at: datetime
    created_by: str
    modified_at: datetime
    modified_by: str


RUN_SORTS = ("name", "status", "orchestration", "created_by", "created_at", "modified_by",
             "modified_at")  # fmt: skip


def list_runs(
    conn: Connection,
    *,
    status: str | None = None,
    orchestration: str | None = None,
    record_id: str | None = None,
    created_by: str | None = None,
    seen_by: items.Viewer | None = None,
    limit: int = 50,
    after: paging.Cursor | None = None,
    sort: str = "created_at",
    descending: bool = True,
) -> list[RunSummary]:
    """Runs sorted by `sort` (newest first by default); `after` continues from a page's last
    row: (its sort value, its id). `seen_by`: only the runs that user started or has (had)
    work in."""
    c = t.runs.c
    stmt = select(
        c.id, c.name, c.orchestration, c.version, c.status, c.current_stage, c.record_id,
        c.created_at, c.created_by, c.modified_at, c.modified_by,
    ).limit(limit)  # fmt: skip
    if status:
        stmt = stmt.where(c.status == status)
    if orchestration:
        stmt = stmt.where(c.orchestration == orchestration)
    if record_id:
        stmt = stmt.where(c.record_id == record_id)
    if created_by:
        stmt = stmt.where(c.created_by == created_by)
    if seen_by is not None:
        username, groups = seen_by
        involved = items.has_work_on(t.work_items.c.run_id, c.id, username, groups)
        stmt = stmt.where(or_(c.created_by == username, involved))
    column = c[sort if sort in RUN_SORTS else "created_at"]
    stmt = paging.apply(stmt, column, c.id, descending, after)
    return [RunSummary(**row._mapping) for row in conn.execute(stmt)]


def log_of(conn: Connection, run_id: str) -> list[LogEntry]:
    rows = _LOG_OF.rows(conn, {"run_key": run_id})
    return [
        LogEntry(
            r["at"], r["actor"], r["object_type"], r["object_name"], r["from_status"],
            r["to_status"], r["detail"],
        )
        for r in rows
    ]  # fmt: skip


def run_ids_for_record(conn: Connection, record_id: str, statuses: Sequence[str]) -> list[str]:
    c = t.runs.c
    stmt = select(c.id).where(c.record_id == record_id, c.status.in_(statuses))
    return list(conn.execute(stmt).scalars())


def resolve_prefix(conn: Connection, prefix: str) -> str:
    c = t.runs.c
    found = list(
        conn.execute(
            select(c.id).where(c.id.startswith(prefix, autoescape=True)).limit(2)
        ).scalars()
    )
    if not found:
        raise NotFound(f"no run {prefix}")
    if len(found) > 1:
        raise InvalidInput(f"{prefix!r} matches more than one run; give more characters")
    return str(found[0])


@dataclass(frozen=True)
class EventUse:
    run_id: str
    action: str | None  # None: noted before event ids kept their action


def used_for(
    conn: Connection, event_id: str, run_id: str, action: str, now: datetime
) -> EventUse | None:
    """Record that event `event_id` is `action` on the run; if the id was used already, what
    for (nothing is recorded then)."""
    c = t.event_ids.c
    seen = conn.execute(select(c.run_id, c.action).where(c.id == event_id)).first()
    if seen is not None:
        return EventUse(str(seen.run_id), seen.action)
    conn.execute(insert(t.event_ids).values(id=event_id, run_id=run_id, action=action, at=now))
    return None
