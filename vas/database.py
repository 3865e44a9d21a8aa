"""How VAS drives its two databases: transactions and statements.

Floor 0 of the house: imports nothing of ours but request helpers. SQLite
gets WAL and an explicit BEGIN; PostgreSQL gets READ ONLY transactions for
reading requests and LIMIT/OFFSET written into the statement, so that psycopg's
prepared statements are kept and reused with one plan.
"""

from sqlalchemy import Engine
from sqlalchemy import event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import _OffsetLimitParam

from vas.web import is_reading


def tune_engine(engine: Engine) -> None:
    """Apply what this module does for the engine's database."""
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _tune_postgresql(engine)


@compiles(_OffsetLimitParam, "postgresql")
def _literal_limit(element, compiler, **kw):
    """Write LIMIT and OFFSET into the statement's text on PostgreSQL.

    psycopg prepares a statement after its fifth run, and PostgreSQL then
    plans it once if a generic plan looks as cheap as the custom ones. With
    LIMIT as a parameter it never does: the planner cannot tell 20 rows
    from all of them, so the agent queue was planned again on every request
    (1.8 ms of planning for 0.15 ms of work). Each distinct limit and
    offset is then its own statement, which psycopg keeps up to 100 of.
    """
    kw["literal_execute"] = True
    return compiler.visit_bindparam(element, **kw)


def _tune_sqlite(engine: Engine) -> None:
    """Make SQLite safe for concurrent writers.

    WAL lets readers run beside a writer; foreign keys are off by default in
    SQLite; the busy timeout is the driver's ``timeout`` (set by create_app). Write
    requests start with BEGIN IMMEDIATE so the write lock is taken before
    any read: a transaction that read first and then tries to write can fail
    at once with "database is locked" whatever the timeout.
    Reading requests (``vas.web.is_reading``) start deferred, so pages read
    concurrently.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        reading = is_reading()
        connection.exec_driver_sql("BEGIN DEFERRED" if reading else "BEGIN IMMEDIATE")


def _tune_postgresql(engine: Engine) -> None:
    """Run reading requests (``vas.web.is_reading``) in READ ONLY transactions.

    PostgreSQL then refuses any write a page might attempt, so a read
    request can end with COMMIT (see ``VasFlask.end_read``). That matters for
    speed: psycopg forgets every prepared statement on ROLLBACK, and a read
    that rolled back planned each of its statements again on the next
    request (2.7 ms for the agent queue's joins). ``read_only`` only changes
    the BEGIN psycopg sends, so it costs no round trip.
    """

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        reading = is_reading()
        driver_connection = connection.connection.driver_connection
        if driver_connection.read_only != reading:
            driver_connection.read_only = reading
