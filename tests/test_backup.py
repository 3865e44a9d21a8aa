"""The backup and restore recipes of the README, run for real on both databases.

Money moves first (the demo's orders, an admin adjustment, a debit); the
backup is taken while the app's engine is open, restored into a fresh
database, and there every balance still equals the sum of its ledger (M1),
the ledger still refuses updates and deletes (M3), the rows are the same and
the schema is at head.
"""

import shutil
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from tests.conftest import REQUIRE_PG
from tests.conftest import base_config
from vas import create_app
from vas.extensions import db
from vas.models import User
from vas.services import accounts
from vas.services import demo
from vas.services import ledger

MONEY_TABLES = ("users", "ledger_entries", "orders", "order_lines", "payments")


def _move_money(app) -> None:
    with app.app_context():
        demo.load()
        admin = db.session.scalars(sa.select(User).filter_by(role="admin")).first()
        customer = db.session.scalars(
            sa.select(User).filter_by(email="customer@demo.test")
        ).one()
        accounts.adjust_balance(
            customer,
            Decimal("12.34"),
            reason="goodwill before the backup",
            actor=admin,
            intent="b" * 32,
        )
        ledger.debit(
            customer.id,
            500,
            cause="adjustment",
            subject_type="user",
            subject_id=customer.id,
            key="test:backup:debit",
            memo="a debit before the backup",
        )
        db.session.commit()


def _rows(app) -> dict[str, list]:
    with app.app_context():
        with db.engine.connect() as conn:
            return {
                table: sorted(
                    tuple(map(repr, row))
                    for row in conn.exec_driver_sql(f"SELECT * FROM {table}")
                )
                for table in MONEY_TABLES
            }


def _check_invariants(app) -> None:
    """M1 for every account, M3 by the database itself, and the schema at head."""
    with app.app_context():
        mismatched = db.session.execute(
            sa.text(
                "SELECT u.id FROM users u"
                " LEFT JOIN ledger_entries e ON e.customer_id = u.id"
                " GROUP BY u.id, u.balance_cents"
                " HAVING u.balance_cents <> COALESCE(SUM(e.amount_cents), 0)"
            )
        ).all()
        assert mismatched == []
        for statement in (
            "UPDATE ledger_entries SET amount_cents = amount_cents + 1",
            "DELETE FROM ledger_entries",
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        config = app.extensions["migrate"].migrate.get_config()
        head = ScriptDirectory.from_config(config).get_current_head()
        current = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        assert current == head


def _restored_app(url: str):
    return create_app(base_config(url))


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _sqlite_path(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def _sqlite_recipes(source: Path, tmp_path: Path):
    """Yield (name, backup file) for each SQLite recipe of the README."""
    into = tmp_path / "vacuum-into.db"
    with sqlite3.connect(source) as conn:
        conn.execute("VACUUM INTO ?", (str(into),))
    yield "VACUUM INTO", into

    cli = shutil.which("sqlite3")
    if cli:
        copy = tmp_path / "dot-backup.db"
        subprocess.run([cli, str(source), f".backup '{copy}'"], check=True)
        yield ".backup", copy


def _restore_sqlite(backup: Path, tmp_path: Path, name: str) -> str:
    """Restore as the README says: the file replaces the database file."""
    target = tmp_path / f"restored-{name.strip('.').replace(' ', '-')}.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    check = sqlite3.connect(backup)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()
    shutil.copyfile(backup, target)
    return f"sqlite:///{target}"


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    parsed = sa.engine.make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _postgres_tools() -> tuple[str, str]:
    tools = (shutil.which("pg_dump"), shutil.which("pg_restore"))
    if None in tools:
        message = "pg_dump and pg_restore are not installed"
        if REQUIRE_PG:
            pytest.fail(message + " (VAS_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    return tools


def test_a_restored_backup_keeps_the_money_invariants(request, app, backend, tmp_path):
    _move_money(app)
    _check_invariants(app)
    before = _rows(app)
    assert len(before["ledger_entries"]) >= 5

    if backend == "sqlite":
        restored = [
            (name, _restore_sqlite(backup, tmp_path, name))
            for name, backup in _sqlite_recipes(_sqlite_path(app), tmp_path)
        ]
    else:
        pg_dump, pg_restore = _postgres_tools()
        source = app.config["SQLALCHEMY_DATABASE_URI"]
        dump = tmp_path / "vas.dump"
        subprocess.run(
            [pg_dump, "--format=custom", f"--file={dump}", _libpq(source)],
            check=True,
        )
        server = request.getfixturevalue("pg_server")
        fresh = server.create()
        request.addfinalizer(lambda: server.drop(fresh))
        subprocess.run(
            [pg_restore, "--no-owner", f"--dbname={_libpq(fresh)}", str(dump)],
            check=True,
        )
        restored = [("pg_dump/pg_restore", fresh)]

    assert restored
    for name, url in restored:
        copy = _restored_app(url)
        try:
            assert _rows(copy) == before, name
            _check_invariants(copy)
        finally:
            _dispose(copy)
