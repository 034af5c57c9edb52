"""/runs (Orchestration Runs) and /runs/{id} (the debug view), with Cancel / Suspend / Resume /
Re-evaluate as forms the transition table and the viewer's role allow."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from stageflow.engine.rules import Action
from stageflow.errors import PermissionDenied, StageflowError
from stageflow.services import runs, work_items
from stageflow.services.permissions import Permission
from stageflow.store.runs import RUN_SORTS
from stageflow.web import sessions
from stageflow.web.deps import AppDep
from stageflow.web.ui.common import ViewerDep, decode_cursor, encode_cursor
from stageflow.web.ui.render import page

router = APIRouter(include_in_schema=False)

ACTION_PERMISSION = {
    Action.CANCEL.value: Permission.CANCEL_RUN,
    Action.SUSPEND.value: Permission.SUSPEND_RUN,
    Action.RESUME.value: Permission.RESUME_RUN,
}
PAGE = 25


@router.get("/runs")
def run_list(
    request: Request,
    app: AppDep,
    viewer: ViewerDep,
    status: str = "",
    orchestration: str = "",
    sort: str = "created_at",
    order: str = "desc",
    after: str = "",
) -> Response:
    sort = sort if sort in RUN_SORTS else "created_at"
    descending = order != "asc"
    mine = None if viewer.can(Permission.VIEW_ALL_RUNS) else viewer.user.username
    rows = runs.find(
        app.rt, status=status or None, orchestration=orchestration or None, visible_to=mine,
        limit=PAGE, after=decode_cursor(after), sort=sort, descending=descending,
    )  # fmt: skip
    nxt = encode_cursor(getattr(rows[-1], sort), rows[-1].id) if len(rows) == PAGE else None
    orchestrations = sorted({v.name for v in app.versions("orchestration")})
    return page(request, "runs.html", {
        "viewer": viewer, "section": "runs", "rows": rows, "next": nxt, "status": status,
        "orchestration": orchestration, "orchestrations": orchestrations, "sort": sort,
        "order": "desc" if descending else "asc",
        "statuses": ["NotStarted", "InProgress", "Suspended", "Completed", "Canceled", "Error"],
        "can_cancel": viewer.can(Permission.CANCEL_RUN),
    })  # fmt: skip


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: str, app: AppDep, viewer: ViewerDep) -> Response:
    view = runs.get(app.rt, run_id)
    if (
        not viewer.can(Permission.VIEW_ALL_RUNS)
        and view.created_by != viewer.user.username
        and not work_items.involves(app.rt, viewer.user.username, run_id=run_id)
    ):
        raise PermissionDenied(f"{viewer.user.username} may not see run {run_id}")
    orchestration = runs.orchestration_of(app.rt, run_id)
    actions = [a for a in view.actions if viewer.can(ACTION_PERMISSION[a])]
    if view.status == "InProgress" and viewer.can(Permission.REEVALUATE_RUN):
        actions.append("reevaluate")
    return page(request, "run.html", {
        "viewer": viewer, "section": "runs", "run": view, "o": orchestration,
        "actions": actions, "flash": request.query_params.get("flash", ""),
        "steps": {s.name: s for st in view.stages for s in st.steps},
        "stages": {s.name: s for s in view.stages},
        "items": {w.id: w for w in view.work_items},
    })  # fmt: skip


@router.post("/runs/{run_id}/{action}")
def act(
    request: Request,
    run_id: str,
    action: str,
    app: AppDep,
    viewer: ViewerDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    sessions.check_csrf(sessions.read(request, app), csrf_token)
    verbs = {"cancel": app.cancel, "suspend": app.suspend, "resume": app.resume,
             "reevaluate": app.reevaluate}  # fmt: skip
    if action not in verbs:
        raise PermissionDenied(f"no action {action!r}")
    permission = ACTION_PERMISSION.get(action, Permission.REEVALUATE_RUN)
    if not viewer.can(permission):
        raise PermissionDenied(f"{viewer.user.username} ({viewer.user.role}) may not {action} runs")
    try:
        view = verbs[action](run_id, viewer.user.username)
        flash = f"{action}: the run is {view.status}"
    except StageflowError as exc:
        flash = str(exc)
    return RedirectResponse(f"/runs/{run_id}?flash={quote(flash)}", status_code=303)
