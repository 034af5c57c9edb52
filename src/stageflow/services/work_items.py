"""Work item use cases: list, complete with outputs, reassign."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from stageflow.definitions.model import AssigneeKind, DataType, ScreenFlow
from stageflow.engine.events import CompleteWorkItem, ReassignWorkItem
from stageflow.engine.state import Principal, WorkItem
from stageflow.engine.statuses import WorkItemStatus
from stageflow.errors import InvalidInput, NotFound, PermissionDenied, Problem, TransitionNotAllowed
from stageflow.flows.screen import check_outputs, record_updates
from stageflow.flows.screen_runtime import RecordWrite
from stageflow.services import records as records_service
from stageflow.services.driver import drive
from stageflow.services.filters import check_limit, check_status
from stageflow.services.runs import actor, load_for_item, repeated
from stageflow.services.runtime import Runtime, Tx, reading, transaction
from stageflow.services.views import RunView, run_view
from stageflow.store import definitions as defs_store
from stageflow.store import people
from stageflow.store import records as records_store
from stageflow.store import runs as runs_store
from stageflow.store import work_items as store
from stageflow.store.work_items import Cursor, WorkItemRow


def _item(tx: Tx, item_id: str) -> WorkItemRow:
    row = store.get(tx.conn, item_id)
    if row is None:
        raise NotFound(Problem(f"no work item {item_id}", field="work_item"))
    return row


def screen_flow(conn: Connection, name: str) -> ScreenFlow:
    version = defs_store.active(conn, "screen_flow", name)
    if version is None:
        raise NotFound(f"screen flow {name!r} is not deployed (or not active)")
    found = defs_store.parsed_version(conn, version)
    assert isinstance(found, ScreenFlow)
    return found


def complete(
    rt: Runtime,
    item_id: str,
    user: str,
    outputs: Mapping[str, Any] | None = None,
    event_id: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> RunView:
    """The assignee (or a member of its group or queue) finishes the screen flow.

    With `event_id`, a second request with the same id changes nothing and returns the run.
    """
    with transaction(rt) as tx:
        run = load_for_item(tx, item_id)  # the run's lock first: one writer per run
        item = run.work_items[item_id]
        _check_worker(tx.conn, user, item)  # before a repeat returns the run: it is theirs
        if repeated(tx, event_id, run.id, f"complete {item_id}"):
            return run_view(run, runs_store.log_of(tx.conn, run.id))
        if item.status is not WorkItemStatus.ASSIGNED:
            raise TransitionNotAllowed(
                f"work item {item_id} is {item.status.value}; "
                "only an Assigned work item can be completed"
            )
        flow = screen_flow(tx.conn, item.flow)
        values = check_outputs(flow, outputs or {})
        _write(tx, flow, record_updates(flow, item.inputs, values, variables=variables), user)
        run = drive(tx, run, [CompleteWorkItem(item_id, user, values)])
        return run_view(run, runs_store.log_of(tx.conn, run.id))


def _write(tx: Tx, flow: ScreenFlow, writes: list[RecordWrite], user: str) -> None:
    """The screen flow's record updates, each into a record of the object it names. A write
    that cannot be made is refused naming the update: the flow's definition (or the run's
    inputs) is at fault, and the work item stays Assigned."""
    for i, (update, record_id, fields) in enumerate(writes):
        where = f"screen flow {flow.name!r}, record update {i + 1} ({update.object})"
        problem_field = f"record_updates[{i}].id"
        if not record_id:
            raise InvalidInput(Problem(f"{where}: its id {update.id} resolved to nothing",
                                       field=problem_field))  # fmt: skip
        row = records_store.get(tx.conn, record_id)
        if row is None or row.object != update.object:
            found = "no record" if row is None else f"a record of {row.object}"
            raise InvalidInput(Problem(f"{where}: {update.id} is {record_id!r}, {found}, "
                                       f"not of {update.object}", field=problem_field))  # fmt: skip
        records_service.update_in(tx, record_id, fields, user)


def _check_worker(conn: Connection, user: str, item: WorkItem) -> None:
    if people.user(conn, user) is None:
        raise NotFound(Problem(f"no user {user!r}", field="user"))
    assignee = item.assignee
    allowed = (
        assignee.name == user
        if assignee.kind is AssigneeKind.USER
        else (assignee.kind.value, assignee.name) in people.memberships_of(conn, user)
    )
    if not allowed:
        raise PermissionDenied(
            f"work item {item.id} is assigned to {assignee}; "
            f"{user} is not that user nor one of its members"
        )


def reassign(rt: Runtime, item_id: str, to: str, by: str) -> RunView:
    try:
        principal = Principal.parse(to)
    except ValueError as exc:
        raise InvalidInput(Problem(str(exc), field="to")) from None
    with transaction(rt) as tx:
        _check_principal(tx.conn, principal)
        event = ReassignWorkItem(item_id, principal, actor(by))
        run = drive(tx, load_for_item(tx, item_id), [event])
        return run_view(run, runs_store.log_of(tx.conn, run.id))


def accept(rt: Runtime, item_id: str, user: str, event_id: str | None = None) -> RunView:
    """A member of the group or queue an open work item is assigned to takes it: it becomes
    theirs alone, so the other members stop seeing it and nobody does it twice. Logged as a
    reassignment by them. A repeated `event_id` changes nothing and returns the run."""
    with transaction(rt) as tx:
        run = load_for_item(tx, item_id)  # the run's lock first: one taker wins
        item = run.work_items[item_id]
        _check_worker(tx.conn, user, item)
        if repeated(tx, event_id, run.id, f"accept {item_id}"):
            return run_view(run, runs_store.log_of(tx.conn, run.id))
        if item.assignee.kind is AssigneeKind.USER:
            raise TransitionNotAllowed(
                f"work item {item_id} is assigned to {item.assignee}, not to a group or queue: "
                "there is nothing to take"
            )
        if item.status is not WorkItemStatus.ASSIGNED:
            raise TransitionNotAllowed(
                f"work item {item_id} is {item.status.value}; "
                "only an Assigned work item can be taken"
            )
        taker = Principal(AssigneeKind.USER, user)
        _check_principal(tx.conn, taker)
        run = drive(tx, run, [ReassignWorkItem(item_id, taker, user)])
        return run_view(run, runs_store.log_of(tx.conn, run.id))


def _check_principal(conn: Connection, p: Principal) -> None:
    problem = people.assignee_problem(conn, p.kind.value, p.name)
    if problem == "does not exist":
        raise NotFound(Problem(f"no {p.kind.value} {p.name!r}", field="to"))
    if problem is not None:  # an inactive user cannot sign in to do it
        raise InvalidInput(Problem(f"{p.kind.value} {p.name!r} {problem}", field="to"))


def inbox(
    rt: Runtime,
    user: str,
    status: str | None = "Assigned",
    limit: int = 50,
    after: Cursor | None = None,
    run_id: str | None = None,
    record_id: str | None = None,
    sort: str = "created_at",
    descending: bool = True,
    orchestration: str | None = None,
) -> list[WorkItemRow]:
    check_status(status, WorkItemStatus, "work item")
    check_limit(limit)
    with reading(rt) as tx:
        groups = people.memberships_of(tx.conn, user)
        return store.inbox(
            tx.conn, user, groups, status, limit, after, run_id, record_id, sort, descending,
            orchestration,
        )  # fmt: skip


def is_theirs(rt: Runtime, user: str, row: WorkItemRow) -> bool:
    """Assigned to `user`, their group or queue, or completed by them."""
    if row.completed_by == user or (row.assignee_kind == "user" and row.assignee == user):
        return True
    with reading(rt) as tx:
        return (row.assignee_kind, row.assignee) in people.memberships_of(tx.conn, user)


def search(rt: Runtime, **filters: Any) -> list[WorkItemRow]:
    check_status(filters.get("status"), WorkItemStatus, "work item")
    check_limit(filters.get("limit"))
    with reading(rt) as tx:
        return store.search(tx.conn, **filters)


def involves(
    rt: Runtime, user: str, *, run_id: str | None = None, record_id: str | None = None
) -> bool:
    """Whether `user` has or had work in the run, or on the record (what a user may see)."""
    with reading(rt) as tx:
        groups = people.memberships_of(tx.conn, user)
        return store.involves(tx.conn, user, groups, run_id=run_id, record_id=record_id)


def get(rt: Runtime, item_id: str) -> WorkItemRow:
    with reading(rt) as tx:
        return _item(tx, item_id)


def output_types(rt: Runtime, item_id: str) -> dict[str, DataType]:
    """The declared type of each output of the work item's screen flow."""
    with reading(rt) as tx:
        item = load_for_item(tx, item_id, lock=False).work_items[item_id]
        return {v.name: v.type for v in screen_flow(tx.conn, item.flow).outputs}


def open_item(rt: Runtime, item_id: str, user: str) -> tuple[WorkItem, ScreenFlow]:
    """An Assigned work item `user` may work on, with its screen flow (for the Work Guide)."""
    with reading(rt) as tx:
        run = load_for_item(tx, item_id, lock=False)
        item = run.work_items[item_id]
        _check_worker(tx.conn, user, item)
        if item.status is not WorkItemStatus.ASSIGNED:
            raise TransitionNotAllowed(f"work item {item_id} is {item.status.value}")
        return item, screen_flow(tx.conn, item.flow)
