"""Composing and sending mail (smptrack/mail.py): headers, encodings, calendars, transports and
how SMTP failures are classified."""

from __future__ import annotations

import smtplib
import socket
from datetime import UTC, date, datetime
from email import policy
from email.headerregistry import Address
from email.parser import BytesParser
from pathlib import Path

import icalendar
import pytest

from smptrack import mail
from tests.smtp_server import free_port, running_server

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _parse(message) -> object:
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


def _message(**overrides) -> mail.EmailMessage:
    values = dict(
        sender="smptrack <no-reply@smp.example>",
        to=mail.recipient("Zoë Łukasiewicz-Ångström", "zoe@clients.test"),
        subject="Aftercare: day 4 for Zoë",
        text="Hello Zoë,\nday 4.",
        html="<p>Hello Zoë,</p>",
        message_id=mail.message_id_for("client:1:aftercare:session:2:day-4", "x@smp.example"),
        now=NOW,
        headers={
            "List-Unsubscribe": "<https://smp.example/reminders/unsubscribe/" + "t" * 90 + ">",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    values.update(overrides)
    return mail.compose(**values)


def test_non_ascii_names_and_subjects_are_encoded_and_read_back_intact():
    raw = _message().as_bytes()
    raw.decode("ascii")  # nothing but ASCII on the wire
    parsed = _parse(_message())
    assert parsed["To"].addresses[0].display_name == "Zoë Łukasiewicz-Ångström"
    assert parsed["To"].addresses[0].addr_spec == "zoe@clients.test"
    assert str(parsed["Subject"]) == "Aftercare: day 4 for Zoë"


def test_text_and_html_parts_are_alternatives():
    parsed = _parse(_message())
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert "Hello Zoë" in parsed.get_body(("plain",)).get_content()


def test_the_unsubscribe_url_stays_on_one_line_however_long():
    raw = _message().as_bytes().decode()
    (line,) = [x for x in raw.split("\r\n") if x.startswith("List-Unsubscribe:")]
    assert line == "List-Unsubscribe: <https://smp.example/reminders/unsubscribe/" + "t" * 90 + ">"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


@pytest.mark.parametrize(
    "evil",
    [
        "Eve\r\nBcc: victim@evil.test",
        "Eve\nBcc: victim@evil.test",
        "Eve\rBcc: victim@evil.test",
    ],
)
def test_no_cr_or_lf_in_a_name_or_subject_can_add_a_header(evil: str):
    # Refused, not repaired: a header value with a line break never becomes a message.
    with pytest.raises(mail.UnsafeHeader, match="To header"):
        mail.recipient(evil, "eve@clients.test")
    with pytest.raises(mail.UnsafeHeader, match="Subject header"):
        _message(subject=f"Hi {evil}")
    with pytest.raises(mail.UnsafeHeader, match="Reply-To header"):
        _message(headers={"Reply-To": f"{evil} <eve@clients.test>"})
    with pytest.raises(mail.UnsafeHeader, match="From header"):
        _message(sender=f"{evil} <no-reply@smp.example>")
    with pytest.raises(mail.UnsafeHeader, match="To header"):
        _message(to=Address(display_name="Eve", addr_spec="eve@clients.test\u202e"))


def test_the_message_id_is_derived_from_the_dedupe_key():
    first = mail.message_id_for("client:1:touch_up:session:9:book", "smptrack <a@smp.example>")
    again = mail.message_id_for("client:1:touch_up:session:9:book", "smptrack <a@smp.example>")
    other = mail.message_id_for("client:1:touch_up:session:10:book", "smptrack <a@smp.example>")
    assert first == again != other
    assert first.startswith("<") and first.endswith("@smp.example>")


def test_a_calendar_attachment_is_a_valid_rfc_5545_all_day_event():
    message = _message()
    ics = mail.all_day_event(
        uid="abc@smp.example",
        day=date(2026, 3, 12),
        summary="Next session, Zoë",
        description="An estimate; confirm with your practitioner.",
        stamp=NOW,
    )
    mail.attach_calendar(message, ics, "next-session.ics")
    parsed = _parse(message)
    assert parsed.get_content_type() == "multipart/mixed"
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_filename() == "next-session.ics"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == date(2026, 3, 12)
    assert event.decoded("dtend") == date(2026, 3, 13)
    assert str(event["uid"]) == "abc@smp.example"
    assert str(event["summary"]) == "Next session, Zoë"
    assert calendar["version"] == "2.0" and "PRODID" in calendar
    # the text and HTML alternatives are still there beside it
    assert parsed.get_body(("html",)).get_content().startswith("<p>Hello")


# --- Classification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "permanent", "code"),
    [
        (ConnectionRefusedError(111, "Connection refused"), False, None),
        (TimeoutError("timed out"), False, None),
        (socket.gaierror(-2, "Name or service not known"), False, None),
        (smtplib.SMTPServerDisconnected("gone"), False, None),
        (smtplib.SMTPDataError(451, b"4.3.0 try again later"), False, 451),
        (smtplib.SMTPDataError(550, b"5.7.1 rejected"), True, 550),
        (smtplib.SMTPSenderRefused(553, b"5.1.8 bad sender", "x@y"), True, 553),
        (smtplib.SMTPRecipientsRefused({"a@b": (550, b"5.1.1 no such user")}), True, 550),
        (smtplib.SMTPRecipientsRefused({"a@b": (452, b"4.2.2 mailbox full")}), False, 452),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), False, None),
        (smtplib.SMTPConnectError(554, b"no service"), False, 554),
    ],
)
def test_smtp_failures_are_temporary_or_permanent(exc: Exception, permanent: bool, code):
    error = mail.classify(exc)
    assert error.permanent is permanent
    assert error.code == code
    if code:
        assert str(code) in error.reason


