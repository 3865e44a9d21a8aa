"""The floor: a bare Flask + Flask-SQLAlchemy + Jinja app on the same database.

``GET /fortunes`` reads a dozen rows, adds one in memory, sorts and renders
them (the classic "fortunes" shape); ``POST /insert`` inserts one row and
commits. VAS pages are measured as a ratio to these two.

    BENCH_DATABASE_URL=sqlite:////tmp/base.db python -m bench.baseline init
    gunicorn -w 2 'bench.baseline:create_app()'
"""

import os
import sys
from datetime import UTC
from datetime import datetime

from flask import Flask
from flask import render_template
from flask_sqlalchemy import SQLAlchemy
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


def create_app() -> Flask:
    """Create the baseline app on ``BENCH_DATABASE_URL``."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_DATABASE_URL"]
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _tune_sqlite(db.engine)

    @app.get("/fortunes")
    def fortunes():
        rows = list(db.session.scalars(select(Fortune)))
        rows.append(Fortune(id=0, message="Additional fortune added at request time."))
        rows.sort(key=lambda fortune: fortune.message)
        return render_template("fortunes.html", fortunes=rows)

    @app.post("/insert")
    def insert():
        db.session.add(Event(note="bench", created_at=datetime.now(UTC)))
        db.session.commit()
        return "", 204

    return app


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


if __name__ == "__main__":
    if sys.argv[1:] != ["init"]:
        sys.exit("usage: python -m bench.baseline init")
    init()
