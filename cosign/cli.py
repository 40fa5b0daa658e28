"""``flask --app wsgi cosign ...`` commands, thin over the services."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from cosign import (
    accounts,
    archives,
    backup,
    demo,
    digest,
    distribution,
    doctor,
    jobs,
    mail,
    pdfs,
    publishing,
    queue,
    retention,
    signing,
    verification,
)
from cosign.core.pdf import RenderError
from cosign.extensions import db
from cosign.models import Statement

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
        user = accounts.create_user(db.session(), email, name, password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created coordinator {user.email} ({user.name}).")


@cosign_cli.command("demo")
def load_demo() -> None:
    """Load the demo statement if the database is empty; print the demo login."""
    login = demo.load_if_empty(db.session(), demo.credentials_file())
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


@cosign_cli.command("render")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Where to write the PDF.")
def render(slug: str, output: str) -> None:
    """Render (or take from the cache) the PDF of a statement and write it to a file."""
    statement = db.session.scalar(select(Statement).where(Statement.slug == slug))
    if statement is None or statement.signed_revision is None:
        raise click.ClickException(f"No statement open for signature has the address {slug!r}.")
    try:
        issued = pdfs.issue(db.session(), statement, current_app.config)
    except RenderError as exc:
        raise click.ClickException(f"The PDF could not be rendered: {exc}") from exc
    data = pdfs.file_path(current_app.config, issued).read_bytes()
    with open(output, "wb") as handle:
        handle.write(data)
    click.echo(f"Wrote {output}: {issued.signatory_count} signatories, text version "
               f"{issued.revision}, verification code {issued.code}, SHA-256 {issued.sha256}")


@cosign_cli.command("keygen")
@click.option("--force", is_flag=True, help="Replace an existing key and certificate.")
def keygen(force: bool) -> None:
    """Create the site's PDF signing key and self-signed certificate."""
    # deferred: OpenSSL's bindings take 50 ms to import; of the web app's commands only this
    # one needs them
    from cosign import certification

    key = Path(current_app.config["COSIGN_SIGNING_KEY"])
    cert = Path(current_app.config["COSIGN_SIGNING_CERT"])
    if key.parent != cert.parent:
        raise click.ClickException(
            "COSIGN_SIGNING_KEY and COSIGN_SIGNING_CERT must share a folder.")
    try:
        key_path, cert_path = certification.generate_key(
            key.parent, common_name=current_app.config["COSIGN_SITE_NAME"], force=force)
    except (FileExistsError, certification.CertificationError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {key_path} (keep it secret) and {cert_path}.")
    click.echo("Issued PDFs are now certified; publish the certificate so readers can check them.")


@cosign_cli.command("verify")
@click.argument("file", type=click.File("rb"))
def verify(file) -> None:
    """Check a PDF: exactly one this site issued (its SHA-256 against the issued-PDF
    records), with its certification whole (no incremental update but archive timestamps,
    no byte after the last revision) and, when timestamped, valid for the long term
    (PAdES B-LTA, offline). Exits with 1 unless the file is genuine."""
    check = verification.check_file(db.session(), file.read(), current_app.config)
    for line in check.lines():
        click.echo(line)
    if not check.ok:
        sys.exit(1)


@cosign_cli.command("refresh-timestamps")
@click.option("--within-days", type=click.IntRange(min=0), default=None,
              help="Extend archives whose authority certificate expires within this many days "
                   "(default COSIGN_ARCHIVE_RENEW_DAYS, 180).")
def refresh_timestamps(within_days: int | None) -> None:
    """Extend the archive timestamps of issued PDFs (PAdES B-LTA) before the time-stamping
    authority's certificate expires; PDFs certified without a timestamp get their first.
    Run it daily from cron (see README). Exits with 1 if any PDF could not be extended."""
    config = current_app.config
    if not config.get("COSIGN_TSA_URL"):
        raise click.ClickException("No time-stamping authority: set COSIGN_TSA_URL.")
    days = config["COSIGN_ARCHIVE_RENEW_DAYS"] if within_days is None else within_days
    failed = 0
    due = archives.due(db.session(), within_days=days)
    for issued_id in due:
        result = archives.extend(db.session(), issued_id, config)
        until = f", good until {result.archive_until:%Y-%m-%d}" if result.archive_until else ""
        click.echo(f"{result.code}: {result.message}{until}")
        failed += not result.ok
    click.echo(f"{len(due) - failed} of {len(due)} archive(s) extended.")
    if failed:
        sys.exit(1)


@cosign_cli.command("tick")
def tick() -> None:
    """Periodic work: publish statements whose embargo has ended (and run press
    distributions that never ran), close statements past their deadline, erase
    contact data past the retention period, queue the coordinators' daily digests of
    sign-ons waiting for moderation, render wanted PDFs, send due e-mails.

    Run it every minute from cron or a systemd timer (see README).
    """
    config = current_app.config
    published = publishing.publish_due(db.session())  # queues the press mail after commit
    distribution.sweep(db.session(), config)
    closed = signing.close_expired(db.session())
    erased = retention.erase_expired_contacts(db.session(), config)
    digests = digest.send_due(db.session(), config)
    rendered = 0
    for statement_id in pdfs.wanted(db.session()):
        rendered += pdfs.render_wanted(db.session(), statement_id, config, force=True) is not None
    sent = mail.deliver_due(db.session(), config)
    click.echo(f"published {published} statement(s); closed {closed} statement(s) past their "
               f"deadline; erased contact data of {erased} signature(s); queued {digests} daily "
               f"digest(s); rendered {rendered} "
               f"PDF(s); sent {sent} e-mail(s)")


@cosign_cli.command("doctor")
def doctor_command() -> None:
    """Check the configuration, database, fonts, Redis and mail server; say what is wrong.

    One line per check: OK, WARNING or PROBLEM. Exits with 1 when there is a PROBLEM.
    """
    findings = doctor.run(current_app.config, db.engine)
    for finding in findings:
        click.echo(finding.line())
    problems = sum(f.level == doctor.PROBLEM for f in findings)
    warnings = sum(f.level == doctor.WARNING for f in findings)
    click.echo(f"{problems} problem(s), {warnings} warning(s).")
    db.engine.dispose()
    if problems:
        sys.exit(1)


@cosign_cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup_command(file: str, force: bool) -> None:
    """Copy the SQLite database to FILE while the site runs (PostgreSQL: use pg_dump)."""
    try:
        info = backup.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file, overwrite=force)
    except backup.UsePgDump as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {info.path} ({info.size} bytes): {info.statements} statement(s), "
               f"{info.signatures} signature(s), schema revision {info.revision}.")


