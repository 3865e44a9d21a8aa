"""The floor: a bare Flask + Flask-SQLAlchemy + Jinja app on the same database.

``GET /fortunes`` reads a dozen rows, adds one in memory, sorts and renders
them (the classic "fortunes" shape); ``POST /insert`` inserts one row and
commits. VAS pages are measured as a ratio to these two.

``create_stack_app`` serves the same two endpoints behind the rest of the
stack VAS is built on and cannot drop: Flask-Login loading the signed-in
user from the database on every request, Flask-WTF's CSRF token in the page
and checked on the POST, and Flask-Babel translating the page's words. It
does no more than that, so the ratio of its pages to the bare ones is the
most any signed-in page of this stack can reach.

    BENCH_DATABASE_URL=sqlite:////tmp/base.db python -m bench.baseline init
    gunicorn -w 2 'bench.baseline:create_app()'
    BENCH_SECRET_KEY=... gunicorn -w 2 'bench.baseline:create_stack_app()'
"""

import os
import sys
from datetime import UTC
from datetime import datetime

from babel import Locale
from flask import Flask
from flask import render_template
from flask_babel import Babel
from flask_login import LoginManager
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import String
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

FORTUNES = (
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
)

ZH_CN = Locale.parse("zh_CN")


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Fortune(db.Model):
    __tablename__ = "bench_fortunes"

    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


class Event(db.Model):
    __tablename__ = "bench_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class Member(UserMixin, db.Model):
    """The one account the stack app signs in."""

    __tablename__ = "bench_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


def create_app() -> Flask:
    """Create the baseline app on ``BENCH_DATABASE_URL``."""
    app = _database_app()

    @app.get("/fortunes")
    def fortunes():
        return render_template("fortunes.html", fortunes=_fortunes())

    @app.post("/insert")
    def insert():
        return _insert()

    return app


def create_stack_app() -> Flask:
    """Create the same two endpoints, signed in, with CSRF and translations.

    ``GET /sign-in`` signs the one member in (the harness's login); both
    endpoints then need the session, and ``POST /insert`` its CSRF token.
    """
    app = _database_app()
    app.config["SECRET_KEY"] = os.environ["BENCH_SECRET_KEY"]
    CSRFProtect(app)
    # A parsed Locale, as VAS hands over: Flask-Babel would parse a string
    # on every request.
    Babel(app, locale_selector=lambda: ZH_CN)
    login_manager = LoginManager(app)

    @login_manager.user_loader
    def load_member(member_id: str):
        return db.session.get(Member, int(member_id))

    @app.get("/sign-in")
    def sign_in():
        login_user(db.session.get(Member, 1))
        return render_template("stack_fortunes.html", fortunes=_fortunes())

    @app.get("/fortunes")
    @login_required
    def fortunes():
        return render_template(
            "stack_fortunes.html", fortunes=_fortunes(), member=current_user
        )

    @app.post("/insert")
    @login_required
    def insert():
        return _insert()

    return app


def _database_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_DATABASE_URL"]
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine)
    return app


def _fortunes() -> list[Fortune]:
    rows = list(db.session.scalars(select(Fortune)))
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda fortune: fortune.message)
    return rows


def _insert():
    db.session.add(Event(note="bench", created_at=datetime.now(UTC)))
    db.session.commit()
    return "", 204


def _tune_sqlite(engine) -> None:
    # The same settings VAS runs SQLite with, so the floor is comparable.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


def init() -> None:
    """Create the baseline tables and load the fortunes (idempotent)."""
    app = create_app()
    with app.app_context():
        db.create_all()
        if db.session.scalar(select(Fortune.id).limit(1)) is None:
            db.session.add_all(
                Fortune(id=number, message=message)
                for number, message in enumerate(FORTUNES, 1)
            )
            db.session.commit()
        if db.session.get(Member, 1) is None:
            db.session.add(Member(id=1, name="bench"))
            db.session.commit()


if __name__ == "__main__":
    if sys.argv[1:] != ["init"]:
        sys.exit("usage: python -m bench.baseline init")
    init()
