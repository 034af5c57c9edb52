"""/records/{object}/{id}: the record's fields, the runs about it with their stage progress,
and the Work Guide: the viewer's open work items for this record."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from stageflow.errors import NotFound, PermissionDenied
from stageflow.services import records, runs, work_items
from stageflow.services.permissions import Permission
from stageflow.web.deps import AppDep
from stageflow.web.ui.common import ViewerDep
from stageflow.web.ui.render import page

router = APIRouter(include_in_schema=False)


@router.get("/records/{obj}/{record_id}")
def record_page(
    request: Request, obj: str, record_id: str, app: AppDep, viewer: ViewerDep
) -> Response:
    record = records.get(app.rt, record_id)
    if obj != record.object:  # /records/_/ID and stale links land on the right object
        return RedirectResponse(f"/records/{record.object}/{record_id}", status_code=303)
    username = viewer.user.username
    if not (
        viewer.can(Permission.VIEW_ALL_RECORDS)
        or record.owner == username
        or work_items.involves(app.rt, username, record_id=record_id)
    ):
        raise PermissionDenied(f"{username} may not see {obj} {record_id}")
    about = [runs.get(app.rt, r.id) for r in runs.find(app.rt, record_id=record_id, limit=20)]
    guide = work_items.inbox(app.rt, username, "Assigned", 50, record_id=record_id)
    return page(request, "record.html", {
        "viewer": viewer, "section": "records", "record": record, "runs": about,
        "guide": guide, "flash": request.query_params.get("flash", ""),
    })  # fmt: skip


def not_found(record_id: str) -> NotFound:
    return NotFound(f"no record {record_id}")
