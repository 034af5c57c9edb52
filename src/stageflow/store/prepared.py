"""The hot path's statements, run straight through the database driver.

SQLAlchemy's general execution path spends ~50 µs of Python per statement on this machine
(execution context, result metadata, row objects): several times what SQLite takes to run
it, and the largest cost of a durable run (docs/performance.md). The statements every event
runs are therefore compiled by SQLAlchemy once per dialect and set of parameters, and run on
the connection's own DBAPI connection, inside its transaction (savepoints included), with
SQLAlchemy's own type processors for parameters and results. Everything else in the store
uses the Connection as usual.

What this path does not do, unlike Connection.execute: wrap driver errors in sqlalchemy.exc
(callers catch none of them), fire cursor events or echo the SQL, and fill in Python-side
column defaults (a statement that would need one is refused when it is compiled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None


@dataclass
class _Plan:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    names: tuple[str, ...]  # parameter names, in the order the driver takes them
    positional: bool
    binds: tuple[Processor, ...]
    columns: tuple[str, ...]  # result column names (a SELECT)
    types: tuple[Any, ...]  # result column types
    # from the first result's cursor.description: some processors depend on the driver's type
    results: tuple[Processor, ...] | None = field(default=None)
    # (position, processor) of the parameters that have one: the others go to the driver as given
    _converted: tuple[tuple[int, Callable[[Any], Any]], ...] = field(init=False)

    def __post_init__(self) -> None:
        self._converted = tuple((i, p) for i, p in enumerate(self.binds) if p is not None)

    def parameters(self, values: Mapping[str, Any]) -> Any:
        out = [values[n] for n in self.names]
        for i, process in self._converted:
            out[i] = process(out[i])
        return out if self.positional else dict(zip(self.names, out, strict=True))

    def result_processors(self, dialect: Dialect, description: Any) -> tuple[Processor, ...]:
        if self.results is None:
            self.results = tuple(
                t.dialect_impl(dialect).result_processor(dialect, d[1])
                for t, d in zip(self.types, description, strict=True)
            )
        return self.results


PlanKey = tuple[tuple[str, ...], bool]  # parameter names, executemany


class Prepared:
    """A Core statement with the plans it has been run with."""

    statement: Any  # Select | Insert | Update

    def __init__(self, statement: Select[Any] | Insert | Update) -> None:
        self.statement = statement
        # per dialect object: two engines of one database name may use different drivers
        self._plans: WeakKeyDictionary[Dialect, dict[PlanKey, _Plan]] = WeakKeyDictionary()

    def rows(self, conn: Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run a SELECT; its rows as {column name: value} with SQLAlchemy's result types."""
        dbapi, dialect = _driver(conn)
        plan = self._plan(dialect, tuple(values), many=False)
        cursor = dbapi.cursor()
        try:
            cursor.execute(plan.sql, plan.parameters(values))
            found = cursor.fetchall()
            # description builds its column objects anew on every call (psycopg): read it once
            processors = plan.results or plan.result_processors(dialect, cursor.description)
        finally:
            cursor.close()
        out = []
        for raw in found:
            row = {}
            for name, process, value in zip(plan.columns, processors, raw, strict=True):
                row[name] = value if process is None or value is None else process(value)
            out.append(row)
        return out

    def first(self, conn: Connection, values: Mapping[str, Any]) -> dict[str, Any] | None:
        found = self.rows(conn, values)
        return found[0] if found else None

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> None:
        """Run an INSERT or UPDATE with one row's parameters."""
        dbapi, dialect = _driver(conn)
        plan = self._plan(dialect, tuple(values), many=False)
        cursor = dbapi.cursor()
        try:
            cursor.execute(plan.sql, plan.parameters(values))
        finally:
            cursor.close()

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run an INSERT or UPDATE once per row; every row names the same parameters."""
        if not rows:
            return
        dbapi, dialect = _driver(conn)
        plan = self._plan(dialect, tuple(rows[0]), many=True)
        cursor = dbapi.cursor()
        try:
            if len(rows) == 1:  # psycopg's executemany sets up a pipeline even for one row
                cursor.execute(plan.sql, plan.parameters(rows[0]))
            else:
                cursor.executemany(plan.sql, [plan.parameters(r) for r in rows])
        finally:
            cursor.close()

    def _plan(self, dialect: Dialect, keys: tuple[str, ...], many: bool) -> _Plan:
        plans = self._plans.get(dialect)
        if plans is None:
            plans = self._plans[dialect] = {}
        plan = plans.get((keys, many))
        if plan is None:
            plan = plans[keys, many] = self._compile(dialect, list(keys), many)
        return plan

    def _compile(self, dialect: Dialect, keys: list[str], many: bool) -> _Plan:
        # for_executemany: no RETURNING of generated ids that nobody reads, as SQLAlchemy's own
        # executemany would not ask for them
        compiled = self.statement.compile(dialect=dialect, column_keys=keys, for_executemany=many)
        assert isinstance(compiled, SQLCompiler)
        if compiled.insert_prefetch or compiled.update_prefetch:
            needed = [c.key for c in [*compiled.insert_prefetch, *compiled.update_prefetch]]
            raise ValueError(f"give a value for {needed}: their Python-side defaults: {compiled}")
        names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.params)
        missing = set(names) - set(keys)
        if missing:  # a parameter nobody gave would be sent as NULL: refuse it here instead
            raise ValueError(f"parameters missing for {sorted(missing)}: {compiled}")
        binds = tuple(
            compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
        )
        selected = (
            list(self.statement.selected_columns) if isinstance(self.statement, Select) else []
        )
        columns = [str(c.key) for c in selected]
        if len(set(columns)) < len(columns):  # a row is a dict: one column would hide another
            raise ValueError(f"two result columns share a name; label them: {columns}")
        return _Plan(
            sql=str(compiled),
            names=names,
            positional=compiled.positional,
            binds=binds,
            columns=tuple(columns),
            types=tuple(c.type for c in selected),
        )


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """Writes whose results nobody reads, sent to the server together: one round trip for all
    of them on PostgreSQL (psycopg's pipeline mode, libpq 14+). A failing one raises by the
    end of the block: from a later statement in it or from its end. Other drivers run the
    statements one by one, as they come."""
    dbapi, dialect = _driver(conn)  # the transaction (and a pending savepoint) begins first
    if dialect.driver != "psycopg" or not dialect.loaded_dbapi.Pipeline.is_supported():
        yield
        return
    with dbapi.pipeline():
        yield


def _driver(conn: Connection) -> tuple[Any, Dialect]:
    """The connection's DBAPI connection and dialect."""
    return conn.connection.driver_connection, conn.dialect
