"""Users, groups and queues (login and roles come with the people issue)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Column, Connection, String

from stageflow.errors import InvalidInput, NotFound, Problem
from stageflow.services import auth
from stageflow.services.mail import address_problem
from stageflow.services.permissions import Role
from stageflow.services.runtime import Runtime, reading, transaction
from stageflow.store import people as store
from stageflow.store import tables as t
from stageflow.store.people import Group, User

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.@-]*$")


def _check_name(name: str, what: str, field: str = "name") -> None:
    if not _NAME.match(name):
        raise InvalidInput(
            Problem(f"{name!r} is not a valid {what} name (letters, digits, _ . @ -)", field=field)
        )
    column = t.users.c.username if what == "user" else t.groups.c.name
    _check_length(name, column, f"a {what} name", field)


def _check_length(value: str | None, column: Column[Any], what: str, field: str) -> None:
    """Refuse what the column cannot hold, naming the field (PostgreSQL refuses it with a
    traceback, SQLite would keep it whole)."""
    longest = column.type.length if isinstance(column.type, String) else None
    if value is not None and longest is not None and len(value) > longest:
        raise InvalidInput(
            Problem(f"{what} has at most {longest} characters, got {len(value)}", field=field)
        )


def _check_details(name: str | None, email: str | None) -> None:
    _check_length(name, t.users.c.name, "a user's name", "name")
    _check_length(email, t.users.c.email, "an email address", "email")


def _check_email(email: str | None) -> None:
    """Refuse an address no email could be sent to: caught at the door, not by a worker
    retrying (or failing) its emails later."""
    why = address_problem(email) if email else None
    if why is not None:
        raise InvalidInput(
            Problem(f"{email!r} is not a usable email address: it {why}", field="email")
        )


def create_user(
    rt: Runtime,
    username: str,
    name: str | None = None,
    email: str | None = None,
    role: str = Role.USER.value,
    password: str | None = None,
) -> User:
    """Add a user, with a login password when one is given: both or neither are written."""
    _check_name(username, "user", "username")
    _check_details(name, email)
    _check_role(role)
    _check_email(email)
    hashed = None if password is None else auth.password_hash(password)
    with transaction(rt) as tx:
        if store.user(tx.conn, username) is not None:
            raise InvalidInput(Problem(f"user {username!r} exists already", field="username"))
        # No address made up: a user without one gets no emails (see `notifications`).
        store.add_user(tx.conn, username, name or username, email or None, role, tx.now)
        if hashed is not None:
            store.update_user(tx.conn, username, password_hash=hashed)
        found = store.user(tx.conn, username)
        assert found is not None
        return found


def _check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(Problem(f"{role!r} is not a role ({roles})", field="role"))


def update_user(
    rt: Runtime,
    username: str,
    *,
    name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    active: bool | None = None,
) -> User:
    """Change what is given (None: unchanged); `email=""` removes the user's address.
    Deactivating a user ends their browser sessions: activating them again does not bring an
    old cookie back to life."""
    if name is not None and not name.strip():
        raise InvalidInput(Problem("a user's name cannot be blank", field="name"))
    _check_details(name, email)
    if role is not None:
        _check_role(role)
    _check_email(email)
    changes = {
        k: v
        for k, v in {"name": name, "email": email, "role": role, "active": active}.items()
        if v is not None
    }
    with transaction(rt) as tx:
        before = store.user(tx.conn, username)
        if before is None:
            raise NotFound(Problem(f"no user {username!r}", field="username"))
        _keep_an_admin(tx.conn, before, role, active)
        if changes:
            store.update_user(tx.conn, username, **changes)
        if before.active and active is False:
            store.end_sessions(tx.conn, username)
        found = store.user(tx.conn, username)
        assert found is not None
        return found


def _keep_an_admin(conn: Connection, before: User, role: str | None, active: bool | None) -> None:
    """Refuse to demote or deactivate the last active admin: no one could manage people or
    deploy through the console or the API any more."""
    admin = Role.ADMIN.value
    if not (before.active and before.role == admin):
        return
    if (active is None or active) and (role is None or role == admin):
        return
    store.lock_role(conn, admin)
    if not [u for u in store.active_with_role(conn, admin) if u != before.username]:
        field = "active" if active is False else "role"
        raise InvalidInput(
            Problem(
                f"user {before.username!r} is the last active admin: make another user an "
                "admin first",
                field=field,
            )
        )


def user(rt: Runtime, username: str) -> User:
    with reading(rt) as tx:
        found = store.user(tx.conn, username)
    if found is None:
        raise NotFound(Problem(f"no user {username!r}", field="username"))
    return found


def create_group(
    rt: Runtime,
    name: str,
    kind: str = "group",
    label: str | None = None,
    members: list[str] | None = None,
) -> Group:
    _check_name(name, kind)
    _check_length(label, t.groups.c.label, f"a {kind}'s label", "label")
    with transaction(rt) as tx:
        if store.group(tx.conn, name) is not None:
            raise InvalidInput(
                Problem(f"a group or queue named {name!r} exists already", field="name")
            )
        store.add_group(tx.conn, name, kind, label or name.replace("_", " "), tx.now)
        for username in members or []:
            _add(tx.conn, name, username, "members")
        found = store.group(tx.conn, name)
        assert found is not None
        return found


def _add(conn: Connection, group: str, username: str, field: str) -> None:
    if store.user(conn, username) is None:
        raise NotFound(Problem(f"no user {username!r}", field=field))
    found = store.group(conn, group)
    if found is not None and username not in found.members:
        store.add_member(conn, group, username)


def _group_of(conn: Connection, group: str, kind: str | None) -> Group:
    found = store.group(conn, group)
    if found is None or (kind is not None and found.kind != kind):
        raise NotFound(Problem(f"no {kind or 'group or queue'} {group!r}", field="group"))
    return found


def add_member(rt: Runtime, group: str, username: str, kind: str | None = None) -> Group:
    """Add the user to the group or queue; with `kind`, only to one of that kind."""
    with transaction(rt) as tx:
        _group_of(tx.conn, group, kind)
        _add(tx.conn, group, username, "username")
        found = store.group(tx.conn, group)
        assert found is not None
        return found


def remove_member(rt: Runtime, group: str, username: str, kind: str | None = None) -> Group:
    """Take the user out of the group or queue; with `kind`, only out of one of that kind.
    The work items already assigned to the group stay its own: the user no longer sees them."""
    with transaction(rt) as tx:
        found = _group_of(tx.conn, group, kind)
        if store.user(tx.conn, username) is None:
            raise NotFound(Problem(f"no user {username!r}", field="username"))
        if username not in found.members:
            raise NotFound(
                Problem(f"{username!r} is not a member of {found.kind} {group!r}", field="username")
            )
        store.remove_member(tx.conn, group, username)
        after = store.group(tx.conn, group)
        assert after is not None
        return after


def users(rt: Runtime) -> list[User]:
    with reading(rt) as tx:
        return store.users(tx.conn)


def groups(rt: Runtime, kind: str) -> list[Group]:
    with reading(rt) as tx:
        return store.groups(tx.conn, kind)
