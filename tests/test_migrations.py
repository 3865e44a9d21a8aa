"""Migrations: up from empty, down to nothing, and no drift from the models."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade
from flask_migrate import upgrade

from vas.extensions import db


def _tables(app) -> set[str]:
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def _drift(app) -> list:
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            return compare_metadata(context, db.metadata)


def test_models_and_migrations_do_not_drift(app):
    assert _drift(app) == []


def test_downgrade_to_base_and_upgrade_to_head(app):
    expected = {table.name for table in db.metadata.sorted_tables}
    assert _tables(app) == expected

    with app.app_context():
        downgrade(revision="base")
        db.session.remove()
    assert _tables(app) == set()

    with app.app_context():
        upgrade()
        db.session.remove()
    assert _tables(app) == expected
    assert _drift(app) == []


def test_customer_numbers_start_at_110000_after_migrating(make_customer):
    assert make_customer().id == 110000
    assert make_customer().id == 110001


def test_flask_db_check_reports_no_drift(app):
    result = app.test_cli_runner().invoke(args=["db", "check"])

    assert result.exit_code == 0, result.output
