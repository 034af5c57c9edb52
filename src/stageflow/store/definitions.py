"""Deployed definitions: every version kept, one active per (kind, name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from stageflow.definitions.loader import load_one
from stageflow.definitions.model import Definition
from stageflow.store import db
from stageflow.store import tables as t
from stageflow.store.prepared import Prepared


@dataclass(frozen=True)
class DeployedVersion:
    id: int
    kind: str
    name: str
    version: int
    active: bool
    content_hash: str
    source_file: str
    deployed_at: datetime
    deployed_by: str


# Parsed definitions by content: a version never changes once written, and the same content
# parses the same way whichever database it came from.
_parsed: dict[tuple[str, str], Definition] = {}


_c = t.definitions.c
_KEY = select(_c.content_hash, _c.source_file).where(_c.id == bindparam("definition_id"))
_TEXT = select(_c.source_text).where(_c.id == bindparam("definition_id"))


def parsed(conn: Connection, definition_id: int) -> Definition:
    key_row = conn.execute(_KEY, {"definition_id": definition_id}).one()
    key = (key_row.content_hash, key_row.source_file)
    found = _parsed.get(key)
    if found is None:
        text = conn.execute(_TEXT, {"definition_id": definition_id}).scalar_one()
        found = _parsed[key] = load_one(text, key_row.source_file)
    return found


def parsed_known(conn: Connection, definition_id: int, content_hash: str, file: str) -> Definition:
    """Like `parsed`, when the caller read the version's hash and file along with its row."""
    found = _parsed.get((content_hash, file))
    return found if found is not None else parsed(conn, definition_id)


def parsed_version(conn: Connection, version: DeployedVersion) -> Definition:
    """Like `parsed`, without a query when the content is known already."""
    return parsed_known(conn, version.id, version.content_hash, version.source_file)


def _versions_stmt() -> Any:
    c = t.definitions.c
    return select(
        c.id,
        c.kind,
        c.name,
        c.version,
        c.active,
        c.content_hash,
        c.source_file,
        c.deployed_at,
        c.deployed_by,
    )


def versions(
    conn: Connection, kind: str | None = None, name: str | None = None
) -> list[DeployedVersion]:
    c = t.definitions.c
    stmt = _versions_stmt().order_by(c.kind, c.name, c.version)
    if kind:
        stmt = stmt.where(c.kind == kind)
    if name:
        stmt = stmt.where(c.name == name)
    return [DeployedVersion(**r._mapping) for r in conn.execute(stmt)]


_ACTIVE = Prepared(
    _versions_stmt().where(
        _c.kind == bindparam("kind"), _c.name == bindparam("name"), _c.active.is_(True)
    )
)


def active(conn: Connection, kind: str, name: str) -> DeployedVersion | None:
    row = _ACTIVE.first(conn, {"kind": kind, "name": name})
    return None if row is None else DeployedVersion(**row)


def all_active(conn: Connection, kind: str | None = None) -> list[DeployedVersion]:
    c = t.definitions.c
    stmt = _versions_stmt().where(c.active.is_(True)).order_by(c.kind, c.name)
    if kind:
        stmt = stmt.where(c.kind == kind)
    return [DeployedVersion(**r._mapping) for r in conn.execute(stmt)]


def lock_versions(conn: Connection, kind: str, name: str) -> None:
    """Hold the definition's name until the transaction ends: the reads and changes that
    follow (which version is latest, which is active) then see what another deploy or
    activation of it committed before, its first version included. A run being started on a
    version does not wait."""
    db.lock_key(conn, f"definition:{kind}:{name}")


def latest(conn: Connection, kind: str, name: str) -> DeployedVersion | None:
    found = versions(conn, kind, name)
    return found[-1] if found else None


def add_version(
    conn: Connection,
    kind: str,
    name: str,
    content_hash: str,
    source_file: str,
    source_text: str,
    now: datetime,
    by: str,
    activate: bool,
) -> int:
    lock_versions(conn, kind, name)  # the caller's, as a rule: taken again, it never waits
    last = latest(conn, kind, name)
    number = 1 if last is None else last.version + 1
    if activate:
        deactivate(conn, kind, name)
    conn.execute(
        insert(t.definitions).values(
            kind=kind,
            name=name,
            version=number,
            active=activate,
            content_hash=content_hash,
            source_file=source_file,
            source_text=source_text,
            deployed_at=now,
            deployed_by=by,
        )
    )
    return number


def deactivate(conn: Connection, kind: str, name: str) -> None:
    lock_versions(conn, kind, name)
    c = t.definitions.c
    conn.execute(update(t.definitions).where(c.kind == kind, c.name == name).values(active=False))


def activate(conn: Connection, kind: str, name: str, version: int) -> bool:
    c = t.definitions.c
    deactivate(conn, kind, name)
    result = conn.execute(
        update(t.definitions)
        .where(c.kind == kind, c.name == name, c.version == version)
        .values(active=True)
    )
    return bool(result.rowcount)


def get_setting(conn: Connection, key: str, lock: bool = False) -> Any:
    """A setting's value; `lock` holds the setting (set or not yet) until the transaction
    ends, for a change that builds on the value read."""
    if lock:
        db.lock_key(conn, f"setting:{key}")
    row = conn.execute(select(t.settings.c.value).where(t.settings.c.key == key)).first()
    return None if row is None else row[0]


def put_setting(conn: Connection, key: str, value: Any) -> None:
    if get_setting(conn, key) is None:
        conn.execute(insert(t.settings).values(key=key, value=value))
    else:
        conn.execute(update(t.settings).where(t.settings.c.key == key).values(value=value))


def source_text(conn: Connection, definition_id: int) -> str:
    stmt = select(t.definitions.c.source_text).where(t.definitions.c.id == definition_id)
    return str(conn.execute(stmt).scalar_one())
