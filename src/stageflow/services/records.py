"""Records: create, read, update, delete, checked against the object's deployed schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import Connection

from stageflow.definitions.datatypes import literal_fits, type_name
from stageflow.definitions.model import DataType, ObjectDef
from stageflow.errors import InvalidInput, NotFound, Problem
from stageflow.flows.values import NotStorable, storable
from stageflow.ids import new_id
from stageflow.services import triggers
from stageflow.services.filters import check_limit
from stageflow.services.runtime import Runtime, Tx, reading, transaction
from stageflow.store import definitions as defs_store
from stageflow.store import people
from stageflow.store import records as store
from stageflow.store.db import cut
from stageflow.store.records import RecordRow


def object_def(conn: Connection, obj: str) -> ObjectDef | None:
    version = defs_store.active(conn, "object", obj)
    if version is None:
        return None
    found = defs_store.parsed_version(conn, version)
    return found if isinstance(found, ObjectDef) else None


def check_values(
    schema: ObjectDef | None, obj: str, values: Mapping[str, Any], creating: bool
) -> None:
    """Refuse unknown fields, wrong types and values outside a picklist, naming each field."""
    if schema is None:
        raise InvalidInput(
            Problem(
                f"unknown object {obj!r}: deploy its `kind: object` definition first",
                field="object",
            )
        )
    problems = [
        Problem(message, field=name)
        for name, value in values.items()
        if name not in ("Name", "Owner")
        for message in [_field_problem(schema, obj, name, value)]
        if message
    ]
    if creating:
        problems += [
            Problem(f"{obj}.{spec.name} is required", field=spec.name)
            for spec in schema.fields
            if spec.required and values.get(spec.name) in (None, "")
        ]
    problems += _long_name(values)
    if problems:
        raise InvalidInput(problems)


def _long_name(values: Mapping[str, Any]) -> list[Problem]:
    """A `Name` given that its column cannot hold (PostgreSQL refuses it; SQLite kept it). A
    name made from Subject or Title is cut to fit instead: see `_name`."""
    name = str(values.get("Name") or "")
    if len(name) <= store.NAME_LENGTH:
        return []
    message = f"Name is at most {store.NAME_LENGTH} characters, got {len(name)}"
    return [Problem(message, field="Name")]


def _check_host_keys(obj: str, record_id: str) -> None:
    """A host record's object and id fit their columns (PostgreSQL refuses longer ones)."""
    problems = [
        Problem(f"{what} is at most {length} characters, got {len(value)}", field=field)
        for field, what, value, length in (
            ("object", "an object name", obj, store.OBJECT_LENGTH),
            ("id", "a record id", record_id, store.ID_LENGTH),
        )
        if len(value) > length
    ]
    if problems:
        raise InvalidInput(problems)


def kept(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Checked values as they are stored: dates and datetimes as ISO text, Decimals as numbers
    (what the same values sent as text or JSON become). One JSON cannot hold is refused."""
    try:
        return storable(values)
    except NotStorable as exc:
        raise InvalidInput(Problem(str(exc), field=f"{prefix}{exc.name}")) from None


def _field_problem(schema: ObjectDef, obj: str, name: str, value: Any) -> str | None:
    spec = schema.field_map.get(name)
    if spec is None:
        return f"{obj} has no field {name!r}"
    if value is None or value == "":
        return None
    if spec.type in (DataType.LOOKUP, DataType.USER):
        fits = isinstance(value, str)
    else:
        fits = literal_fits(spec.type, value)
    if not fits:
        return f"{obj}.{name} is {type_name(spec.type)}, got {value!r}"
    chosen = value if spec.type is DataType.MULTI_SELECT else [value]
    bad = [v for v in chosen if spec.choices and v not in spec.choices]
    if bad:
        return f"{bad[0]!r} is not a choice of {obj}.{name} ({', '.join(spec.choices)})"
    return None


def _name(obj: str, record_id: str, fields: Mapping[str, Any]) -> str:
    """The name a record without a `Name` gets, cut to its column as a run's name is (a Subject
    is a field, of any length)."""
    for key in ("Name", "Subject", "Title"):
        if fields.get(key):
            return cut(str(fields[key]), store.NAME_LENGTH)
    return f"{obj} {record_id}"


def check_owner(conn: Connection, values: Mapping[str, Any]) -> None:
    """An `Owner` given is a user's name (or null): assignees and visibility follow it."""
    owner = values.get("Owner")
    if owner is None:
        return
    if not isinstance(owner, str):
        raise InvalidInput(Problem(f"Owner is a username, got {owner!r}", field="Owner"))
    if people.user(conn, owner) is None:
        raise InvalidInput(Problem(f"no user {owner!r}", field="Owner"))


