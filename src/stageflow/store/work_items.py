"""Named queries over the work item projection (the lists people look at)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, or_, select

from stageflow.store import paging
from stageflow.store import tables as t
from stageflow.store.prepared import Prepared


@dataclass(frozen=True)
class WorkItemRow:
    id: str
    run_id: str
    step: str
    name: str
    status: str
    assignee_kind: str
    assignee: str
    record_id: str | None
    orchestration: str
    created_at: datetime
    created_by: str
    modified_at: datetime
    modified_by: str
    completed_by: str | None
    completed_at: datetime | None

    @property
    def assigned_to(self) -> str:
        return f"{self.assignee_kind}:{self.assignee}"


def _rows(conn: Connection, stmt: Any) -> list[WorkItemRow]:
    return [WorkItemRow(**r._mapping) for r in conn.execute(stmt)]


_GET = Prepared(select(t.work_items).where(t.work_items.c.id == bindparam("item_id")))


def get(conn: Connection, item_id: str) -> WorkItemRow | None:
    row = _GET.first(conn, {"item_id": item_id})
    return None if row is None else WorkItemRow(**row)


ITEM_SORTS = ("created_at", "modified_at", "name", "modified_by", "status", "record_id", "step",
              "assignee")  # fmt: skip
Cursor = paging.Cursor
# A user and the groups and queues they belong to: the lists a query is for.
Viewer = tuple[str, list[tuple[str, str]]]


def _page(
    stmt: Any, after: Cursor | None, sort: str = "created_at", descending: bool = True
) -> Any:
    c = t.work_items.c
    column = c[sort if sort in ITEM_SORTS else "created_at"]
    return paging.apply(stmt, column, c.id, descending, after)


def mine(username: str, groups: list[tuple[str, str]]) -> Any:
    """The condition "assigned to this user, or to a group or queue they belong to"."""
    c = t.work_items.c
    options = [and_(c.assignee_kind == "user", c.assignee == username)]
    options += [and_(c.assignee_kind == kind, c.assignee == name) for kind, name in groups]
    return or_(*options)


def involvement(username: str, groups: list[tuple[str, str]]) -> Any:
    """The condition "the user has (or had) this work item": it is assigned to them, or to a
    group or queue of theirs, or they completed it."""
    return or_(mine(username, groups), t.work_items.c.completed_by == username)


def has_work_on(column: Any, key: Any, username: str, groups: list[tuple[str, str]]) -> Any:
    """EXISTS a work item of the user's whose `column` (run_id, record_id) is `key` (an outer
    query's column): the outer rows stay one each, so keyset pages stay exact."""
    return select(t.work_items.c.id).where(column == key, involvement(username, groups)).exists()


def inbox(
    conn: Connection,
    username: str,
    groups: list[tuple[str, str]],
    status: str | None = "Assigned",
    limit: int = 50,
    after: Cursor | None = None,
    run_id: str | None = None,
    record_id: str | None = None,
    sort: str = "created_at",
    descending: bool = True,
    orchestration: str | None = None,
) -> list[WorkItemRow]:
    """Work items of a user: assigned to them, or to a group or queue they belong to.

    One indexed query per principal (the user, each group, each queue), merged here: an OR over
    principals would make the database walk the whole table in date order to fill a page.
    """
    c = t.work_items.c
    sort = sort if sort in ITEM_SORTS else "created_at"
    rows: list[WorkItemRow] = []
    for kind, name in [("user", username), *groups]:
        stmt = select(t.work_items).where(c.assignee_kind == kind, c.assignee == name)
        if status:
            stmt = stmt.where(c.status == status)
        if run_id:
            stmt = stmt.where(c.run_id == run_id)
        if record_id:
            stmt = stmt.where(c.record_id == record_id)
        if orchestration:  # filtered before the page is cut, or matches fall off it
            stmt = stmt.where(c.orchestration == orchestration)
        rows += _rows(conn, _page(stmt.limit(limit), after, sort, descending))
    rows.sort(key=lambda r: (_sortable(getattr(r, sort)), r.id), reverse=descending)
    return rows[:limit]


def _sortable(value: Any) -> Any:
    return "" if value is None else value


def search(
    conn: Connection,
    *,
    status: str | None = None,
    run_id: str | None = None,
    record_id: str | None = None,
    orchestration: str | None = None,
    limit: int = 50,
    after: Cursor | None = None,
    assignee: str | None = None,
    sort: str = "created_at",
    descending: bool = True,
) -> list[WorkItemRow]:
    c = t.work_items.c
    stmt = select(t.work_items).limit(limit)
    if assignee:
        kind, _, name = assignee.partition(":")
        stmt = stmt.where(c.assignee_kind == kind, c.assignee == name)
    if status:
        stmt = stmt.where(c.status == status)
    if run_id:
        stmt = stmt.where(c.run_id == run_id)
    if record_id:
        stmt = stmt.where(c.record_id == record_id)
    if orchestration:
        stmt = stmt.where(c.orchestration == orchestration)
    return _rows(conn, _page(stmt, after, sort, descending))


def involves(
    conn: Connection,
    username: str,
    groups: list[tuple[str, str]],
    *,
    run_id: str | None = None,
    record_id: str | None = None,
) -> bool:
    """Whether the user has (or had) work in this run or on this record."""
    c = t.work_items.c
    stmt = select(c.id).where(involvement(username, groups)).limit(1)
    if run_id:
        stmt = stmt.where(c.run_id == run_id)
    if record_id:
        stmt = stmt.where(c.record_id == record_id)
    return conn.execute(stmt).first() is not None
