"""Record changes: decide in the change's own transaction which record-triggered orchestrations
start (queued in the outbox, so none is missed and none counted twice) and which runs on the
record re-evaluate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stageflow.definitions.model import Orchestration
from stageflow.engine.statuses import RunStatus
from stageflow.engine.triggers import Change, starts
from stageflow.errors import StageflowError
from stageflow.ids import new_id
from stageflow.services.runtime import Tx
from stageflow.store import definitions as defs_store
from stageflow.store import outbox
from stageflow.store import runs as runs_store
from stageflow.store.records import RecordRow

START_RUN = "start_run"
REEVALUATE = "reevaluate"
# Runs whose flows change records that start runs whose flows change records...: stop here.
MAX_TRIGGER_DEPTH = 10


class TriggerLoop(StageflowError):
    pass


def orchestrations_on(tx: Tx, obj: str) -> list[Orchestration]:
    found = []
    for version in defs_store.all_active(tx.conn, "orchestration"):
        o = defs_store.parsed_version(tx.conn, version)
        if isinstance(o, Orchestration) and o.trigger is not None and o.trigger.object == obj:
            found.append(o)
    return found


def record_changed_in(tx: Tx, row: RecordRow, prior: Mapping[str, Any] | None) -> None:
    """Queue the runs this change starts and the re-evaluations it causes, in `tx`."""
    if tx.trigger_depth > MAX_TRIGGER_DEPTH:
        raise TriggerLoop(
            f"{row.object} {row.id} changed by a run that record changes started "
            f"{MAX_TRIGGER_DEPTH} levels deep: do the orchestrations trigger each other in a loop?"
        )
    change = Change.CREATED if prior is None else Change.UPDATED
    values = row.values()
    # The messages' keys name this change. Not by the record's version alone: a record deleted
    # and created again with its id starts again from version 1, and its changes would find
    # the first one's keys taken. A change is queued once, in its own transaction (one tried
    # again starts from nothing), so an id of its own loses no protection.
    change_id = new_id(8)
    for o in orchestrations_on(tx, row.object):
        assert o.trigger is not None
        if starts(o.trigger, change, values, prior):
            payload = {
                "name": o.name,
                "record_id": row.id,
                "prior": None if prior is None else dict(prior),
                "depth": tx.trigger_depth,
            }
            key = f"trigger:{o.name}:{row.id}:{row.version}:{change_id}"
            outbox.enqueue(tx.conn, START_RUN, key, payload, tx.now)
    if change is Change.UPDATED:
        for run_id in runs_store.run_ids_for_record(tx.conn, row.id, [RunStatus.IN_PROGRESS.value]):
            payload = {"run_id": run_id, "reason": f"its record {row.id} changed"}
            key = f"record:{run_id}:{row.id}:{row.version}:{change_id}"
            outbox.enqueue(tx.conn, REEVALUATE, key, payload, tx.now, run_id)
