"""The Python API: `app = stageflow.connect(url)`, then the SPEC's verbs on `app`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from stageflow.errors import Problem
from stageflow.flows.registry import REGISTRY, Registry
from stageflow.services import (
    auth,
    deployments,
    outbox_work,
    people,
    records,
    runs,
    work_items,
)
from stageflow.services.auth import NewToken
from stageflow.services.deployments import Deployed
from stageflow.services.runtime import Runtime
from stageflow.services.views import RunView
from stageflow.store import schema
from stageflow.store.db import database_url, is_sqlite, make_engine, opening
from stageflow.store.definitions import DeployedVersion
from stageflow.store.people import Group, User
from stageflow.store.records import RecordRow
from stageflow.store.runs import RunSummary
from stageflow.store.work_items import WorkItemRow


class Records:
    """`app.records`: create, get, update, delete records of deployed objects."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    def create(self, object: str, values: Mapping[str, Any], by: str = "system") -> RecordRow:
        """Create a record; record-triggered orchestrations it meets start."""
        row = records.create(self._rt, object, values, by)
        _embedded_drain(self._rt)
        return row

    def get(self, id: str) -> RecordRow:
        return records.get(self._rt, id)

    def update(self, id: str, values: Mapping[str, Any], by: str = "system") -> RecordRow:
        """Change fields; triggers fire and runs on the record re-evaluate."""
        row = records.update(self._rt, id, values, by)
        _embedded_drain(self._rt)
        return row

    def delete(self, id: str) -> None:
        records.delete(self._rt, id)

    def list(self, object: str, limit: int = 200) -> list[RecordRow]:
        return records.find(self._rt, object, limit)


def _embedded_drain(rt: Runtime) -> int:
    """Without a worker process (SQLite), carry out the work this process queued, or work
    that came due since (a step's retry, an email given back): API calls are its only clock."""
    if not rt.embedded_worker:
        return 0
    due = rt.next_due is not None and rt.now() >= rt.next_due
    return outbox_work.drain(rt) if rt.outbox_dirty or due else 0


