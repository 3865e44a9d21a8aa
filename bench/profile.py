"""Profile one VAS page in process with pyinstrument, to find what costs.

    VAS_DATABASE_URL=sqlite:////tmp/vas.db python -m bench.profile \\
        --as admin@demo.test /admin/vas/matrix

Signs in through the real login form, requests the page ``--warm`` times,
then ``--runs`` times under the profiler, and prints the call tree. Needs
``pip install pyinstrument`` (bench/requirements.txt).
"""

import argparse
import secrets
import sys
import time

from pyinstrument import Profiler
from sqlalchemy import event

from bench.signin import CSRF_META
from bench.signin import signed_in
from vas import create_app
from vas.extensions import db


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--as", dest="email", default="customer@demo.test")
    parser.add_argument("--method", default="GET")
    parser.add_argument(
        "--data",
        default="",
        help="form body; {csrf} and a fresh {intent} are filled in",
    )
    parser.add_argument("--htmx", action="store_true")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--sql", action="store_true", help="print the statements")
    parser.add_argument(
        "--time-only", action="store_true", help="time the runs, no profile"
    )
    args = parser.parse_args(argv)

    app = create_app({"VAS_RATELIMIT_ENABLED": False, "VAS_LOG_LEVEL": "WARNING"})
    client = signed_in(app, args.email)
    token = CSRF_META.search(client.get("/dashboard").get_data(as_text=True))
    token = token.group(1) if token else ""
    headers = {"HX-Request": "true"} if args.htmx else {}

    def once():
        data = None
        if args.data:
            data = args.data.replace("{csrf}", token)
            data = data.replace("{intent}", secrets.token_hex(16))
        response = client.open(
            args.path,
            method=args.method,
            data=data,
            headers=headers,
            content_type="application/x-www-form-urlencoded" if data else None,
        )
        return response.status_code

    for _ in range(args.warm):
        status = once()
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    once()
    event.remove(engine, "before_cursor_execute", listener)
    print(
        f"{args.method} {args.path} answers {status}, {len(statements)} statements",
        file=sys.stderr,
    )
    if args.sql:
        for statement in statements:
            print(" ".join(statement.split())[:300], file=sys.stderr)
    started = time.perf_counter()
    if args.time_only:
        cpu = time.process_time()
        for _ in range(args.runs):
            once()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        print(
            f"{args.runs} requests, {elapsed / args.runs * 1000:.2f} ms each, "
            f"{cpu / args.runs * 1000:.2f} ms of CPU"
        )
        return 0
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(args.runs):
            once()
    elapsed = time.perf_counter() - started
    print(f"{args.runs} requests, {elapsed / args.runs * 1000:.2f} ms each (profiled)")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
