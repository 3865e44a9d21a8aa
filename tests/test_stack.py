"""The whole stack under concurrent load: gunicorn, four workers, real HTTP.

For each backend a fresh database is migrated and seeded, then gunicorn
serves ``wsgi:app`` from it with four worker processes on a loopback socket
that this test opened (so no port can be taken in between). Sessions sign
in over HTTP with the CSRF token of the page they were served, and threads
released together fire the requests. Each scenario states its exact
figure: how many requests may succeed, what the others answer, and what
the database holds afterwards. No answer may be a 5xx, and neither the
answers nor the server's log may mention "database is locked".

Scenarios are entries of ``SCENARIOS``: a setup that seeds the database, a
burst that fires the requests, and a check of the outcome.
"""

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import BACKENDS
from tests.conftest import base_config
from tests.world import own_database
from vas import create_app
from vas.extensions import db
from vas.models import Order
from vas.models import Product
from vas.models import Server
from vas.services import checkout

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("VAS_TEST_REDIS_URL", "")
WORKERS = 4
LOGIN_LIMIT = 5
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
LOCKED = "database is locked"


# ------------------------------------------------------------------ HTTP


@dataclass
class Answer:
    status: int
    location: str
    body: str


class Session:
    """One browser session over real HTTP: its cookie and its CSRF token.

    Each request opens its own connection (gunicorn's sync workers close
    after every answer), from ``source`` so that the server sees that
    client address.
    """

    def __init__(self, port: int, source: str = "127.0.0.1"):
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=60, source_address=(self.source, 0)
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode({**form, "csrf_token": self.token}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        found = CSRF_META.search(text)
        if found:
            self.token = found.group(1)
        return Answer(response.status, response.headers.get("Location", ""), text)

    def sign_in(self, email: str, password: str = factories.PASSWORD) -> None:
        self.request("GET", "/login")
        answer = self.request("POST", "/login", {"email": email, "password": password})
        assert answer.status == 303, (answer.status, answer.body[:300])
        self.request("GET", answer.location)  # the new session's token


def burst(jobs: list[Callable[[], Answer]], threads: int) -> list[Answer]:
    """Run the jobs on ``threads`` threads released together; keep every answer."""
    answers: list[Answer] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)
    queues = [jobs[i::threads] for i in range(threads)]

    def run(queue):
        start.wait()
        for job in queue:
            answer = job()
            with lock:
                answers.append(answer)

    workers = [threading.Thread(target=run, args=(q,)) for q in queues]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a request hung"
    return answers


# ------------------------------------------------------------------ the server


