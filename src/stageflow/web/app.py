"""The FastAPI application: the REST API under /api/v1 (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from stageflow.app import App
from stageflow.web import errors, inputs
from stageflow.web.api import orchestrations, people, records, runs, work_items
from stageflow.web.ui import auth as ui_auth
from stageflow.web.ui import common as ui_common
from stageflow.web.ui import records as ui_records
from stageflow.web.ui import runs as ui_runs
from stageflow.web.ui import setup as ui_setup
from stageflow.web.ui import setup_people as ui_setup_people
from stageflow.web.ui import work_items as ui_work_items

STATIC = Path(__file__).resolve().parent / "static"

API = "/api/v1"


class _API(FastAPI):
    def openapi(self) -> dict[str, Any]:
        first = self.openapi_schema is None
        document = super().openapi()
        if first:  # made once, then cached: the error bodies' schemas are added once
            errors.document(document)
        return document


def create_app(app: App) -> FastAPI:
    web = _API(
        title="stageflow",
        version="1",
        summary="Multi-stage, multi-user flow orchestration",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
        dependencies=[Depends(inputs.refuse_unstorable)],  # before every route reads its input
    )
    web.state.stageflow = app
    errors.install(web)
    for module in (orchestrations, runs, work_items, records, people):
        web.include_router(module.router, prefix=API)
    ui_common.install(web)
    # setup_people before setup: /setup/{kind} would take /setup/people
    for ui in (ui_auth, ui_runs, ui_work_items, ui_records, ui_setup_people, ui_setup):
        web.include_router(ui.router)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    return web
