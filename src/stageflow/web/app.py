"""The FastAPI application: the REST API under /api/v1 (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from fastapi import FastAPI

from stageflow.app import App
from stageflow.web import errors
from stageflow.web.api import orchestrations, people, records, runs, work_items
from stageflow.web.ui import auth as ui_auth

API = "/api/v1"


def create_app(app: App) -> FastAPI:
    web = FastAPI(
        title="stageflow",
        version="1",
        summary="Multi-stage, multi-user flow orchestration",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
    )
    web.state.stageflow = app
    errors.install(web)
    for module in (orchestrations, runs, work_items, records, people):
        web.include_router(module.router, prefix=API)
    web.include_router(ui_auth.router)
    return web