def _as_stored(tx: Tx, values: Mapping[str, Any], by: str) -> tuple[dict[str, Any], str]:
    """Checked values, and their writer, as a record keeps them: an `Owner` that is a user,
    dates as ISO text (`kept`), the writer's name cut to its column."""
    check_owner(tx.conn, values)
    return kept(values), cut(by, store.ACTOR_LENGTH)


def _move_owner(tx: Tx, row: RecordRow, values: Mapping[str, Any]) -> None:
    if "Owner" in values and values["Owner"] != row.owner:
        store.set_owner(tx.conn, row.id, values["Owner"])


def create_in(tx: Tx, obj: str, values: Mapping[str, Any], by: str) -> RecordRow:
    check_values(object_def(tx.conn, obj), obj, values, creating=True)
    values, by = _as_stored(tx, values, by)
    record_id = new_id()
    fields = {k: v for k, v in values.items() if k not in ("Name", "Owner")}
    name = str(values.get("Name") or _name(obj, record_id, fields))
    store.insert_record(tx.conn, record_id, obj, name, values.get("Owner"), fields, tx.now, by)
    row = store.get(tx.conn, record_id)
    assert row is not None
    triggers.record_changed_in(tx, row, None)
    return row


def update_in(tx: Tx, record_id: str, values: Mapping[str, Any], by: str) -> RecordRow:
    row = store.get(tx.conn, record_id, lock=True)  # the fields merged below stay current
    if row is None:
        raise NotFound(f"no record {record_id}")
    check_values(object_def(tx.conn, row.object), row.object, values, creating=False)
    values, by = _as_stored(tx, values, by)
    fields = {**row.fields, **{k: v for k, v in values.items() if k not in ("Name", "Owner")}}
    name = str(
        values.get("Name")
        or (row.name if row.name != f"{row.object} {row.id}" else _name(row.object, row.id, fields))
    )
    store.update_record(tx.conn, record_id, name, fields, tx.now, by)
    _move_owner(tx, row, values)
    tx.changed_records.add(record_id)
    updated = store.get(tx.conn, record_id)
    assert updated is not None
    triggers.record_changed_in(tx, updated, row.values())
    return updated


