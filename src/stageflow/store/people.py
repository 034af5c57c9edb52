"""Users, groups and queues (the principals work items are assigned to), API tokens, and
failed-login counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from stageflow.store import db
from stageflow.store import tables as t
from stageflow.store.prepared import Prepared


@dataclass(frozen=True)
class User:
    username: str
    name: str
    email: str | None  # None: no address, the user gets no emails
    active: bool
    role: str
    session_generation: int = 0  # the browser sessions still valid carry this one


@dataclass(frozen=True)
class Group:
    name: str
    kind: str  # group | queue
    label: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Token:
    id: str
    username: str
    name: str
    secret_hash: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


_USER_COLUMNS = (
    t.users.c.username,
    t.users.c.name,
    t.users.c.email,
    t.users.c.active,
    t.users.c.role,
    t.users.c.session_generation,
)


_USER = Prepared(select(*_USER_COLUMNS).where(t.users.c.username == bindparam("username")))


def _user(row: Mapping[Any, Any]) -> User:
    # The column is NOT NULL (from the first schema): "" stands for no address there.
    return User(**{**row, "email": row["email"] or None})


def user(conn: Connection, username: str) -> User | None:
    row = _USER.first(conn, {"username": username})
    return None if row is None else _user(row)


_GROUP_OF_KIND = Prepared(
    select(t.groups.c.name).where(
        t.groups.c.name == bindparam("name"), t.groups.c.kind == bindparam("kind")
    )
)


def assignee_problem(conn: Connection, kind: str, name: str) -> str | None:
    """Why `kind` ("user", "group" or "queue") `name` cannot be given a work item, or None.
    An inactive user cannot sign in to do it, so they count as no one to give it to."""
    if kind == "user":
        user = _USER.first(conn, {"username": name})
        if user is None:
            return "does not exist"
        return None if user["active"] else "is inactive"
    found = _GROUP_OF_KIND.first(conn, {"name": name, "kind": kind})
    return None if found is not None else "does not exist"


def lock_user(conn: Connection, username: str) -> None:
    """Hold the username until the transaction ends: one login attempt at a time counts its
    failures, for a name that is no user too."""
    db.lock_key(conn, f"login:{username}")


def users(conn: Connection) -> list[User]:
    rows = conn.execute(select(*_USER_COLUMNS).order_by(t.users.c.username))
    return [_user(r._mapping) for r in rows]


def add_user(
    conn: Connection, username: str, name: str, email: str | None, role: str, now: datetime
) -> None:
    conn.execute(
        insert(t.users).values(
            username=username, name=name, email=email or "", active=True, role=role, created_at=now
        )
    )


def update_user(conn: Connection, username: str, **values: object) -> None:
    conn.execute(update(t.users).where(t.users.c.username == username).values(**values))


def end_sessions(conn: Connection, username: str) -> None:
    """Invalidate every browser session of the user (they carry the old generation)."""
    generation = t.users.c.session_generation
    conn.execute(
        update(t.users)
        .where(t.users.c.username == username)
        .values(session_generation=generation + 1)
    )


def password_hash(conn: Connection, username: str) -> str | None:
    stmt = select(t.users.c.password_hash).where(t.users.c.username == username)
    return conn.execute(stmt).scalar_one_or_none()


def group(conn: Connection, name: str) -> Group | None:
    row = conn.execute(select(t.groups).where(t.groups.c.name == name)).first()
    if row is None:
        return None
    members = conn.execute(
        select(t.memberships.c.username)
        .where(t.memberships.c.group_name == name)
        .order_by(t.memberships.c.username)
    ).scalars()
    return Group(row.name, row.kind, row.label, tuple(members))


def groups(conn: Connection, kind: str) -> list[Group]:
    names = conn.execute(
        select(t.groups.c.name).where(t.groups.c.kind == kind).order_by(t.groups.c.name)
    )
    found = [group(conn, n) for n in names.scalars()]
    return [g for g in found if g is not None]


def add_group(conn: Connection, name: str, kind: str, label: str, now: datetime) -> None:
    conn.execute(insert(t.groups).values(name=name, kind=kind, label=label, created_at=now))


def add_member(conn: Connection, group_name: str, username: str) -> None:
    conn.execute(insert(t.memberships).values(group_name=group_name, username=username))


def remove_member(conn: Connection, group_name: str, username: str) -> None:
    m = t.memberships.c
    conn.execute(delete(t.memberships).where(m.group_name == group_name, m.username == username))


def active_with_role(conn: Connection, role: str) -> list[str]:
    """The usernames of the active users with `role`; `lock_role` first to act on the answer."""
    u = t.users.c
    stmt = select(u.username).where(u.role == role, u.active.is_(True)).order_by(u.username)
    return list(conn.execute(stmt).scalars())


def lock_role(conn: Connection, role: str) -> None:
    """Hold who has `role` until the transaction ends: two admins demoting each other at once
    must not both see the other one left."""
    db.lock_key(conn, f"role:{role}")


def memberships_of(conn: Connection, username: str) -> list[tuple[str, str]]:
    """(kind, name) of every group and queue the user belongs to."""
    stmt = (
        select(t.groups.c.kind, t.groups.c.name)
        .join(t.memberships, t.memberships.c.group_name == t.groups.c.name)
        .where(t.memberships.c.username == username)
    )
    return [(r.kind, r.name) for r in conn.execute(stmt)]


def add_token(
    conn: Connection, token_id: str, username: str, name: str, secret_hash: str, now: datetime
) -> None:
    conn.execute(
        insert(t.api_tokens).values(
            id=token_id, username=username, name=name, secret_hash=secret_hash, created_at=now
        )
    )


def token(conn: Connection, token_id: str) -> Token | None:
    row = conn.execute(select(t.api_tokens).where(t.api_tokens.c.id == token_id)).first()
    return None if row is None else Token(**row._mapping)


def touch_token(conn: Connection, token_id: str, now: datetime) -> None:
    conn.execute(update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(last_used_at=now))


def revoke_token(conn: Connection, token_id: str, now: datetime) -> None:
    conn.execute(update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(revoked_at=now))


def failures(conn: Connection, username: str) -> tuple[int, datetime | None]:
    row = conn.execute(
        select(t.login_failures).where(t.login_failures.c.username == username)
    ).first()
    return (0, None) if row is None else (row.failures, row.locked_until)


def set_failures(
    conn: Connection, username: str, count: int, locked_until: datetime | None
) -> None:
    conn.execute(delete(t.login_failures).where(t.login_failures.c.username == username))
    if count:
        conn.execute(
            insert(t.login_failures).values(
                username=username, failures=count, locked_until=locked_until
            )
        )
