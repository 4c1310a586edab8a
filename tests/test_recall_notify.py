"""A recall that acts (issue 13 item 7): the trace grouped per client with how to reach them,
a reviewed notice to each client through the account-mail outbox, audited, and a CSV in words.

Page outcomes are read from committed rows, through a connection of their own.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from smptrack.extensions import db
from smptrack.models import AccountMail, AuditEvent, ReminderPreference
from smptrack.services import recall
from smptrack.services.errors import Conflict, NotFound
from tests.conftest import OwnContextClient, Personas, log_in, make_client, make_user
from tests.outbox import send_account_mail
from tests.smtp_server import SmtpServer
from tests.test_catalogue import add_pigment_with_lot, record

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def committed(statement: sa.Executable) -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(connection.execute(statement))


def outbox() -> list[sa.Row]:
    return committed(
        sa.select(AccountMail.recipient, AccountMail.template, AccountMail.client_id)
        .where(AccountMail.template == "recall_notice")
        .order_by(AccountMail.recipient)
    )


def notice_lines(object_type: str) -> list[sa.Row]:
    return committed(
        sa.select(AuditEvent.client_id, AuditEvent.object_id, AuditEvent.actor_id)
        .where(AuditEvent.object_type == object_type, AuditEvent.action == "create")
        .order_by(AuditEvent.id)
    )


@pytest.fixture
def trace(personas: Personas) -> dict:
    """Lot L-100 went into Ada (twice, three zones; her login's email is a@clients.test), Cy
    (record email only) and Eve (no email at all); Dee had another lot; Q's client a lot of Q."""
    p, q = personas.practitioner_p, personas.practitioner_q
    lot = add_pigment_with_lot(p)
    other = add_pigment_with_lot(p, brand="Other Brand", lot_number="L-200")
    lot_q = add_pigment_with_lot(q)
    ada = personas.record_a
    ada.email = "old-ada@record.test"  # the login's address is the current one
    cy = make_client(p, "Cy Client", email="cy@example.com")
    dee = make_client(p, "Dee Client", email="dee@example.com")
    eve = make_client(p, "Eve Client", email=None)
    record(p, ada, date(2026, 1, 10), ("frontal_hairline", lot.id), ("crown", lot.id))
    record(p, ada, date(2026, 3, 2), ("crown", lot.id), ("scar_strip", lot.id))
    record(p, cy, date(2026, 2, 1), ("mid_scalp", lot.id))
    record(p, eve, date(2026, 2, 3), ("crown", lot.id))
    record(p, dee, date(2026, 2, 5), ("crown", other.id))
    record(q, personas.record_b, date(2026, 2, 5), ("crown", lot_q.id))
    db.session.commit()
    return {"lot": lot.id, "lot_q": lot_q.id, "ada": ada.id, "cy": cy.id, "eve": eve.id}


# --- grouping --------------------------------------------------------------------------------


def test_the_trace_lists_each_client_once_with_zones_in_words_and_session_dates(
    personas: Personas, trace: dict
) -> None:
    lot, clients = recall.recall_clients(personas.practitioner_p, trace["lot"])
    assert lot.lot_number == "L-100"
    assert [(c.name, c.email, c.zone_labels, c.session_dates, c.placements) for c in clients] == [
        (
            "Ada Client",
            "a@clients.test",
            ("Frontal hairline", "Crown", "Strip scar"),
            (date(2026, 1, 10), date(2026, 3, 2)),
            4,
        ),
        ("Cy Client", "cy@example.com", ("Mid-scalp",), (date(2026, 2, 1),), 1),
        ("Eve Client", None, ("Crown",), (date(2026, 2, 3),), 1),
    ]


def test_another_practices_lot_is_not_found(personas: Personas, trace: dict) -> None:
    with pytest.raises(NotFound):
        recall.recall_clients(personas.practitioner_p, trace["lot_q"])


def test_the_page_shows_one_row_per_client_paginated(
    app: Flask, client: FlaskClient, personas: Personas, trace: dict
) -> None:
    app.config["PAGE_SIZE"] = 2
    log_in(client, personas.practitioner_p)
    first = client.get(f"/lots/{trace['lot']}/recall").get_data(as_text=True)
    assert "3 clients received this lot, in 6 placements" in first
    assert first.count('scope="row"') == 2
    assert "Ada Client" in first and "Frontal hairline, Crown, Strip scar" in first
    assert "frontal_hairline" not in first
    assert "old-ada@record.test" not in first and "a@clients.test" in first
    second = client.get(f"/lots/{trace['lot']}/recall?page=2").get_data(as_text=True)
    assert second.count('scope="row"') == 1
    assert "Eve Client" in second and "No email: reach them another way" in second
    assert "Dee Client" not in first + second


def test_the_csv_has_a_header_of_words_zone_names_and_iso_dates(
    client: FlaskClient, personas: Personas, trace: dict
) -> None:
    response = log_in(client, personas.practitioner_p).get(f"/lots/{trace['lot']}/recall.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        ["Client", "Email", "Zones", "Session dates", "Placements"],
        ["Ada Client", "a@clients.test", "Frontal hairline; Crown; Strip scar",
         "2026-01-10; 2026-03-02", "4"],
        ["Cy Client", "cy@example.com", "Mid-scalp", "2026-02-01", "1"],
        ["Eve Client", "", "Crown", "2026-02-03", "1"],
    ]  # fmt: skip


# --- notifying -------------------------------------------------------------------------------


def notify_path(trace: dict) -> str:
    return f"/lots/{trace['lot']}/recall/notify"


def seen_last_of(html: str) -> str:
    match = re.search(r'name="seen_last"[^>]*value="([^"]*)"', html) or re.search(
        r'value="([^"]*)"[^>]*name="seen_last"', html
    )
    return match.group(1) if match else ""


def test_the_notice_is_written_previewed_then_sent_once_per_reachable_client(
    client: FlaskClient, personas: Personas, trace: dict
) -> None:
    log_in(client, personas.practitioner_p)
    written = client.get(notify_path(trace)).get_data(as_text=True)
    assert "lot L-100" in written and "being recalled" in written  # the prefilled message
    assert outbox() == []

    message = "Please book a check of your scalp.\nCall us."
    preview = client.post(notify_path(trace), data={"message": message, "preview": "Preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2 recipients" in html and "a@clients.test" in html and "cy@example.com" in html
    assert "Not emailed (no address): Eve Client" in html
    assert outbox() == [], "a preview sends nothing"

    sent = client.post(
        notify_path(trace),
        data={"message": message, "seen_last": seen_last_of(html), "send": "Send"},
    )
    assert sent.status_code == 302
    assert outbox() == [
        ("a@clients.test", "recall_notice", trace["ada"]),
        ("cy@example.com", "recall_notice", trace["cy"]),
    ]
    p = personas.practitioner_p.id
    assert notice_lines("recall_notify") == [(None, trace["lot"], p)]
    assert sorted(notice_lines("recall_notice")) == sorted(
        [(trace["ada"], trace["lot"], p), (trace["cy"], trace["lot"], p)]
    )
    [context] = committed(
        sa.select(AccountMail.context).where(AccountMail.recipient == "a@clients.test")
    )
    assert context[0]["message"] == message
    assert context[0]["zones"] == ["Frontal hairline", "Crown", "Strip scar"]
    assert context[0]["session_dates"] == ["2026-01-10", "2026-03-02"]


def test_a_second_notice_for_the_lot_asks_for_confirmation_and_shows_when_the_last_went(
    client: FlaskClient, personas: Personas, trace: dict
) -> None:
    p = personas.practitioner_p
    recall.notify(p, trace["lot"], "First notice.", seen_last=None, confirmed_again=False, now=NOW)
    db.session.commit()
    log_in(client, p)

    page = client.get(f"/lots/{trace['lot']}/recall").get_data(as_text=True)
    assert "last went out on" in page
    preview = client.post(notify_path(trace), data={"message": "Again.", "preview": "Preview"})
    html = preview.get_data(as_text=True)
    assert "already went out on" in html and 'name="send_again"' in html

    unconfirmed = client.post(
        notify_path(trace),
        data={"message": "Again.", "seen_last": seen_last_of(html), "send": "Send"},
    )
    assert unconfirmed.status_code == 409
    assert "Confirm to send again" in unconfirmed.get_data(as_text=True)
    assert len(outbox()) == 2, "nothing more was queued"

    confirmed = client.post(
        notify_path(trace),
        data={
            "message": "Again.",
            "seen_last": seen_last_of(html),
            "send_again": "y",
            "send": "Send",
        },
    )
    assert confirmed.status_code == 302
    assert len(outbox()) == 4
    assert len(notice_lines("recall_notify")) == 2


def test_a_preview_made_before_a_colleagues_notice_is_refused_as_stale(
    personas: Personas, trace: dict
) -> None:
    p = personas.practitioner_p
    recall.notify(p, trace["lot"], "Mine.", seen_last=None, confirmed_again=False, now=NOW)
    # Cole previewed before Pat's notice went (seen_last None) and confirms "send again".
    with pytest.raises(Conflict, match="since your preview"):
        recall.notify(
            personas.colleague_p,
            trace["lot"],
            "Cole's.",
            seen_last=None,
            confirmed_again=True,
            now=NOW,
        )


@pytest.mark.parametrize("message", ["", "   ", "bad \x07 bell", "x" * 5001])
def test_a_bad_message_re_renders_and_queues_nothing(
    client: FlaskClient, personas: Personas, trace: dict, message: str
) -> None:
    log_in(client, personas.practitioner_p)
    response = client.post(notify_path(trace), data={"message": message, "send": "Send"})
    assert response.status_code == 422
    assert 'id="message-error"' in response.get_data(as_text=True)
    assert outbox() == [] and notice_lines("recall_notify") == []


def test_a_client_who_turned_reminders_off_still_gets_the_safety_notice(
    personas: Personas, trace: dict
) -> None:
    db.session.add(ReminderPreference(client_id=trace["cy"], unsubscribed_all_at=NOW))
    db.session.commit()
    result = recall.notify(
        personas.practitioner_p, trace["lot"], "Safety.", seen_last=None,
        confirmed_again=False, now=NOW,
    )  # fmt: skip
    db.session.commit()
    assert (result.sent_to, result.unreachable) == (2, 1)
    assert "cy@example.com" in [row.recipient for row in outbox()]


@pytest.mark.parametrize(
    ("who", "status"), [("front_desk_p", 403), ("practitioner_q", 404), ("client_a", 403)]
)
def test_only_the_lots_practitioners_may_notify(
    client: FlaskClient, personas: Personas, trace: dict, who: str, status: int
) -> None:
    log_in(client, getattr(personas, who))
    response = client.post(notify_path(trace), data={"message": "Hi.", "send": "Send"})
    assert response.status_code == status
    assert outbox() == []


def test_the_sender_delivers_each_notice_once_to_a_real_smtp_server(
    sending: Flask, smtp: SmtpServer, personas: Personas, trace: dict
) -> None:
    recall.notify(
        personas.practitioner_p, trace["lot"], "Please call us about lot L-100.",
        seen_last=None, confirmed_again=False, now=NOW,
    )  # fmt: skip
    db.session.commit()
    send_account_mail(sending)
    send_account_mail(sending)  # a second sweep finds nothing left to send

    messages = smtp.messages()
    assert sorted(str(m["To"]) for m in messages) == ["a@clients.test", "cy@example.com"]
    [ada] = [m for m in messages if str(m["To"]) == "a@clients.test"]
    text = ada.get_body(("plain",)).get_content()
    assert "Hello Ada Client" in text
    assert "lot L-100, placed in Frontal hairline, Crown, Strip scar" in text
    assert "Please call us about lot L-100." in text
    assert ada["Message-ID"]
    assert {row[0] for row in committed(sa.select(AccountMail.status))} == {"sent"}


def test_a_client_without_a_login_is_reached_at_the_records_address(
    personas: Personas,
) -> None:
    p = personas.practitioner_p
    lot = add_pigment_with_lot(p, lot_number="L-300")
    gus = make_client(p, "Gus Client", email="gus@example.com")
    record(p, gus, date(2026, 4, 1), ("crown", lot.id))
    make_user("client", "gus@example.com")  # a login with that address, not linked to Gus
    db.session.commit()
    _, [entry] = recall.recall_clients(p, lot.id)
    assert entry.email == "gus@example.com"
