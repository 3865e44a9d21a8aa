"""The benchmark's stack floor does the work it is named for.

``bench.baseline.create_stack_app`` is the baseline's fortunes and insert
behind Flask-Login, Flask-WTF's CSRF and Flask-Babel. Its ratio in
``bench/RESULTS.md`` means something only if those pieces run: the page
needs the session, the insert its token.
"""

import pytest
from sqlalchemy import func
from sqlalchemy import select

from bench import baseline
from bench.signin import CSRF_META


@pytest.fixture
def stack(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'base.db'}")
    monkeypatch.setenv("BENCH_SECRET_KEY", "test-only")
    baseline.init()
    return baseline.create_stack_app()


def events(app) -> int:
    with app.app_context():
        return baseline.db.session.scalar(select(func.count(baseline.Event.id)))


def test_the_stack_pages_need_the_signed_in_session(stack):
    client = stack.test_client()

    assert client.get("/fortunes").status_code == 401
    assert client.post("/insert").status_code == 400  # CSRF is checked first
    assert events(stack) == 0

    page = client.get("/sign-in")
    fortunes = client.get("/fortunes").get_data(as_text=True)

    assert page.status_code == 200
    assert "Signed in as bench" in fortunes
    assert fortunes.count("<tr><td>") == len(baseline.FORTUNES) + 1
    assert CSRF_META.search(fortunes)


def test_the_stack_insert_checks_the_csrf_token(stack):
    client = stack.test_client()
    token = CSRF_META.search(client.get("/sign-in").get_data(as_text=True)).group(1)

    refused = client.post("/insert")
    forged = client.post("/insert", data={"csrf_token": "forged"})

    assert (refused.status_code, forged.status_code, events(stack)) == (400, 400, 0)

    accepted = client.post("/insert", data={"csrf_token": token})

    assert (accepted.status_code, events(stack)) == (204, 1)
