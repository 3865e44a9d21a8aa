"""Serve the baseline and VAS with gunicorn, drive both with wrk, compare.

    python -m bench.run --db sqlite
    python -m bench.run --db postgresql --pg-url postgresql+psycopg://postgres@127.0.0.1/postgres

Both apps run with the same gunicorn worker count on the same database
server (SQLite: two files in one folder; PostgreSQL: two databases of one
server, named ``vas_bench_*`` and dropped afterwards). Each scenario is run
against the baseline and then against VAS, alternating, ``--rounds`` times;
the figures printed are the medians, and each VAS figure is also given as a
ratio to the baseline measured in the same run. Read pages are compared with
``GET /fortunes``, write paths with ``POST /insert``.

The floors come first, measured the same way but not held to a target: the
baseline's own two endpoints behind the rest of the stack (Flask-Login,
Flask-WTF's CSRF, Flask-Babel; ``bench.baseline.create_stack_app``), and a
signed-in VAS request that finds no page. They show how much of a ratio the
stack and VAS's per-request machinery take before any page does its work.

Adding a page is one entry in ``SCENARIOS``.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from bench.signin import CSRF_META

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USER_AGENT = "vas-bench"
BASE_PORT, VAS_PORT, STACK_PORT = 8811, 8812, 8813
READ_TARGET, WRITE_TARGET = 0.6, 0.5
# The two prices a matrix cell save alternates between.
PRICES_CENTS = (1100, 1200)
# A key of this run only: VAS runs with VAS_ENV=production, which needs one.
SECRET_KEY = secrets.token_hex(32)


@dataclass(frozen=True)
class Scenario:
    """One measured page: who asks, what, and against which baseline.

    ``path`` and ``body`` are formatted with the ids found in the VAS
    database (see ``Fixture``); ``body`` may hold ``{csrf}``, and, by
    ``mode``, ``{intent}`` (fresh per request) or ``{version}``/``{price}``
    (the matrix cell each wrk thread owns).
    """

    name: str
    kind: str  # "read" (vs GET /fortunes) or "write" (vs POST /insert)
    role: str  # customer, agent or admin; "stack" for the stack app
    path: str
    method: str = "GET"
    body: str | None = None
    htmx: bool = False
    mode: str = "plain"
    expect: int = 200
    note: str = ""
    judged: bool = True  # held to the target of its kind; floors are not


FLOORS = [
    Scenario("stack: fortunes", "read", "stack", "/fortunes", judged=False),
    Scenario(
        "stack: insert",
        "write",
        "stack",
        "/insert",
        method="POST",
        body="csrf_token={csrf}",
        expect=204,
        judged=False,
    ),
    Scenario(
        "VAS: signed-in 404",
        "read",
        "customer",
        "/no-such-page",
        expect=404,
        judged=False,
    ),
]
SCENARIOS = [
    Scenario("server page (matrix)", "read", "customer", "/servers/{server_id}"),
    Scenario(
        "checkout summary",
        "read",
        "customer",
        "/orders/new/{product_id}/summary",
        method="POST",
        body="csrf_token={csrf}&months=3&level_id={level_id}&promo_code="
        "&intent={static_intent}&expected_total=&action=pay",
        htmx=True,
    ),
    Scenario("customer ticket", "read", "customer", "/tickets/{ticket_id}"),
    Scenario(
        "agent queue",
        "read",
        "agent",
        "/agent/tickets?status=open&department_id={business_department}",
    ),
    Scenario("agent ticket", "read", "agent", "/agent/tickets/{ticket_id}"),
    Scenario("admin matrix", "read", "admin", "/admin/vas/matrix"),
    Scenario(
        "业务列表 filtered",
        "read",
        "admin",
        "/admin/vas/subscriptions?level_id={level_id}&status=active",
    ),
    Scenario(
        "matrix cell save",
        "write",
        "admin",
        "/admin/vas/prices/{item_id}/{cell_level_id}",
        method="POST",
        body="csrf_token={csrf}&version={{version}}&price={{price}}",
        htmx=True,
        mode="matrix",
    ),
    Scenario(
        "paid service request",
        "write",
        "customer",
        "/tickets/new",
        method="POST",
        body="csrf_token={csrf}&department={business_department}"
        "&server={server_id}&item_id={paid_item_id}"
        "&expected_charge={paid_item_cents}&subject="
        "&body=bench+service+request&intent={{intent}}",
        mode="intent",
        expect=303,
    ),
]
BASELINES = {
    "read": Scenario("baseline fortunes", "read", "", "/fortunes"),
    "write": Scenario(
        "baseline insert", "write", "", "/insert", method="POST", expect=204
    ),
}
ACCOUNTS = {
    "customer": "customer@demo.test",
    "agent": "agent@demo.test",
    "admin": "admin@demo.test",
}


# --- databases and the ids the scenarios use ---------------------------------


@dataclass
class Databases:
    kind: str
    base_url: str
    vas_url: str
    workdir: Path
    server_url: str | None = None

    @classmethod
    def create(cls, kind: str, workdir: Path, pg_url: str) -> "Databases":
        if kind == "sqlite":
            return cls(
                kind,
                f"sqlite:///{workdir / 'baseline.db'}",
                f"sqlite:///{workdir / 'vas.db'}",
                workdir,
            )
        server = sa.engine.make_url(pg_url)
        engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in ("vas_bench_base", "vas_bench_vas"):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()

        def render(name: str) -> str:
            return server.set(database=name).render_as_string(hide_password=False)

        return cls(
            kind,
            render("vas_bench_base"),
            render("vas_bench_vas"),
            workdir,
            pg_url,
        )

    def drop(self) -> None:
        if self.kind != "postgresql":
            return
        engine = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in ("vas_bench_base", "vas_bench_vas"):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def vas_env(databases: Databases) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VAS_ENV="production",
        VAS_SECRET_KEY=SECRET_KEY,
        VAS_DATABASE_URL=databases.vas_url,
        VAS_RATELIMIT_ENABLED="0",
        VAS_LOG_LEVEL="WARNING",
    )
    return env


def prepare(databases: Databases, scale: float) -> dict[str, object]:
    """Migrate VAS, load the demo (scaled), initialise the baseline; find ids."""
    env = vas_env(databases)
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*flask, "vas", "demo", "--scale", str(scale)], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [sys.executable, "-m", "bench.baseline", "init"],
        cwd=ROOT,
        env={**os.environ, "BENCH_DATABASE_URL": databases.base_url},
        check=True,
    )
    return fixture(env)


def fixture(env: dict[str, str]) -> dict[str, object]:
    """Read the ids the scenarios need, and fund the customer's requests."""
    os.environ.update({k: env[k] for k in ("VAS_DATABASE_URL", "VAS_SECRET_KEY")})
    from vas import create_app
    from vas.extensions import db
    from vas.models import Department
    from vas.models import ItemPrice
    from vas.models import Server
    from vas.models import ServiceLevel
    from vas.models import Subscription
    from vas.models import Ticket
    from vas.models import User
    from vas.services import ledger
    from vas.services import service_requests
    from vas.services import subscriptions

    app = create_app({"VAS_LOG_LEVEL": "WARNING"})
    with app.app_context():
        customer = db.session.scalar(
            sa.select(User).where(User.email == ACCOUNTS["customer"])
        )
        subscription = db.session.scalar(
            sa.select(Subscription)
            .join(Server, Server.id == Subscription.server_id)
            .where(
                Subscription.customer_id == customer.id,
                Subscription.status == "active",
            )
            .order_by(Subscription.id)
        )
        business = db.session.scalar(
            sa.select(Department.id).where(Department.is_business_technical)
        )
        ticket = db.session.scalar(
            sa.select(Ticket.id)
            .where(Ticket.customer_id == customer.id, Ticket.department_id == business)
            .order_by(Ticket.id)
        )
        silver = db.session.scalar(
            sa.select(ServiceLevel.id).where(ServiceLevel.name == "银牌服务")
        )
        product = db.session.get(Server, subscription.server_id).product_id
        cells = list(
            db.session.scalars(
                sa.select(ItemPrice)
                .where(ItemPrice.level_id == silver)
                .order_by(ItemPrice.item_id)
                .limit(8)
            )
        )
        paid = db.session.scalar(
            sa.select(ItemPrice)
            .where(
                ItemPrice.level_id == subscription.level_id, ItemPrice.price_cents > 0
            )
            .order_by(ItemPrice.item_id)
        )
        # Enough balance for every paid request a run can make.
        ledger.credit(
            customer.id,
            100_000_000,
            cause="adjustment",
            subject_type="user",
            subject_id=customer.id,
            key=f"bench:funds:{time.time_ns()}",
            memo="benchmark funds",
        )
        # The measured requests are paid ones: spend the free uses first.
        for _ in range(subscriptions.free_uses_left(subscription.id) if paid else 0):
            service_requests.submit_ticket(
                customer,
                department_id=business,
                server_id=subscription.server_id,
                item_id=paid.item_id,
                subject="",
                body="bench: spends a free use",
                intent=secrets.token_hex(16),
                expected_charge_cents=0,
            )
        db.session.commit()
        return {
            "server_id": subscription.server_id,
            "product_id": product,
            "level_id": silver,
            "ticket_id": ticket,
            "business_department": business,
            "item_id": cells[0].item_id,
            "cell_level_id": silver,
            "cells": [(c.item_id, c.level_id, c.version) for c in cells],
            "paid_item_id": paid.item_id if paid else 0,
            "paid_item_cents": paid.price_cents if paid else 0,
            "static_intent": "b" * 32,
        }


