"""/api/v1/orchestrations: list, one, versions, deploy (a server folder or uploaded files),
activate."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi import Path as PathParam

from stageflow.errors import NotFound
from stageflow.services import deployments
from stageflow.services.permissions import Permission, require
from stageflow.web import errors, uploads
from stageflow.web.deps import AppDep, UserDep
from stageflow.web.schemas import DeployedOut, DeployFolder, VersionOut

router = APIRouter(
    prefix="/orchestrations",
    tags=["orchestrations"],
    responses=errors.responses(401, 403, 404, 422),
)


def _version(v: Any) -> VersionOut:
    return VersionOut(
        kind=v.kind, name=v.name, version=v.version, active=v.active, deployed_at=v.deployed_at,
        deployed_by=v.deployed_by, source_file=v.source_file,
    )  # fmt: skip


@router.get("", summary="Orchestrations with their active version")
def list_orchestrations(app: AppDep, user: UserDep) -> list[VersionOut]:
    require(user, Permission.VIEW_DEFINITIONS)
    return [_version(v) for v in app.versions("orchestration") if v.active]


@router.get("/{name}/versions", summary="Every version of an orchestration")
def versions(name: str, app: AppDep, user: UserDep) -> list[VersionOut]:
    require(user, Permission.VIEW_DEFINITIONS)
    found = app.versions("orchestration", name)
    if not found:
        raise NotFound(f"no orchestration named {name!r}")
    return [_version(v) for v in found]


@router.get("/{name}", summary="An orchestration's active version, with its source")
def get(name: str, app: AppDep, user: UserDep) -> dict[str, Any]:
    require(user, Permission.VIEW_DEFINITIONS)
    active = [v for v in app.versions("orchestration", name) if v.active]
    if not active:
        raise NotFound(f"no active orchestration named {name!r}")
    source = deployments.source(app.rt, active[0].id)
    return {**_version(active[0]).model_dump(mode="json"), "source": source}


@router.post("/deploy", status_code=201, summary="Deploy a folder on the server (all or nothing)")
def deploy_folder(body: DeployFolder, app: AppDep, user: UserDep) -> list[DeployedOut]:
    require(user, Permission.DEPLOY)
    deployed = app.deploy(Path(body.path), by=user.username, activate=body.activate)
    return [DeployedOut(**d.__dict__) for d in deployed]


@router.post("/upload", status_code=201, summary="Deploy uploaded YAML files (all or nothing)")
def deploy_files(
    files: Annotated[list[UploadFile], File(description="Definition files (*.yaml)")],
    app: AppDep,
    user: UserDep,
) -> list[DeployedOut]:
    require(user, Permission.DEPLOY)
    with tempfile.TemporaryDirectory() as tmp:
        uploads.save(files, Path(tmp))
        deployed = app.deploy(tmp, by=user.username, names_from=tmp)  # as sent
    return [DeployedOut(**d.__dict__) for d in deployed]


@router.post("/{name}/versions/{version}/activate", summary="Make a version the active one")
def activate(
    name: str,
    version: Annotated[int, PathParam(ge=1, le=2_147_483_647)],
    app: AppDep,
    user: UserDep,
) -> list[VersionOut]:
    require(user, Permission.DEPLOY)
    app.activate("orchestration", name, version)
    return [_version(v) for v in app.versions("orchestration", name)]
