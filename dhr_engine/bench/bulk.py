"""Bulk inserts for the scale data set: executemany on SQLite, COPY on PostgreSQL.

Values go through each column type's own bind processor (the one SQLAlchemy would use), so the
rows read back through the ORM exactly as if the ORM had written them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table


class BulkInsert:
    """Insert many tuples into one table, in the given column order."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        self.conn = conn
        self.table = table
        self.columns = list(columns)
        dialect = conn.dialect
        self.processors: list[Callable[[Any], Any] | None] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.columns
        ]
        names = ", ".join(self.columns)
        self.copy_sql = f"COPY {table.name} ({names}) FROM STDIN"
        self.insert_sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(self.columns))})"

    def _convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            value if process is None or value is None else process(value)
            for value, process in zip(row, self.processors, strict=True)
        )

    def insert(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        converted = [self._convert(row) for row in rows]
        if self.conn.dialect.name == "postgresql":
            raw: Any = self.conn.connection.dbapi_connection
            with raw.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
                for row in converted:
                    copy.write_row(row)
        else:
            self.conn.exec_driver_sql(self.insert_sql, converted)
