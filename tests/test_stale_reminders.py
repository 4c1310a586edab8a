"""Reminders past their moment are skipped, never sent (issue 9 item 4).

Each planned reminder carries ``stale_after`` (the end of the client's local day after which it
no longer makes sense); a sender that claims one later marks it ``skipped`` with the reason. The
SMTP server is real: what it receives is what was sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

from smptrack.domain import protocol
from smptrack.extensions import db
from smptrack.models import Client, Placement, Reminder, TreatmentSession
from smptrack.services import reminders as reminder_service
from tests.conftest import Personas, log_in
from tests.test_worker import NOW, sweep

LONDON = ZoneInfo("Europe/London")


def record_session(client: Client, day: date) -> None:
    """A session of an initial series, and the plan it makes, committed as one unit of work."""
    treatment = TreatmentSession(client_id=client.id, performed_on=day, kind="initial")
    treatment.placements.append(Placement(zone="crown", pigment_free_text="carbon SMP pigment"))
    db.session.add(treatment)
    db.session.flush()
    reminder_service.plan_reminders(client, NOW)
    db.session.commit()


def _rows(client_id: int) -> list[Reminder]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Reminder).where(Reminder.client_id == client_id).order_by(Reminder.id)
        )
    )


def test_an_aftercare_step_goes_stale_at_the_end_of_its_last_local_day():
    latest = protocol.SessionFact(id=1, day=date(2026, 7, 1), kind="initial")
    day0 = next(
        p
        for p in protocol.plan(7, [latest], protocol.ProjectionFacts(), as_of=date(2026, 7, 1))
        if p.kind == "aftercare" and p.details["day"] == 0
    )
    # Worth sending until the day-4 step is due: stale from local midnight that day (BST).
    assert day0.send_until == date(2026, 7, 4)
    assert day0.stale_after(LONDON) == datetime(2026, 7, 4, 23, 0, tzinfo=UTC)


def test_a_touch_up_never_goes_stale():
    item = protocol.PlannedReminder(
        kind="touch_up", key="k", on=date(2026, 1, 1), send_until=date.max
    )
    assert item.stale_after(LONDON) is None


def test_planned_rows_carry_their_moment(app: Flask, personas: Personas):
    record_session(personas.record_a, NOW.date())
    rows = {r.dedupe_key.rsplit(":", 1)[-1]: r for r in _rows(personas.record_a.id)}
    assert rows["day-0"].stale_after == datetime(2026, 3, 6, 0, 0, tzinfo=UTC)  # GMT, end of day 3
    assert rows["session-2"].stale_after == datetime(2026, 3, 13, 0, 0, tzinfo=UTC)  # day 10


def test_reminders_whose_moment_passed_while_no_scheduler_ran_are_skipped_not_sent(
    sending: Flask,
    smtp,
    client,
    personas: Personas,
):
    record = personas.record_a
    record_session(record, NOW.date())  # plans aftercare, next session, healed check, ...
    planned = _rows(record.id)
    stale_kinds = {"aftercare", "next_session"}
    assert {r.kind for r in planned} >= stale_kinds | {"healed_check"}

    # No scheduler ran for 30 days: the aftercare steps and the next-session reminder are
    # past their moment; the healed check (day 28, worth sending for 14 more days) is not.
    result = sweep(sending, NOW + timedelta(days=30))

    rows = _rows(record.id)
    skipped = [r for r in rows if r.status == "skipped"]
    sent = [r for r in rows if r.status == "sent"]
    assert {r.kind for r in skipped} == stale_kinds
    assert len(skipped) == len([r for r in planned if r.kind in stale_kinds])
    assert result.skipped == len(skipped)
    for row in skipped:
        assert row.last_error == protocol.STALE_REASONS[row.kind]
        assert row.sent_at is None and row.message_id is None and row.attempts == 0
    assert any(r.kind == "healed_check" for r in sent)
    # The SMTP server got exactly the sent ones, none of the skipped.
    assert sorted(smtp.message_ids()) == sorted(r.message_id for r in sent)

    # The practitioner's view of the client's reminders shows them, with the reason.
    body = (
        log_in(client, personas.practitioner_p)
        .get(f"/clients/{record.id}/reminders")
        .get_data(as_text=True)
    )
    assert "skipped (too late)" in body
    assert protocol.STALE_REASONS["aftercare"] in body
    assert protocol.STALE_REASONS["next_session"] in body


def test_reminders_status_counts_the_skipped(app: Flask, personas: Personas):
    record_session(personas.record_a, NOW.date())
    first = _rows(personas.record_a.id)[0]
    first.status, first.last_error = "skipped", protocol.STALE_REASONS[first.kind]
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["reminders", "status"]).output
    assert "skipped" in output and "skipped (too late)" in output
