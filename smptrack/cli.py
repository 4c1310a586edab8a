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
    app.cli.add_command(model_group)
    app.cli.add_command(privacy_group)


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
    click.echo(
        f"Projected {count} clients with model {MODEL_VERSION} "
        "(or their practice's adopted version: smptrack model show)."
    )


# --- The model's constants per practice (FADE-MODEL §10) ---------------------------------


@click.group("model")
def model_group() -> None:
    """A practice's fade-model constants: refit them from its ratings, adopt, revert."""


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _progress(label: str, total: int):
    """A progress bar and the callback that advances it to a count of ``total``."""
    bar = click.progressbar(length=max(total, 1), label=label, show_pos=True, file=sys.stderr)
    done = [0]

    def advance(finished: int, _total: int) -> None:
        bar.update(finished - done[0])
        done[0] = finished

    return bar, advance


def _estimate_line(name: str, unit: str, estimate, default: float) -> str:
    if estimate.low is None or estimate.high is None:
        interval = "no interval (the ratings leave it undetermined)"
    else:
        interval = f"90 % interval {estimate.low:.4g} to {estimate.high:.4g}"
    return f"  {name:<6} {estimate.value:<10.4g} {unit:<9} {interval}  (default {default:.4g})"


def _echo_refit(result) -> None:
    from smptrack.domain import fade

    defaults = fade.DEFAULT_CONSTANTS
    click.echo(
        f"  {result.clients} clients, {result.ratings} healed-phase ratings, "
        f"{result.clients_with_two_ratings} clients with two or more"
    )
    click.echo(_estimate_line("k_bio", "per year", result.k_bio, defaults.k_bio))
    click.echo(_estimate_line("k_uv", "per SED", result.k_uv, defaults.k_uv))
    click.echo(_estimate_line("sigma", "", result.sigma, defaults.sigma))
    if result.correlation is not None:
        click.echo(f"  correlation of the k_bio and k_uv estimates: {result.correlation:+.2f}")


PRACTICE_ID_HELP = "Practice id (smptrack model show lists them)."


@model_group.command("refit")
@click.option(
    "--practice",
    "practice_id",
    type=int,
    default=None,
    help=PRACTICE_ID_HELP,
)
@click.option("--adopt", is_flag=True, help="Adopt the estimate (only with --practice).")
@with_appcontext
def model_refit(practice_id: int | None, adopt: bool) -> None:
    """Estimate k_bio, k_uv and sigma from each practice's healed-phase ratings (90 % intervals).

    Without --practice, every practice. With --adopt, the estimate becomes the practice's model
    version and all its projections and reminders are rebuilt, if the checks allow it.
    """
    from datetime import UTC, datetime

    from smptrack.models import Client
    from smptrack.services import model_versions, refit

    if adopt and practice_id is None:
        _fail("--adopt needs --practice: adopt one practice's estimate at a time.")
    now = datetime.now(UTC)
    try:
        ids = [refit.practice(practice_id).id] if practice_id is not None else refit.practice_ids()
    except ServiceError as exc:
        _fail(exc.message)
    for pid in ids:
        practice = refit.practice(pid)
        click.echo(f"Practice {pid} ({practice.name}):")
        current = model_versions.current_version(pid)
        click.echo(f"  current model: {model_versions.label(current)}")
        try:
            result = refit.run(pid, now)
        except ServiceError as exc:
            if practice_id is not None:
                _fail(exc.message)
            click.echo(f"  {exc.message}")
            continue
        _echo_refit(result)
        if result.adoptable:
            hint = "" if adopt else f" Adopt it with: smptrack model refit --practice {pid} --adopt"
            click.echo(f"  Adoption: offered.{hint}")
        else:
            click.echo("  Adoption: not offered, because:")
            for reason in result.reasons:
                click.echo(f"    - {reason}")
        if adopt:
            if not result.adoptable:
                _fail("the estimate did not pass the checks above; nothing was changed.")
            version = model_versions.propose(pid, result, now, created_by=None)
            total = db.session.scalar(db.select(db.func.count()).where(Client.practice_id == pid))
            bar, advance = _progress("Rebuilding projections", total or 0)
            with bar:
                count = model_versions.adopt(version, now, progress=advance)
            db.session.commit()
            click.echo(f"Adopted {model_versions.label(version)}; {count} clients rebuilt.")


@model_group.command("revert")
@click.option(
    "--practice",
    "practice_id",
    type=int,
    required=True,
    help=PRACTICE_ID_HELP,
)
@with_appcontext
def model_revert(practice_id: int) -> None:
    """Go back to the practice's previous model version (or the defaults), and rebuild."""
    from datetime import UTC, datetime

    from smptrack.models import Client
    from smptrack.services import model_versions, refit

    now = datetime.now(UTC)
    try:
        refit.practice(practice_id)
        total = db.session.scalar(
            db.select(db.func.count()).where(Client.practice_id == practice_id)
        )
        bar, advance = _progress("Rebuilding projections", total or 0)
        with bar:
            version, count = model_versions.revert(practice_id, now, progress=advance)
    except ServiceError as exc:
        db.session.rollback()
        _fail(exc.message)
    db.session.commit()
    click.echo(
        f"Practice {practice_id} now uses {model_versions.label(version)}; {count} clients rebuilt."
    )


@model_group.command("show")
@click.option(
    "--practice",
    "practice_id",
    type=int,
    default=None,
    help=PRACTICE_ID_HELP,
)
@with_appcontext
def model_show(practice_id: int | None) -> None:
    """Each practice's current model version and its constants."""
    from smptrack.services import model_versions, refit

    try:
        ids = [refit.practice(practice_id).id] if practice_id is not None else refit.practice_ids()
    except ServiceError as exc:
        _fail(exc.message)
    for pid in ids:
        constants = model_versions.constants_of(model_versions.current_version(pid))
        click.echo(
            f"Practice {pid}: {constants.label}: k_bio {constants.k_bio:.4g}, "
            f"k_uv {constants.k_uv:.4g}, sigma {constants.sigma:.4g}"
        )


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


@click.group("privacy")
def privacy_group() -> None:
    """Erasure requests and the practice's record retention."""


@privacy_group.command("erase-due")
@with_appcontext
def erase_due_command() -> None:
    """Erase the treatment records whose client asked for erasure and whose practice's retention
    period has ended (the scheduler's sweep, on demand; safe to run at any time)."""
    from datetime import UTC, datetime

    from smptrack.sending.retention_sweep import erase_due_records

    count = erase_due_records(current_app._get_current_object(), datetime.now(UTC))  # type: ignore[attr-defined]
    click.echo(f"Erased {count} record{'' if count == 1 else 's'} whose retention had ended.")


if __name__ == "__main__":
    main()
