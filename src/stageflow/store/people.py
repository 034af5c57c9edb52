"""Users, groups and queues: the principals work items are assigned to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from stageflow.store import tables as t


@dataclass(frozen=True)
class User:
    username: str
    name: str
    email: str
    active: bool


@dataclass(frozen=True)
class Group:
    name: str
    kind: str  # group | queue
    label: str
    members: tuple[str, ...]


def user(session: Session, username: str) -> User | None:
    row = session.execute(
        select(t.users.c.username, t.users.c.name, t.users.c.email, t.users.c.active).where(
            t.users.c.username == username
        )
    ).first()
    return None if row is None else User(**row._mapping)


def users(session: Session) -> list[User]:
    c = t.users.c
    rows = session.execute(select(c.username, c.name, c.email, c.active).order_by(c.username))
    return [User(**r._mapping) for r in rows]


def add_user(session: Session, username: str, name: str, email: str, now: datetime) -> None:
    session.execute(
        insert(t.users).values(
            username=username, name=name, email=email, active=True, created_at=now
        )
    )


def group(session: Session, name: str) -> Group | None:
    row = session.execute(select(t.groups).where(t.groups.c.name == name)).first()
    if row is None:
        return None
    members = session.execute(
        select(t.memberships.c.username)
        .where(t.memberships.c.group_name == name)
        .order_by(t.memberships.c.username)
    ).scalars()
    return Group(row.name, row.kind, row.label, tuple(members))


def groups(session: Session, kind: str) -> list[Group]:
    names = session.execute(
        select(t.groups.c.name).where(t.groups.c.kind == kind).order_by(t.groups.c.name)
    )
    found = [group(session, n) for n in names.scalars()]
    return [g for g in found if g is not None]


def add_group(session: Session, name: str, kind: str, label: str, now: datetime) -> None:
    session.execute(insert(t.groups).values(name=name, kind=kind, label=label, created_at=now))


def add_member(session: Session, group_name: str, username: str) -> None:
    session.execute(insert(t.memberships).values(group_name=group_name, username=username))


def memberships_of(session: Session, username: str) -> list[tuple[str, str]]:
    """(kind, name) of every group and queue the user belongs to."""
    stmt = (
        select(t.groups.c.kind, t.groups.c.name)
        .join(t.memberships, t.memberships.c.group_name == t.groups.c.name)
        .where(t.memberships.c.username == username)
    )
    return [(r.kind, r.name) for r in session.execute(stmt)]
