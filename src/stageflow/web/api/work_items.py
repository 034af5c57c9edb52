"""/api/v1/work-items: mine or by filter, one, complete, take (accept), reassign."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stageflow.errors import PermissionDenied
from stageflow.services import work_items
from stageflow.services.permissions import Permission, allowed, require
from stageflow.store.people import User
from stageflow.web import errors, pagination
from stageflow.web.deps import AppDep, UserDep
from stageflow.web.schemas import Action, Complete, Page, Reassign, RunOut, WorkItemOut

router = APIRouter(
    prefix="/work-items", tags=["work items"], responses=errors.responses(401, 403, 404, 409, 422)
)


@router.get("", summary="Work items: mine (default), or every one for supervisors (mine=false)")
def list_items(
    app: AppDep,
    user: UserDep,
    mine: bool = True,
    status: str | None = "Assigned",
    run: str | None = None,
    record: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[WorkItemOut]:
    cursor = pagination.decode(after)
    if mine:
        rows = work_items.inbox(app.rt, user.username, status or None, limit, cursor, run, record)
    else:
        require(user, Permission.VIEW_ALL_WORK_ITEMS)
        rows = work_items.search(app.rt, status=status or None, run_id=run, record_id=record,
                                 limit=limit, after=cursor)  # fmt: skip
    nxt = pagination.encode(rows[-1].created_at, rows[-1].id) if len(rows) == limit else None
    return Page[WorkItemOut](items=[WorkItemOut.of_row(r) for r in rows], next=nxt)


def _can_see(app: AppDep, user: User, item_id: str) -> WorkItemOut:
    row = work_items.get(app.rt, item_id)
    if not allowed(user, Permission.VIEW_ALL_WORK_ITEMS) and not work_items.is_theirs(
        app.rt, user.username, row
    ):
        raise PermissionDenied(f"work item {item_id} is not assigned to {user.username}")
    return WorkItemOut.of_row(row)


@router.get("/{item_id}", summary="One work item")
def get(item_id: str, app: AppDep, user: UserDep) -> WorkItemOut:
    return _can_see(app, user, item_id)


@router.post("/{item_id}/complete", summary="Finish the screen flow with its outputs")
def complete(item_id: str, body: Complete, app: AppDep, user: UserDep) -> RunOut:
    view = app.complete_work_item(item_id, user.username, body.outputs, body.event_id)
    return RunOut.of_view(view)


@router.post(
    "/{item_id}/accept",
    summary="Take a work item assigned to a group or queue you are a member of: it becomes yours",
)
def accept(item_id: str, app: AppDep, user: UserDep, body: Action | None = None) -> RunOut:
    return RunOut.of_view(
        app.accept_work_item(item_id, user.username, body.event_id if body else None)
    )


@router.post("/{item_id}/reassign", summary="Give an open work item to someone else")
def reassign(item_id: str, body: Reassign, app: AppDep, user: UserDep) -> RunOut:
    require(user, Permission.REASSIGN_WORK_ITEM)
    return RunOut.of_view(app.reassign_work_item(item_id, body.to, user.username))
