"""Item 2's peer: the bench shape as BPMN (bench/bpmn/bench_run.bpmn) run by SpiffWorkflow 3.x,
its JSON serializer checkpointing the instance to SQLite (WAL, synchronous=FULL, stdlib sqlite3,
one row per instance) after every task Spiff completes, as a durable deployment of it would.

Per instance: create it and checkpoint; run the engine steps (start event, split, A1, A2, join:
a checkpoint after each task); then, as a separate request would, read the instance back,
deserialize it, complete the user task H1 (checkpoint) and run the engine steps to the end
(C1, C2, end event and Spiff's internal end tasks, a checkpoint after each)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.parser import BpmnParser  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from bench.common import median

BPMN = Path(__file__).parent / "bpmn" / "bench_run.bpmn"


class SpiffStore:
    """Spiff instances as JSON rows in SQLite; one committed transaction per checkpoint."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS instances (id INTEGER PRIMARY KEY, state TEXT NOT NULL)"
        )
        self.serializer = BpmnWorkflowSerializer()
        self.writes = 0

    def save(self, instance_id: int, workflow: Any) -> None:
        state = self.serializer.serialize_json(workflow)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO instances (id, state) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            (instance_id, state),
        )
        self.conn.execute("COMMIT")
        self.writes += 1

    def load(self, instance_id: int) -> Any:
        row = self.conn.execute(
            "SELECT state FROM instances WHERE id = ?", (instance_id,)
        ).fetchone()
        return self.serializer.deserialize_json(row[0])

    def close(self) -> None:
        self.conn.close()


def load_spec() -> Any:
    parser = BpmnParser()
    parser.add_bpmn_file(str(BPMN))
    return parser.get_spec("Bench_Run")


def one_instance(spec: Any, store: SpiffStore, instance_id: int) -> None:
    def checkpoint(_task: Any) -> None:
        store.save(instance_id, workflow)

    workflow = BpmnWorkflow(spec)
    workflow.get_tasks(state=TaskState.READY)[0].set_data(n=instance_id)
    store.save(instance_id, workflow)
    workflow.do_engine_steps(did_complete_task=checkpoint)
    # the person completes H1: a new request reads the instance back
    workflow = store.load(instance_id)
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data["note"] = "ok"
    task.run()
    store.save(instance_id, workflow)
    workflow.do_engine_steps(did_complete_task=checkpoint)
    assert workflow.is_completed()


def trial(spec: Any, db: Path, instances: int) -> tuple[float, float]:
    """Instances driven to completion per second, and checkpoints per instance."""
    store = SpiffStore(db)
    for i in range(10):  # warm up
        one_instance(spec, store, -1 - i)
    store.writes = 0
    start = time.perf_counter()
    for i in range(instances):
        one_instance(spec, store, i)
    elapsed = time.perf_counter() - start
    writes = store.writes / instances
    store.close()
    return instances / elapsed, writes


def summary(trials: list[tuple[float, float]]) -> dict[str, Any]:
    """The figures of `trial`s (runs/s, checkpoints per run): the median of each."""
    rates = [rate for rate, _ in trials]
    return {
        "spiff_sqlite_runs_per_s": round(median(rates), 1),
        "spiff_sqlite_runs_per_s_trials": [round(r, 1) for r in rates],
        "spiff_checkpoints_per_run": round(median([w for _, w in trials]), 2),
    }
