"""The hot path's statements, run straight through the database driver.

SQLAlchemy's general execution path spends ~50 µs of Python per statement on this machine
(execution context, result metadata, row objects): several times what SQLite takes to run
it, and the largest cost of a durable run (docs/performance.md). The statements every event
runs are therefore compiled by SQLAlchemy once per dialect and set of parameters, and run on
the session's own DBAPI connection, inside the session's transaction (savepoints included),
with SQLAlchemy's own type processors for parameters and results. Everything else in the
store uses the Session as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    names: tuple[str, ...]  # parameter names, in the order the driver takes them
    positional: bool
    binds: tuple[Processor, ...]
    columns: tuple[str, ...]  # result column names (a SELECT)
    results: tuple[Processor, ...]

    def parameters(self, values: Mapping[str, Any]) -> Any:
        converted = [
            value if process is None else process(value)
            for process, value in zip(self.binds, (values[n] for n in self.names), strict=True)
        ]
        return converted if self.positional else dict(zip(self.names, converted, strict=True))


class Prepared:
    """A Core statement with the plans it has been run with."""

    statement: Any  # Select | Insert | Update

    def __init__(self, statement: Select[Any] | Insert | Update) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def rows(self, session: Session, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run a SELECT; its rows as {column name: value} with SQLAlchemy's result types."""
        cursor, plan = self._run(session, values)
        found = cursor.fetchall()
        cursor.close()
        out = []
        for raw in found:
            row = {}
            for name, process, value in zip(plan.columns, plan.results, raw, strict=True):
                row[name] = value if process is None or value is None else process(value)
            out.append(row)
        return out

    def first(self, session: Session, values: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self.rows(session, values)
        return found[0] if found else None

    def execute(self, session: Session, values: Mapping[str, Any]) -> None:
        self._run(session, values)[0].close()

    def execute_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run an INSERT or UPDATE once per row; every row names the same parameters."""
        if not rows:
            return
        dbapi, dialect = _driver(session)
        plan = self._plan(dialect, rows[0])
        cursor = dbapi.cursor()
        cursor.executemany(plan.sql, [plan.parameters(r) for r in rows])
        cursor.close()

    def _run(self, session: Session, values: Mapping[str, Any]) -> tuple[Any, _Plan]:
        dbapi, dialect = _driver(session)
        plan = self._plan(dialect, values)
        cursor = dbapi.cursor()
        cursor.execute(plan.sql, plan.parameters(values))
        return cursor, plan

    def _plan(self, dialect: Dialect, values: Mapping[str, Any]) -> _Plan:
        key = (dialect.name, tuple(values))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._compile(dialect, list(values))
        return plan

    def _compile(self, dialect: Dialect, keys: list[str]) -> _Plan:
        compiled = self.statement.compile(dialect=dialect, column_keys=keys)
        assert isinstance(compiled, SQLCompiler)
        positional = bool(compiled.positiontup)
        names = tuple(compiled.positiontup or compiled.params)
        binds = tuple(
            compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
        )
        selected = (
            list(self.statement.selected_columns) if isinstance(self.statement, Select) else []
        )
        results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected
        )
        missing = set(names) - set(keys)
        if missing:  # a parameter nobody gave would be sent as NULL: refuse it here instead
            raise ValueError(f"parameters missing for {sorted(missing)}: {compiled}")
        return _Plan(
            str(compiled), names, positional, binds, tuple(str(c.key) for c in selected), results
        )


def _driver(session: Session) -> tuple[Any, Dialect]:
    """The session's DBAPI connection in its current transaction (begun if need be)."""
    connection = session.connection()
    return connection.connection.driver_connection, connection.dialect
