"""Server-rendered pages: Jinja2 templates with autoescaping."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from stageflow.flows.screen_fields import text_of

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def path_part(value: object) -> str:
    """`value` quoted as one segment of a URL's path: a record id may hold "/", "#" or "?"."""
    return quote(str(value), safe="")


_env.filters["path_part"] = path_part
_env.filters["field_text"] = text_of  # a record's value as a form shows it: "x, z", "true"


# A page shows one user's work: not kept by the browser, so Back after logging out (or another
# user of the same browser) does not show it again.
NO_STORE = {"Cache-Control": "no-store", "Vary": "Cookie"}


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    html = _env.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)
