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


def test_a_populated_database_migrates_down_and_up_keeping_its_rows(
    app, make_customer, make_department, make_ticket, make_reply
):
    # Batch migrations rebuild tables that other tables point at (tickets,
    # order lines); with rows present that only works if the rebuild does
    # not trip the foreign keys.
    customer = make_customer()
    department = make_department()
    ticket = make_ticket(customer_id=customer.id, department_id=department.id)
    make_reply(ticket_id=ticket.id, author_id=customer.id, body="More details.")

    def counts():
        with app.app_context():
            with db.engine.connect() as conn:
                return [
                    conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar()
                    for table in ("users", "tickets", "ticket_messages")
                ]

    before = counts()
    with app.app_context():
        downgrade(revision="0006_settings")
        db.session.remove()
        upgrade()
        db.session.remove()

    assert counts() == before
    assert before[1:] == [1, 2]
    assert _drift(app) == []
