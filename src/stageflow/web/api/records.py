"""/api/v1/records/{object}: create, list, read, update, delete (writes fire triggers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from stageflow.errors import NotFound, PermissionDenied
from stageflow.services import records
from stageflow.services.permissions import Permission, allowed, require
from stageflow.store.people import User
from stageflow.store.records import RecordRow
from stageflow.web import access, errors
from stageflow.web.deps import AppDep, UserDep
from stageflow.web.schemas import RecordOut, RecordValues

router = APIRouter(
    prefix="/records", tags=["records"], responses=errors.responses(401, 403, 404, 422)
)


def _visible(app: AppDep, user: User, obj: str, record_id: str) -> RecordRow:
    row = records.get(app.rt, record_id)
    if row.object != obj:
        raise NotFound(f"no {obj} record {record_id}")
    return access.visible_record(app, user, record_id)


@router.post("/{object}", status_code=201, summary="Create a record")
def create(object: str, body: RecordValues, app: AppDep, user: UserDep) -> RecordOut:
    require(user, Permission.CREATE_RECORDS)
    values = dict(body.values)
    if not allowed(user, Permission.VIEW_ALL_RECORDS):
        values["Owner"] = user.username  # a user's records are theirs
    else:
        values.setdefault("Owner", user.username)
    return RecordOut.of(app.records.create(object, values, by=user.username))


@router.get("/{object}", summary="Records of an object (a user sees theirs and those they work on)")
def list_records(
    object: str,
    app: AppDep,
    user: UserDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[RecordOut]:
    mine = None if allowed(user, Permission.VIEW_ALL_RECORDS) else user.username
    rows = records.find(app.rt, object, limit, visible_to=mine)
    return [RecordOut.of(r) for r in rows]


@router.get("/{object}/{record_id}", summary="One record")
def get(object: str, record_id: str, app: AppDep, user: UserDep) -> RecordOut:
    return RecordOut.of(_visible(app, user, object, record_id))


@router.patch("/{object}/{record_id}", summary="Change fields of a record")
def update(
    object: str, record_id: str, body: RecordValues, app: AppDep, user: UserDep
) -> RecordOut:
    row = _visible(app, user, object, record_id)
    owner = body.values.get("Owner", row.owner)
    # As at create, a user cannot make others' records theirs; they may give their own away.
    mine = row.owner == user.username or allowed(user, Permission.VIEW_ALL_RECORDS)
    if owner != row.owner and not mine:
        raise PermissionDenied(
            f"{user.username} may not change the owner of {object} {record_id}: "
            "only its owner or a supervisor may"
        )
    return RecordOut.of(app.records.update(record_id, body.values, by=user.username))


@router.delete("/{object}/{record_id}", status_code=204, summary="Delete a record")
def delete(object: str, record_id: str, app: AppDep, user: UserDep) -> Response:
    require(user, Permission.DELETE_RECORDS)
    _visible(app, user, object, record_id)
    app.records.delete(record_id)
    return Response(status_code=204)