class People:
    """`app.people`: users, groups and queues that work items are assigned to."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    def create_user(
        self,
        username: str,
        name: str | None = None,
        email: str | None = None,
        role: str = "user",
        password: str | None = None,
    ) -> User:
        """Add a user (role admin, supervisor or user), optionally with a login password."""
        return people.create_user(self._rt, username, name, email, role, password)

    def update_user(self, username: str, **changes: Any) -> User:
        return people.update_user(self._rt, username, **changes)

    def set_password(self, username: str, password: str) -> None:
        auth.set_password(self._rt, username, password)

    def create_token(self, username: str, name: str = "api") -> NewToken:
        """A new API token for `username`; its secret is shown only here."""
        return auth.create_token(self._rt, username, name)

    def create_group(
        self, name: str, members: list[str] | None = None, label: str | None = None
    ) -> Group:
        return people.create_group(self._rt, name, "group", label, members)

    def create_queue(
        self, name: str, members: list[str] | None = None, label: str | None = None
    ) -> Group:
        return people.create_group(self._rt, name, "queue", label, members)

    def add_member(self, group: str, username: str, kind: str | None = None) -> Group:
        return people.add_member(self._rt, group, username, kind)

    def remove_member(self, group: str, username: str, kind: str | None = None) -> Group:
        return people.remove_member(self._rt, group, username, kind)

    def users(self) -> list[User]:
        return people.users(self._rt)

    def groups(self, kind: str = "group") -> list[Group]:
        return people.groups(self._rt, kind)


class App:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.records = Records(rt)
        self.people = People(rt)

    # definitions
    def validate(self, path: str | Path) -> list[Problem]:
        return deployments.check(self.rt, Path(path))

    def deploy(
        self,
        path: str | Path,
        by: str = "admin",
        activate: bool = True,
        names_from: str | Path | None = None,
    ) -> list[Deployed]:
        """Deploy a project folder or definition files; `names_from`: the folder the files'
        names are given relative to (default: the current directory)."""
        root = None if names_from is None else Path(names_from)
        return deployments.deploy(self.rt, Path(path), by, activate, root)

    def versions(self, kind: str | None = None, name: str | None = None) -> list[DeployedVersion]:
        return deployments.versions(self.rt, kind, name)

    def activate(self, kind: str, name: str, version: int) -> None:
        deployments.set_active(self.rt, kind, name, version)

    def deactivate(self, kind: str, name: str) -> None:
        deployments.set_active(self.rt, kind, name, None)

    # runs
    def start(
        self,
        name: str,
        inputs: Mapping[str, Any] | None = None,
        record: str | None = None,
        by: str = "system",
    ) -> RunView:
        view = runs.start(self.rt, name, inputs, record, by)
        return self._after(view)

    def runs(
        self,
        status: str | None = None,
        orchestration: str | None = None,
        record: str | None = None,
        limit: int = 50,
        after: tuple[datetime, str] | None = None,
        created_by: str | None = None,
    ) -> list[RunSummary]:
        """Runs, newest first; `after` is the (created_at, id) of a previous page's last row."""
        _embedded_drain(self.rt)
        return runs.find(
            self.rt,
            status=status,
            orchestration=orchestration,
            record_id=record,
            limit=limit,
            after=after,
            created_by=created_by,
        )

    def run(self, id: str) -> RunView:
        _embedded_drain(self.rt)
        return runs.get(self.rt, id)

    def cancel(self, id: str, by: str = "system", event_id: str | None = None) -> RunView:
        return runs.cancel(self.rt, id, by, event_id)

    def suspend(self, id: str, by: str = "system", event_id: str | None = None) -> RunView:
        return runs.suspend(self.rt, id, by, event_id)

    def resume(self, id: str, by: str = "system", event_id: str | None = None) -> RunView:
        return self._after(runs.resume(self.rt, id, by, event_id))

    def reevaluate(self, id: str, by: str = "system", event_id: str | None = None) -> RunView:
        """Publish an orchestration event: the run re-checks its current stage's criteria."""
        view = runs.reevaluate(self.rt, id, by, event_id=event_id)
        return self._after(view)

    # work items
    def work_items(
        self,
        user: str | None = None,
        status: str | None = "Assigned",
        run: str | None = None,
        record: str | None = None,
        limit: int = 50,
    ) -> list[WorkItemRow]:
        _embedded_drain(self.rt)
        if user is not None:
            return work_items.inbox(self.rt, user, status, limit, run_id=run, record_id=record)
        return work_items.search(self.rt, status=status, run_id=run, record_id=record, limit=limit)

    def work_item(self, id: str) -> WorkItemRow:
        _embedded_drain(self.rt)
        return work_items.get(self.rt, id)

    def complete_work_item(
        self,
        id: str,
        user: str,
        outputs: Mapping[str, Any] | None = None,
        event_id: str | None = None,
    ) -> RunView:
        """Finish a work item's screen flow with its outputs. A repeated `event_id` is a no-op."""
        return self._after(work_items.complete(self.rt, id, user, outputs, event_id))

    def reassign_work_item(self, id: str, to: str, by: str = "system") -> RunView:
        return self._after(work_items.reassign(self.rt, id, to, by))

    def accept_work_item(self, id: str, user: str, event_id: str | None = None) -> RunView:
        """`user`, a member of the group or queue the work item is assigned to, takes it."""
        return self._after(work_items.accept(self.rt, id, user, event_id))

    def record_changed(
        self,
        object: str,
        id: str,
        values: Mapping[str, Any],
        prior: Mapping[str, Any] | None = None,
        by: str = "app",
    ) -> RecordRow:
        """Tell stageflow that a record of the host application changed (or was created, when
        `prior` is None and stageflow has not seen it): stageflow keeps a copy of `values` for
        `$Record`, starts the record-triggered orchestrations it meets and re-evaluates the
        runs on it."""
        row = records.record_changed(self.rt, object, id, values, prior, by)
        _embedded_drain(self.rt)
        return row

    # the worker
    def drain(self, limit: int = 10_000) -> int:
        """Carry out every ready outbox message (asynchronous steps) in this process."""
        return outbox_work.drain(self.rt, limit)

    def _after(self, view: RunView) -> RunView:
        if _embedded_drain(self.rt):
            return runs.get(self.rt, view.id)
        return view

    def close(self) -> None:
        self.rt.engine.dispose()


def connect(
    url: str | None = None,
    *,
    upgrade: bool = True,
    registry: Registry | None = None,
    embedded_worker: bool | None = None,
) -> App:
    """Open a stageflow database (default ./stageflow.db, or STAGEFLOW_DATABASE_URL).

    `upgrade` brings the schema to the current version first. `embedded_worker` (default: on
    for SQLite) makes calls that move a run also carry out its queued asynchronous steps.
    """
    full_url = database_url(url)
    with opening(full_url):
        engine = make_engine(full_url)
        if upgrade:
            schema.ensure_current(engine)
    embedded = is_sqlite(engine) if embedded_worker is None else embedded_worker
    return App(Runtime(engine, registry or REGISTRY, embedded_worker=embedded))
