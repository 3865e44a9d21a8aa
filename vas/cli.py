"""Command-line jobs: ``flask --app wsgi vas …``. Each job commits once."""

import click
from flask.cli import AppGroup

from vas.extensions import db
from vas.services import accounts
from vas.services import demo
from vas.services.errors import VasError

cli = AppGroup("vas", help="VAS administration jobs.")


@cli.command("demo")
@click.option(
    "--force", is_flag=True, help="Load into a database the demo did not create."
)
def load_demo(force: bool) -> None:
    """Load or refresh the demo data (idempotent)."""
    try:
        demo.load(force=force)
        db.session.commit()
    except demo.DemoRefused as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc

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
