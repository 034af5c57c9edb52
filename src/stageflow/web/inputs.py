"""What no request may carry into a service, checked once for every route (API and console).

A NUL character (\\x00) cannot be stored in PostgreSQL text, where it failed the request with a
500; SQLite stores it. A lone surrogate (a JSON string's "\\ud800" with no partner) is no
Unicode character and cannot be encoded as UTF-8 at all, which failed the request with a 500
on both databases. Refusing them here, before any route reads its parameters, makes both
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
SURROGATE = "is not valid Unicode: it holds a lone surrogate (a \\ud800-\\udfff without its pair)"

Fault = tuple[str, str]  # (the field, what is wrong with it)


async def refuse_unstorable(request: Request) -> None:
    """An app-wide dependency: raise InvalidInput naming every field that carries a NUL or a
    lone surrogate."""
    faults = [
        *_pairs("path", request.path_params.items()),
        *_pairs("query", request.query_params.multi_items()),
        *await _body(request),
    ]
    if faults:
        raise InvalidInput([Problem(message, field=f) for f, message in dict(faults).items()])


def _fault(text: str) -> str | None:
    """What keeps `text` from being stored, or None."""
    if NUL in text:
        return MESSAGE
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def _name(key: object) -> str:
    """The field's name as shown: without the NUL or surrogate itself, which the answer (UTF-8
    JSON or HTML) could not carry either."""
    return str(key).replace(NUL, "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _pairs(where: str, items: Iterable[tuple[str, Any]]) -> Iterator[Fault]:
    for key, value in items:
        fault = _fault(key) or (_fault(value) if isinstance(value, str) else None)
        if fault:
            yield f"{where}.{_name(key)}", fault


async def _body(request: Request) -> list[Fault]:
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # The form is parsed once: the route's Form() parameters read the same (cached) one.
        form = await request.form()
        return [(_name(key), fault) for key, value in form.multi_items()
                for fault in [_form_fault(key, value)] if fault]  # fmt: skip
    if "json" in kind:
        try:
            document = json.loads(await request.body())
        except ValueError:
            return []  # not JSON: FastAPI's own parsing reports it
        return list(_in_json(document, ()))
    return []


def _form_fault(key: str, value: str | UploadFile) -> str | None:
    text = (value.filename or "") if isinstance(value, UploadFile) else value
    return _fault(key) or _fault(text)


def _in_json(value: Any, path: tuple[str, ...]) -> Iterator[Fault]:
    """The dotted path of every string (or key) in a JSON document that cannot be stored."""
    if isinstance(value, str):
        fault = _fault(value)
        if fault:
            yield ".".join(path), fault
    elif isinstance(value, dict):
        for key, item in value.items():
            at = (*path, _name(key))
            fault = _fault(key)
            if fault:
                yield ".".join(at), fault
            else:
                yield from _in_json(item, at)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _in_json(item, (*path, str(index)))
