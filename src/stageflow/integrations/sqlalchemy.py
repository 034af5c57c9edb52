"""Report a host application's own SQLAlchemy models to stageflow as records.

    from stageflow.integrations.sqlalchemy import track
    track(app, SessionLocal, {Case: "Case"})

After each commit of a tracked session, every created or updated instance of a mapped class is
passed to `app.record_changed` with its column values and, for updates, the values before the
change: record-triggered orchestrations start and runs on the record re-evaluate. Reporting
happens after the host's commit, in stageflow's own transaction: a process that dies between the
two commits loses that report (the host's change itself is kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from stageflow.app import App

_PENDING = "stageflow_pending"

Change = tuple[str, str, dict[str, Any], dict[str, Any] | None]  # object, id, values, prior


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _values(instance: Any, id_attribute: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    state = inspect(instance)
    values: dict[str, Any] = {}
    prior: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        current = getattr(instance, attr.key)
        history = state.attrs[attr.key].history
        before = history.deleted[0] if history.deleted else current
        if attr.key != id_attribute:
            values[attr.key] = _plain(current)
            prior[attr.key] = _plain(before)
    return str(getattr(instance, id_attribute)), values, prior


def track(
    app: App,
    sessions: sessionmaker[Any] | type[Session] | Session,
    objects: Mapping[type, str],
    *,
    id_attribute: str = "id",
) -> None:
    """Report created and updated instances of the classes in `objects` (class -> object name)
    after each commit of `sessions` (a sessionmaker, a Session class or one session)."""

    @event.listens_for(sessions, "after_flush")
    def _collect(session: Session, _context: Any) -> None:
        pending: dict[tuple[str, str], Change] = session.info.setdefault(_PENDING, {})
        for instance in list(session.new) + list(session.dirty):
            name = objects.get(type(instance))
            if name is None or (instance in session.dirty and not session.is_modified(instance)):
                continue
            record_id, values, prior = _values(instance, id_attribute)
            created = instance in session.new
            earlier = pending.get((name, record_id))
            if earlier is not None:  # changed again in the same transaction: keep the first prior
                pending[(name, record_id)] = (name, record_id, values, earlier[3])
            else:
                pending[(name, record_id)] = (name, record_id, values, None if created else prior)

    @event.listens_for(sessions, "after_commit")
    def _report(session: Session) -> None:
        pending: dict[tuple[str, str], Change] = session.info.pop(_PENDING, {})
        for name, record_id, values, prior in pending.values():
            app.record_changed(name, record_id, values, prior)

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_PENDING, None)
