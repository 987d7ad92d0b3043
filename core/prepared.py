"""Prepared statements on the driver's cursor.

The registration sends a dozen small statements, each of which cost 30-60 microseconds of
SQLAlchemy's own work (the execution context, events, the result object) against 5-10 for the
driver. A Prepared statement is compiled once per dialect by SQLAlchemy, its parameters and
results converted by the same type processors, and run on the DBAPI cursor of a SQLAlchemy
connection, inside whatever transaction that connection holds.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa


class Prepared:
    """A Core statement (no expanding IN) compiled once per dialect, run on a connection's
    cursor; rows come back as named tuples of the returned columns. Give every parameter the
    statement names; an INSERT's columns with a Python default that were not given get it."""

    __slots__ = ("statement", "column_keys", "_by_dialect")

    def __init__(self, statement: sa.Executable, column_keys: list[str] | None = None) -> None:
        self.statement = statement
        self.column_keys = column_keys
        self._by_dialect: dict[str, tuple] = {}

    def _compiled(self, dialect: sa.Dialect) -> tuple:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
        fixed = {  # literal values SQLAlchemy made parameters of
            key: value
            for key, value in compiled.construct_params(_check=False).items()
            if value is not None
        }
        for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
            default = column.default if compiled.isinsert else column.onupdate
            if default is not None and default.is_scalar:
                fixed[column.key] = default.arg
            elif default is not None and default.is_callable:
                fixed[column.key] = default.arg  # called per run (utcnow)
        binds = compiled._bind_processors
        names = list(compiled.positiontup) if dialect.positional else list(compiled.binds)
        converters = tuple((name, binds.get(name)) for name in names)
        columns = compiled._result_columns
        keys = tuple(column[0] for column in columns)
        processors = tuple(column[3]._cached_result_processor(dialect, None) for column in columns)
        row_type = collections.namedtuple("Row", keys, rename=True) if keys else None  # type: ignore[misc]
        form = (compiled.string, dialect.positional, converters, fixed, processors, row_type)
        self._by_dialect[dialect.name] = form
        return form

    def _bind(self, dialect: sa.Dialect, params: Mapping[str, Any]) -> tuple:
        form = self._by_dialect.get(dialect.name) or self._compiled(dialect)
        sql, positional, converters, fixed = form[:4]
        values: list[Any] = []
        named: dict[str, Any] = {}
        for name, convert in converters:
            value = params[name] if name in params else fixed.get(name)
            if callable(value) and name not in params:
                value = value(None)
            if convert is not None:
                value = convert(value)
            if positional:
                values.append(value)
            else:
                named[name] = value
        return form, sql, values if positional else named

    @staticmethod
    def _rows(form: tuple, fetched: list[Any]) -> list[Any]:
        processors, row_type = form[4], form[5]
        if row_type is None:
            return []
        return [
            row_type(*[p(v) if p else v for p, v in zip(processors, row, strict=True)])
            for row in fetched
        ]

    def run(self, connection: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        """Run with these parameters; the returned rows (an empty list when none)."""
        return run_together(connection, [(self, params)])[0]


def _announce(connection: sa.Connection, bound: list[tuple]) -> None:
    """Tell the engine's before_cursor_execute listeners of each statement, as SQLAlchemy
    would: what counts statements (the bench's X-Statements, the tests) sees these too."""
    listeners = connection.dispatch.before_cursor_execute
    if listeners:
        for _form, sql, values in bound:
            for listener in listeners:
                listener(connection, None, sql, values, None, False)


def run_together(
    connection: sa.Connection,
    statements: list[tuple[Prepared, Mapping[str, Any]]],
    *,
    commit: bool = False,
) -> list[list[Any]]:
    """Run Prepared statements in order, in one round trip on PostgreSQL (psycopg's pipeline
    mode; each sees what the ones before it wrote), one after the other elsewhere; the rows each
    returned. A driver's error is raised as SQLAlchemy's (IntegrityError for a unique index).

    commit=True on PostgreSQL sends the COMMIT in the same round trip; the session's commit()
    that must still follow (its bookkeeping, its hooks) then finds nothing to send. Only for a
    session holding no unflushed objects: they would land in a transaction of their own."""
    dialect = connection.dialect
    bound = [prepared._bind(dialect, params) for prepared, params in statements]
    dbapi_connection = connection.connection
    dbapi_error = dialect.loaded_dbapi.Error
    _announce(connection, bound)
    try:
        if (len(bound) > 1 or commit) and dialect.driver == "psycopg":
            driver = dbapi_connection.driver_connection
            cursors = []
            with driver.pipeline():
                for _form, sql, values in bound:
                    cursor = driver.cursor()
                    cursor.execute(sql, values)
                    cursors.append(cursor)
                if commit:  # skipped by the server when a statement before it failed
                    driver.execute(b"COMMIT").close()
            # A statement's form knows whether it returns rows: psycopg's cursor.description
            # builds a Column object per column each time it is read.
            fetched = [
                c.fetchall() if form[5] is not None else []
                for c, (form, _sql, _values) in zip(cursors, bound, strict=True)
            ]
            for cursor in cursors:
                cursor.close()
        else:
            fetched = []
            for form, sql, values in bound:
                cursor = dbapi_connection.cursor()
                try:
                    cursor.execute(sql, values)
                    fetched.append(cursor.fetchall() if form[5] is not None else [])
                finally:
                    cursor.close()
    except dbapi_error as err:
        disconnected = dialect.is_disconnect(err, dbapi_connection, None)
        if disconnected:
            connection.invalidate(err)
        raise sa.exc.DBAPIError.instance(
            bound[0][1], None, err, dbapi_error, connection_invalidated=disconnected
        ) from err
    return [
        Prepared._rows(form, rows)
        for (form, _sql, _values), rows in zip(bound, fetched, strict=True)
    ]
