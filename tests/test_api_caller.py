"""The API's hot reads know their caller from one row of plain columns (``accounts.ApiCaller``,
issue 9): the same token rules as the ORM lookup, the same facts the access policy reads of a
login, and the same answers for every persona."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import ApiToken, AuditEvent, Client, User
from smptrack.services import access, accounts
from smptrack.services.errors import Forbidden, NotFound
from tests.conftest import PERSONA_NAMES, OwnContextClient, Personas
from tests.test_api_resources import Api

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
LOGINS = [name for name in PERSONA_NAMES if name != "anonymous"]


def issue(user: User) -> str:
    secret = accounts.issue_api_token(user, "tests", NOW, timedelta(days=1)).secret
    db.session.commit()
    return secret


@pytest.mark.parametrize("name", LOGINS)
def test_the_caller_holds_what_the_access_policy_reads_of_the_login(
    app: Flask, personas: Personas, name: str
) -> None:
    user = personas.by_name(name)
    caller = accounts.caller_for_api_token(issue(user), NOW)
    assert caller == accounts.ApiCaller(
        id=user.id, role=user.role, practice_id=user.practice_id, member_role=user.member_role
    )
    for decides in (access.sees_clinical, access.is_member, access.is_owner, access.may_book):
        assert decides(caller) == decides(user), decides.__name__


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param({"revoked_at": NOW - timedelta(minutes=1)}, id="revoked"),
        pytest.param({"expires_at": NOW}, id="expired"),
        pytest.param("inactive", id="login-deactivated"),
    ],
)
def test_a_token_out_of_force_is_refused_by_both_lookups_and_by_the_hot_reads(
    app: Flask, personas: Personas, spoil: dict | str
) -> None:
    api = Api(app, personas.practitioner_p)
    record = personas.record_a
    paths = (f"/api/v1/clients/{record.id}", f"/api/v1/clients/{record.id}/projection")
    assert [api.get(path).status_code for path in paths] == [200, 200]
    if spoil == "inactive":
        db.session.execute(sa.update(User).where(User.id == api.user.id).values(active=False))
    else:
        db.session.execute(sa.update(ApiToken).values(**spoil))
    db.session.commit()

    assert accounts.caller_for_api_token(api.secret, NOW) is None
    assert accounts.user_for_api_token(api.secret, NOW) is None
    for path in paths:
        refused = api.get(path)
        assert refused.status_code == 401, path
        assert refused.headers["WWW-Authenticate"] == 'Bearer realm="smptrack"'
        assert record.display_name not in refused.get_data(as_text=True)


def test_a_secret_that_is_no_token_is_refused_without_a_lookup(app: Flask) -> None:
    for secret in ("", "not-ours", "smp_" + "x" * 300):
        assert accounts.caller_for_api_token(secret, NOW) is None


@pytest.mark.parametrize("name", LOGINS)
def test_every_persona_reads_through_the_api_exactly_the_records_the_policy_gives_them(
    app: Flask, personas: Personas, name: str
) -> None:
    user = personas.by_name(name)
    api = Api(app, user)
    for client_id in db.session.scalars(sa.select(Client.id).order_by(Client.id)):
        try:
            expected = access.get_client(user, client_id) and 200
        except NotFound:
            expected = 404
        except Forbidden:
            expected = 403
        db.session.rollback()
        for path in (f"/api/v1/clients/{client_id}", f"/api/v1/clients/{client_id}/projection"):
            answer = api.get(path)
            assert answer.status_code == expected, (name, path)
            if expected == 200:
                assert answer.get_json()["client_id" if "projection" in path else "id"] == client_id


def test_a_client_reading_their_record_through_the_api_sees_no_internal_notes(
    app: Flask, personas: Personas
) -> None:
    db.session.execute(
        sa.update(Client)
        .where(Client.id == personas.record_a.id)
        .values(notes="Internal: check the scar")
    )
    db.session.commit()
    path = f"/api/v1/clients/{personas.record_a.id}"
    assert Api(app, personas.client_a).get(path).get_json()["notes"] == ""
    assert Api(app, personas.practitioner_p).get(path).get_json()["notes"] == (
        "Internal: check the scar"
    )


def loaded(load, actor, client_id: int) -> list | type:
    """The record's columns as ``load`` (``access.get_client`` or ``get_client_row``) answers
    ``actor`` for ``client_id``, or the type of its refusal; the session rolled back after."""
    try:
        record = load(actor, client_id)
        return [getattr(record, column.key) for column in Client.__table__.c]
    except (NotFound, Forbidden) as exc:
        return type(exc)
    finally:
        db.session.rollback()


@pytest.mark.parametrize("name", LOGINS)
def test_the_row_loader_answers_as_the_orm_loader_for_every_persona(
    app: Flask, personas: Personas, name: str
) -> None:
    user = personas.by_name(name)
    caller = accounts.caller_for_api_token(issue(user), NOW)
    for client_id in db.session.scalars(sa.select(Client.id).order_by(Client.id)).all():
        for actor in (user, caller):
            expected = loaded(access.get_client, actor, client_id)
            assert loaded(access.get_client_row, actor, client_id) == expected, (name, client_id)


def test_the_api_read_of_another_tenants_client_answers_404_and_is_audited(
    app: Flask, personas: Personas
) -> None:
    app.test_client_class = OwnContextClient
    record = personas.record_a  # P's client
    api = Api(app, personas.practitioner_q)
    for path in (f"/api/v1/clients/{record.id}", f"/api/v1/clients/{record.id}/projection"):
        refused = api.get(path)
        refused.close()  # the server's close, after which the denial is written
        assert refused.status_code == 404
        assert record.display_name not in refused.get_data(as_text=True)
    db.session.expire_all()
    denied = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "denied").order_by(AuditEvent.id)
    ).all()
    assert [(d.actor_id, d.object_type, d.client_id) for d in denied] == [
        (personas.practitioner_q.id, "client", record.id)
    ] * 2
    read = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "read")).all()
    assert read == []


def test_the_practice_notes_on_a_record_stay_with_the_practitioners_for_every_loader(
    app: Flask, personas: Personas
) -> None:
    for name in LOGINS:
        actor = personas.by_name(name)
        assert access.may_read_notes(actor, personas.record_a) == access.may_read_record_notes(
            actor
        ), name
        assert access.may_read_record_notes(actor) == access.sees_clinical(actor), name


def test_after_the_hot_reads_the_next_unit_of_work_still_rolls_back(
    app: Flask, personas: Personas
) -> None:
    # On PostgreSQL the hot reads run without a transaction (web.begin_read); the connection
    # they used goes back to the pool transactional again, so a later unit's rollback holds.
    app.test_client_class = OwnContextClient
    api = Api(app, personas.practitioner_p)
    record_id, name = personas.record_a.id, personas.record_a.display_name
    db.session.close()
    for path in (f"/api/v1/clients/{record_id}", f"/api/v1/clients/{record_id}/projection"):
        for _ in range(3):
            assert api.get(path).status_code == 200
    for _ in range(3):  # every pooled connection the reads may have used
        db.session.execute(
            sa.update(Client).where(Client.id == record_id).values(display_name="Changed")
        )
        db.session.rollback()
        assert db.session.scalar(sa.select(Client.display_name).where(Client.id == record_id)) == (
            name
        )
        db.session.close()


def test_the_hot_reads_give_their_own_connection_back_however_they_end(
    app: Flask, personas: Personas
) -> None:
    # smptrack/read_connection.py: a read checks a connection out of the pool for its rows;
    # the answer, a 404 of another tenant's record, a 403 of the front desk and a 401 all
    # give it back.
    app.test_client_class = OwnContextClient
    readers = {
        name: Api(app, personas.by_name(name))
        for name in ("practitioner_p", "practitioner_q", "front_desk_p")
    }
    record_id = personas.record_a.id
    db.session.close()
    pool = db.engine.pool
    before = pool.checkedout()
    answers = []
    for name, api in readers.items():
        for path in (f"/api/v1/clients/{record_id}", f"/api/v1/clients/{record_id}/projection"):
            for _ in range(2):
                answers.append(api.get(path).status_code)
                assert pool.checkedout() == before, (name, path)
    spoiled = app.test_client().get(
        f"/api/v1/clients/{record_id}", headers={"Authorization": "Bearer smp_nope"}
    )
    answers.append(spoiled.status_code)
    assert pool.checkedout() == before
    assert answers == [200] * 4 + [404] * 4 + [403] * 4 + [401]


@pytest.mark.parametrize("name", LOGINS)
def test_the_record_read_with_the_token_is_the_one_the_access_policy_gives(
    app: Flask, personas: Personas, name: str
) -> None:
    # accounts.caller_for_api_token(record_id=...) reads the record in the token's statement,
    # under access.login_scope_condition: for every persona and every record it must answer
    # what get_client (the ORM loader on access.client_scope) answers, refusals included.
    user = personas.by_name(name)
    secret = issue(user)
    answers = set()
    for client_id in [*db.session.scalars(sa.select(Client.id).order_by(Client.id)), 10**6]:
        expected = loaded(access.get_client, user, client_id)
        caller = accounts.caller_for_api_token(secret, NOW, record_id=client_id)
        assert (caller.id, caller.record_id) == (user.id, client_id)
        assert loaded(access.get_client_row, caller, client_id) == expected, (name, client_id)
        answers.add(expected if isinstance(expected, type) else "record")
    # Every persona meets a refusal; the practitioners and the clients also meet their records.
    assert NotFound in answers or Forbidden in answers
    assert ("record" in answers) == (
        name in ("client_a", "client_b", "practitioner_p", "practitioner_q", "colleague_p")
    )
