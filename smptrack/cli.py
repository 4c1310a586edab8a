"""The ``smptrack`` console commands."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from smptrack.extensions import db
from smptrack.services.errors import ServiceError


def _create_app() -> Flask:
    from smptrack.app import create_app

    return create_app()


def main() -> None:
    """Console entry point: Flask's command group built on our factory (``db`` included)."""
    cli = FlaskGroup(create_app=_create_app, add_default_commands=True, set_debug_flag=False)
    cli.help = "smptrack: records, fade projections and reminders for SMP practices."
    cli(prog_name="smptrack")


def register_app_commands(app: Flask) -> None:
    app.cli.add_command(serve)
    app.cli.add_command(create_user)
    app.cli.add_command(projections_group)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(reminders_group)


def apply_migrations() -> None:
    from flask_migrate import upgrade

    upgrade()


@click.command("serve")
@click.option("--demo", is_flag=True, help="Create demo logins and clients (once) and print them.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Do not send reminders from this process (run `smptrack scheduler` instead).",
)
@with_appcontext
def serve(demo: bool, host: str, port: int, no_scheduler: bool) -> None:
    """Apply migrations and run smptrack on this machine (SQLite in the instance folder).

    Unless --no-scheduler, the reminder sweeps run in a background thread of this process.
    """
    from datetime import UTC, datetime

    from smptrack.sending import scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    apply_migrations()
    if not app.config.get("BASE_URL"):
        # Links in emails (unsubscribe, "your reminders") point at this server.
        app.config["BASE_URL"] = f"http://{host}:{port}"
    if demo:
        from smptrack.services import projections
        from smptrack.services.demo import ensure_demo_data
        from smptrack.services.reminder_demo import ensure_demo_reminders

        now = datetime.now(UTC)
        result = ensure_demo_data(now)
        projections.refresh_stale(now)  # the unit of work's step: project what was seeded
        db.session.commit()
        ensure_demo_reminders(datetime.now(UTC))
        db.session.commit()
        click.echo("Demo data " + ("created." if result.created else "already present."))
        for role, email, password in result.logins:
            click.echo(f"  {role:<13} {email}  password: {password}")
    click.echo(f"smptrack is running at http://{host}:{port}/  (Ctrl+C to stop)")
    click.echo(f"Instance folder: {app.instance_path}")
    if not app.config.get("SMTP_HOST"):
        click.echo(f"Emails are written as .eml files into {app.config['MAIL_FOLDER']}")
    background = None
    if not no_scheduler:
        background = scheduler.start_background(app)
        click.echo("Reminders: sent from this process (use --no-scheduler to turn off).")
    # Werkzeug's threaded server: right for one machine and a handful of users. Production runs
    # gunicorn (see the README). Flask's app.run() refuses to run inside a CLI command.
    from werkzeug.serving import run_simple

    _stop_on_sigterm()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        if background is not None:
            scheduler.stop_background(*background)  # finishes the message in flight


def _stop_on_sigterm() -> None:
    """SIGTERM stops ``serve`` as Ctrl+C does: Werkzeug's loop ends on KeyboardInterrupt."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@click.command("create-user")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["client", "practitioner", "admin"]),
    help="What the account may do.",
)
@click.option("--email", required=True, help="The login email.")
@click.option("--name", "display_name", default=None, help="Display name (default: the email).")
@click.option("--time-zone", default="UTC", show_default=True, help="IANA time zone.")
@with_appcontext
def create_user(role: str, email: str, display_name: str | None, time_zone: str) -> None:
    """Create a login. The password is asked for, never taken as an argument."""
    from smptrack.services import accounts

    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(
            email=email,
            password=password,
            role=role,
            display_name=display_name or email,
            time_zone=time_zone,
        )
        if role == "client":
            from smptrack.models import Client

            db.session.add(
                Client(
                    user_id=user.id,
                    display_name=user.display_name,
                    email=user.email,
                    time_zone=time_zone,
                )
            )
        from datetime import UTC, datetime

        from smptrack.services import projections

        projections.refresh_stale(datetime.now(UTC))
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
        click.echo(f"Error: {detail}", err=True)
        sys.exit(1)
    click.echo(f"Created {role} {user.email} (id {user.id}).")


@click.group("projections")
def projections_group() -> None:
    """The materialised fade projections."""


@projections_group.command("rebuild")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def rebuild_projections(batch_size: int) -> None:
    """Recompute every client's projection (after a model upgrade), with a progress bar."""
    from datetime import UTC, datetime

    from smptrack.domain.fade import MODEL_VERSION
    from smptrack.services import projections

    total = db.session.scalar(db.select(db.func.count()).select_from(projections.Client)) or 0
    with click.progressbar(length=total, label="Projecting clients", show_pos=True) as bar:
        done = [0]

        def advance(finished: int, _total: int) -> None:
            bar.update(finished - done[0])
            done[0] = finished

        count = projections.rebuild_all(datetime.now(UTC), batch_size=batch_size, progress=advance)
    click.echo(f"Projected {count} clients with model {MODEL_VERSION}.")


# --- Reminders ----------------------------------------------------------------------------


def _log_to_stderr() -> None:
    import logging

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Send reminders: the sweeps in the foreground until SIGTERM (one per machine or more).

    Sweeps: send due reminders, return expired leases, replan every client once a day. On
    SIGTERM or Ctrl+C the message in flight is finished and recorded, then it exits.
    """
    from smptrack.sending import scheduler
    from smptrack.sending.settings import base_url

    _log_to_stderr()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not str(base_url(app.config)).startswith("https://"):
        click.echo(
            "Note: BASE_URL is not https://, so reminders carry no one-click unsubscribe "
            "header (RFC 8058 needs HTTPS).",
            err=True,
        )
    scheduler.run_scheduler(app)


@click.group("reminders")
def reminders_group() -> None:
    """The reminder outbox."""


@reminders_group.command("send-due")
@with_appcontext
def send_due_command() -> None:
    """One sweep: return expired leases and send every due reminder (for cron)."""
    from smptrack.sending import scheduler

    _log_to_stderr()
    result = scheduler.run_once(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Reminders: {result.summary()}.")


@reminders_group.command("status")
@with_appcontext
def status_command() -> None:
    """Count the reminders by status, and say when each sweep last ran."""
    from datetime import UTC, datetime

    from smptrack.services import heartbeats
    from smptrack.services.reminders import STATUS_LABELS, status_counts

    counts = status_counts()
    width = max(len(s) for s in counts)
    for status, count in counts.items():
        click.echo(f"{status:<{width}}  {count:>8}   {STATUS_LABELS[status]}")
    click.echo(f"{'total':<{width}}  {sum(counts.values()):>8}")
    now = datetime.now(UTC)
    beats = heartbeats.heartbeats()
    for name in heartbeats.HEARTBEATS:
        row = beats.get(name)
        when = f"{int((now - row.beat_at).total_seconds())} s ago" if row is not None else "never"
        click.echo(f"last {name}: {when}")


@reminders_group.command("replan")
@with_appcontext
def replan_command() -> None:
    """Re-project every client and replan their reminders now (the daily sweep, on demand)."""
    from datetime import UTC, datetime

    from smptrack.sending.replan import replan_all

    count = replan_all(datetime.now(UTC))
    click.echo(f"Replanned {count} clients.")


if __name__ == "__main__":
    main()
