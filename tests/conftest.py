"""Fixtures: an app per test on a real, migrated database, clients, factories.

Every test that asks for ``app`` runs on SQLite and, when
``VAS_TEST_DATABASE_URL`` names a PostgreSQL server, on PostgreSQL too: the
run creates its own database there and drops it at the end. CSRF stays on.
"""

import os
import re
import shutil
import uuid
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests import factories
from vas import create_app
from vas.extensions import db

PG_URL = os.environ.get("VAS_TEST_DATABASE_URL", "")
REQUIRE_PG = os.environ.get("VAS_REQUIRE_POSTGRES") == "1"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-results"

if REQUIRE_PG and not PG_URL:
    raise pytest.UsageError("VAS_REQUIRE_POSTGRES=1 needs VAS_TEST_DATABASE_URL")
if os.environ.get("VAS_REQUIRE_REDIS") == "1" and not os.environ.get(
    "VAS_TEST_REDIS_URL"
):
    raise pytest.UsageError("VAS_REQUIRE_REDIS=1 needs VAS_TEST_REDIS_URL")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not PG_URL, reason="VAS_TEST_DATABASE_URL is not set: PostgreSQL skipped"
        ),
    ),
]

pytest_plugins = ["tests.browser"]

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def base_config(url: str) -> dict:
    engine_options = {"pool_size": 60, "max_overflow": 10}
    if url.startswith("postgresql"):
        # A commit does not wait for its WAL flush: only crash durability is
        # traded, never isolation or visibility, and the tests commit a lot.
        engine_options["connect_args"] = {"options": "-c synchronous_commit=off"}
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "VAS_PAYMENT_SECRET": "test-payment-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        # Enough connections that each concurrent test thread has its own.
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "RATELIMIT_ENABLED": False,
        "VAS_LOG_LEVEL": "WARNING",
        # A cheap scrypt: the tests create thousands of users.
        "VAS_PASSWORD_HASH": "scrypt:1024:8:1",
    }


def migrate_to_head(url: str) -> None:
    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        db.session.remove()
        # Closing the last connection checkpoints SQLite's WAL into the file.
        db.engine.dispose()


class PostgresServer:
    """Creates throwaway databases on the server named by VAS_TEST_DATABASE_URL."""

    def __init__(self, url: str):
        self.url = sa.engine.make_url(url)
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")

    def create(self) -> str:
        name = f"vas_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = sa.engine.make_url(url).database
        with self.admin.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def pg_server():
    server = PostgresServer(PG_URL)
    yield server
    server.admin.dispose()


class SqliteDatabases:
    """Hands each test a copy of one migrated SQLite file."""

    def __init__(self, root: Path):
        self.root = root
        self.template = root / "template.db"
        migrate_to_head(f"sqlite:///{self.template}")

    def fresh(self) -> str:
        path = self.root / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def discard(self, url: str) -> None:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresDatabase:
    """One migrated PostgreSQL database, emptied after each test."""

    def __init__(self, server: PostgresServer):
        self.server = server
        self.url = server.create()
        migrate_to_head(self.url)
        engine = sa.create_engine(self.url)
        with engine.connect() as conn:
            self.tables = [
                row[0]
                for row in conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version'"
                )
            ]
        self.engine = engine

    def fresh(self) -> str:
        return self.url

    def discard(self, url: str) -> None:
        # TRUNCATE fires no row triggers, so the append-only ledger empties too.
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                f"TRUNCATE {', '.join(self.tables)} RESTART IDENTITY CASCADE"
            )

    def close(self) -> None:
        self.engine.dispose()
        self.server.drop(self.url)


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request, tmp_path_factory):
    """The database source of one backend for the whole run."""
    if request.param == "sqlite":
        yield SqliteDatabases(tmp_path_factory.mktemp("sqlite"))
        return
    source = PostgresDatabase(request.getfixturevalue("pg_server"))
    yield source
    source.close()


@pytest.fixture
def database_url(databases):
    url = databases.fresh()
    yield url
    databases.discard(url)


