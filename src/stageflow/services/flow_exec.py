"""Running a step's flow or an evaluation flow inside the current transaction.

Each flow runs in a savepoint: when it raises, its own writes are undone and the step fails
with the message and traceback; what earlier steps wrote stays. The savepoint begins at the
flow's first use of the database through its context (records, starting a run, publishing an
event, a subflow's definition): most flows never use it (4 per run of the benchmark's shape),
and a savepoint is a statement (a round trip on PostgreSQL) even when nothing runs in it.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, NestedTransaction
from sqlalchemy.exc import DBAPIError

from stageflow.definitions.model import FlowDef
from stageflow.engine.commands import Evaluate, RunFlow
from stageflow.engine.events import (
    EvaluationFailed,
    EvaluationResult,
    Event,
    StepFailed,
    StepFinished,
)
from stageflow.engine.state import ErrorInfo, Run
from stageflow.flows.context import FlowContext, RunInfo
from stageflow.flows.runtime import run_autolaunched, run_evaluation
from stageflow.ids import new_id
from stageflow.services import triggers
from stageflow.services.records import TxRecords
from stageflow.services.runtime import Tx
from stageflow.store import db, outbox
from stageflow.store import definitions as defs_store


class RefusalIgnored(Exception):
    """A flow caught the error of a statement the database refused, and carried on."""


class _Savepoint:
    """A flow's savepoint, begun at its first use of the database (`using`)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._begun: NestedTransaction | None = None
        self._transient: Exception | None = None  # one the flow may have caught

    def begin(self) -> None:
        if self._begun is None:
            self._begun = self._conn.begin_nested()

    @contextmanager
    def using(self) -> Iterator[None]:
        """Around each use of the database by the flow: begins the savepoint first, and notes
        a failure of stageflow's own transaction (a deadlock, say) in case the flow catches it."""
        self.begin()
        try:
            yield
        except Exception as exc:
            if _database_failed(exc):
                self._transient = exc
            raise

    def commit(self) -> None:
        if self._begun is None:
            return
        if self._transient is not None:  # the transaction's failure, which the flow caught
            raise self._transient
        if db.statement_refused(self._conn):  # PostgreSQL would refuse the commit too
            raise RefusalIgnored(
                "the database refused a statement of this flow, which caught the error and "
                "carried on; its writes are undone"
            )
        self._begun.commit()

    def rollback(self) -> None:
        if self._begun is not None:
            self._begun.rollback()


def context(
    tx: Tx,
    run: Run | None,
    savepoint: _Savepoint,
    step: str | None = None,
    attempt: int = 0,
) -> FlowContext:
    info = None
    if run is not None:
        info = RunInfo(
            run.id, run.name, run.orchestration.name, step, attempt, run.record_id, run.inputs
        )

    def start(name: str, inputs: Mapping[str, Any], record: str | None) -> str:
        from stageflow.services.runs import start_in  # runs drives flows; flows may start runs

        with savepoint.using():
            by = f"flow:{run.name if run else 'none'}"
            return start_in(tx, name, inputs, record, by=by).id

    published: dict[str, str] = {}

    def publish(run_id: str) -> None:
        # One message per run for this flow's publishes, under a key of its own: a key made of
        # the time and the transaction's object id matched another transaction's when the clock
        # stood still and the id was reused, and that publish was dropped as a duplicate.
        key = published.setdefault(run_id, f"reevaluate:{run_id}:{new_id()}")
        with savepoint.using():
            outbox.enqueue(tx.conn, triggers.REEVALUATE, key, {"run_id": run_id}, tx.now, run_id)

    records = TxRecords(tx, using=savepoint.using)
    return FlowContext(records=records, run=info, start=start, publish=publish)


# deadlock detected, could not serialize: PostgreSQL stopped the transaction, not the flow
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def _database_failed(exc: Exception) -> bool:
    """A deadlock or a serialization failure in stageflow's transaction, or its connection
    lost, under a flow is not the flow's failure: the whole transaction fails, and is tried
    again as any other would be, instead of a step left in Error for a supervisor. Any other
    database error (say, of a database the flow itself uses) is the flow's."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
    return getattr(driver_error, "sqlstate", None) in _TRANSIENT_SQLSTATES


def _error(exc: BaseException) -> ErrorInfo:
    return ErrorInfo(f"{type(exc).__name__}: {exc}", traceback.format_exc())


def flow_definition(tx: Tx, name: str) -> FlowDef | None:
    version = defs_store.active(tx.conn, "flow", name)
    if version is None:
        return None
    found = defs_store.parsed_version(tx.conn, version)
    return found if isinstance(found, FlowDef) else None


def run_background(tx: Tx, run: Run, command: RunFlow) -> Event:
    savepoint = _Savepoint(tx.conn)
    ctx = context(tx, run, savepoint, command.step, command.attempt)
    outer_depth, tx.trigger_depth = tx.trigger_depth, run.trigger_depth + 1

    def definition(name: str) -> FlowDef | None:
        with savepoint.using():
            return flow_definition(tx, name)

    try:
        if tx.rt.registry.get(command.flow) is None:  # a new deploy may name new modules
            savepoint.begin()
            tx.rt.load_flow_modules(tx.conn)
        outputs = run_autolaunched(command.flow, command.inputs, ctx, tx.rt.registry, definition)
        savepoint.commit()
    except Exception as exc:  # the user's flow failed: the step goes to Error, with its traceback
        if _database_failed(exc):
            raise
        savepoint.rollback()
        return StepFailed(command.step, command.attempt, _error(exc))
    finally:
        tx.trigger_depth = outer_depth
    return StepFinished(command.step, command.attempt, outputs, tuple(ctx.log.messages))


def evaluate(tx: Tx, run: Run, command: Evaluate) -> Event:
    savepoint = _Savepoint(tx.conn)
    ctx = context(tx, run, savepoint)
    try:
        if tx.rt.registry.get(command.flow) is None:  # a new deploy may name new modules
            savepoint.begin()
            tx.rt.load_flow_modules(tx.conn)
        value = run_evaluation(command.flow, command.inputs, ctx, tx.rt.registry)
        savepoint.commit()
    except Exception as exc:  # reported as the criterion's failure: the run goes to Error
        if _database_failed(exc):
            raise
        savepoint.rollback()
        return EvaluationFailed(command.key, command.epoch, _error(exc))
    return EvaluationResult(command.key, command.epoch, value)
