"""The app shell: configuration, SQLite tuning, headers, errors, htmx plumbing."""

import stat

import pytest
import sqlalchemy as sa
from flask import request

from vas import CONTENT_SECURITY_POLICY
from vas.config import ConfigError
from vas.config import load_config
from vas.extensions import db


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), {"VAS_ENV": "production"})


def test_development_secret_key_is_created_once_and_kept(tmp_path):
    first = load_config(str(tmp_path), {})["SECRET_KEY"]
    second = load_config(str(tmp_path), {})["SECRET_KEY"]

    assert first == second and len(first) == 64
    mode = (tmp_path / "secret_key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_database_url_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    config = load_config(str(tmp_path), {"VAS_SECRET_KEY": "k"})

    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'vas.db'}"


def test_engine_is_tuned_for_its_backend(app, backend):
    """SQLite: WAL, foreign keys and a busy timeout; PostgreSQL: psycopg 3."""
    with app.app_context():
        with db.engine.connect() as conn:
            if backend == "sqlite":
                journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
                timeout = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                assert (journal, foreign_keys) == ("wal", 1)
                assert timeout >= 5000
            else:
                assert db.engine.dialect.driver == "psycopg"
                assert conn.exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"


def test_foreign_keys_are_enforced(app):
    from vas.models import Server

    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(
                sa.insert(Server).values(
                    customer_id=999999,
                    product_id=999999,
                    hostname="x",
                    status="active",
                    due_date=sa.func.current_date(),
                )
            )
        db.session.rollback()


def test_html_responses_carry_security_headers(client):
    response = client.get("/login")

    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    script_src = next(
        part
        for part in CONTENT_SECURITY_POLICY.split("; ")
        if part.startswith("script-src")
    )
    assert "unsafe" not in script_src
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_or_styles(client, make_admin):
    client.login(make_admin().email)

    html = client.get("/admin/").get_data(as_text=True)

    assert "<script>" not in html and "style=" not in html
    assert 'src="/static/vendor/htmx.min.js"' in html
    assert '"allowEval":false' in html.replace("&#34;", '"')
    assert 'hx-headers="{&#34;X-CSRFToken&#34;' in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_fragment_requests_get_fragments_and_vary(client, htmx_client, make_admin):
    admin = make_admin()
    client.login(admin.email)
    htmx_client.login(admin.email)

    page = client.get("/admin/customers")
    fragment = htmx_client.get("/admin/customers")
    restore = htmx_client.get(
        "/admin/customers", headers={"HX-History-Restore-Request": "true"}
    )

    assert "<html" in page.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="customers"' in fragment.get_data(as_text=True)
    assert "<html" in restore.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_flash_rides_out_of_band_on_fragments(app, htmx_client, make_admin):
    admin = make_admin()
    htmx_client.login(admin.email)

    with htmx_client.raw.session_transaction() as session:
        session["_flashes"] = [("success", "已保存")]
    response = htmx_client.get("/admin/customers")

    html = response.get_data(as_text=True)
    assert 'id="flashes"' in html and 'hx-swap-oob="true"' in html
    assert "已保存" in html


def test_a_failed_commit_rolls_back_and_reports_500(app, client, make_admin):
    """The request boundary commits once; a refused commit leaves nothing."""
    admin = make_admin()

    @app.post("/test-broken-commit")
    def broken():
        from vas.models import AppMeta

        db.session.add(AppMeta(key="half", value="written"))
        db.session.add(AppMeta(key="half", value="twice"))  # violates the key
        return "ok"

    client.login(admin.email)
    response = client.post("/test-broken-commit")

    assert response.status_code == 500
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT COUNT(*) FROM app_meta")) == 0