@pytest.fixture
def app_config(database_url):
    """Config overrides for the test's app; a test may change them first."""
    return base_config(database_url)


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_factory(database_url):
    """Build extra apps on the test's database (e.g. two "workers"); disposed after."""
    made = []

    def build(**overrides):
        config = base_config(database_url)
        config.update(overrides)
        application = create_app(config)
        made.append(application)
        return application

    yield build
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


class QueryCounter:
    """Counts the SQL statements the app's engine runs inside a ``with`` block."""

    def __init__(self, app):
        self.app = app
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        self.statements = []
        with self.app.app_context():
            self.engine = db.engine
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        """Statements run, not counting transaction control (BEGIN, SAVEPOINT)."""
        skip = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "PRAGMA")
        return sum(
            1 for s in self.statements if not s.lstrip().upper().startswith(skip)
        )


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: client.get(...)``, then assert ``q.count``."""
    return lambda: QueryCounter(app)


@pytest.fixture
def backend(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


class Client:
    """A test client that behaves like a browser: it carries the CSRF token."""

    def __init__(self, app, htmx: bool = False):
        self.app = app
        self.raw = app.test_client()
        self.htmx = htmx
        self._token = None

    def _headers(self, headers):
        merged = dict(headers or {})
        if self.htmx:
            merged.setdefault("HX-Request", "true")
        return merged

    def get(self, url, headers=None, **kwargs):
        return self.raw.get(url, headers=self._headers(headers), **kwargs)

    def csrf_token(self) -> str:
        """Read the token a page of this session would carry."""
        response = self.raw.get("/login", follow_redirects=True)
        match = CSRF_META.search(response.get_data(as_text=True))
        assert match, "no csrf-token meta on the login page"
        self._token = match.group(1)
        return self._token

    def post(self, url, data=None, headers=None, csrf=True, **kwargs):
        data = dict(data or {})
        headers = self._headers(headers)
        if csrf:
            token = self._token or self.csrf_token()
            if self.htmx:
                headers.setdefault("X-CSRFToken", token)
            else:
                data.setdefault("csrf_token", token)
        return self.raw.post(url, data=data, headers=headers, **kwargs)

    def login(self, email: str, password: str = factories.PASSWORD):
        self._token = None
        response = self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        self._token = None  # the session was renewed with the login
        return response

    def logout(self):
        response = self.post("/logout")
        self._token = None
        return response


@pytest.fixture
def client(app):
    return Client(app)


@pytest.fixture
def htmx_client(app):
    return Client(app, htmx=True)


@pytest.fixture
def make_client(app):
    def make(htmx: bool = False) -> Client:
        return Client(app, htmx=htmx)

    return make


@pytest.fixture
def make_customer(app):
    return factories.bind(app, factories.customer)


@pytest.fixture
def make_agent(app):
    return factories.bind(app, factories.agent)


@pytest.fixture
def make_admin(app):
    return factories.bind(app, factories.admin)


@pytest.fixture
def make_product(app):
    return factories.bind(app, factories.product)


@pytest.fixture
def make_server(app):
    return factories.bind(app, factories.server)


@pytest.fixture
def today() -> date:
    return date.today()


@pytest.fixture
def next_month(today) -> date:
    return today + timedelta(days=30)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def make_vas_catalog(app):
    return factories.bind(app, factories.vas_catalog)


# Ticket desk (issue 3) ------------------------------------------------------


@pytest.fixture
def offer_vas(app):
    return factories.bind(app, factories.offer_vas)


@pytest.fixture
def make_subscription(app):
    return factories.bind(app, factories.subscription)


@pytest.fixture
def make_department(app):
    return factories.bind(app, factories.department)


@pytest.fixture
def make_ticket(app):
    return factories.bind(app, factories.ticket)


@pytest.fixture
def make_reply(app):
    return factories.bind(app, factories.reply)


@pytest.fixture
def make_quick_reply(app):
    return factories.bind(app, factories.quick_reply)


@pytest.fixture
def set_departments(app):
    """``set_departments(agent_id=…, department_ids=[…], can_push=False)``."""
    return factories.bind(app, factories.works)


@pytest.fixture
def close_ticket(app):
    return factories.bind(app, factories.close)


@pytest.fixture
def desk(
    make_customer,
    make_agent,
    make_admin,
    make_server,
    make_department,
    make_ticket,
    set_departments,
):
    """A small ticket desk, its people and one business technical ticket.

    ``agent`` may push and works both departments; ``agent_np`` may not push
    and works the finance department only. ``ticket`` is customer A's
    business technical ticket about A's server.
    """
    from types import SimpleNamespace

    customer_a = make_customer(
        balance="88.00", name="Customer A", email="alice@example.test"
    )
    customer_b = make_customer(name="Customer B", email="bob@example.test")
    tech = make_department(name="业务技术工单", business_technical=True)
    finance = make_department(name="财务工单")
    agent = make_agent(can_push_services=True, name="Agent Push")
    agent_np = make_agent(name="Agent NoPush")
    admin = make_admin()
    set_departments(
        agent_id=agent.id, department_ids=[tech.id, finance.id], can_push=True
    )
    set_departments(agent_id=agent_np.id, department_ids=[finance.id])
    server = make_server(customer_id=customer_a.id, hostname="a-web-01")
    ticket = make_ticket(
        customer_id=customer_a.id,
        department_id=tech.id,
        server_id=server.id,
        subject="a-web-01 is down",
        body="It answers 502.",
    )
    return SimpleNamespace(
        customer_a=customer_a,
        customer_b=customer_b,
        agent=agent,
        agent_np=agent_np,
        admin=admin,
        tech=tech,
        finance=finance,
        server=server,
        ticket=ticket,
    )


# Service requests and pushes (issue 6) -------------------------------------


@pytest.fixture
def make_service_request(app):
    return factories.bind(app, factories.service_request)


@pytest.fixture
def make_push(app):
    return factories.bind(app, factories.push)


@pytest.fixture
def set_price(app):
    return factories.bind(app, factories.set_price)


@pytest.fixture
def vas_desk(
    desk,
    make_vas_catalog,
    make_product,
    offer_vas,
    make_subscription,
    make_ticket,
    set_price,
):
    """The desk with value-added services: customer A holds a subscription.

    Levels: 基础服务 (``base``) and one paid level (``level``, ¥50/month) that
    A holds on ``server``. Items: ``free_item`` costs 0 at A's level,
    ``paid_item`` and ``other_item`` cost ¥100 at every level. The order gave
    one free use. ``ticket`` is A's business technical ticket about
    ``server``. A's balance is back at ¥88.00 after the order.
    """
    from types import SimpleNamespace

    catalog = make_vas_catalog(admin_id=desk.admin.id, items=3, extra_levels=1)
    base, level = catalog["levels"]
    free_item, paid_item, other_item = catalog["items"]
    product = make_product(type="cloud")
    offer_vas(admin_id=desk.admin.id, product_ids=[product.id], free_uses=1)
    bought = make_subscription(
        customer_id=desk.customer_a.id, level_id=level, product_id=product.id
    )
    set_price(admin_id=desk.admin.id, item_id=free_item, level_id=level, price="0")
    ticket = make_ticket(
        customer_id=desk.customer_a.id,
        department_id=desk.tech.id,
        server_id=bought["server"],
        subject="Need help with nginx",
    )
    return SimpleNamespace(
        desk=desk,
        base=base,
        level=level,
        category=catalog["category"],
        free_item=free_item,
        paid_item=paid_item,
        other_item=other_item,
        product=product.id,
        server=bought["server"],
        subscription=bought["subscription"],
        ticket=ticket.id,
    )


@pytest.fixture
def fund(app):
    """``fund(customer_id=…, cents=…)`` credits a customer's balance."""
    return factories.bind(app, factories.funds)


@pytest.fixture
def paid_requests(vas_desk, make_service_request, fund):
    """Make customer A's next requests paid from the balance.

    ``paid_requests(cents)`` spends A's one free use on ``other_item`` and
    credits ``cents`` more (¥88.00 is left after the order).
    """
    customer_id = vas_desk.desk.customer_a.id

    def prepare(cents: int = 0) -> None:
        make_service_request(
            customer_id=customer_id,
            server_id=vas_desk.server,
            item_id=vas_desk.other_item,
        )
        if cents:
            fund(customer_id=customer_id, cents=cents)

    return prepare
