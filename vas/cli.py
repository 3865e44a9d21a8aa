"""Command-line jobs: ``flask --app wsgi vas …``. Each job commits once."""

import logging

import click
from flask.cli import AppGroup

from vas.extensions import db
from vas.services import accounts
from vas.services import clock
from vas.services import demo
from vas.services import demo_scale
from vas.services import mail
from vas.services import sync as sync_steps
from vas.services import tickets
from vas.services.errors import VasError

logger = logging.getLogger(__name__)

cli = AppGroup("vas", help="VAS administration jobs.")


@cli.command("demo")
@click.option(
    "--force", is_flag=True, help="Load into a database the demo did not create."
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Also add N x (200,000 customers, 1,000,000 servers and subscriptions, "
    "2,000,000 tickets, 5,000,000 ledger entries); once per database.",
)
def load_demo(force: bool, scale: float | None) -> None:
    """Load or refresh the demo data (idempotent); ``--scale`` adds bulk data."""
    try:
        demo.load(force=force)
        if scale is not None:
            sizes = demo_scale.generate(scale)
        db.session.commit()
    except (demo.DemoRefused, demo_scale.ScaleRefused) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc

    if scale is not None:
        click.echo(
            f"Added {sizes.customers} customers, {sizes.servers} servers and "
            f"subscriptions, {sizes.tickets} tickets, {sizes.ledger} ledger entries."
        )

    click.echo("Demo data is loaded. Sign in at http://127.0.0.1:5000 with:")
    for email, _name, role, _push in demo.STAFF:
        click.echo(f"  {role:<9} {email:<22} {demo.DEMO_PASSWORD}")
    for email, _name, _balance in demo.CUSTOMERS:
        click.echo(f"  {'customer':<9} {email:<22} {demo.DEMO_PASSWORD}")


@cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True, default="Administrator")
@click.password_option()
def create_admin(email: str, name: str, password: str) -> None:
    """Create an admin account for a real installation."""
    try:
        user = accounts.create_user(
            email=email, name=name, password=password, role="admin"
        )
        db.session.commit()
    except VasError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Admin {user.email} created with ID {user.id}.")


@cli.command("sync")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if it were this day (provider's time zone); for catching up.",
)
def sync(today) -> None:
    """Run the periodic steps (cron; safe to run twice at once).

    Applies due auto-renewals, expires servers past their due date with
    their subscriptions, repairs any subscription that left its server's
    expiry or status (S1), and auto-closes answered tickets gone quiet.
    Each step commits on its own.
    """
    day = today.date() if today else clock.today()
    report = sync_steps.SyncReport()
    steps = (
        ("auto-renewals", lambda: sync_steps.apply_auto_renewals(day, report)),
        ("expiries", lambda: sync_steps.expire_overdue(day, report)),
        ("subscription repairs", lambda: sync_steps.repair_subscriptions(day, report)),
    )
    for name, step in steps:
        try:
            step()
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("sync step %s failed; its changes were rolled back", name)
            raise
    try:
        closed = tickets.auto_close_answered()
        db.session.commit()
    except Exception:
        db.session.rollback()
        logger.exception("sync step ticket auto-close failed; rolled back")
        raise
    sent, failed = _deliver_mail()

    logger.info(
        "sync %s: renewed %s, not renewed %s, expired %s, repaired %s, closed %s",
        day,
        report.renewed,
        sorted(report.not_renewed),
        report.expired,
        report.repaired,
        closed,
    )
    click.echo(
        f"Renewed {len(report.renewed)} server(s), "
        f"{len(report.not_renewed)} not renewed; "
        f"expired {len(report.expired)}; "
        f"repaired {len(report.repaired)} subscription(s); "
        f"auto-closed {len(closed)} answered ticket(s); "
        f"sent {sent} mail(s), {failed} failed."
    )


@cli.command("send-mail")
def send_mail() -> None:
    """Deliver the mail outbox (also done by ``sync``); failures are retried."""
    sent, failed = _deliver_mail()
    click.echo(f"Sent {sent} mail(s), {failed} failed.")


def _deliver_mail() -> tuple[int, int]:
    """Deliver the outbox in batches, committing each batch."""
    sent = failed = 0
    while True:
        try:
            batch_sent, batch_failed = mail.deliver_outbox()
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("mail delivery failed; rolled back")
            raise
        sent, failed = sent + batch_sent, failed + batch_failed
        if batch_sent == 0:
            return sent, failed
