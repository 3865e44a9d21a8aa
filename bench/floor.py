"""Measure the floor of a VAS request in process, beside the baseline's pages.

    BENCH_DATABASE_URL=sqlite:////tmp/base.db python -m bench.baseline init
    BENCH_DATABASE_URL=sqlite:////tmp/base.db \\
        VAS_DATABASE_URL=sqlite:////tmp/vas.db python -m bench.floor

The VAS database holds the demo (``flask vas demo``). A request that does no
work of its own (a 404, anonymous and signed in) shows what the framework
and VAS's per-request machinery cost before any page starts: the session,
the signed-in user, the locale, CSRF, the security headers and the layout.
The stack app (``bench.baseline.create_stack_app``) shows the same for the
baseline's own two endpoints behind Flask-Login, Flask-WTF and Flask-Babel
alone. Prints CPU milliseconds per request, measured with the Flask test
client.
"""

import argparse
import os
import sys
import time

from bench.baseline import create_app as create_baseline
from bench.baseline import create_stack_app
from bench.signin import CSRF_META
from bench.signin import signed_in
from vas import create_app


def cpu_ms(client, method: str, path: str, runs: int, data=None) -> tuple[float, int]:
    """Return CPU milliseconds per request after a warm-up, and the status."""
    for _ in range(max(runs // 10, 10)):
        client.open(path, method=method, data=data)

    started = time.process_time()
    for _ in range(runs):
        status = client.open(path, method=method, data=data).status_code
    return (time.process_time() - started) / runs * 1000, status


def stack_client():
    """Return a client of the stack app, signed in, and its CSRF token."""
    os.environ.setdefault("BENCH_SECRET_KEY", "floor")
    client = create_stack_app().test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    return client, {"csrf_token": token}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--as", dest="email", default="customer@demo.test")
    args = parser.parse_args(argv)

    baseline = create_baseline().test_client()
    vas = create_app({"VAS_RATELIMIT_ENABLED": False, "VAS_LOG_LEVEL": "WARNING"})
    anonymous, customer = vas.test_client(), signed_in(vas, args.email)
    stack, token = stack_client()

    rows = [
        ("baseline GET /fortunes", baseline, "GET", "/fortunes", None),
        ("baseline POST /insert", baseline, "POST", "/insert", None),
        ("stack signed-in GET /fortunes", stack, "GET", "/fortunes", None),
        ("stack signed-in POST /insert", stack, "POST", "/insert", token),
        ("VAS anonymous 404", anonymous, "GET", "/no-such-page", None),
        ("VAS signed-in 404", customer, "GET", "/no-such-page", None),
        ("VAS anonymous GET /login", anonymous, "GET", "/login", None),
    ]
    fortunes = None
    print("| request | status | CPU ms | × fortunes |")
    print("|---|---:|---:|---:|")
    for name, client, method, path, data in rows:
        ms, status = cpu_ms(client, method, path, args.runs, data)
        fortunes = fortunes or ms
        print(f"| {name} | {status} | {ms:.2f} | {ms / fortunes:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
