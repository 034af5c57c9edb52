"""What every command shares: the database option, the connection, value parsing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import typer

from stageflow.app import App, connect
from stageflow.definitions.source import load_yaml
from stageflow.errors import InvalidInput, Problem


@dataclass
class Options:
    db: str | None = None
    _app: App | None = field(default=None, repr=False)

    def app(self) -> App:
        if self._app is None:
            self._app = connect(self.db)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def options(ctx: typer.Context) -> Options:
    found = ctx.find_root().obj
    assert isinstance(found, Options)
    return found


def parse_value(text: str) -> Any:
    """A command-line value as YAML reads it: 42, 4.5, true, [a, b], or text."""
    data, problems = load_yaml(text, "<value>")
    if problems or isinstance(data, dict):
        return text
    return text if data is None and text.strip() not in ("null", "~") else data


def pairs(items: list[str] | None, option: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(Problem(f"{item!r}: expected {option} NAME=VALUE", field=option))
        out[key.strip()] = parse_value(value)
    return out
