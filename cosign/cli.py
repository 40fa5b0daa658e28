"""``flask --app wsgi cosign ...`` commands, thin over the services."""
from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from cosign import accounts, demo
from cosign.extensions import db

cosign_cli = AppGroup("cosign", help="cosign administration.")


@cosign_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="The coordinator's name as others see it.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of a prompt.")
def create_user(email: str, name: str, password_stdin: bool) -> None:
    """Create a coordinator account (the password is asked for, never an argument)."""
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(db.session, email, name, password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created coordinator {user.email} ({user.name}).")


@cosign_cli.command("demo")
def load_demo() -> None:
    """Load the demo statement if the database is empty; print the demo login."""
    login = demo.load_if_empty(db.session, demo.credentials_file())
    if login is None:
        click.echo("The database has statements already; no demo loaded.")
        return
    email, password, created = login
    click.echo("")
    click.echo("  " + ("Demo loaded." if created else "Demo already loaded."))
    port = os.environ.get("PORT", "5000")
    click.echo(f"  Log in at http://127.0.0.1:{port}/login")
    click.echo(f"    e-mail:   {email}")
    click.echo(f"    password: {password}")
    click.echo("")


@cosign_cli.command("tick")
def tick() -> None:
    """Periodic work: close statements past their deadline, retry due e-mails.

    Run it every minute from cron or a systemd timer (see README).
    """
    from flask import current_app

    from cosign import mail, signing

    closed = signing.close_expired(db.session)
    sent = mail.deliver_due(db.session, current_app.config)
    click.echo(f"closed {closed} statement(s) past their deadline; sent {sent} e-mail(s)")


def init_app(app: Flask) -> None:
    app.cli.add_command(cosign_cli)