class Stack:
    """gunicorn with four workers serving one database; its logs kept."""

    def __init__(
        self,
        url: str,
        logs: Path,
        redis_url: str,
        *,
        config: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ):
        self.url = url
        self.logs = logs
        self.app = create_app(base_config(url))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        env = {
            **os.environ,
            "VAS_ENV": "development",
            "VAS_SECRET_KEY": uuid.uuid4().hex * 2,
            "VAS_DATABASE_URL": url,
            "VAS_RATELIMIT_ENABLED": "1",
            "VAS_RATELIMIT_STORAGE_URI": redis_url or "memory://",
            "VAS_LOGIN_LIMIT": f"{LOGIN_LIMIT} per minute",
            "VAS_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.access_log = logs / "access.log"
        self.error_log = logs / "error.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                f"--workers={WORKERS}",
                f"--bind=fd://{self.listener.fileno()}",
                "--timeout=120",
                f"--access-logfile={self.access_log}",
                '--access-logformat=%(p)s %(s)s "%(r)s"',
                f"--error-logfile={self.error_log}",
                *([f"--config={config}"] if config else []),
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            pass_fds=[self.listener.fileno()],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_serving()

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if Session(self.port).request("GET", "/login").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not start:\n" + self.log())

    def log(self) -> str:
        parts = []
        for path in (self.error_log, self.access_log):
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def pids_serving(self, pattern: str) -> set[str]:
        """The worker pids that answered requests whose line matches."""
        lines = self.access_log.read_text().splitlines()
        return {line.split()[0] for line in lines if re.search(pattern, line)}

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # quick shutdown; nothing is pending
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.listener.close()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def stack(request, tmp_path_factory):
    """A migrated database of its own and gunicorn in front of it."""
    logs = tmp_path_factory.mktemp(f"stack-{request.param}")
    with own_database(request, tmp_path_factory, request.param, "stack") as url:
        running = Stack(url, logs, REDIS_URL)
        yield running
        running.stop()


# ------------------------------------------------------------------ scenarios


def fresh_source() -> str:
    """A loopback client address no earlier run used, so that throttling
    counters shared in Redis start at 0 for it."""
    n = random.randrange(1, 250**3)
    return f"127.{n % 250 + 1}.{(n // 250) % 250 + 1}.{(n // 62500) % 250 + 1}"


@dataclass
class Scenario:
    """Seed the database, fire a burst over HTTP, check the outcome."""

    setup: Callable
    fire: Callable
    check: Callable
    needs_redis: bool = False


def _seed_checkouts(app) -> dict:
    """A customer whose balance pays exactly 37 of 200 checkouts."""
    with app.app_context():
        product = factories.product(type="cloud", price="13.37")
        price = checkout.quote(
            db.session.get(Product, product.id), months=1, level_id=None
        ).total_cents
        customer = factories.customer(balance=str(Decimal(price * 37) / 100))
        db.session.commit()
    return {
        "email": customer.email,
        "customer": customer.id,
        "product": product.id,
        "source": fresh_source(),
    }


def _fire_checkouts(stack, seed) -> list[Answer]:
    sessions = [Session(stack.port, seed["source"]) for _ in range(5)]
    for session in sessions:
        session.sign_in(seed["email"])
    path = f"/orders/new/{seed['product']}"

    def job(session):
        form = {"months": "1", "intent": uuid.uuid4().hex, "action": "pay"}
        return lambda: session.request("POST", path, form)

    return burst([job(sessions[i % 5]) for i in range(200)], threads=50)


def _check_checkouts(stack, seed, answers) -> None:
    statuses = Counter(answer.status for answer in answers)
    assert statuses == {303: 37, 402: 163}, statuses
    assert all(a.location.startswith("/servers/") for a in answers if a.status == 303)
    with stack.app.app_context():
        orders = db.session.scalar(
            sa.select(sa.func.count(Order.id)).filter_by(customer_id=seed["customer"])
        )
        servers = db.session.scalar(
            sa.select(sa.func.count(Server.id)).filter_by(customer_id=seed["customer"])
        )
        balance, ledger_sum = db.session.execute(
            sa.text(
                "SELECT u.balance_cents, COALESCE(SUM(e.amount_cents), 0)"
                " FROM users u LEFT JOIN ledger_entries e ON e.customer_id = u.id"
                " WHERE u.id = :id GROUP BY u.balance_cents"
            ),
            {"id": seed["customer"]},
        ).one()
    assert (orders, servers) == (37, 37)
    assert balance == ledger_sum == 0  # M1, and exactly 37 prices spent


def _seed_logins(app) -> dict:
    with app.app_context():
        customer = factories.customer(email=f"{uuid.uuid4().hex}@example.test")
        db.session.commit()
    return {"email": customer.email, "source": fresh_source()}


def _fire_logins(stack, seed) -> list[Answer]:
    sessions = [Session(stack.port, seed["source"]) for _ in range(40)]
    for session in sessions:
        session.request("GET", "/login")  # each brings its own token
    form = {"email": seed["email"], "password": "wrong-password"}
    return burst(
        [lambda s=s: s.request("POST", "/login", form) for s in sessions], threads=40
    )


def _check_logins(stack, seed, answers) -> None:
    statuses = Counter(answer.status for answer in answers)
    served_by = stack.pids_serving(r'"POST /login ')
    assert statuses == {422: LOGIN_LIMIT, 429: 40 - LOGIN_LIMIT}, statuses
    assert len(served_by) >= 2, served_by  # the limit held across workers


def _business_department() -> int:
    """The one business technical department of the stack's database."""
    from vas.models import Department

    found = db.session.scalar(
        sa.select(Department.id).where(Department.is_business_technical)
    )
    if found is not None:
        return found
    return factories.department(name="业务技术工单", business_technical=True).id


def _vas_customer(balance: str, price: str) -> dict:
    """A customer holding a subscription at a level that prices one item at
    ``price``, with no free uses, and ``balance`` left after the order."""
    admin = factories.admin()
    department = _business_department()
    catalog = factories.vas_catalog(admin_id=admin.id, items=1, extra_levels=1)
    level, (item,) = catalog["levels"][1], catalog["items"]
    product = factories.product(type="cloud")
    factories.offer_vas(admin_id=admin.id, product_ids=[product.id], free_uses=0)
    customer = factories.customer(balance=balance)
    bought = factories.subscription(
        customer_id=customer.id, level_id=level, product_id=product.id
    )
    factories.set_price(admin_id=admin.id, item_id=item, level_id=level, price=price)
    return {
        "email": customer.email,
        "customer": customer.id,
        "department": department,
        "server": bought["server"],
        "subscription": bought["subscription"],
        "item": item,
        "admin": admin.id,
        "source": fresh_source(),
    }


def _seed_requests(app) -> dict:
    """A customer whose balance pays exactly 37 of 200 requests at ¥1.37."""
    with app.app_context():
        seed = _vas_customer(balance=str(Decimal(137 * 37) / 100), price="1.37")
        db.session.commit()
    return seed


def _fire_requests(stack, seed) -> list[Answer]:
    sessions = [Session(stack.port, seed["source"]) for _ in range(5)]
    for session in sessions:
        session.sign_in(seed["email"])

    def job(session):
        form = {
            "department": str(seed["department"]),
            "server": str(seed["server"]),
            "item_id": str(seed["item"]),
            "subject": "",
            "body": "Please.",
            "intent": uuid.uuid4().hex,
            "expected_charge": "137",
        }
        return lambda: session.request("POST", "/tickets/new", form)

    return burst([job(sessions[i % 5]) for i in range(200)], threads=50)


def _money(customer_id: int) -> tuple[int, int]:
    return db.session.execute(
        sa.text(
            "SELECT u.balance_cents, COALESCE(SUM(e.amount_cents), 0)"
            " FROM users u LEFT JOIN ledger_entries e ON e.customer_id = u.id"
            " WHERE u.id = :id GROUP BY u.balance_cents"
        ),
        {"id": customer_id},
    ).one()


def _check_requests(stack, seed, answers) -> None:
    from vas.models import LedgerEntry
    from vas.models import ServiceRecord
    from vas.models import Ticket

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {303: 37, 402: 163}, statuses
    assert all(a.location.startswith("/tickets/") for a in answers if a.status == 303)
    with stack.app.app_context():
        tickets_opened = db.session.scalar(
            sa.select(sa.func.count(Ticket.id)).filter_by(customer_id=seed["customer"])
        )
        records = db.session.scalars(
            sa.select(ServiceRecord).filter_by(subscription_id=seed["subscription"])
        ).all()
        entries = db.session.scalar(
            sa.select(sa.func.count(LedgerEntry.id)).filter_by(
                customer_id=seed["customer"], cause="service_request"
            )
        )
        balance, ledger_sum = _money(seed["customer"])
    assert tickets_opened == len(records) == entries == 37  # T1
    assert all(r.source == "balance" and r.charged_cents == 137 for r in records)
    assert balance == ledger_sum == 0  # M1, M2


def _seed_push(app) -> dict:
    """A pending push at ¥5.00 in the ticket of a customer holding ¥100.00."""
    from vas.models import Ticket
    from vas.models import User
    from vas.services import pushes

    with app.app_context():
        seed = _vas_customer(balance="100.00", price="5.00")
        ticket = factories.ticket(
            customer_id=seed["customer"],
            department_id=seed["department"],
            server_id=seed["server"],
        )
        pushed = pushes.push(
            db.session.get(User, seed["admin"]),
            db.session.get(Ticket, ticket.id),
            item_ids=[seed["item"]],
            pay_price=None,
            body="Offer",
        )
        db.session.commit()
        seed.update(ticket=ticket.id, push=pushed.id)
    return seed


def _fire_push_payments(stack, seed) -> list[Answer]:
    sessions = [Session(stack.port, seed["source"]) for _ in range(5)]
    for session in sessions:
        session.sign_in(seed["email"])
    path = f"/tickets/{seed['ticket']}/pushes/{seed['push']}/payment"
    return burst(
        [lambda s=sessions[i % 5]: s.request("POST", path, {}) for i in range(50)],
        threads=50,
    )


def _check_push_payments(stack, seed, answers) -> None:
    from vas.models import LedgerEntry
    from vas.models import ServicePush

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {303: 1, 409: 49}, statuses  # T2
    with stack.app.app_context():
        pushed = db.session.get(ServicePush, seed["push"])
        entries = db.session.scalar(
            sa.select(sa.func.count(LedgerEntry.id)).filter_by(
                cause="push", subject_id=seed["push"]
            )
        )
        balance, ledger_sum = _money(seed["customer"])
    assert pushed.status == "paid" and entries == 1
    assert balance == ledger_sum == 9500


SCENARIOS = {
    "checkouts on one balance": Scenario(
        _seed_checkouts, _fire_checkouts, _check_checkouts
    ),
    "paid service requests on one balance": Scenario(
        _seed_requests, _fire_requests, _check_requests
    ),
    "payments of one push": Scenario(
        _seed_push, _fire_push_payments, _check_push_payments
    ),
    "throttled sign-in": Scenario(
        _seed_logins, _fire_logins, _check_logins, needs_redis=True
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_concurrent_requests_through_gunicorn(stack, name):
    scenario = SCENARIOS[name]
    if scenario.needs_redis and not REDIS_URL:
        pytest.skip("VAS_TEST_REDIS_URL is not set: shared throttling skipped")

    seed = scenario.setup(stack.app)
    answers = scenario.fire(stack, seed)

    assert [a.status for a in answers if a.status >= 500] == [], stack.log()[-3000:]
    assert not [a for a in answers if LOCKED in a.body]
    scenario.check(stack, seed, answers)
    assert LOCKED not in stack.log()
    assert "Traceback" not in stack.log(), stack.log()[-3000:]


# ------------------------------------------------------------------ a killed worker


@pytest.fixture(params=BACKENDS)
def stalling_stack(request, tmp_path_factory):
    """gunicorn whose first paid request stalls after its debit (see
    ``tests/gunicorn_stall.py``)."""
    logs = tmp_path_factory.mktemp(f"stall-{request.param}")
    marker = logs / "stalled.pid"
    with own_database(request, tmp_path_factory, request.param, "stall") as url:
        running = Stack(
            url,
            logs,
            "",
            config=ROOT / "tests" / "gunicorn_stall.py",
            extra_env={"VAS_STALL_FILE": str(marker)},
        )
        yield running, marker
        running.stop()


def test_a_worker_killed_in_the_middle_of_a_paid_request_leaves_nothing(
    stalling_stack,
):
    stack, marker = stalling_stack
    with stack.app.app_context():
        seed = _vas_customer(balance="10.00", price="1.37")
        db.session.commit()
    session = Session(stack.port, seed["source"])
    session.sign_in(seed["email"])
    form = {
        "department": str(seed["department"]),
        "server": str(seed["server"]),
        "item_id": str(seed["item"]),
        "subject": "",
        "body": "Please.",
        "intent": uuid.uuid4().hex,
        "expected_charge": "137",
    }
    outcome = {}

    def submit():
        try:
            outcome["answer"] = session.request("POST", "/tickets/new", form)
        except (OSError, http.client.HTTPException) as exc:
            outcome["error"] = exc

    request = threading.Thread(target=submit)
    request.start()
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the paid request never reached its service record"
    os.kill(int(marker.read_text()), signal.SIGKILL)
    request.join(timeout=60)

    assert "answer" not in outcome, outcome  # the connection died with the worker
    with stack.app.app_context():
        balance, ledger_sum = _money(seed["customer"])
        opened = db.session.scalar(
            sa.text("SELECT COUNT(*) FROM tickets WHERE customer_id = :id"),
            {"id": seed["customer"]},
        )
    assert (balance, ledger_sum, opened) == (1000, 1000, 0)  # T1, M1

    again = session.request("POST", "/tickets/new", form)  # a new worker serves it
    assert again.status == 303, again.body[:500]
    with stack.app.app_context():
        balance, ledger_sum = _money(seed["customer"])
    assert balance == ledger_sum == 863
    assert LOCKED not in stack.log()