class TxRecords:
    """The records a flow sees: reads and writes inside the step's transaction. `using` wraps
    each use of the database (the flow's savepoint begins then). The transaction is not the
    flow's to use: its statements must follow the savepoint."""

    def __init__(
        self,
        tx: Tx,
        by: str = "system",
        using: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        self._tx = tx
        self._by = by
        self._using = using

    def get(self, object: str, id: str) -> dict[str, Any] | None:
        with self._using():
            row = store.get(self._tx.conn, id)
        if row is None or row.object != object:
            return None
        return row.values()

    def create(self, object: str, values: Mapping[str, Any]) -> str:
        with self._using():
            return create_in(self._tx, object, values, self._by).id

    def update(self, object: str, id: str, values: Mapping[str, Any]) -> None:
        with self._using():
            row = store.get(self._tx.conn, id)
            if row is None or row.object != object:
                raise NotFound(f"no {object} record {id}")
            update_in(self._tx, id, values, self._by)

    def find(self, object: str, **equals: Any) -> list[dict[str, Any]]:
        with self._using():
            rows = [r.values() for r in store.find(self._tx.conn, object, limit=None)]
        return [r for r in rows if all(r.get(k) == v for k, v in equals.items())]


def record_changed_in(
    tx: Tx,
    obj: str,
    record_id: str,
    values: Mapping[str, Any],
    prior: Mapping[str, Any] | None,
    by: str,
) -> RecordRow:
    """A host application's record changed: mirror its values and fire the triggers.

    `prior` None means the record was created (unless stageflow mirrors it already).
    """
    _check_host_keys(obj, record_id)
    existing = store.get(tx.conn, record_id, lock=True)  # the fields merged below stay current
    schema = object_def(tx.conn, obj)
    if schema is not None:
        check_values(schema, obj, values, creating=existing is None and prior is None)
    elif problems := _long_name(values):
        raise InvalidInput(problems)
    values, by = _as_stored(tx, values, by)
    prior = None if prior is None else kept(prior)
    fields = {k: v for k, v in values.items() if k not in ("Name", "Owner")}
    if existing is None:
        name = str(values.get("Name") or _name(obj, record_id, fields))
        owner = values.get("Owner")
        if not store.insert_record(
            tx.conn, record_id, obj, name, owner, fields, tx.now, by, if_absent=True
        ):  # another transaction mirrored it first, at the same moment: this is an update
            existing = store.get(tx.conn, record_id, lock=True)
            assert existing is not None
    if existing is not None:
        fields = {**existing.fields, **fields}
        name = str(values.get("Name") or _name(obj, record_id, fields))
        store.update_record(tx.conn, record_id, name, fields, tx.now, by)
        _move_owner(tx, existing, values)
        tx.changed_records.add(record_id)
        if prior is None:
            prior = existing.values()
    row = store.get(tx.conn, record_id)
    assert row is not None
    triggers.record_changed_in(tx, row, prior)
    return row


# --- use cases --------------------------------------------------------------------------------


def create(rt: Runtime, obj: str, values: Mapping[str, Any], by: str) -> RecordRow:
    with transaction(rt) as tx:
        return create_in(tx, obj, values, by)


def update(rt: Runtime, record_id: str, values: Mapping[str, Any], by: str) -> RecordRow:
    with transaction(rt) as tx:
        return update_in(tx, record_id, values, by)


def record_changed(
    rt: Runtime,
    obj: str,
    record_id: str,
    values: Mapping[str, Any],
    prior: Mapping[str, Any] | None,
    by: str,
) -> RecordRow:
    with transaction(rt) as tx:
        return record_changed_in(tx, obj, record_id, values, prior, by)


def field_types(rt: Runtime, obj: str) -> dict[str, DataType]:
    """The declared type of each field of `obj` ({} for an object not deployed), with Name and
    Owner, which every record has: what a front door reading values as text parses them by."""
    with reading(rt) as tx:
        schema = object_def(tx.conn, obj)
    if schema is None:
        return {}
    return {"Name": DataType.TEXT, "Owner": DataType.USER} | {f.name: f.type for f in schema.fields}


def get(rt: Runtime, record_id: str) -> RecordRow:
    with reading(rt) as tx:
        row = store.get(tx.conn, record_id)
    if row is None:
        raise NotFound(f"no record {record_id}")
    return row


def delete(rt: Runtime, record_id: str) -> None:
    with transaction(rt) as tx:
        if store.get(tx.conn, record_id) is None:
            raise NotFound(f"no record {record_id}")
        store.delete_record(tx.conn, record_id)


def find(rt: Runtime, obj: str, limit: int = 200, visible_to: str | None = None) -> list[RecordRow]:
    """Records of `obj`, newest first; `visible_to`: only those that user owns or has work
    on."""
    check_limit(limit)
    with reading(rt) as tx:
        seen_by = None
        if visible_to is not None:
            seen_by = (visible_to, people.memberships_of(tx.conn, visible_to))
        return store.find(tx.conn, obj, limit, seen_by)
