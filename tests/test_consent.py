"""Consent (issue 12 item 1): versions keep the text each signature was given on; the client
signs from their login or from an emailed link that works once and expires; a session the
practice records without a valid consent is refused until someone gives a reason, which is
stored with who and when; the printable copy shows what was signed. The access matrix
(tests/access_cases/consent.py) covers who may reach each page."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack import logfilter
from smptrack.extensions import db
from smptrack.models import (
    AccountMail,
    Client,
    Consent,
    ConsentLink,
    ConsentTemplate,
    TreatmentSession,
    User,
)
from smptrack.sending.account_mail import AccountMailSender
from smptrack.services import consents, exports, treatments
from smptrack.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.conftest import OwnContextClient, Personas, log_in
from tests.smtp_server import SmtpServer
from tests.test_api_resources import Api
from tests.test_history import make_lot, page_text, visit

TEXT_V1 = "Version one: I understand SMP is a cosmetic tattoo and fades over years."
TEXT_V2 = "Version two: I understand SMP is a cosmetic tattoo, fades, and may need touch-ups."
REASON = "Client signed the paper form at the desk; scanning it tomorrow."


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def publish(owner: User, body: str, now: datetime, title: str = "Consent") -> ConsentTemplate:
    template = consents.publish_template(owner, title=title, body=body, now=now)
    db.session.commit()
    return template


def sign_own(personas: Personas, template: ConsentTemplate, now: datetime) -> Consent:
    consent = consents.sign_from_account(
        personas.client_a,
        personas.record_a,
        typed_name="Ada Client",
        agreed=True,
        template_id=template.id,
        remote_addr="198.51.100.7",
        now=now,
    )
    db.session.commit()
    return consent


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- versions -------------------------------------------------------------------------------


def test_a_new_version_keeps_the_old_text_for_the_signatures_given_on_it(
    app: Flask, personas: Personas, now: datetime
) -> None:
    v1 = publish(personas.practitioner_p, TEXT_V1, now)
    signed = sign_own(personas, v1, now + timedelta(minutes=5))
    v2 = publish(personas.practitioner_p, TEXT_V2, now + timedelta(days=1))

    assert (v1.version, v2.version) == (1, 2)
    db.session.expire_all()
    old = db.session.get(ConsentTemplate, v1.id)
    assert old.body == TEXT_V1, "publishing never changes an earlier version"
    assert signed.text_sha256 == hashlib.sha256(TEXT_V1.encode()).hexdigest()
    response = visit(app, personas.practitioner_p, f"/consents/{signed.id}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert TEXT_V1 in body and TEXT_V2 not in body
    assert signed.text_sha256 in body and "Version 1" in body and "198.51.100.7" in body
    status = visit(app, personas.practitioner_p, f"/clients/{personas.record_a.id}/consent")
    assert "Signed version 1, current is 2" in page_text(status)


def test_publishing_is_the_owners_and_an_unchanged_text_makes_no_version(
    app: Flask, personas: Personas, now: datetime
) -> None:
    publish(personas.practitioner_p, TEXT_V1, now)

    with pytest.raises(Forbidden):
        consents.publish_template(personas.colleague_p, title="Consent", body=TEXT_V2, now=now)
    with pytest.raises(ValidationFailed):
        consents.publish_template(personas.practitioner_p, title="Consent", body=TEXT_V1, now=now)
    response = visit(
        app,
        personas.practitioner_p,
        "/practice/consent",
        method="POST",
        data={"title": "Consent", "body": "  "},
    )
    assert response.status_code == 422
    db.session.rollback()
    assert count(ConsentTemplate) == 1


def test_the_time_on_the_printable_copy_is_the_practices(app: Flask, personas: Personas) -> None:
    from smptrack.services import practices

    practices.get_practice(personas.practitioner_p.practice_id).time_zone = "America/New_York"
    db.session.commit()
    at = datetime(2026, 7, 1, 16, 30, tzinfo=UTC)  # 12:30 in New York (EDT)
    signed = sign_own(personas, publish(personas.practitioner_p, TEXT_V1, at), at)

    response = visit(app, personas.client_a, f"/consents/{signed.id}")

    assert "01 July 2026, 12:30 EDT (America/New_York)" in response.get_data(as_text=True)
    assert "consent-print.css" in response.get_data(as_text=True)
    assert "@media print" in (Path(app.static_folder) / "consent-print.css").read_text()


# --- signing from the client's own login -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "accepted"),
    [
        ("Ada Client", True),
        ("  ada   CLIENT ", True),
        ("Àda Client", True),
        ("Ada Marie Client", True),
        ("Bea Client", False),
        ("Ada", False),
        ("", False),
    ],
)
def test_the_typed_name_must_be_the_records_read_sensibly(
    personas: Personas, now: datetime, typed: str, accepted: bool
) -> None:
    template = publish(personas.practitioner_p, TEXT_V1, now)

    def sign():
        return consents.sign_from_account(
            personas.client_a,
            personas.record_a,
            typed_name=typed,
            agreed=True,
            template_id=template.id,
            remote_addr=None,
            now=now,
        )

    if accepted:
        assert sign().typed_name == typed.strip()
    else:
        with pytest.raises(ValidationFailed) as refused:
            sign()
        assert "typed_name" in refused.value.fields


def test_the_client_signs_their_own_from_their_page_with_the_box_ticked(
    app: Flask, personas: Personas, now: datetime
) -> None:
    template = publish(personas.practitioner_p, TEXT_V1, now)
    path = f"/clients/{personas.record_a.id}/consent/sign"
    page = visit(app, personas.client_a, path)
    assert TEXT_V1 in page.get_data(as_text=True)

    unticked = visit(
        app,
        personas.client_a,
        path,
        method="POST",
        data={"typed_name": "Ada Client", "template_id": str(template.id)},
    )
    assert unticked.status_code == 422 and "Tick the box" in unticked.get_data(as_text=True)
    assert count(Consent) == 0
    other = visit(
        app,
        personas.client_b,
        path,
        method="POST",
        data={"typed_name": "Ada Client", "agreed": "y", "template_id": str(template.id)},
    )
    assert other.status_code == 404 and count(Consent) == 0
    signed = visit(
        app,
        personas.client_a,
        path,
        method="POST",
        data={"typed_name": "Ada Client", "agreed": "y", "template_id": str(template.id)},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert signed.status_code == 303
    db.session.expire_all()
    [consent] = db.session.scalars(sa.select(Consent)).all()
    assert (consent.client_id, consent.method, consent.remote_addr, consent.agreed) == (
        personas.record_a.id,
        "account",
        "203.0.113.9",
        True,
    )
    assert (consent.template_version, consent.signed_by_id) == (1, personas.client_a.id)


def test_a_text_changed_while_the_client_read_it_is_not_signed(
    personas: Personas, now: datetime
) -> None:
    shown = publish(personas.practitioner_p, TEXT_V1, now)
    publish(personas.practitioner_p, TEXT_V2, now + timedelta(minutes=1))

    with pytest.raises(Conflict):
        sign_own(personas, shown, now + timedelta(minutes=2))
    assert count(Consent) == 0


def test_nobody_signs_for_the_client(personas: Personas, now: datetime) -> None:
    template = publish(personas.practitioner_p, TEXT_V1, now)
    with pytest.raises(Forbidden):
        consents.sign_from_account(
            personas.practitioner_p,
            personas.record_a,
            typed_name="Ada Client",
            agreed=True,
            template_id=template.id,
            remote_addr=None,
            now=now,
        )


# --- the emailed link --------------------------------------------------------------------------


def test_the_link_works_once_and_expires(app: Flask, personas: Personas, now: datetime) -> None:
    key = app.config["SECRET_KEY"]
    template = publish(personas.practitioner_p, TEXT_V1, now)
    link, token = consents.issue_link(
        personas.front_desk_p, personas.record_a, secret_key=key, now=now
    )
    db.session.commit()
    nonce = re.sub(r"\W", "", token)
    assert link.nonce_hash not in token and nonce not in link.nonce_hash

    assert consents.link_for_token(token, key, now + timedelta(days=6, hours=23)).id == link.id
    with pytest.raises(NotFound, match="expired"):
        consents.link_for_token(token, key, now + consents.LINK_MAX_AGE)

    fresh, fresh_token = consents.issue_link(
        personas.practitioner_p, personas.record_a, secret_key=key, now=now
    )
    db.session.commit()
    with pytest.raises(NotFound, match="newer"):
        consents.link_for_token(token, key, now)
    open_link = consents.link_for_token(fresh_token, key, now + timedelta(days=1))
    consent = consents.sign_with_link(
        open_link,
        typed_name="Ada Client",
        agreed=True,
        template_id=template.id,
        remote_addr="192.0.2.44",
        now=now + timedelta(days=1),
    )
    db.session.commit()
    assert (consent.method, consent.remote_addr) == ("link", "192.0.2.44")
    with pytest.raises(NotFound, match="already been used"):
        consents.link_for_token(fresh_token, key, now + timedelta(days=1))
    with pytest.raises(Conflict):  # a request that loaded the link before the first signed
        consents.sign_with_link(
            fresh,
            typed_name="Ada Client",
            agreed=True,
            template_id=template.id,
            remote_addr=None,
            now=now + timedelta(days=1),
        )
    db.session.rollback()
    with pytest.raises(NotFound, match="not valid"):
        consents.link_for_token(fresh_token[:-2] + "xx", key, now)
    assert count(Consent) == 1


def test_the_front_desk_sends_the_link_from_the_client_page_and_the_client_signs_from_the_mail(
    sending: Flask, smtp: SmtpServer, personas: Personas
) -> None:
    now = datetime.now(UTC)
    publish(personas.practitioner_p, TEXT_V1, now)
    status_page = f"/clients/{personas.record_a.id}/consent"
    assert "Email the signing link" in visit(sending, personas.front_desk_p, status_page).get_data(
        as_text=True
    )

    sent = visit(sending, personas.front_desk_p, f"{status_page}/send", method="POST")
    assert sent.status_code == 303
    assert smtp.greetings == 0, "the request only queues the mail"
    with sending.app_context():
        AccountMailSender(sending).send_due(lambda: now + timedelta(seconds=1))
    [received] = smtp.received
    assert received.rcpt_tos == [personas.record_a.email]
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    [url] = re.findall(r"https?://\S+", text)
    token = urlsplit(url).path.rsplit("/", 1)[-1]
    db.session.expire_all()
    [row] = db.session.scalars(sa.select(ConsentLink)).all()
    assert row.nonce_hash not in url
    mail_row = db.session.scalars(sa.select(AccountMail)).one()
    assert mail_row.client_id == personas.record_a.id and mail_row.context == {}

    browser = sending.test_client()  # the client, not logged in, opens the mail's link
    opened = browser.get(urlsplit(url).path)
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/consent/sign")
    form = browser.get("/consent/sign")
    assert TEXT_V1 in form.get_data(as_text=True) and token not in form.get_data(as_text=True)
    template_id = re.search(r'name="template_id"[^>]*value="(\d+)"', form.get_data(as_text=True))
    done = browser.post(
        "/consent/sign",
        data={"typed_name": "Ada Client", "agreed": "y", "template_id": template_id.group(1)},
    )
    assert done.status_code == 200 and "your consent" in page_text(done).lower()
    db.session.expire_all()
    [consent] = db.session.scalars(sa.select(Consent)).all()
    assert consent.method == "link" and consent.client_id == personas.record_a.id
    again = sending.test_client().get(urlsplit(url).path)
    assert again.status_code == 404 and "already been used" in again.get_data(as_text=True)
    assert consents.status_of(personas.record_a).valid


def test_a_link_for_a_client_without_an_email_or_a_practice_without_a_text_is_refused(
    app: Flask, personas: Personas, now: datetime
) -> None:
    key = app.config["SECRET_KEY"]
    with pytest.raises(Conflict, match="consent text"):
        consents.issue_link(personas.practitioner_p, personas.record_a, secret_key=key, now=now)
    publish(personas.practitioner_p, TEXT_V1, now)
    personas.record_a.email = None
    db.session.commit()
    response = visit(
        app, personas.practitioner_p, f"/clients/{personas.record_a.id}/consent/send", method="POST"
    )
    assert response.status_code == 409 and "no email address" in response.get_data(as_text=True)
    assert count(ConsentLink) == 0 and count(AccountMail) == 0
    with pytest.raises(Forbidden):
        consents.issue_link(personas.client_a, personas.record_a, secret_key=key, now=now)


def test_the_access_log_blanks_the_signing_token() -> None:
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '"GET /consent/sign/%s HTTP/1.1" 303 -',
        ("eyJsIjoxfQ.abc-DEF_123",),
        None,
    )
    logfilter.RedactTokens().filter(record)
    assert "eyJsIjoxfQ" not in record.getMessage()
    assert "/consent/sign/[redacted]" in record.getMessage()
    assert logfilter.redact("GET /consent/sign HTTP/1.1") == "GET /consent/sign HTTP/1.1"


# --- recording a session without a valid consent ---------------------------------------------


def session_form(lot_id: int, **extra: str) -> dict[str, str]:
    return {
        "performed_on": "2026-11-20",
        "kind": "initial",
        "placements-0-zone": "crown",
        "placements-0-pigment_lot_id": str(lot_id),
        "placements-0-dilution": "standard",
        "placements-0-depth": "correct",
        **extra,
    }


def test_the_session_form_warns_and_records_anyway_only_with_a_reason(
    app: Flask, personas: Personas, now: datetime
) -> None:
    lot = make_lot(personas.practitioner_p)
    publish(personas.practitioner_p, TEXT_V1, now)
    path = f"/clients/{personas.record_a.id}/sessions/new"

    page = page_text(visit(app, personas.colleague_p, path))
    assert "No valid consent" in page and "Not signed (current version is 1)" in page

    refused = visit(app, personas.colleague_p, path, method="POST", data=session_form(lot.id))
    assert refused.status_code == 422
    assert "give the reason" in refused.get_data(as_text=True)
    assert count(TreatmentSession) == 0

    recorded = visit(
        app,
        personas.colleague_p,
        path,
        method="POST",
        data=session_form(lot.id, consent_override_reason=REASON),
    )
    assert recorded.status_code == 302
    db.session.expire_all()
    [kept] = db.session.scalars(sa.select(TreatmentSession)).all()
    assert kept.consent_override_reason == REASON
    assert kept.consent_override_by_id == personas.colleague_p.id
    assert kept.consent_override_at is not None
    shown = page_text(visit(app, personas.practitioner_p, f"/sessions/{kept.id}"))
    assert "Recorded without a valid consent by Cole Colleague" in shown and REASON in shown


def test_a_valid_consent_or_no_published_text_needs_no_reason(
    app: Flask, personas: Personas, now: datetime
) -> None:
    lot = make_lot(personas.practitioner_p)
    db.session.commit()
    path = f"/clients/{personas.record_a.id}/sessions/new"
    assert "No valid consent" not in page_text(visit(app, personas.practitioner_p, path))
    first = visit(app, personas.practitioner_p, path, method="POST", data=session_form(lot.id))
    assert first.status_code == 302

    sign_own(personas, publish(personas.practitioner_p, TEXT_V1, now), now)
    assert "No valid consent" not in page_text(visit(app, personas.practitioner_p, path))
    second = visit(app, personas.practitioner_p, path, method="POST", data=session_form(lot.id))
    assert second.status_code == 302
    db.session.expire_all()
    reasons = db.session.scalars(sa.select(TreatmentSession.consent_override_reason)).all()
    assert reasons == [None, None]


def test_a_client_logging_their_own_session_is_not_held_up(
    personas: Personas, now: datetime
) -> None:
    publish(personas.practitioner_p, TEXT_V1, now)
    own = treatments.record_session(
        personas.client_a,
        personas.record_a,
        treatments.SessionInput(
            performed_on=date(2026, 11, 1),
            kind="initial",
            placements=[treatments.PlacementInput("crown", None, "Some ink")],
        ),
        now=now,
    )
    assert own.consent_override_reason is None


def test_the_api_answers_409_without_a_reason_and_stores_the_override_with_one(
    app: Flask, personas: Personas, now: datetime
) -> None:
    lot = make_lot(personas.practitioner_p)
    publish(personas.practitioner_p, TEXT_V1, now)
    api = Api(app, personas.practitioner_p)
    body = {
        "performed_on": "2026-11-20",
        "kind": "initial",
        "placements": [{"zone": "crown", "pigment_lot_id": lot.id}],
    }
    path = f"/api/v1/clients/{personas.record_a.id}/sessions"

    refused = api.post(path, body)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "conflict" and "no valid consent" in error["message"]
    assert "consent_override_reason" in error["fields"]
    assert count(TreatmentSession) == 0

    created = api.post(path, {**body, "consent_override_reason": REASON})
    assert created.status_code == 201
    document = created.get_json()
    assert document["consent_override_reason"] == REASON
    assert document["consent_override_by_id"] == personas.practitioner_p.id
    assert document["consent_override_at"] is not None


# --- export and erasure -----------------------------------------------------------------------


def test_consents_export_with_their_text_and_go_with_the_erased_client(
    app: Flask, personas: Personas, now: datetime
) -> None:
    template = publish(personas.practitioner_p, TEXT_V1, now)
    signed = sign_own(personas, template, now)
    consents.issue_link(personas.practitioner_p, personas.record_a, secret_key="k", now=now)
    db.session.commit()

    document = exports.export_client(personas.practitioner_p, personas.record_a, now=now)
    [exported] = document["consents"]
    assert (exported["id"], exported["text"], exported["template_version"]) == (
        signed.id,
        TEXT_V1,
        1,
    )
    assert exported["text_sha256"] == template.text_sha256
    db.session.rollback()

    record_id = personas.record_a.id
    response = log_in(app.test_client(), personas.practitioner_p).post(
        f"/clients/{record_id}/erase", data={"confirm_name": "Ada Client"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, record_id) is None
    assert count(Consent) == 0 and count(ConsentLink) == 0
    assert count(ConsentTemplate) == 1, "the practice's text stays"


# --- reads and the demo ------------------------------------------------------------------------

WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def test_the_consent_and_questionnaire_pages_write_nothing_but_their_audit_lines(
    app: Flask, personas: Personas, now: datetime
) -> None:
    from smptrack.services import questionnaire as answers_service
    from tests.conftest import statements_sent

    template = publish(personas.practitioner_p, TEXT_V1, now)
    signed = sign_own(personas, template, now)
    answers = answers_service.record_answers(
        personas.client_a,
        personas.record_a,
        answers_service.AnswersInput(retinoid_use=True),
        now=now,
    )
    # The page checks the link against the real clock, so it is issued now: issued at the
    # fixture's fixed date it expired seven days later and the page rightly answered 404.
    _, token = consents.issue_link(
        personas.practitioner_p,
        personas.record_a,
        secret_key=app.config["SECRET_KEY"],
        now=datetime.now(UTC),
    )
    db.session.commit()
    record = personas.record_a.id
    reads = {
        personas.practitioner_p: [
            "/practice/consent",
            f"/clients/{record}/consent",
            f"/consents/{signed.id}",
            f"/clients/{record}/questionnaire",
            f"/clients/{record}/questionnaire/{answers.id}/profile",
            f"/clients/{record}/sessions/new",
            f"/clients/{record}",
        ],
        personas.client_a: [f"/clients/{record}/consent/sign", "/me"],
        None: [f"/consent/sign/{token}"],
    }
    for user, paths in reads.items():
        browser = log_in(app.test_client(), user)
        for path in paths:
            with statements_sent() as statements:
                response = browser.get(path)
            assert response.status_code in (200, 303), path
            written = {m.group(1).lower() for s in statements if (m := WRITE.match(s))}
            assert written <= {"audit_events"}, (path, written)


def test_the_demo_practice_has_a_consent_text_one_unsigned_client_and_one_flag(
    app: Flask,
) -> None:
    from smptrack.services import demo
    from smptrack.services import questionnaire as answers_service

    demo.ensure_demo_data(datetime.now(UTC))
    db.session.commit()
    records = db.session.scalars(sa.select(Client).order_by(Client.id)).all()
    unsigned = [r.display_name for r in records if not consents.status_of(r).valid]
    assert unsigned == ["Marco Rossi"]
    flagged = {
        r.display_name: answers_service.contraindications(answers_service.latest_answers(r))
        for r in records
    }
    assert flagged["James Whitaker"] and not any(
        flags for name, flags in flagged.items() if name != "James Whitaker"
    )
    assert demo.ensure_demo_data(datetime.now(UTC)).created is False


def test_the_api_gives_the_front_desk_the_status_and_the_practitioner_the_signatures(
    app: Flask, personas: Personas, now: datetime
) -> None:
    signed = sign_own(personas, publish(personas.practitioner_p, TEXT_V1, now), now)
    path = f"/api/v1/clients/{personas.record_a.id}/consent"

    desk = Api(app, personas.front_desk_p).get(path).get_json()
    assert (desk["valid"], desk["current_version"], desk["signed"]) == (True, 1, [])
    full = Api(app, personas.practitioner_p).get(path).get_json()
    assert [c["id"] for c in full["signed"]] == [signed.id]
    assert full["signed"][0]["remote_addr"] == "198.51.100.7"

    sent = Api(app, personas.front_desk_p).post(f"{path}/link", {})
    assert sent.status_code == 201 and sent.get_json()["email"] == personas.record_a.email
    db.session.expire_all()
    assert count(ConsentLink) == 1 and count(AccountMail) == 1


def test_two_owners_publishing_at_once_make_one_version_and_a_clear_conflict(
    personas: Personas, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(personas.practitioner_p, TEXT_V1, now)
    # A second owner of P's practice read version 1 while the first owner published version 2.
    personas.colleague_p.membership.role = "owner"
    db.session.commit()
    seen = consents.current_template(personas.practitioner_p.practice_id)
    publish(personas.practitioner_p, TEXT_V2, now)
    monkeypatch.setattr(consents, "current_template", lambda practice_id: seen)

    with pytest.raises(Conflict, match="same moment"):
        consents.publish_template(personas.colleague_p, title="Consent", body="Mine", now=now)

    db.session.rollback()
    monkeypatch.undo()
    versions = consents.versions_of(personas.practitioner_p.practice_id)
    assert [(v.version, v.body) for v in versions] == [(2, TEXT_V2), (1, TEXT_V1)]


def test_the_front_desk_sees_a_missing_consent_on_the_appointment_and_where_to_send_it(
    app: Flask, personas: Personas
) -> None:
    """The front desk books and chases the signature before the day: the appointment names the
    consent's state and, while it is missing, links to the page that sends the signing link."""
    from datetime import time

    from tests.test_appointments import book

    now = datetime.now(UTC)
    template = publish(personas.practitioner_p, TEXT_V1, now)
    appointment = book(personas, (now + timedelta(days=5)).date(), time(10, 0), now=now)
    db.session.commit()
    path = f"/appointments/{appointment.id}"
    send_page = f"/clients/{personas.record_a.id}/consent"

    unsigned = visit(app, personas.front_desk_p, path).get_data(as_text=True)
    assert "Consent" in unsigned and f'href="{send_page}"' in unsigned

    sign_own(personas, template, now)
    db.session.commit()
    signed = visit(app, personas.front_desk_p, path).get_data(as_text=True)
    assert f'href="{send_page}"' not in signed
    assert consents.status_of(personas.record_a).words in signed


def test_each_signature_leaves_one_audit_line_naming_who_signed_and_from_where(
    app: Flask, personas: Personas, now: datetime
) -> None:
    from smptrack.models import AuditEvent

    template = publish(personas.practitioner_p, TEXT_V1, now)
    own = sign_own(personas, template, now)
    link, _ = consents.issue_link(
        personas.practitioner_p, personas.record_a, secret_key=app.config["SECRET_KEY"], now=now
    )
    by_link = consents.sign_with_link(
        link,
        typed_name="Ada Client",
        agreed=True,
        template_id=template.id,
        remote_addr="203.0.113.9",
        now=now,
    )
    db.session.commit()

    lines = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "consent").order_by(AuditEvent.id)
    ).all()
    assert [(e.object_id, e.actor_id, e.client_id, e.action, e.remote_addr) for e in lines] == [
        (own.id, personas.client_a.id, personas.record_a.id, "create", "198.51.100.7"),
        (by_link.id, None, personas.record_a.id, "create", "203.0.113.9"),
    ]
