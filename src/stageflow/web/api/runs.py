"""/api/v1/runs: start, list, look at, cancel, suspend, resume, re-evaluate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stageflow.errors import PermissionDenied
from stageflow.services import runs, work_items
from stageflow.services.permissions import Permission, allowed, require
from stageflow.store.people import User
from stageflow.web import access, errors, pagination
from stageflow.web.deps import AppDep, UserDep
from stageflow.web.schemas import Action, Page, RunOut, RunStart, RunSummaryOut

router = APIRouter(
    prefix="/runs", tags=["runs"], responses=errors.responses(401, 403, 404, 409, 422)
)


def _visible(app: AppDep, user: User, run_id: str) -> RunOut:
    view = runs.get(app.rt, run_id)
    if (
        not allowed(user, Permission.VIEW_ALL_RUNS)
        and view.created_by != user.username
        and not work_items.involves(app.rt, user.username, run_id=run_id)
    ):
        raise PermissionDenied(f"{user.username} may not see run {run_id}")
    return RunOut.of_view(view)


@router.post("", status_code=201, summary="Start a run")
def start(body: RunStart, app: AppDep, user: UserDep) -> RunOut:
    require(user, Permission.START_RUN)
    if body.record is not None:  # the run's name and its work items would show the record
        access.visible_record(app, user, body.record, field="record")
    for record_id, field in runs.records_chosen_by(app.rt, body.orchestration, body.inputs).items():
        access.visible_record(app, user, record_id, field=field)
    view = app.start(body.orchestration, body.inputs, body.record, by=user.username)
    return RunOut.of_view(view)


@router.get("", summary="List runs, newest first")
def list_runs(
    app: AppDep,
    user: UserDep,
    status: str | None = None,
    orchestration: str | None = None,
    record: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[RunSummaryOut]:
    mine = None if allowed(user, Permission.VIEW_ALL_RUNS) else user.username
    rows = runs.find(
        app.rt, visible_to=mine, status=status, orchestration=orchestration, record_id=record,
        limit=limit, after=pagination.decode(after),
    )  # fmt: skip
    nxt = pagination.encode(rows[-1].created_at, rows[-1].id) if len(rows) == limit else None
    return Page[RunSummaryOut](items=[RunSummaryOut.of(r) for r in rows], next=nxt)


@router.get("/{run_id}", summary="A run with its stages, steps, work items and log")
def get(run_id: str, app: AppDep, user: UserDep) -> RunOut:
    return _visible(app, user, run_id)


@router.post("/{run_id}/cancel", summary="Cancel a run")
def cancel(run_id: str, app: AppDep, user: UserDep, body: Action | None = None) -> RunOut:
    require(user, Permission.CANCEL_RUN)
    return RunOut.of_view(app.cancel(run_id, user.username, body.event_id if body else None))


@router.post("/{run_id}/suspend", summary="Suspend a run")
def suspend(run_id: str, app: AppDep, user: UserDep, body: Action | None = None) -> RunOut:
    require(user, Permission.SUSPEND_RUN)
    return RunOut.of_view(app.suspend(run_id, user.username, body.event_id if body else None))


@router.post("/{run_id}/resume", summary="Resume a suspended or failed run")
def resume(run_id: str, app: AppDep, user: UserDep, body: Action | None = None) -> RunOut:
    require(user, Permission.RESUME_RUN)
    return RunOut.of_view(app.resume(run_id, user.username, body.event_id if body else None))


@router.post("/{run_id}/reevaluate", summary="Re-check the current stage's criteria")
def reevaluate(run_id: str, app: AppDep, user: UserDep, body: Action | None = None) -> RunOut:
    require(user, Permission.REEVALUATE_RUN)
    view = app.reevaluate(run_id, user.username, body.event_id if body else None)
    return RunOut.of_view(view)
