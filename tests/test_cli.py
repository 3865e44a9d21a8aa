"""Command-line jobs: demo data and creating an admin."""

import sqlalchemy as sa

from vas.extensions import db
from vas.models import Department
from vas.models import Product
from vas.models import Server
from vas.models import User
from vas.services import ledger


def _counts(app):
    with app.app_context():
        return {
            model.__name__: db.session.scalar(
                sa.select(sa.func.count()).select_from(model)
            )
            for model in (User, Product, Server, Department)
        }


def test_demo_loads_the_documented_accounts_and_catalogue(app):
    result = app.test_cli_runner().invoke(args=["vas", "demo"])

    assert result.exit_code == 0, result.output
    assert "admin@demo.test" in result.output
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        assert users["admin@demo.test"].role == "admin"
        assert users["agent@demo.test"].can_push_services is True
        assert users["agent2@demo.test"].can_push_services is False
        for email in ("customer@demo.test", "customer2@demo.test"):
            customer = users[email]
            assert customer.balance_cents > 0
            assert ledger.ledger_sum_cents(customer.id) == customer.balance_cents
        types = set(db.session.scalars(sa.select(Product.type)))
        assert types == {"cloud", "bare_metal", "web_hosting", "domain"}
        business = db.session.scalars(
            sa.select(Department.name).where(Department.is_business_technical)
        ).all()
        assert business == ["业务技术工单"]
    assert _counts(app)["Server"] >= 4


def test_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["vas", "demo"])
    first = _counts(app)
    with app.app_context():
        balances = dict(
            db.session.execute(sa.select(User.email, User.balance_cents)).all()
        )

    result = runner.invoke(args=["vas", "demo"])

    assert result.exit_code == 0, result.output
    assert _counts(app) == first
    with app.app_context():
        assert (
            dict(db.session.execute(sa.select(User.email, User.balance_cents)).all())
            == balances
        )


def test_demo_refuses_a_database_it_did_not_create(app, make_customer):
    make_customer(email="real.customer@example.com")
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["vas", "demo"])

    assert refused.exit_code != 0
    assert "--force" in refused.output
    assert _counts(app)["User"] == 1

    forced = runner.invoke(args=["vas", "demo", "--force"])
    assert forced.exit_code == 0, forced.output
    assert _counts(app)["User"] == 6


def test_demo_logins_work(app, client):
    app.test_cli_runner().invoke(args=["vas", "demo"])

    response = client.post(
        "/login", {"email": "customer@demo.test", "password": "demo1234"}
    )

    assert response.status_code == 303


def test_create_admin(app, client):
    result = app.test_cli_runner().invoke(
        args=["vas", "create-admin", "--email", "Ops@Example.com", "--name", "Ops"],
        input="a-long-password\na-long-password\n",
    )

    assert result.exit_code == 0, result.output
    client.login("ops@example.com", "a-long-password")
    assert client.get("/admin/").status_code == 200


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["vas", "create-admin", "--email", "a@example.com", "--name", "A"],
        input="short\nshort\n",
    )

    assert result.exit_code != 0
    assert _counts(app)["User"] == 0
