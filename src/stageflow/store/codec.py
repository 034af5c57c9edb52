"""Run snapshots to and from the JSON kept in `runs.state`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from stageflow.definitions.model import AssigneeKind, Orchestration
from stageflow.engine.events import SYSTEM
from stageflow.engine.state import ErrorInfo, Principal, Run, StageRun, StepRun, WorkItem
from stageflow.engine.statuses import RunStatus, StageStatus, StepStatus, WorkItemStatus


def _dt(v: datetime | None) -> str | None:
    return None if v is None else v.isoformat()


def _pd(v: str | None) -> datetime | None:
    return None if v is None else datetime.fromisoformat(v)


def _error(e: ErrorInfo | None) -> dict[str, str] | None:
    return None if e is None else {"message": e.message, "traceback": e.traceback}


def _unerror(d: Mapping[str, str] | None) -> ErrorInfo | None:
    return None if d is None else ErrorInfo(d["message"], d.get("traceback", ""))


def encode_state(run: Run) -> dict[str, Any]:
    return {
        "stages": {
            n: [s.status.value, _dt(s.started_at), _dt(s.ended_at), _error(s.error)]
            for n, s in run.stages.items()
        },
        "steps": {n: _encode_step(s) for n, s in run.steps.items()},
        "items": {i: encode_item(w) for i, w in run.work_items.items()},
        "inputs": dict(run.inputs),
        "prior": None if run.prior is None else dict(run.prior),
        "epoch": run.epoch,
        "evaluations": dict(run.evaluations),
        "item_seq": run.item_seq,
        "trigger_depth": run.trigger_depth,
    }


def _encode_step(s: StepRun) -> dict[str, Any]:
    out: dict[str, Any] = {"stage": s.stage, "status": s.status.value, "attempt": s.attempt}
    if s.inputs:
        out["inputs"] = dict(s.inputs)
    if s.outputs is not None:
        out["outputs"] = dict(s.outputs)
    if s.error is not None:
        out["error"] = _error(s.error)
    if s.work_item:
        out["work_item"] = s.work_item
    if s.started_at:
        out["started_at"] = _dt(s.started_at)
    if s.ended_at:
        out["ended_at"] = _dt(s.ended_at)
    return out


def encode_item(w: WorkItem) -> dict[str, Any]:
    return {
        "id": w.id,
        "step": w.step,
        "name": w.name,
        "status": w.status.value,
        "assignee": str(w.assignee),
        "record_id": w.record_id,
        "created_at": _dt(w.created_at),
        "created_by": w.created_by,
        "modified_at": _dt(w.modified_at),
        "modified_by": w.modified_by,
        "completed_by": w.completed_by,
        "completed_at": _dt(w.completed_at),
        "flow": w.flow,
        "inputs": dict(w.inputs),
    }


def decode_item(run_id: str, d: Mapping[str, Any]) -> WorkItem:
    kind, _, name = d["assignee"].partition(":")
    created = _pd(d["created_at"])
    modified = _pd(d["modified_at"])
    assert created is not None
    assert modified is not None
    return WorkItem(
        id=d["id"],
        run_id=run_id,
        step=d["step"],
        name=d["name"],
        status=WorkItemStatus(d["status"]),
        assignee=Principal(AssigneeKind(kind), name),
        record_id=d["record_id"],
        created_at=created,
        created_by=d.get("created_by", SYSTEM),  # snapshots written before migration 0004 kept none
        modified_at=modified,
        modified_by=d["modified_by"],
        completed_by=d["completed_by"],
        completed_at=_pd(d["completed_at"]),
        flow=d.get("flow", ""),
        inputs=d.get("inputs", {}),
    )


def decode_run(
    row: Mapping[Any, Any], orchestration: Orchestration, record: Mapping[str, Any] | None
) -> Run:
    state = row["state"]
    return Run(
        id=row["id"],
        name=row["name"],
        orchestration=orchestration,
        version=row["version"],
        status=RunStatus(row["status"]),
        stages={
            n: StageRun(n, StageStatus(v[0]), _pd(v[1]), _pd(v[2]), _unerror(v[3]))
            for n, v in state["stages"].items()
        },
        steps={
            n: StepRun(
                name=n,
                stage=v["stage"],
                status=StepStatus(v["status"]),
                attempt=v["attempt"],
                inputs=v.get("inputs", {}),
                outputs=v.get("outputs"),
                error=_unerror(v.get("error")),
                work_item=v.get("work_item"),
                started_at=_pd(v.get("started_at")),
                ended_at=_pd(v.get("ended_at")),
            )
            for n, v in state["steps"].items()
        },
        work_items={i: decode_item(row["id"], v) for i, v in state["items"].items()},
        created_at=row["created_at"],
        created_by=row["created_by"],
        modified_at=row["modified_at"],
        modified_by=row["modified_by"],
        current=row["current_stage"],
        inputs=state["inputs"],
        record_id=row["record_id"],
        record=record,
        prior=state["prior"],
        epoch=state["epoch"],
        evaluations=state["evaluations"],
        item_seq=state["item_seq"],
        trigger_depth=state.get("trigger_depth", 0),
    )