# --- servers -------------------------------------------------------------------


def serve(app: str, port: int, env: dict[str, str], workers: int, log: Path):
    command = [
        str(BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    for _ in range(100):
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/favicon.ico")
            connection.getresponse().read()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"{app} did not start on port {port}; see {log}")


def stop(process) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


# --- sessions ------------------------------------------------------------------


@dataclass
class Session:
    """A signed-in browser: its cookies and the CSRF token its pages carry."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def request(self, method, path, body=None, headers=None):
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        match = CSRF_META.search(data.decode("utf-8", "replace"))
        if match:
            self.csrf = match.group(1)
        return response.status, response.headers, data

    def login(self, email: str) -> "Session":
        self.request("GET", "/login")
        body = urlencode(
            {"csrf_token": self.csrf, "email": email, "password": "demo1234"}
        )
        status, headers, _data = self.request("POST", "/login", body)
        if status not in (302, 303):
            raise RuntimeError(f"login of {email} answered {status}")
        # Signing in starts a new session: the page it leads to puts this
        # session's CSRF token in the cookie and in the page's meta tag.
        home = headers["Location"]
        self.request("GET", home)
        self.request("GET", home)  # the session cookie is settled now
        if not self.csrf:
            raise RuntimeError(f"{home} carried no CSRF token")
        return self

    def sign_in_stack(self) -> "Session":
        """Sign the stack app's one member in (``GET /sign-in``)."""
        status, _headers, _data = self.request("GET", "/sign-in")
        if status != 200 or not self.csrf:
            raise RuntimeError(f"the stack app's sign-in answered {status}")
        return self

    def headers(self, htmx: bool) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = {"User-Agent": USER_AGENT, "Cookie": cookie}
        if htmx:
            headers["HX-Request"] = "true"
        return headers


# --- wrk -----------------------------------------------------------------------


def wrk(port, scenario: Scenario, headers, body, duration, connections, env_extra):
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    env = dict(os.environ)
    env.update(
        BENCH_METHOD=scenario.method,
        BENCH_PATH=scenario.path,
        BENCH_BODY=body or "",
        BENCH_MODE=scenario.mode,
        BENCH_HEADERS="\n".join(f"{k}: {v}" for k, v in headers.items()),
        BENCH_OUT=str(out),
        **env_extra,
    )
    subprocess.run(
        [
            "wrk",
            f"-t{connections}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "wrk.lua"),
            f"http://127.0.0.1:{port}",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    result = json.loads(out.read_text())
    out.unlink()
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(v for k, v in result.items() if k.startswith("errors_"))
    return result


def median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def formatted(scenario: Scenario, ids: dict, csrf: str) -> Scenario:
    values = {**ids, "csrf": csrf}
    body = scenario.body.format(**values) if scenario.body else None
    return replace(scenario, path=scenario.path.format(**values), body=body)


def probe(session: Session, scenario: Scenario, ids: dict) -> int:
    """Send the scenario's request once, as wrk will, and return its status."""
    body = scenario.body
    if scenario.mode == "intent":
        body = body.replace("{intent}", os.urandom(16).hex())
    if scenario.mode == "matrix":
        return 200  # its first real request is the probe; wrk counts failures
    headers = {"HX-Request": "true"} if scenario.htmx else {}
    status, _h, _d = session.request(scenario.method, scenario.path, body, headers)
    return status


def cell_versions(databases: Databases, ids: dict, args) -> str:
    """Return the matrix cells the wrk threads own, at their stored versions.

    wrk stops without waiting for the answers in flight, whose saves still
    commit: the versions are read again until two reads agree, or the next
    run would start with a stale version (a 409 the harness caused).
    """
    cells, previous = _read_cells(databases, ids, args), None
    while cells != previous:
        time.sleep(0.2)
        previous, cells = cells, _read_cells(databases, ids, args)
    return cells


def _read_cells(databases: Databases, ids: dict, args) -> str:
    engine = sa.create_engine(databases.vas_url)
    cells = []
    with engine.connect() as conn:
        for item, level, _version in ids["cells"][: args.connections]:
            version, cents = conn.execute(
                sa.text(
                    "SELECT version, price_cents FROM item_prices"
                    " WHERE item_id = :item AND level_id = :level"
                ),
                {"item": item, "level": level},
            ).one()
            # Start with the price the cell does not hold, so every save
            # changes it (saving the same price is not a write).
            first = 2 if cents == PRICES_CENTS[0] else 1
            cells.append(f"/admin/vas/prices/{item}/{level} {version} {first}")
    engine.dispose()
    return ";".join(cells)


def measure(args, databases: Databases, ids: dict) -> list[dict]:
    workdir = databases.workdir
    base_env = {**os.environ, "BENCH_DATABASE_URL": databases.base_url}
    base = serve(
        "bench.baseline:create_app()",
        BASE_PORT,
        base_env,
        args.workers,
        workdir / "baseline.log",
    )
    stack = serve(
        "bench.baseline:create_stack_app()",
        STACK_PORT,
        {**base_env, "BENCH_SECRET_KEY": SECRET_KEY},
        args.workers,
        workdir / "stack.log",
    )
    vas = serve(
        "wsgi:app", VAS_PORT, vas_env(databases), args.workers, workdir / "vas.log"
    )
    try:
        sessions = {
            role: Session(VAS_PORT).login(email) for role, email in ACCOUNTS.items()
        }
        sessions["stack"] = Session(STACK_PORT).sign_in_stack()
        anonymous = {"User-Agent": USER_AGENT}
        results = []
        for template in FLOORS + SCENARIOS:
            if args.only and not any(word in template.name for word in args.only):
                continue
            session = sessions[template.role]
            scenario = formatted(template, ids, session.csrf)
            extra = {}
            if scenario.mode == "matrix":
                extra["BENCH_PRICES"] = " ".join(
                    f"{cents // 100}.{cents % 100:02d}" for cents in PRICES_CENTS
                )
            status = probe(session, scenario, ids)
            row = {"scenario": scenario, "status": status}
            results.append(row)
            if status != scenario.expect:
                row["failed"] = f"answered {status}, expected {scenario.expect}"
                print(f"  {scenario.name}: {row['failed']} {scenario.note}", flush=True)
                continue
            baseline = BASELINES[scenario.kind]
            base_runs, vas_runs = [], []
            for _ in range(args.rounds):
                for port, target, runs, headers, body in (
                    (BASE_PORT, baseline, base_runs, anonymous, baseline.body),
                    (
                        session.port,
                        scenario,
                        vas_runs,
                        session.headers(scenario.htmx),
                        scenario.body,
                    ),
                ):
                    if scenario.mode == "matrix":
                        # Each run starts from the cells' versions as stored.
                        extra["BENCH_CELLS"] = cell_versions(databases, ids, args)
                    wrk(port, target, headers, body, 2, args.connections, extra)
                    if scenario.mode == "matrix":
                        extra["BENCH_CELLS"] = cell_versions(databases, ids, args)
                    runs.append(
                        wrk(
                            port,
                            target,
                            headers,
                            body,
                            args.duration,
                            args.connections,
                            extra,
                        )
                    )
            row.update(base=base_runs, vas=vas_runs)
            print_row(row, flush=True)
        row_weights = page_weights(sessions, ids)
        return results, row_weights
    finally:
        stop(vas)
        stop(stack)
        stop(base)


# --- page weight ---------------------------------------------------------------

WEIGHED = [
    ("customer", "/servers/{server_id}"),
    ("customer", "/orders/new/{product_id}"),
    ("customer", "/tickets/{ticket_id}"),
    ("agent", "/agent/tickets"),
    ("agent", "/agent/tickets/{ticket_id}"),
    ("admin", "/admin/vas/matrix"),
    ("admin", "/admin/vas/subscriptions"),
]
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="(/static/[^"]+)"')


def page_weights(sessions: dict[str, Session], ids: dict) -> list[dict]:
    """Weigh each main page: its HTML and the CSS and JavaScript it loads."""
    weights = []
    for role, template in WEIGHED:
        path = template.format(**ids)
        status, _h, html = sessions[role].request("GET", path)
        css = js = 0
        scripts = []
        for asset in ASSET.findall(html.decode()):
            _s, _h2, data = sessions[role].request("GET", asset)
            if asset.split("?")[0].endswith(".js"):
                js += len(data)
                scripts.append(asset.rsplit("/", 1)[-1].split("?")[0])
            else:
                css += len(data)
        weights.append(
            {
                "page": template,
                "status": status,
                "html": len(html),
                "css": css,
                "js": js,
                "scripts": scripts,
            }
        )
    return weights


# --- output --------------------------------------------------------------------


def print_row(row, flush=False) -> None:
    scenario, base, vas = row["scenario"], row["base"], row["vas"]
    rps = median(vas, "rps") / median(base, "rps")
    target = target_of(scenario)
    errors, refused = unexpected(scenario, vas)
    kinds = {
        key.removeprefix("errors_"): sum(run[key] for run in vas)
        for key in vas[0]
        if key.startswith("errors_")
        and key != "errors_status"
        and any(run[key] for run in vas)
    }
    if refused:  # which statuses, from wrk.lua's tally
        kinds["status"] = refused
    b50, v50 = median(base, "p50_us") / 1000, median(vas, "p50_us") / 1000
    b99, v99 = median(base, "p99_us") / 1000, median(vas, "p99_us") / 1000
    verdict = "floor" if target is None else "ok" if rps >= target else "SHORT"
    print(
        f"  {scenario.name:<22} {scenario.kind:<5} "
        f"base {median(base, 'rps'):7.0f}/s  app {median(vas, 'rps'):7.0f}/s  "
        f"ratio {rps:4.2f} (target {target or '—'})  "
        f"p50 {b50:6.2f} / {v50:6.2f} ms  p99 {b99:6.2f} / {v99:6.2f} ms"
        f"  {verdict}"
        f"{f'  errors {errors} {kinds}' if errors else ''}",
        flush=flush,
    )


def target_of(scenario: Scenario) -> float | None:
    """The ratio the scenario is held to, or None for a floor."""
    if not scenario.judged:
        return None
    return READ_TARGET if scenario.kind == "read" else WRITE_TARGET


def unexpected(scenario: Scenario, runs: list[dict]) -> tuple[int, dict[str, int]]:
    """Count the answers that were not what the scenario expects.

    wrk counts every answer of 400 and above as an error; a floor that
    expects 404 is not refused by its own answers.
    """
    refused = refused_statuses(runs)
    errors = sum(run["errors"] for run in runs)
    if scenario.expect >= 400:
        errors -= refused.pop(str(scenario.expect), 0)
    return errors, refused


def refused_statuses(runs: list[dict]) -> dict[str, int]:
    """Add up the answers of 400 and above of several wrk runs, by status."""
    tally: dict[str, int] = {}
    for run in runs:
        for status, count in run.get("statuses", {}).items():
            tally[status] = tally.get(status, 0) + count
    return tally


def markdown(db: str, results, weights) -> str:
    lines = [
        f"### {db}",
        "",
        "| page | kind | baseline req/s | measured req/s | ratio | target | "
        "p50 base / VAS (ms) | p50 × | p99 base / VAS (ms) | p99 × | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        scenario = row["scenario"]
        if "failed" in row:
            lines.append(
                f"| {scenario.name} | {scenario.kind} | — | — | — | — | — | — | — | — "
                f"| {row['failed']}: {scenario.note} |"
            )
            continue
        base, vas = row["base"], row["vas"]
        target = target_of(scenario)
        b50, v50 = median(base, "p50_us") / 1000, median(vas, "p50_us") / 1000
        b99, v99 = median(base, "p99_us") / 1000, median(vas, "p99_us") / 1000
        count, refused = unexpected(scenario, vas)
        errors = str(count)
        if refused:
            errors += " (" + ", ".join(f"{k}: {v}" for k, v in refused.items()) + ")"
        lines.append(
            f"| {scenario.name} | {scenario.kind} | {median(base, 'rps'):.0f} | "
            f"{median(vas, 'rps'):.0f} | "
            f"**{median(vas, 'rps') / median(base, 'rps'):.2f}** | "
            f"{target or 'floor'} | "
            f"{b50:.2f} / {v50:.2f} | {v50 / b50:.2f} | {b99:.2f} / {v99:.2f} | "
            f"{v99 / b99:.2f} | {errors} |"
        )
    lines += [
        "",
        "| page | HTML bytes | CSS bytes | JavaScript bytes | scripts |",
        "|---|---:|---:|---:|---|",
    ]
    for weight in weights:
        lines.append(
            f"| `{weight['page']}` | {weight['html']} | {weight['css']} | "
            f"{weight['js']} | {', '.join(weight['scripts'])} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--scale", type=float, default=0.01, help="VAS demo size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--duration", type=int, default=8, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="scenarios whose name has a word")
    parser.add_argument("--markdown", type=Path, help="also write a Markdown table")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="vas_bench_"))
    databases = Databases.create(args.db, workdir, args.pg_url)
    try:
        print(f"{args.db}: preparing (demo at scale {args.scale}) in {workdir}")
        ids = prepare(databases, args.scale)
        print(
            f"{args.db}: {args.workers} gunicorn workers each, wrk "
            f"{args.connections} connections, {args.rounds} x {args.duration}s "
            "per app and page, alternating"
        )
        results, weights = measure(args, databases, ids)
    finally:
        if not args.keep:
            databases.drop()
            shutil.rmtree(workdir, ignore_errors=True)
    if args.markdown:
        args.markdown.write_text(markdown(args.db, results, weights))
    print()
    print(markdown(args.db, results, weights))
    short = [
        row["scenario"].name
        for row in results
        if "failed" not in row
        and target_of(row["scenario"]) is not None
        and median(row["vas"], "rps") / median(row["base"], "rps")
        < target_of(row["scenario"])
    ]
    if short:
        print("short of target:", ", ".join(short))
    return 0


if __name__ == "__main__":
    sys.exit(main())
