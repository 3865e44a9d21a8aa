"""Time the big lists server-side on a production-sized database.

    createdb vas_bench_scale
    export VAS_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/vas_bench_scale
    flask --app wsgi db upgrade && flask --app wsgi vas demo --scale 1
    psql vas_bench_scale -c 'VACUUM ANALYZE'
    python -m bench.scale --runs 100 --plans bench/PLANS.md

Each page is requested in process (the Flask test client, signed in through
the login form), ``--runs`` times after a warm-up; the time is the whole
request inside the app: routing, session, queries and rendering. Then every
SQL statement of one more request is run again under ``EXPLAIN (ANALYZE,
BUFFERS)``, and the plans are written to ``--plans``.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from bench.signin import signed_in
from vas import create_app
from vas.extensions import db

TARGET_MS = 50.0


def pages(ids: dict) -> list[tuple[str, str, str]]:
    """Return (name, account, path) of each timed page."""
    return [
        (
            "业务列表 by user ID",
            "admin@demo.test",
            f"/admin/vas/subscriptions?customer_id={ids['customer']}",
        ),
        (
            "业务列表 by level and status",
            "admin@demo.test",
            f"/admin/vas/subscriptions?level_id={ids['level']}&status=active",
        ),
        (
            "业务列表 by level and status, 500 pages in (keyset)",
            "admin@demo.test",
            f"/admin/vas/subscriptions?level_id={ids['level']}&status=active"
            f"&before={ids['deep_subscription']}",
        ),
        (
            "业务列表 by keyword (hostname)",
            "admin@demo.test",
            f"/admin/vas/subscriptions?q={ids['hostname']}",
        ),
        (
            "业务列表 by keyword (email)",
            "admin@demo.test",
            f"/admin/vas/subscriptions?q={ids['email']}",
        ),
        (
            "业务列表 by keyword (3-character Chinese name)",
            "admin@demo.test",
            f"/admin/vas/subscriptions?q={ids['full_name']}",
        ),
        (
            "业务列表 by keyword (2-character Chinese name)",
            "admin@demo.test",
            f"/admin/vas/subscriptions?q={ids['name']}",
        ),
        (
            "agent queue by status and department",
            "agent@demo.test",
            f"/agent/tickets?status=open&department_id={ids['department']}",
        ),
        (
            "agent queue by status and department (admin)",
            "admin@demo.test",
            f"/agent/tickets?status=customer_reply&department_id={ids['department']}",
        ),
        # The two home pages count over every ticket, server and customer.
        ("agent workspace (open tickets by department)", "agent@demo.test", "/agent/"),
        ("admin home (figures of the day)", "admin@demo.test", "/admin/"),
    ]


def find_ids() -> dict:
    """Pick real values from the scaled data for the filters."""
    from vas.models import Department
    from vas.models import Server
    from vas.models import ServiceLevel
    from vas.models import Subscription
    from vas.models import User

    customer = db.session.scalar(
        sa.select(User)
        .where(User.email.like("%@scale.test"))
        .order_by(User.id)
        .offset(12_345)
        .limit(1)
    )
    level = db.session.scalar(
        sa.select(ServiceLevel.id).where(ServiceLevel.name == "银牌服务")
    )
    deep = db.session.scalar(
        sa.select(Subscription.id)
        .where(Subscription.level_id == level, Subscription.status == "active")
        .order_by(Subscription.id.desc())
        .offset(500 * 20)
        .limit(1)
    )
    server = db.session.scalar(
        sa.select(Server).where(Server.customer_id == customer.id).limit(1)
    )
    department = db.session.scalar(
        sa.select(Department.id).where(Department.is_business_technical)
    )
    return {
        "customer": customer.id,
        "level": level,
        "deep_subscription": deep,
        "hostname": server.hostname,
        "email": customer.email.split("@")[0],
        "name": customer.name[:2],
        "full_name": customer.name[:3],
        "department": department,
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def explain(statements: list[tuple[str, object]]) -> list[str]:
    """Run each captured statement again under EXPLAIN ANALYZE; return plans."""
    plans = []
    with db.engine.connect() as connection:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            rows = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
            ).all()
            plan = "\n".join(row[0] for row in rows)
            plans.append(f"{' '.join(statement.split())}\n\n{plan}")
        connection.rollback()
    return plans


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--plans", type=Path, help="write the plans here")
    parser.add_argument("--only", nargs="*", help="pages whose name has a word")
    args = parser.parse_args(argv)

    app = create_app({"VAS_RATELIMIT_ENABLED": False, "VAS_LOG_LEVEL": "WARNING"})
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            print("note: the figures are meant for PostgreSQL", file=sys.stderr)
        counts = {
            table: db.session.execute(
                sa.text(f"SELECT count(*) FROM {table}")  # noqa: S608
            ).scalar()
            for table in (
                "users",
                "servers",
                "subscriptions",
                "tickets",
                "ledger_entries",
            )
        }
        ids = find_ids()
        engine = db.engine
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    clients = {}
    results = []
    plan_text = []
    for name, email, path in pages(ids):
        if args.only and not any(word in name for word in args.only):
            continue
        client = clients.get(email) or clients.setdefault(email, signed_in(app, email))
        for _ in range(args.warm):
            status = client.get(path).status_code
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        captured = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))  # noqa: B023

        event.listen(engine, "before_cursor_execute", capture)
        client.get(path)
        event.remove(engine, "before_cursor_execute", capture)
        with app.app_context():
            plans = explain(captured)
        p95 = percentile(timings, 0.95)
        results.append((name, path, status, timings, p95, len(captured)))
        print(
            f"{name:<52} p50 {statistics.median(timings):6.1f} ms  "
            f"p95 {p95:6.1f} ms  max {max(timings):6.1f} ms  "
            f"{len(captured)} statements  "
            f"{'ok' if p95 <= TARGET_MS else 'OVER'}",
            flush=True,
        )
        plan_text.append(f"## {name}\n\n`GET {path}`\n")
        plan_text += [f"```\n{plan}\n```\n" for plan in plans]

    print()
    print("| page | p50 ms | p95 ms | max ms | statements | target ≤ 50 ms |")
    print("|---|---:|---:|---:|---:|---|")
    for name, path, _status, timings, p95, statements in results:
        print(
            f"| {name} (`{path}`) | {statistics.median(timings):.1f} | {p95:.1f} | "
            f"{max(timings):.1f} | {statements} | "
            f"{'ok' if p95 <= TARGET_MS else 'over'} |"
        )
    if args.plans:
        header = (
            "# Query plans at scale\n\nEvery statement of one request of each page, "
            "run again under `EXPLAIN (ANALYZE, BUFFERS)` by `python -m bench.scale`"
            f" on {', '.join(f'{v:,} {k}' for k, v in counts.items())}.\n\n"
        )
        args.plans.write_text(header + "\n".join(plan_text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