@cosign_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
def restore_command(file: str) -> None:
    """Restore an SQLite backup FILE onto the configured database, which must be empty."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()  # no connection of ours holds the file open
    try:
        info = backup.restore(file, url)
    except backup.UsePgDump as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {info.statements} statement(s) and {info.signatures} signature(s) "
               f"from {file} (schema revision {info.revision}).")
    if info.revision not in doctor.migration_heads():
        click.echo("The backup is from an older schema: now run flask --app wsgi db upgrade.")


@cosign_cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queues are empty (after one sweep).")
@click.option("--queues", "-q", "queue_names", multiple=True, metavar="NAMES",
              help="Queues to work on, comma-separated or repeated: mail, default, pdf "
                   "(default: all three, in that order).")
@click.option("--exit-with-parent", is_flag=True,
              help="Stop when the process that started this one ends (used by `make run`).")
def worker_command(burst: bool, queue_names: tuple[str, ...], exit_with_parent: bool) -> None:
    """Run the background work: PDF renders, press distribution, publication, e-mail.

    With REDIS_URL: jobs from the Redis queues, on any number of hosts; the
    periodic work of `tick` every minute (one worker per site at a time); while
    Redis is down it sends due mail and renders PDFs from the database, and
    goes back to the queues when Redis answers (it does not exit). Without it
    (the embedded default, started by `make run`): one worker on the machine
    polls the database for PDFs to render and runs the periodic work every few
    seconds. SIGTERM or Ctrl+C: finish the current job, then stop.
    """
    embedded = not queue.enabled(current_app.config)
    if embedded and queue_names:
        raise click.BadParameter("queues exist only with REDIS_URL", param_hint="--queues")
    try:
        names = [] if embedded else queue.chosen(queue_names)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--queues") from exc
    cosign_log = logging.getLogger("cosign")
    if not logging.getLogger().handlers:  # a plain process: cosign's lines on stderr, next to RQ's
        if not cosign_log.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
            cosign_log.addHandler(handler)
        if cosign_log.level == logging.NOTSET:
            cosign_log.setLevel(logging.INFO)
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    if embedded:
        parent = os.getppid()
        jobs.work_embedded(app, burst=burst, should_stop=(lambda: os.getppid() != parent)
                           if exit_with_parent else None)
        return
    try:
        jobs.work(app, names, burst=burst)
    except queue.QueueUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def init_app(app: Flask) -> None:
    app.cli.add_command(cosign_cli)
