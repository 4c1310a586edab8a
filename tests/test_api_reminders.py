"""GET /api/v1/clients/{id}/reminders: a client's outbox rows for the client and their
practitioner, through the one access policy, and a read that writes nothing of its own."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import AuditEvent, Client, Reminder
from tests.conftest import Personas, statements_sent
from tests.test_api_resources import Api
from tests.test_api_tokens import OwnContextClient, assert_json_error


@pytest.fixture(autouse=True)
def _each_request_in_its_own_context(app: Flask) -> None:
    app.test_client_class = OwnContextClient


def add_reminder(client: Client, kind: str, due_at: datetime, **fields) -> Reminder:
    reminder = Reminder(
        client_id=client.id,
        recipient_email=client.email or "nobody@clients.test",
        kind=kind,
        due_at=due_at,
        dedupe_key=f"test:{client.id}:{kind}:{due_at.isoformat()}",
        **fields,
    )
    db.session.add(reminder)
    db.session.flush()
    return reminder


@pytest.fixture
def outbox(personas: Personas) -> dict[str, Reminder]:
    """Client A (in New York) with one sent, one failed and one retrying reminder; client B
    with one of their own."""
    personas.record_a.time_zone = "America/New_York"
    db.session.commit()
    rows = {
        "sent": add_reminder(
            personas.record_a,
            "aftercare",
            datetime(2026, 1, 10, 14, 0, tzinfo=UTC),
            status="sent",
            attempts=1,
            sent_at=datetime(2026, 1, 10, 14, 0, 5, tzinfo=UTC),
            message_id="<sent@smptrack.test>",
        ),
        "failed": add_reminder(
            personas.record_a,
            "healed_check",
            datetime(2026, 2, 1, 15, 0, tzinfo=UTC),
            status="failed",
            attempts=8,
            last_error="550 5.1.1 mailbox unavailable",
        ),
        "retrying": add_reminder(
            personas.record_a,
            "touch_up",
            # After New York's change to summer time (8 March 2026): UTC-4.
            datetime(2026, 3, 15, 14, 0, tzinfo=UTC),
            status="pending",
            attempts=1,
            last_error="attempt 1/8: 421 4.7.0 try again later",
        ),
        "of_b": add_reminder(
            personas.record_b, "aftercare", datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
        ),
    }
    db.session.commit()
    return rows


def reminders_path(client: Client, query: str = "") -> str:
    return f"/api/v1/clients/{client.id}/reminders{query}"


def test_the_practitioner_sees_every_reminder_newest_first_in_utc_and_in_the_clients_zone(
    app: Flask, personas: Personas, outbox: dict[str, Reminder]
) -> None:
    response = Api(app, personas.practitioner_p).get(reminders_path(personas.record_a))

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["client_id"] == personas.record_a.id
    assert body["time_zone"] == "America/New_York"
    assert (body["page"], body["per_page"], body["total"]) == (1, 25, 3)
    assert [item["id"] for item in body["items"]] == [
        outbox["retrying"].id,
        outbox["failed"].id,
        outbox["sent"].id,
    ]
    retrying, failed, sent = body["items"]
    assert retrying == {
        "id": outbox["retrying"].id,
        "kind": "touch_up",
        "status": "pending",
        "due_at": "2026-03-15T14:00:00Z",
        "due_at_local": "2026-03-15T10:00:00-04:00",
        "attempts": 1,
        "sent_at": None,
        "last_error": "attempt 1/8: 421 4.7.0 try again later",
    }
    assert failed["due_at_local"] == "2026-02-01T10:00:00-05:00"  # winter: UTC-5
    assert (failed["status"], failed["attempts"]) == ("failed", 8)
    assert failed["last_error"] == "550 5.1.1 mailbox unavailable"
    assert (sent["status"], sent["sent_at"]) == ("sent", "2026-01-10T14:00:05Z")
    # The outbox's internals are not part of the answer.
    text = response.get_data(as_text=True)
    for internal in ("dedupe_key", "test:", "message_id", "sent@smptrack.test", "recipient"):
        assert internal not in text


def test_the_client_sees_their_own_reminders_and_why_one_failed_but_not_a_retrys_errors(
    app: Flask, personas: Personas, outbox: dict[str, Reminder]
) -> None:
    response = Api(app, personas.client_a).get(reminders_path(personas.record_a))

    assert response.status_code == 200, response.get_data(as_text=True)
    items = {item["id"]: item for item in response.get_json()["items"]}
    assert set(items) == {outbox["retrying"].id, outbox["failed"].id, outbox["sent"].id}
    assert items[outbox["failed"].id]["last_error"] == "550 5.1.1 mailbox unavailable"
    assert items[outbox["retrying"].id]["last_error"] is None
    assert items[outbox["retrying"].id]["attempts"] == 1


@pytest.mark.parametrize("persona", ["practitioner_q", "client_b", "admin"])
def test_anyone_else_gets_404_as_if_the_client_did_not_exist(
    app: Flask, personas: Personas, outbox: dict[str, Reminder], persona: str
) -> None:
    api = Api(app, personas.by_name(persona))

    refused = api.get(reminders_path(personas.record_a))
    missing = api.get("/api/v1/clients/999999/reminders")

    assert assert_json_error(refused, 404) == assert_json_error(missing, 404)
    assert "550 5.1.1" not in refused.get_data(as_text=True)


def test_client_b_and_practitioner_q_see_only_bs_reminders_on_bs_record(
    app: Flask, personas: Personas, outbox: dict[str, Reminder]
) -> None:
    for user in (personas.client_b, personas.practitioner_q):
        body = Api(app, user).get(reminders_path(personas.record_b)).get_json()
        assert [item["id"] for item in body["items"]] == [outbox["of_b"].id]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer smp_not-a-real-token"}, {"Authorization": "Basic eDp5"}],
    ids=["no token", "unknown token", "not a bearer token"],
)
def test_without_a_valid_token_it_answers_401(
    app: Flask, personas: Personas, outbox: dict[str, Reminder], headers: dict[str, str]
) -> None:
    response = app.test_client().get(reminders_path(personas.record_a), headers=headers)

    assert_json_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "550 5.1.1" not in response.get_data(as_text=True)


def test_it_pages_through_a_long_history_like_the_other_lists(
    app: Flask, personas: Personas
) -> None:
    start = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    ids = [
        add_reminder(personas.record_a, "aftercare", start + timedelta(days=day)).id
        for day in range(30)
    ]
    db.session.commit()
    api = Api(app, personas.practitioner_p)

    first = api.get(reminders_path(personas.record_a)).get_json()
    second = api.get(reminders_path(personas.record_a, "?page=2")).get_json()
    small = api.get(reminders_path(personas.record_a, "?per_page=7&page=3")).get_json()
    past_the_end = api.get(reminders_path(personas.record_a, "?page=3")).get_json()

    newest_first = ids[::-1]
    assert [i["id"] for i in first["items"]] == newest_first[:25]
    assert (first["page"], first["per_page"], first["total"]) == (1, 25, 30)
    assert [i["id"] for i in second["items"]] == newest_first[25:]
    assert [i["id"] for i in small["items"]] == newest_first[14:21]
    assert (past_the_end["items"], past_the_end["total"]) == ([], 30)


@pytest.mark.parametrize("query", ["?per_page=101", "?page=0", "?page=x", "?status=sent"])
def test_it_refuses_page_arguments_out_of_range_or_unknown_with_422(
    app: Flask, personas: Personas, query: str
) -> None:
    response = Api(app, personas.practitioner_p).get(reminders_path(personas.record_a, query))

    assert assert_json_error(response, 422)["fields"]


def test_reading_the_reminders_writes_nothing_of_its_own(
    app: Flask, personas: Personas, outbox: dict[str, Reminder]
) -> None:
    api = Api(app, personas.practitioner_p)
    audit_lines = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))

    with statements_sent() as statements:
        response = api.get(reminders_path(personas.record_a))

    assert response.status_code == 200
    writes = [s for s in statements if re.match(r"\s*(INSERT|UPDATE|DELETE)\b", s, re.I)]
    # The bearer token's last use is the authentication's write (issue 9 item 2), and the read's
    # audit line (the same as the reminders page's) is written after the response: the route
    # itself changes nothing.
    after_response = (r"\s*UPDATE api_tokens\b", r"\s*INSERT INTO audit_events\b")
    assert all(any(re.match(p, s, re.I) for p in after_response) for s in writes), writes
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == audit_lines + 1
    line = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert (line.action, line.object_type, line.client_id) == (
        "read",
        "reminders",
        personas.record_a.id,
    )
    db.session.expire_all()
    assert db.session.get(Reminder, outbox["retrying"].id).status == "pending"


def test_the_openapi_document_lists_the_route_with_its_schemas(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()

    operation = document["paths"]["/api/v1/clients/{client_id}/reminders"]["get"]
    assert set(document["paths"]["/api/v1/clients/{client_id}/reminders"]) == {"get"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ReminderPage"}
    assert {"401", "404", "422"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} == {"client_id", "page", "per_page"}
    schemas = document["components"]["schemas"]
    assert set(schemas["ReminderPage"]["properties"]) == {
        "client_id",
        "time_zone",
        "items",
        "page",
        "per_page",
        "total",
    }
    item = schemas["ReminderOut"]["properties"]
    assert set(item) == {
        "id",
        "kind",
        "status",
        "due_at",
        "due_at_local",
        "attempts",
        "sent_at",
        "last_error",
    }
    assert item["due_at"]["format"] == "date-time"
    assert "touch_up" in item["kind"]["enum"] and "failed" in item["status"]["enum"]
