"""What no request may carry into a service, checked once for every route (API and console).

A NUL character (\\x00) cannot be stored in PostgreSQL text, where it failed the request with a
500; SQLite stores it. Refusing it here, before any route reads its parameters, makes both
databases answer alike: 422, naming the field as the API's other validation errors do
(`path.run_id`, `query.status`, `outputs.comments`, a form's `username`), with nothing changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from stageflow.errors import InvalidInput, Problem

NUL = "\x00"
MESSAGE = "must not contain a NUL character (\\x00)"


async def refuse_nul(request: Request) -> None:
    """An app-wide dependency: raise InvalidInput naming every field that carries a NUL."""
    fields = [
        *_pairs("path", request.path_params.items()),
        *_pairs("query", request.query_params.multi_items()),
        *await _body(request),
    ]
    if fields:
        raise InvalidInput([Problem(MESSAGE, field=f) for f in dict.fromkeys(fields)])


def _name(key: object) -> str:
    return str(key).replace(NUL, "\\x00")  # the field's name shown, without the NUL itself


def _pairs(where: str, items: Iterable[tuple[str, Any]]) -> Iterator[str]:
    for key, value in items:
        if NUL in key or (isinstance(value, str) and NUL in value):
            yield f"{where}.{_name(key)}"


async def _body(request: Request) -> list[str]:
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # The form is parsed once: the route's Form() parameters read the same (cached) one.
        form = await request.form()
        return [_name(key) for key, value in form.multi_items() if _has_nul(key, value)]
    if "json" in kind:
        try:
            document = json.loads(await request.body())
        except ValueError:
            return []  # not JSON: FastAPI's own parsing reports it
        return list(_in_json(document, ()))
    return []


def _has_nul(key: str, value: str | UploadFile) -> bool:
    text = (value.filename or "") if isinstance(value, UploadFile) else value
    return NUL in key or NUL in text


def _in_json(value: Any, path: tuple[str, ...]) -> Iterator[str]:
    """The dotted path of every string (or key) with a NUL in a JSON document."""
    if isinstance(value, str):
        if NUL in value:
            yield ".".join(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            at = (*path, _name(key))
            if NUL in key:
                yield ".".join(at)
            else:
                yield from _in_json(item, at)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _in_json(item, (*path, str(index)))
