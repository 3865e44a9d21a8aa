"""Bulk writing for the scaled demo: COPY on PostgreSQL, multi-row inserts.

Rows come as dicts keyed by column name, written in the caller's
transaction; afterwards the id sequences are moved past the ids written
and PostgreSQL's statistics refreshed.
"""

from collections.abc import Iterable

from sqlalchemy import Table
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from vas.extensions import db

# Rows per statement while writing through SQLAlchemy.
BATCH = 5_000


class Writer:
    """Multi-row inserts through SQLAlchemy Core, ``BATCH`` rows a statement."""

    def write(self, table: Table, rows: Iterable[dict]) -> None:
        connection = db.session.connection()
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)


class CopyWriter(Writer):
    """PostgreSQL ``COPY … FROM STDIN``: the fastest way rows go in."""

    def write(self, table: Table, rows: Iterable[dict]) -> None:
        columns = [column.name for column in table.columns]
        cursor = db.session.connection().connection.dbapi_connection.cursor()
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
        cursor.close()


def writer() -> Writer:
    """Return the fastest writer the current database offers."""
    if db.session.get_bind().dialect.name == "postgresql":
        return CopyWriter()
    return Writer()


def analyze(tables: Iterable[str]) -> None:
    """Refresh PostgreSQL's statistics: plans made before would guess blind.

    :param tables: what was written; the whole database is analysed, which
        after a bulk load of this size costs about the same.
    """
    if db.session.get_bind().dialect.name == "postgresql" and list(tables):
        db.session.execute(text("ANALYZE"))


def move_sequences(tables: Iterable[str]) -> None:
    """Move PostgreSQL's id sequences past the ids written explicitly."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for name in tables:
        table = db.metadata.tables[name]
        db.session.execute(
            select(
                func.setval(
                    func.pg_get_serial_sequence(name, "id"),
                    select(func.max(table.c.id)).scalar_subquery(),
                )
            )
        )
