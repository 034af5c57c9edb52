"""/work-items: the Work Items list (default: my open work items), taking a group's or queue's
item, reassign for supervisors."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from stageflow.errors import StageflowError
from stageflow.services import work_items
from stageflow.services.permissions import Permission, require
from stageflow.store.work_items import ITEM_SORTS
from stageflow.web import sessions
from stageflow.web.deps import AppDep
from stageflow.web.ui.common import ViewerDep, decode_cursor, encode_cursor
from stageflow.web.ui.render import page

router = APIRouter(include_in_schema=False)
PAGE = 25
STATUSES = ["Assigned", "Completed", "Canceled"]


@router.get("/work-items")
def item_list(
    request: Request,
    app: AppDep,
    viewer: ViewerDep,
    view: str = "mine",
    status: str = "Assigned",
    orchestration: str = "",
    assignee: str = "",
    sort: str = "created_at",
    order: str = "desc",
    after: str = "",
) -> Response:
    sort = sort if sort in ITEM_SORTS else "created_at"
    descending = order != "asc"
    everyone = view == "all" and viewer.can(Permission.VIEW_ALL_WORK_ITEMS)
    cursor = decode_cursor(after)
    if everyone:
        rows = work_items.search(
            app.rt, status=status or None, orchestration=orchestration or None,
            assignee=assignee or None, limit=PAGE, after=cursor, sort=sort, descending=descending,
        )  # fmt: skip
    else:
        rows = work_items.inbox(app.rt, viewer.user.username, status or None, PAGE, cursor,
                                sort=sort, descending=descending,
                                orchestration=orchestration or None)  # fmt: skip
    nxt = encode_cursor(getattr(rows[-1], sort), rows[-1].id) if len(rows) == PAGE else None
    return page(request, "work_items.html", {
        "viewer": viewer, "section": "work-items", "rows": rows, "next": nxt,
        "view": "all" if everyone else "mine", "status": status, "orchestration": orchestration,
        "assignee": assignee, "sort": sort, "order": "desc" if descending else "asc",
        "statuses": STATUSES,
        "orchestrations": sorted({v.name for v in app.versions("orchestration")}),
        "can_all": viewer.can(Permission.VIEW_ALL_WORK_ITEMS),
        "can_reassign": viewer.can(Permission.REASSIGN_WORK_ITEM),
        "flash": request.query_params.get("flash", ""),
    })  # fmt: skip


@router.post("/work-items/{item_id}/accept")
def accept(
    request: Request,
    item_id: str,
    app: AppDep,
    viewer: ViewerDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    sessions.check_csrf(sessions.read(request, app), csrf_token)
    try:
        app.accept_work_item(item_id, viewer.user.username)
        flash = f"work item {item_id} is yours now"
    except StageflowError as exc:
        flash = str(exc)
    return RedirectResponse(f"/work-items?flash={quote(flash)}", status_code=303)


@router.post("/work-items/{item_id}/reassign")
def reassign(
    request: Request,
    item_id: str,
    app: AppDep,
    viewer: ViewerDep,
    to: Annotated[str, Form()],
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    sessions.check_csrf(sessions.read(request, app), csrf_token)
    require(viewer.user, Permission.REASSIGN_WORK_ITEM)
    try:
        app.reassign_work_item(item_id, to, viewer.user.username)
        flash = f"work item {item_id} reassigned to {to}"
    except StageflowError as exc:
        flash = str(exc)
    return RedirectResponse(f"/work-items?view=all&flash={quote(flash)}", status_code=303)
