"""/setup: orchestrations and their versions (diagram, activate, deploy by upload), objects,
and flows. Admins only. People are in `setup_people`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from stageflow.definitions.loader import load_one
from stageflow.definitions.model import Orchestration
from stageflow.errors import DefinitionError, InvalidInput, NotFound, StageflowError
from stageflow.services import deployments
from stageflow.services.permissions import Permission, require
from stageflow.web import sessions, uploads
from stageflow.web.deps import AppDep
from stageflow.web.ui.common import Viewer, ViewerDep
from stageflow.web.ui.render import page

router = APIRouter(include_in_schema=False)
KINDS = {"orchestration": "Orchestrations", "screen_flow": "Screen flows", "flow": "Flows",
         "object": "Objects"}  # fmt: skip


def _admin(viewer: Viewer) -> None:
    require(viewer.user, Permission.DEPLOY)


@router.get("/setup")
def setup_home() -> Response:
    return RedirectResponse("/setup/orchestrations", status_code=303)


def _kind(path: str) -> str:
    """The kind a Setup path names, singular or plural (`/setup/flows`, `/setup/flow`)."""
    kind = path if path in KINDS else path.removesuffix("s")
    if kind not in KINDS:
        raise NotFound(f"no setup page for {path!r}: use one of {', '.join(KINDS)}")
    return kind


@router.get("/setup/{kind}")
def definitions_page(request: Request, kind: str, app: AppDep, viewer: ViewerDep) -> Response:
    _admin(viewer)
    kind = _kind(kind)
    versions = app.versions(kind)
    names = sorted({v.name for v in versions})
    return page(request, "setup_definitions.html", {
        "viewer": viewer, "section": "setup", "kind": kind, "kinds": KINDS, "names": names,
        "versions": versions, "flash": request.query_params.get("flash", ""),
        "problems": [],
    })  # fmt: skip


@router.get("/setup/{kind}/{name}")
def definition_page(
    request: Request, kind: str, name: str, app: AppDep, viewer: ViewerDep
) -> Response:
    _admin(viewer)
    kind = _kind(kind)
    versions = app.versions(kind, name)
    if not versions:
        raise NotFound(f"no {kind} named {name!r}")
    shown = next((v for v in versions if v.active), versions[-1])
    wanted = request.query_params.get("version")
    if wanted and wanted.isdigit():
        shown = next((v for v in versions if v.version == int(wanted)), shown)
    source = deployments.source(app.rt, shown.id)
    definition = load_one(source, shown.source_file)
    return page(request, "setup_definition.html", {
        "viewer": viewer, "section": "setup", "kind": kind, "name": name, "versions": versions,
        "shown": shown, "source": source,
        "o": definition if isinstance(definition, Orchestration) else None,
        "flash": request.query_params.get("flash", ""),
    })  # fmt: skip


@router.post("/setup/{kind}/{name}/activate")
def activate(
    request: Request,
    kind: str,
    name: str,
    app: AppDep,
    viewer: ViewerDep,
    version: Annotated[int, Form()] = 0,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    sessions.check_csrf(sessions.read(request, app), csrf_token)
    _admin(viewer)
    kind = _kind(kind)
    try:
        if version:
            app.activate(kind, name, version)
            flash = f"version {version} is active"
        else:
            app.deactivate(kind, name)
            flash = f"{name} is deactivated"
    except StageflowError as exc:
        flash = str(exc)
    return RedirectResponse(f"/setup/{kind}/{name}?flash={quote(flash)}", status_code=303)


def _refused(
    request: Request, app: AppDep, viewer: Viewer, exc: DefinitionError | InvalidInput
) -> Response:
    """The deploy form again, with the problems inline (files named as uploaded)."""
    problems = [p.__class__(p.message, Path(p.file).name if p.file else None, p.line, p.field)
                for p in exc.problems]  # fmt: skip
    return page(request, "setup_definitions.html", {
        "viewer": viewer, "section": "setup", "kind": "orchestration", "kinds": KINDS,
        "names": sorted({v.name for v in app.versions("orchestration")}),
        "versions": app.versions("orchestration"), "flash": "", "problems": problems,
    }, 422)  # fmt: skip


@router.post("/setup/deploy")
def deploy(
    request: Request,
    app: AppDep,
    viewer: ViewerDep,
    files: Annotated[list[UploadFile], File()],
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    sessions.check_csrf(sessions.read(request, app), csrf_token)
    _admin(viewer)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            uploads.save(files, Path(tmp))  # the API's names: `.yaml` added, bad ones refused
            deployed = app.deploy(tmp, by=viewer.user.username, names_from=tmp)
        except (DefinitionError, InvalidInput) as exc:
            return _refused(request, app, viewer, exc)
    done = ", ".join(
        f"{d.name} v{d.version}" + ("" if d.changed else " (unchanged)") for d in deployed
    )
    return RedirectResponse(f"/setup/orchestrations?flash={quote('deployed ' + done)}", 303)