# --- Transports -----------------------------------------------------------------------------


def test_the_smtp_transport_reuses_one_connection_for_many_messages():
    with running_server() as server:
        transport = mail.SmtpTransport(server.config())
        for number in range(5):
            transport.send(_message(message_id=f"<m{number}@smp.example>"))
        transport.close()
        assert server.count() == 5
        assert server.greetings == 1
        assert server.message_ids() == [f"<m{n}@smp.example>" for n in range(5)]


def test_the_smtp_transport_reconnects_after_the_server_comes_back():
    port = free_port()
    with running_server(port) as server:
        transport = mail.SmtpTransport(server.config())
        transport.send(_message(message_id="<before@smp.example>"))
    with pytest.raises(mail.DeliveryError) as down:
        transport.send(_message(message_id="<during@smp.example>"))
    assert down.value.permanent is False
    with running_server(port) as server:
        transport.send(_message(message_id="<after@smp.example>"))
        transport.close()
        assert server.message_ids() == ["<after@smp.example>"]


def test_a_refused_recipient_is_a_permanent_failure_with_the_servers_answer():
    with running_server() as server:
        server.behaviour.refuse_rcpt["zoe@clients.test"] = "550 5.1.1 No such mailbox"
        transport = mail.SmtpTransport(server.config())
        with pytest.raises(mail.DeliveryError) as refused:
            transport.send(_message())
        transport.close()
    assert refused.value.permanent and refused.value.code == 550
    assert "No such mailbox" in refused.value.reason


def test_without_an_smtp_host_mail_is_written_to_the_folder(tmp_path: Path):
    transport = mail.transport_for({"SMTP_HOST": "", "MAIL_FOLDER": str(tmp_path / "mail")})
    transport.send(_message())
    (written,) = list((tmp_path / "mail").glob("*.eml"))
    parsed = BytesParser(policy=policy.default).parsebytes(written.read_bytes())
    assert parsed["Message-ID"] == _message()["Message-ID"]
    assert not list((tmp_path / "mail").glob("*.part"))
