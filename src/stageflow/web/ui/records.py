"""/records/{object}/{id}: the record's fields, the runs about it with their stage progress,
and the Work Guide: the viewer's open work items for this record, the first one's screen flow
running inline. Finishing it completes the work item; the guide then shows the next one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from stageflow.errors import InvalidInput, StageflowError
from stageflow.flows import screen_runtime
from stageflow.flows.screen_runtime import Finished
from stageflow.flows.screen_state import ScreenFlowState, seal, unseal
from stageflow.services import outbox_work, records, runs, work_items
from stageflow.services.permissions import Permission
from stageflow.web import access, sessions
from stageflow.web.deps import AppDep
from stageflow.web.ui.common import Viewer, ViewerDep
from stageflow.web.ui.render import page, path_part

router = APIRouter(include_in_schema=False)


def _key(app: AppDep, item_id: str, username: str) -> bytes:
    """The key a work item's form state is sealed with, for that item and user only: a state
    copied from another work item's form must not finish this one (its variables, the record
    id among them, would write to the other item's record)."""
    return f"{app.rt.settings.secret_key}\x00{item_id}\x00{username}".encode()


def _record_page(
    request: Request,
    app: AppDep,
    viewer: Viewer,
    record_id: str,
    item_id: str | None = None,
    state: ScreenFlowState | None = None,
    flash: str = "",
    status: int = 200,
) -> Response:
    record = access.visible_record(app, viewer.user, record_id)
    username = viewer.user.username
    mine = None if viewer.can(Permission.VIEW_ALL_RUNS) else username  # as the Runs list
    about = [
        runs.get(app.rt, r.id)
        for r in runs.find(app.rt, record_id=record_id, limit=20, visible_to=mine)
    ]
    guide = work_items.inbox(app.rt, username, "Assigned", 50, record_id=record_id)
    current = next((w for w in guide if w.id == item_id), guide[0] if guide else None)
    screen = token = None
    cannot_open = ""
    if current is not None:
        try:
            item, flow = work_items.open_item(app.rt, current.id, username)
        except StageflowError as exc:  # its screen flow was deactivated since: say so here
            cannot_open = str(exc)
        else:
            if state is None or state.flow != flow.name:
                state = screen_runtime.start(flow, item.inputs)
            screen = screen_runtime.render(flow, state)
            token = seal(state, _key(app, current.id, username))
    return page(
        request,
        "record.html",
        {
            "viewer": viewer,
            "section": "records",
            "record": record,
            "runs": about,
            "guide": guide,
            "current": current,
            "screen": screen,
            "state_token": token,
            "cannot_open": cannot_open,
            "flash": flash or request.query_params.get("flash", ""),
        },
        status,
    )


def _path(obj: str, record_id: str) -> str:
    """The record page's path, its parts quoted: a host application's id may hold "/", "#"."""
    return f"/records/{path_part(obj)}/{path_part(record_id)}"


# `:path`: an id's quoted "/" ("%2F") arrives decoded, and must not end the id there.
@router.get("/records/{obj}/{record_id:path}")
def record_page(
    request: Request, obj: str, record_id: str, app: AppDep, viewer: ViewerDep, item: str = ""
) -> Response:
    record = records.get(app.rt, record_id)
    if obj != record.object:  # /records/_/ID and stale links land on the right object
        return RedirectResponse(_path(record.object, record_id), status_code=303)
    return _record_page(request, app, viewer, record_id, item or None)


@router.post("/records/{obj}/{record_id:path}/work/{item_id}")
async def work(
    request: Request, obj: str, record_id: str, item_id: str, app: AppDep, viewer: ViewerDep
) -> Response:
    form = await request.form()
    sessions.check_csrf(sessions.read(request, app), _one(form.get("csrf_token")))
    action = _one(form.get("action")) or "next"
    fields: dict[str, Any] = {
        key: form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key)
        for key in form
        if key not in ("csrf_token", "action", "state")
    }
    return await run_in_threadpool(
        _work,
        request,
        app,
        viewer,
        obj,
        record_id,
        item_id,
        action,
        fields,
        _one(form.get("state")),
    )


def _work(
    request: Request,
    app: AppDep,
    viewer: Viewer,
    obj: str,
    record_id: str,
    item_id: str,
    action: str,
    fields: dict[str, Any],
    token: str | None,
) -> Response:
    username = viewer.user.username
    item, flow = work_items.open_item(app.rt, item_id, username)
    if not token:
        raise InvalidInput("the screen flow's state is missing; reload the page")
    state = unseal(flow, token, _key(app, item_id, username))
    result = screen_runtime.submit(flow, state, fields, action)
    if not isinstance(result, Finished):
        code = 422 if result.has_errors else 200
        return _record_page(request, app, viewer, record_id, item_id, result, status=code)
    try:
        work_items.complete(
            app.rt, item_id, username, dict(result.outputs), variables=dict(result.variables)
        )
    except StageflowError as exc:  # the page again, with what was typed
        typed = screen_runtime.as_typed(flow, state, fields)
        return _record_page(request, app, viewer, record_id, item_id, typed, str(exc), 409)
    if app.rt.embedded_worker:
        outbox_work.drain(app.rt)
    flash = f"{item.name}: done"
    return RedirectResponse(f"{_path(obj, record_id)}?flash={quote(flash)}", status_code=303)


def _one(value: Any) -> str | None:
    return value if isinstance(value, str) else None
