"""Run use cases: start, look, cancel, suspend, resume, re-evaluate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stageflow.definitions import references
from stageflow.definitions.datatypes import literal_fits, type_name
from stageflow.definitions.model import DataType, Orchestration, OrchestrationType
from stageflow.engine import new_run
from stageflow.engine.events import CancelRun, Event, Reevaluate, ResumeRun, StartRun, SuspendRun
from stageflow.engine.state import Run
from stageflow.engine.statuses import RunStatus
from stageflow.errors import InvalidInput, NotFound, Problem, StageflowError
from stageflow.ids import new_id
from stageflow.services.driver import drive, load_record
from stageflow.services.filters import check_limit, check_status
from stageflow.services.records import kept
from stageflow.services.runtime import MAX_NESTED_STARTS, Runtime, Tx, reading, transaction
from stageflow.services.views import RunView, run_view
from stageflow.store import codec, outbox, people
from stageflow.store import definitions as defs_store
from stageflow.store import records as records_store
from stageflow.store import runs as store
from stageflow.store.db import cut
from stageflow.store.runs import RunSummary


def load(tx: Tx, run_id: str) -> Run:
    """The run's snapshot, its row locked for this transaction, with its record's values."""
    row = store.load_row(tx.conn, run_id)
    if row is None:
        raise NotFound(f"no run {run_id}")
    return _decode(tx, row)


def load_for_item(tx: Tx, item_id: str, lock: bool = True) -> Run:
    """The snapshot of the run work item `item_id` belongs to, as `load` gives it (`lock`: with
    its row lock)."""
    row = store.load_row_of_item(tx.conn, item_id, lock)
    if row is None:
        raise NotFound(Problem(f"no work item {item_id}", field="work_item"))
    return _decode(tx, row)


def _decode(tx: Tx, row: Mapping[str, Any]) -> Run:
    orchestration = defs_store.parsed_known(
        tx.conn, row["definition_id"], row["definition_hash"], row["definition_file"]
    )
    assert isinstance(orchestration, Orchestration)
    # read after the run's lock is held: see store/runs.py
    record = load_record(tx, row["record_id"]) if row["record_id"] else None
    return codec.decode_run(row, orchestration, record)


def _check_inputs(o: Orchestration, inputs: Mapping[str, Any]) -> dict[str, Any]:
    declared = {v.name: v for v in o.inputs}
    problems = []
    for name, value in inputs.items():
        var = declared.get(name)
        if var is None:
            known = ", ".join(declared) or "none"
            problems.append(
                Problem(
                    f"{o.name} has no input {name!r} (its inputs: {known})", field=f"inputs.{name}"
                )
            )
        elif value is not None and not literal_fits(var.type, value):
            problems.append(
                Problem(
                    f"input {name!r} is {type_name(var.type)}, got {value!r}",
                    field=f"inputs.{name}",
                )
            )
    values = {v.name: v.default for v in o.inputs if v.default is not None}
    values.update(inputs)
    for var in o.inputs:
        if var.required and values.get(var.name) in (None, ""):
            problems.append(
                Problem(f"{o.name} requires input {var.name!r}", field=f"inputs.{var.name}")
            )
    if problems:
        raise InvalidInput(problems)
    return kept(values, prefix="inputs.")


def actor(by: str) -> str:
    """Who acts, fitted to the columns that keep it: a caller's free text (`--by`, `by=`), or
    "flow:" and the name of the run a flow acts for, may be longer."""
    return cut(by, store.ACTOR_LENGTH)


def start_in(
    tx: Tx,
    name: str,
    inputs: Mapping[str, Any],
    record_id: str | None,
    by: str,
    prior: Mapping[str, Any] | None = None,
    trigger_depth: int = 0,
) -> Run:
    """Start a run of the active version of orchestration `name` inside `tx`."""
    if tx.depth >= MAX_NESTED_STARTS:
        raise StageflowError(
            f"runs started from flows nest more than {MAX_NESTED_STARTS} deep: a loop?"
        )
    version = defs_store.active(tx.conn, "orchestration", name)
    if version is None:
        # the REST body's field; the CLI prints "[orchestration]: no active orchestration ..."
        problem = Problem(f"no active orchestration named {name!r}", field="orchestration")
        raise NotFound(problem)
    o = defs_store.parsed_version(tx.conn, version)
    assert isinstance(o, Orchestration)
    values = _check_inputs(o, inputs)
    record = None
    if record_id is not None:
        row = records_store.get(tx.conn, record_id)
        if row is None:
            raise NotFound(Problem(f"no record {record_id}", field="record"))
        if o.trigger is not None and row.object != o.trigger.object:
            raise InvalidInput(
                Problem(
                    f"{name} runs on {o.trigger.object} records; {record_id} is a {row.object}",
                    field="record",
                )
            )
        record = row.values()
    elif o.type is OrchestrationType.RECORD_TRIGGERED:
        raise InvalidInput(
            Problem(f"{name} is record-triggered: name the record it runs for", field="record")
        )
    run_id = new_id()
    label = f"{o.label}: {record['Name']}" if record else f"{o.label} {tx.now:%Y-%m-%d %H:%M:%S}"
    label = cut(label, store.RUN_NAME_LENGTH)  # a record's name may be as long as the column
    by = actor(by)
    run = new_run(
        run_id=run_id,
        name=label,
        orchestration=o,
        version=version.version,
        now=tx.now,
        by=by,
        inputs=values,
        record_id=record_id,
        record=record,
        prior=prior,
    )
    run = replace(run, trigger_depth=trigger_depth)
    tx.depth += 1
    try:
        return drive(tx, run, [StartRun(by)], new_definition_id=version.id)
    finally:
        tx.depth -= 1


def start(
    rt: Runtime, name: str, inputs: Mapping[str, Any] | None, record_id: str | None, by: str
) -> RunView:
    with transaction(rt) as tx:
        run = start_in(tx, name, inputs or {}, record_id, by)
        return run_view(run, tx.logged[run.id])  # a new run: its log is what this tx wrote


def repeated(tx: Tx, event_id: str | None, run_id: str, action: str) -> bool:
    """Whether the request with this `event_id` was applied already (the caller then changes
    nothing); the id is noted for `action` on the run if not. An id used for another run or
    another action is refused: a client's key for one action, reused by mistake, must not
    pass for a repeat."""
    if event_id is None:
        return False
    before = store.used_for(tx.conn, event_id, run_id, action, tx.now)
    if before is None:
        return False
    if before.run_id != run_id:
        used = "another run"
    elif before.action not in (None, action):
        used = f"another action on this run ({before.action})"
    else:
        return True
    raise InvalidInput(
        Problem(
            f"event id {event_id!r} was used for {used}; give each action its own id",
            field="event_id",
        )
    )


_ACTIONS: dict[type, str] = {
    CancelRun: "cancel", SuspendRun: "suspend", ResumeRun: "resume", Reevaluate: "reevaluate"
}  # fmt: skip


def _act(rt: Runtime, run_id: str, event: Event, event_id: str | None = None) -> RunView:
    with transaction(rt) as tx:
        run = load(tx, run_id)
        if repeated(tx, event_id, run_id, _ACTIONS[type(event)]):
            return run_view(run, store.log_of(tx.conn, run.id))  # a duplicate: no change
        run = drive(tx, run, [event])
        if isinstance(event, ResumeRun):
            outbox.unpark(tx.conn, run.id, tx.now)
        return run_view(run, store.log_of(tx.conn, run.id))


def cancel(rt: Runtime, run_id: str, by: str, event_id: str | None = None) -> RunView:
    return _act(rt, run_id, CancelRun(actor(by)), event_id)


def suspend(rt: Runtime, run_id: str, by: str, event_id: str | None = None) -> RunView:
    return _act(rt, run_id, SuspendRun(actor(by)), event_id)


def resume(rt: Runtime, run_id: str, by: str, event_id: str | None = None) -> RunView:
    return _act(rt, run_id, ResumeRun(actor(by)), event_id)


def reevaluate(
    rt: Runtime,
    run_id: str,
    by: str,
    reason: str = "re-evaluation requested",
    event_id: str | None = None,
) -> RunView:
    return _act(rt, run_id, Reevaluate(actor(by), reason), event_id)


def get(rt: Runtime, run_id: str) -> RunView:
    with reading(rt) as tx:
        row = store.load_row(tx.conn, run_id, lock=False)
        if row is None:
            raise NotFound(f"no run {run_id}")
        orchestration = defs_store.parsed(tx.conn, row["definition_id"])
        assert isinstance(orchestration, Orchestration)
        run = codec.decode_run(row, orchestration, None)
        return run_view(run, store.log_of(tx.conn, run_id))


def find(rt: Runtime, visible_to: str | None = None, **filters: Any) -> list[RunSummary]:
    """Runs by `filters`; `visible_to`: only the runs that user started or has work in."""
    check_status(filters.get("status"), RunStatus, "run")
    check_limit(filters.get("limit"))
    with reading(rt) as tx:
        seen_by = None
        if visible_to is not None:
            seen_by = (visible_to, people.memberships_of(tx.conn, visible_to))
        return store.list_runs(tx.conn, seen_by=seen_by, **filters)


def _active(rt: Runtime, name: str) -> Orchestration | None:
    """The active version of orchestration `name`, if there is one."""
    with reading(rt) as tx:
        version = defs_store.active(tx.conn, "orchestration", name)
        found = None if version is None else defs_store.parsed_version(tx.conn, version)
    return found if isinstance(found, Orchestration) else None


def input_types(rt: Runtime, name: str) -> dict[str, DataType]:
    """The declared type of each input of the active orchestration `name` ({} when none is
    active: starting it is refused anyway)."""
    found = _active(rt, name)
    return {} if found is None else {v.name: v.type for v in found.inputs}


def records_chosen_by(rt: Runtime, name: str, inputs: Mapping[str, Any]) -> dict[str, str]:
    """The records that `inputs` choose for the active orchestration `name` (record id -> the
    input naming it): an interactive step's context record given as an input, and each
    `lookup` input. A work item shows its record to its assignee, and its screen flow may write
    to it, so a door starting runs for a user checks that the user may see each of them. A
    record that a flow chooses is the choice of the flow's author."""
    found = _active(rt, name)
    if found is None:
        return {}
    chosen: dict[str, str] = {}
    for var in found.inputs:
        value = inputs.get(var.name)
        if var.type is DataType.LOOKUP and value not in (None, ""):
            chosen.setdefault(str(value), f"inputs.{var.name}")
    for step in found.steps.values():
        path = references.parse(step.record) if step.record else None  # one reference: checked
        if path is None or path[0] != references.INPUT or len(path) != 2:
            continue
        value = inputs.get(path[1])  # a default is the orchestration author's choice
        if value not in (None, ""):
            chosen.setdefault(str(value), f"inputs.{path[1]}")
    return chosen


def resolve_id(rt: Runtime, prefix: str) -> str:
    """A full run id from a unique prefix (what people type in a terminal)."""
    with reading(rt) as tx:
        return store.resolve_prefix(tx.conn, prefix)


def orchestration_of(rt: Runtime, run_id: str) -> Orchestration:
    """The orchestration version a run follows (for its diagram)."""
    with reading(rt) as tx:
        row = store.load_row(tx.conn, run_id, lock=False)
        if row is None:
            raise NotFound(f"no run {run_id}")
        found = defs_store.parsed(tx.conn, row["definition_id"])
        assert isinstance(found, Orchestration)
        return found
