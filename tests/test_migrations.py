"""Migrations: up from empty, down to nothing, and no drift from the models."""

import ast
import re
from pathlib import Path

import pytest
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


# --- every revision, down and up, with the demo loaded -----------------------


def _revisions(app) -> list[str]:
    """Revision ids from the first to head."""
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _contents(app) -> dict[str, dict]:
    """Every table's columns and rows (as sorted tuples), by table name."""
    with app.app_context():
        found = {}
        with db.engine.connect() as conn:
            inspector = sa.inspect(conn)
            for table in inspector.get_table_names():
                if table == "alembic_version":
                    continue
                columns = [c["name"] for c in inspector.get_columns(table)]
                rows = conn.exec_driver_sql(f'SELECT * FROM "{table}"').all()
                found[table] = {"columns": columns, "rows": rows}
        return found


def _kept(before: dict, after: dict) -> list[str]:
    """Name each table present on both sides whose shared columns lost a value."""
    changed = []
    for table in before.keys() & after.keys():
        shared = [c for c in before[table]["columns"] if c in after[table]["columns"]]

        def project(side, shared=shared, table=table):
            index = [side[table]["columns"].index(c) for c in shared]
            return sorted(
                tuple(repr(row[i]) for i in index) for row in side[table]["rows"]
            )

        if project(before) != project(after):
            changed.append(table)
    return sorted(changed)


def _balances_match_ledger(app) -> list:
    """Return the customers whose stored balance is not their ledger sum (M1)."""
    with app.app_context():
        return db.session.execute(
            sa.text(
                "SELECT u.id, u.balance_cents, COALESCE(SUM(e.amount_cents), 0)"
                " FROM users u LEFT JOIN ledger_entries e ON e.customer_id = u.id"
                " GROUP BY u.id, u.balance_cents"
                " HAVING u.balance_cents <> COALESCE(SUM(e.amount_cents), 0)"
            )
        ).all()


def _load_demo(app) -> None:
    from vas.services import demo

    with app.app_context():
        demo.load()
        db.session.commit()


def _step(app, revision: str, direction) -> None:
    with app.app_context():
        direction(revision=revision)
        db.session.remove()


def test_each_revision_goes_down_and_up_again_with_data_present(app):
    """Each downgrade and each upgrade runs on a database holding rows.

    From head, every step down and back up keeps every row of every table
    on both sides, in the columns on both sides; only what a step drops (with
    its written reason) is gone. Money invariants hold while the ledger is
    there; at the end the schema is at head again with no drift.
    """
    revisions = _revisions(app)
    _load_demo(app)
    loaded = _contents(app)
    assert sum(len(t["rows"]) for t in loaded.values()) > 100
    assert _balances_match_ledger(app) == []

    try:
        for index in range(len(revisions) - 1, 0, -1):
            here, below = revisions[index], revisions[index - 1]
            at_here = _contents(app)

            _step(app, below, downgrade)
            at_below = _contents(app)
            _step(app, here, upgrade)
            again = _contents(app)
            _step(app, below, downgrade)

            assert _kept(at_here, at_below) == [], f"{here} down to {below}"
            assert _kept(at_below, again) == [], f"{below} up to {here}"
            if "ledger_entries" in at_below:
                assert _balances_match_ledger(app) == [], below
    finally:
        with app.app_context():
            upgrade()
            db.session.remove()

    assert _drift(app) == []
    # Only the first revision's tables were never dropped on the way down.
    first = {table: loaded[table] for table in ("users", "app_meta")}
    assert _kept(first, _contents(app)) == []


# --- a drop needs a written reason -------------------------------------------

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
# Calls that lose data and need a reason; other drop_* calls (indexes,
# constraints) may stand in the same run of statements.
NEEDS_REASON = {"drop_table", "drop_column"}
SQL_DROP = re.compile(r"\bDROP\s+(TABLE|COLUMN)\b", re.IGNORECASE)
REASON = re.compile(r"^\s*#\s*drop:\s*\S")


def _call_of(statement: ast.stmt) -> ast.Call | None:
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return statement.value
    return None


def _drop_kind(call: ast.Call) -> str | None:
    """Return "data" for a call that drops a table or column, "other" for
    any other drop, None for anything else."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name in NEEDS_REASON:
        return "data"
    if name == "execute" and call.args:
        text = ast.unparse(call.args[0])
        return "data" if SQL_DROP.search(text) else None
    return "other" if name.startswith("drop_") else None


def unexplained_drops(source: str) -> list[int]:
    """Return the lines of table or column drops without a ``# drop:`` reason.

    The convention: a comment starting ``# drop:`` and saying why stands on
    the line right above the drop, or above the run of drop statements it
    belongs to (other drops, comments, and the ``with op.batch_alter_table``
    line that holds them). A blank line or any other statement ends the run.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    in_run: set[int] = set()
    needing: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
            "batch_alter_table" in ast.unparse(item.context_expr) for item in node.items
        ):
            in_run.update(range(node.lineno, node.body[0].lineno))
        call = _call_of(node) if isinstance(node, ast.stmt) else None
        kind = _drop_kind(call) if call else None
        if kind:
            in_run.update(range(node.lineno, node.end_lineno + 1))
        if kind == "data":
            needing.append(node.lineno)

    missing = []
    for lineno in sorted(needing):
        above = lineno - 1
        while above >= 1:
            text = lines[above - 1]
            if REASON.match(text):
                break
            if text.strip().startswith("#") or above in in_run:
                above -= 1
                continue
            missing.append(lineno)
            break
        else:
            missing.append(lineno)
    return missing


def test_every_drop_in_a_migration_says_why():
    found = {
        path.name: unexplained_drops(path.read_text(encoding="utf-8"))
        for path in sorted(VERSIONS.glob("*.py"))
    }

    assert {name: lines for name, lines in found.items() if lines} == {}
    assert len(found) >= 11


BAD_DROPS = [
    'def downgrade():\n    op.drop_table("users")\n',
    'def upgrade():\n    op.drop_column("servers", "ip_address")\n',
    'def upgrade():\n    # rename soon\n    op.drop_column("servers", "ip")\n',
    'def upgrade():\n    op.execute("DROP TABLE old_things")\n',
    'def upgrade():\n    # drop: old\n    op.add_column("a", sa.Column("b"))\n'
    '    op.drop_table("c")\n',
    'def upgrade():\n    # drop: reason\n\n    op.drop_table("c")\n',
    'def upgrade():\n    with op.batch_alter_table("t") as batch_op:\n'
    '        batch_op.drop_column("c")\n',
]
GOOD_DROPS = [
    "def downgrade():\n    # drop: the table exists only from this revision on\n"
    '    op.drop_table("a")\n    op.drop_index("ix_b")\n    op.drop_table("b")\n',
    "def downgrade():\n    # drop: this revision's column\n"
    '    with op.batch_alter_table("t") as batch_op:\n'
    '        batch_op.drop_constraint("fk", type_="foreignkey")\n'
    '        batch_op.drop_column("c")\n',
    'def upgrade():\n    op.drop_index("ix_only_an_index")\n',
    'def upgrade():\n    op.execute("DROP TRIGGER t")\n',
]


@pytest.mark.parametrize("source", BAD_DROPS)
def test_the_drop_lint_refuses_a_drop_without_a_reason(source):
    assert unexplained_drops(source) != []


@pytest.mark.parametrize("source", GOOD_DROPS)
def test_the_drop_lint_accepts_a_drop_with_its_reason(source):
    assert unexplained_drops(source) == []