def test_a_refused_request_keeps_nothing_it_flushed(app, client, make_admin):
    """A view answering 4xx after a service flushed rows leaves no trace."""
    admin = make_admin()

    @app.post("/test-refused-after-flush")
    def refused():
        from vas.models import AppMeta

        db.session.add(AppMeta(key="flushed", value="then refused"))
        db.session.flush()
        return "refused", 422

    client.login(admin.email)
    assert client.post("/test-refused-after-flush").status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT COUNT(*) FROM app_meta")) == 0


def test_get_requests_never_commit(app, client, make_admin, backend):
    """A page that writes loses the write; PostgreSQL refuses it outright."""
    admin = make_admin()

    @app.get("/test-get-writes")
    def writes():
        from vas.models import AppMeta

        db.session.add(AppMeta(key="from-get", value="x"))
        db.session.flush()
        return "ok"

    client.login(admin.email)
    status = client.get("/test-get-writes").status_code

    assert status == (500 if backend == "postgresql" else 200)
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT COUNT(*) FROM app_meta")) == 0


def test_read_requests_begin_read_only_and_writes_take_the_lock(
    app, client, make_admin, count_queries, backend
):
    """PostgreSQL: READ ONLY for safe methods. SQLite: the write lock first."""
    admin = make_admin()
    seen = {}

    @app.route("/test-transaction", methods=["GET", "POST"])
    def transaction():
        if backend == "postgresql":
            state = db.session.execute(sa.text("SHOW transaction_read_only"))
            seen[request.method] = state.scalar()
        else:
            db.session.execute(sa.text("SELECT 1"))
        return "ok"

    client.login(admin.email)
    with count_queries() as reading:
        assert client.get("/test-transaction").status_code == 200
    with count_queries() as writing:
        assert client.post("/test-transaction").status_code == 200

    if backend == "postgresql":
        assert seen == {"GET": "on", "POST": "off"}
    else:
        assert "BEGIN DEFERRED" in reading.statements
        assert "BEGIN IMMEDIATE" in writing.statements


def test_a_reads_only_post_reads_like_a_get(app, client, make_admin, backend):
    """It is checked for CSRF like any POST, but its writes never land."""
    from vas.models import AppMeta
    from vas.web import reads_only

    admin = make_admin()
    seen = []

    @app.post("/test-reads-only")
    @reads_only
    def reading_post():
        if backend == "postgresql":
            seen.append(db.session.scalar(sa.text("SHOW transaction_read_only")))
        db.session.add(AppMeta(key="from-reads-only", value="x"))
        db.session.flush()
        return "ok"

    client.login(admin.email)
    refused = client.raw.post("/test-reads-only").status_code
    status = client.post("/test-reads-only").status_code

    assert refused == 400
    assert status == (500 if backend == "postgresql" else 200)
    assert seen == (["on"] if backend == "postgresql" else [])
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT COUNT(*) FROM app_meta")) == 0


def test_limit_and_offset_are_written_into_postgresql_statements(app, backend):
    """Literal LIMIT/OFFSET let PostgreSQL keep one plan for a prepared page."""
    from vas.models import User

    query = sa.select(User.id).order_by(User.id).limit(20).offset(40)
    with app.app_context():
        text = str(
            query.compile(
                dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True}
            )
        )
        ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
        page = db.session.scalars(query).all()

    if backend == "postgresql":
        assert "LIMIT 20 OFFSET 40" in text
    else:
        assert "LIMIT ? OFFSET ?" in text
    assert page == ids[40:60]


def test_postgresql_keeps_prepared_statements_across_read_requests(
    app, client, make_customer, backend
):
    """A read ends with COMMIT on PostgreSQL; a ROLLBACK would drop them all."""
    if backend != "postgresql":
        pytest.skip("prepared statements are psycopg's")
    customer = make_customer()
    client.login(customer.email)

    for _ in range(8):
        assert client.get("/dashboard").status_code == 200

    with app.app_context():
        prepared = db.session.scalar(
            sa.text("SELECT count(*) FROM pg_prepared_statements")
        )
    assert prepared > 0
