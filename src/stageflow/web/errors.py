"""Errors as RFC 9457 problem details, mapped once from stageflow's error classes."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from stageflow.errors import (
    ConfigurationError,
    DefinitionError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Problem,
    StageflowError,
    TransitionNotAllowed,
)
from stageflow.services.auth import NotAuthenticated
from stageflow.web.schemas import ProblemDetails

MEDIA_TYPE = "application/problem+json"

STATUS: list[tuple[type[StageflowError], int, str]] = [
    (NotAuthenticated, 401, "Not authenticated"),
    (PermissionDenied, 403, "Forbidden"),
    (NotFound, 404, "Not found"),
    (TransitionNotAllowed, 409, "Not allowed in this status"),
    (DefinitionError, 422, "Invalid definitions"),
    (InvalidInput, 422, "Invalid input"),
    (ConfigurationError, 422, "Invalid configuration"),
    # Any other is refused on purpose for a reason of its own (a loop of starts, say): a status
    # every route lists, rather than a 400 the OpenAPI document names nowhere.
    (StageflowError, 422, "Refused"),
]


# What each error status means, for the OpenAPI document: every one is problem details.
MEANING = {
    401: "No API token, or one that is unknown, revoked or expired",
    403: "The caller's role, or whose the object is, does not allow it; nothing changed",
    404: "No such object (the path or the body names it)",
    409: "Not allowed in the object's current status (the transition table)",
    422: "Invalid input or definitions, or refused for another reason given in `detail`: "
    "`errors` names each field (or file and line) where there is one",
}
_PROBLEM = ProblemDetails.__name__


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a router whose routes may answer these error statuses. A 422
    here also replaces FastAPI's own, which describes a body the API never sends."""
    schema = {"$ref": f"#/components/schemas/{_PROBLEM}"}
    return {
        status: {"description": MEANING[status], "content": {MEDIA_TYPE: {"schema": schema}}}
        for status in statuses
    }


def document(openapi: dict[str, Any]) -> None:
    """Add the problem details' schemas, which `responses` refers to, to an OpenAPI document
    (FastAPI adds only the models of request and success bodies)."""
    found = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(found.pop("$defs", {}))
    schemas[_PROBLEM] = found


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, media_type=MEDIA_TYPE, headers=dict(headers or {})
    )


def status_of(exc: StageflowError) -> tuple[int, str]:
    """The HTTP status an error answers with, and its title (STATUS ends with the base class)."""
    return next((code, name) for cls, code, name in STATUS if isinstance(exc, cls))


def _stageflow_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StageflowError)
    status, title = status_of(exc)
    errors = [
        {
            k: v
            for k, v in {
                "field": p.field,
                "message": p.message,
                "file": p.file,
                "line": p.line,
            }.items()
            if v is not None
        }
        for p in exc.problems
    ]
    if not _request.url.path.startswith("/api/"):  # a console page: a page, not JSON
        return _html_error(status, title, exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(status, title, str(exc), errors, headers)


def _html_error(status: int, title: str, exc: StageflowError) -> HTMLResponse:
    items = "".join(f"<li>{html.escape(str(p))}</li>" for p in exc.problems)
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} · stageflow'
        '</title><link rel="stylesheet" href="/static/stageflow.css"></head><body><main>'
        f'<h1>{status} · {html.escape(title)}</h1><ul class="error" role="alert">{items}</ul>'
        '<p><a href="/work-items">Back to my work items</a></p></main></body></html>'
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e["msg"]}
        for e in exc.errors()
    ]
    if not request.url.path.startswith("/api/"):  # a console form: a page, not JSON
        problems = [Problem(e["message"], field=e["field"] or None) for e in errors]
        return _html_error(422, "Invalid input", InvalidInput(problems))
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "Invalid input", detail, errors)


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return problem(exc.status_code, str(exc.detail), str(exc.detail), headers=exc.headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(StageflowError, _stageflow_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
