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


def apply_migrations() -> None:
    from flask_migrate import upgrade

    upgrade()


@click.command("serve")
@click.option("--demo", is_flag=True, help="Create demo logins and clients (once) and print them.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@with_appcontext
def serve(demo: bool, host: str, port: int) -> None:
    """Apply migrations and run smptrack on this machine (SQLite in the instance folder)."""
    from datetime import UTC, datetime

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    apply_migrations()
    if demo:
        from smptrack.services.demo import ensure_demo_data

        result = ensure_demo_data(datetime.now(UTC))
        db.session.commit()
        click.echo("Demo data " + ("created." if result.created else "already present."))
        for role, email, password in result.logins:
            click.echo(f"  {role:<13} {email}  password: {password}")
    click.echo(f"smptrack is running at http://{host}:{port}/  (Ctrl+C to stop)")
    click.echo(f"Instance folder: {app.instance_path}")
    # Werkzeug's threaded server: right for one machine and a handful of users. Production runs
    # gunicorn (see the README). Flask's app.run() refuses to run inside a CLI command.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


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

        count = projections.rebuild_all(
            datetime.now(UTC), batch_size=batch_size, progress=advance
        )
    click.echo(f"Projected {count} clients with model {MODEL_VERSION}.")


if __name__ == "__main__":
    main()
