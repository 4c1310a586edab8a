"""The practice's members (issue 11 item 1): the owner invites by mail (through the account
outbox, a signed link that works once and for seven days, only its nonce's hash stored), the
invitee joins with a password, the owner withdraws invitations and removes members; and the
practice's details, which the owner edits and bad input never reaches."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import (
    AccountMail,
    Appointment,
    Client,
    LoginSession,
    MemberInvitation,
    Practice,
    PracticeMember,
    User,
)
from smptrack.services import accounts, members
from smptrack.services.errors import Conflict, NotFound
from tests.conftest import (
    PASSWORD,
    OwnContextClient,
    Personas,
    log_in,
    make_client,
    make_member,
    make_user,
    sent_messages,
)
from tests.outbox import send_account_mail

NEW_PASSWORD = "a fresh password 42"


@pytest.fixture
def web(app: Flask) -> Flask:
    """Each request in its own app context, so two logins in one test do not share ``g``."""
    app.test_client_class = OwnContextClient
    return app


def as_user(app: Flask, user: User | None):
    return log_in(app.test_client(), user)


def invite(app: Flask, owner: User, email: str, role: str = "practitioner", name: str = "Nia New"):
    response = as_user(app, owner).post(
        "/practice/members/invite", data={"display_name": name, "email": email, "role": role}
    )
    return response


def mailed_link(app: Flask, to: str) -> str:
    """The join link of the invitation just mailed to ``to`` (the outbox is sent first). The
    files read are removed: names sort by the second only, so a later one might sort first."""
    send_account_mail(app)
    parser = BytesParser(policy=policy.default)
    links = []
    for path in sorted(Path(app.config["MAIL_FOLDER"]).glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        if message["To"] == to:
            text = message.get_body(preferencelist=("plain",)).get_content()
            links.append(re.search(r"https?://\S+/practice/join/\S+", text).group(0))
            path.unlink()
    assert len(links) == 1, f"{len(links)} invitations were mailed to {to}"
    return links[0]


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def join(app: Flask, link: str, **form: str):
    """Follow ``link`` in a fresh browser and send the join form; returns (client, response)."""
    browser = app.test_client()
    first = browser.get(path_of(link))
    assert first.status_code == 303, first.get_data(as_text=True)[:500]
    assert first.headers["Location"].endswith("/practice/join")
    data = {
        "display_name": "Nia New",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "time_zone": "Europe/London",
    }
    data.update(form)
    return browser, browser.post("/practice/join", data=data)


def snapshot() -> dict[str, list]:
    """What the member pages could change: a refused request must leave all of it as it was."""
    return {
        "practices": db.session.execute(
            sa.select(
                Practice.id,
                Practice.name,
                Practice.address,
                Practice.phone,
                Practice.booking_url,
                Practice.time_zone,
                Practice.mail_from_name,
                Practice.reply_to,
            ).order_by(Practice.id)
        ).all(),
        "members": db.session.execute(
            sa.select(
                PracticeMember.practice_id, PracticeMember.user_id, PracticeMember.role
            ).order_by(PracticeMember.user_id)
        ).all(),
        "invitations": db.session.execute(
            sa.select(
                MemberInvitation.id,
                MemberInvitation.email,
                MemberInvitation.accepted_at,
                MemberInvitation.revoked_at,
            ).order_by(MemberInvitation.id)
        ).all(),
        "users": db.session.execute(
            sa.select(User.id, User.email, User.role, User.active, User.password_hash).order_by(
                User.id
            )
        ).all(),
        "clients": db.session.execute(
            sa.select(Client.id, Client.practitioner_id).order_by(Client.id)
        ).all(),
        "mail": db.session.execute(
            sa.select(AccountMail.id, AccountMail.recipient).order_by(AccountMail.id)
        ).all(),
    }


# --- inviting and joining ----------------------------------------------------------------------


def test_an_invitation_is_mailed_once_through_the_outbox_and_stores_only_the_nonce_hash(
    web: Flask, personas: Personas
) -> None:
    response = invite(web, personas.practitioner_p, "Nia@New.test", role="front_desk")

    assert response.status_code == 303
    queued = db.session.scalars(sa.select(AccountMail)).all()
    assert [(m.recipient, m.template) for m in queued] == [("nia@new.test", "member_invitation")]
    assert queued[0].context["expires_at"], "the queued mail expires with its link"
    assert send_account_mail(web).sent == 1
    assert send_account_mail(web).sent == 0, "a second sweep sends nothing more"
    mails = [m for m in sent_messages(web) if m["To"] == "nia@new.test"]
    assert len(mails) == 1
    assert "Pat Practitioner's practice" in mails[0]["Subject"]
    text = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert "as the front desk" in text and "7 days" in text
    link = mailed_link(web, "nia@new.test")
    invitation = db.session.scalar(sa.select(MemberInvitation))
    assert invitation.role == "front_desk" and invitation.display_name == "Nia New"
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert link.split("/")[-1] not in invitation.nonce_hash
    assert re.fullmatch(r"[0-9a-f]{64}", invitation.nonce_hash)


@pytest.mark.parametrize(
    ("role", "login_role"), [("practitioner", "practitioner"), ("front_desk", "front_desk")]
)
def test_the_invitee_joins_with_a_password_and_becomes_a_member_in_the_role(
    web: Flask, personas: Personas, role: str, login_role: str
) -> None:
    invite(web, personas.practitioner_p, "nia@new.test", role=role)
    link = mailed_link(web, "nia@new.test")

    _, response = join(web, link, display_name="Nia Newton", time_zone="Europe/Rome")

    assert response.status_code == 303 and "/auth/login" in response.headers["Location"]
    user = db.session.scalar(sa.select(User).where(User.email == "nia@new.test"))
    assert (user.role, user.display_name, user.time_zone) == (
        login_role,
        "Nia Newton",
        "Europe/Rome",
    )
    assert user.email_verified_at is not None and user.active
    assert (user.practice_id, user.member_role) == (personas.practitioner_p.practice_id, role)
    assert accounts.authenticate("nia@new.test", NEW_PASSWORD, datetime.now(UTC)) is not None
    # No practice of their own was founded: the practitioner joined P's.
    # (P's, Q's and the personas' unrelated one.)
    assert db.session.scalar(sa.select(sa.func.count(Practice.id))) == 3
    page = as_user(web, user).get("/practice/members").get_data(as_text=True)
    assert "Nia Newton" in page and "Cole Colleague" in page


def test_the_join_page_offers_the_invited_name_and_the_practice_time_zone(
    web: Flask, personas: Personas
) -> None:
    invite(web, personas.practitioner_p, "nia@new.test", name="Nia From Invite")
    browser = web.test_client()
    browser.get(path_of(mailed_link(web, "nia@new.test")))

    page = browser.get("/practice/join").get_data(as_text=True)

    assert 'value="Nia From Invite"' in page
    assert "Join Pat Practitioner&#39;s practice" in page
    assert "nia@new.test" in page


def test_an_invitation_link_works_once(web: Flask, personas: Personas) -> None:
    invite(web, personas.practitioner_p, "nia@new.test")
    link = mailed_link(web, "nia@new.test")
    join(web, link)
    before = snapshot()

    again = web.test_client().get(path_of(link))

    assert again.status_code == 404
    assert "already been used" in again.get_data(as_text=True)
    assert snapshot() == before


def test_a_concurrent_second_acceptance_is_refused_and_writes_nothing(
    web: Flask, personas: Personas
) -> None:
    invitation, _ = members.invite_member(
        personas.practitioner_p,
        email="nia@new.test",
        display_name="Nia",
        role="practitioner",
        secret_key="k",
        now=datetime.now(UTC),
    )
    db.session.commit()
    stale = db.session.get(MemberInvitation, invitation.id)
    db.session.execute(
        sa.update(MemberInvitation)
        .values(accepted_at=datetime.now(UTC))
        .where(MemberInvitation.id == invitation.id)
    )
    with pytest.raises(Conflict):
        members.accept_invitation(
            stale,
            password=NEW_PASSWORD,
            display_name="Nia",
            time_zone="UTC",
            now=datetime.now(UTC),
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(User).where(User.email == "nia@new.test")) is None


def test_an_expired_invitation_is_refused(web: Flask, personas: Personas) -> None:
    eight_days_ago = datetime.now(UTC) - timedelta(days=8)
    invitation, token = members.invite_member(
        personas.practitioner_p,
        email="late@new.test",
        display_name="Late",
        role="practitioner",
        secret_key=web.config["SECRET_KEY"],
        now=eight_days_ago,
    )
    db.session.commit()

    response = web.test_client().get(f"/practice/join/{token}")

    assert response.status_code == 404
    assert "expired" in response.get_data(as_text=True)
    with pytest.raises(NotFound, match="expired"):
        members.invitation_for_token(token, web.config["SECRET_KEY"], datetime.now(UTC))
    # A day before it expires it still worked.
    found = members.invitation_for_token(
        token, web.config["SECRET_KEY"], eight_days_ago + timedelta(days=6)
    )
    assert found.id == invitation.id


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "eyJpIjoxLCJuIjoieCJ9.forged.signature", ""],
)
def test_a_forged_or_broken_link_is_refused(web: Flask, personas: Personas, token: str) -> None:
    response = web.test_client().get(f"/practice/join/{token}" if token else "/practice/join")

    assert response.status_code == 404


def test_a_link_with_the_right_id_but_another_nonce_is_refused(
    web: Flask, personas: Personas
) -> None:
    from itsdangerous import URLSafeTimedSerializer

    invitation, _ = members.invite_member(
        personas.practitioner_p,
        email="nia@new.test",
        display_name="Nia",
        role="practitioner",
        secret_key=web.config["SECRET_KEY"],
        now=datetime.now(UTC),
    )
    db.session.commit()
    forged = URLSafeTimedSerializer(web.config["SECRET_KEY"], salt=members.INVITATION_SALT).dumps(
        {"i": invitation.id, "n": "guessed"}
    )

    assert web.test_client().get(f"/practice/join/{forged}").status_code == 404


def test_a_client_invitation_token_does_not_open_the_member_join_page(
    web: Flask, personas: Personas
) -> None:
    _, token = accounts.invite_client(
        make_client(personas.practitioner_p, "Carl Client"),
        "carl@clients.test",
        personas.practitioner_p,
        web.config["SECRET_KEY"],
        datetime.now(UTC),
        timedelta(hours=72),
    )
    db.session.commit()

    assert web.test_client().get(f"/practice/join/{token}").status_code == 404


def test_inviting_again_withdraws_the_earlier_link(web: Flask, personas: Personas) -> None:
    invite(web, personas.practitioner_p, "nia@new.test")
    first = mailed_link(web, "nia@new.test")
    invite(web, personas.practitioner_p, "nia@new.test", role="front_desk")
    second = mailed_link(web, "nia@new.test")

    assert first != second
    assert web.test_client().get(path_of(first)).status_code == 404
    _, response = join(web, second)
    assert response.status_code == 303
    user = db.session.scalar(sa.select(User).where(User.email == "nia@new.test"))
    assert user.member_role == "front_desk"


@pytest.mark.parametrize(
    "email",
    ["colleague@practice-p.test", "q@practice-q.test", "a@clients.test", "ADMIN@smptrack.test"],
)
def test_an_address_that_already_has_a_login_cannot_be_invited(
    web: Flask, personas: Personas, email: str
) -> None:
    before = snapshot()

    response = invite(web, personas.practitioner_p, email)

    assert response.status_code == 422
    assert "already has a smptrack login" in response.get_data(as_text=True)
    assert snapshot() == before


def test_joining_with_an_address_that_got_a_login_meanwhile_is_refused(
    web: Flask, personas: Personas
) -> None:
    invite(web, personas.practitioner_p, "nia@new.test")
    link = mailed_link(web, "nia@new.test")
    make_user("client", "nia@new.test", "Nia Signed Up Alone")
    db.session.commit()
    before = snapshot()

    _, response = join(web, link)

    assert response.status_code == 422
    assert "already has a smptrack login" in response.get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short", "between 10 and"),
        ("confirm", "something else entirely", "Passwords differ"),
        ("display_name", "", "This field is required"),
        ("display_name", "Nia\u202eweN", "U+202E"),
        ("time_zone", "Mars/Olympus", "Not a valid choice"),
    ],
)
def test_bad_input_on_the_join_page_is_shown_and_nothing_is_written(
    web: Flask, personas: Personas, field: str, value: str, message: str
) -> None:
    invite(web, personas.practitioner_p, "nia@new.test")
    link = mailed_link(web, "nia@new.test")
    before = snapshot()

    _, response = join(web, link, **{field: value})

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert snapshot() == before


def test_someone_logged_in_is_asked_to_log_out_before_joining(
    web: Flask, personas: Personas
) -> None:
    invite(web, personas.practitioner_p, "nia@new.test")
    link = mailed_link(web, "nia@new.test")
    browser = as_user(web, personas.client_a)
    browser.get(path_of(link))
    before = snapshot()

    response = browser.post(
        "/practice/join",
        data={"display_name": "N", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 409
    assert "log out" in response.get_data(as_text=True)
    assert snapshot() == before


# --- withdrawing an invitation -----------------------------------------------------------------


def test_the_owner_withdraws_a_pending_invitation_and_its_link_stops_working(
    web: Flask, personas: Personas
) -> None:
    invite(web, personas.practitioner_p, "nia@new.test")
    link = mailed_link(web, "nia@new.test")
    invitation = db.session.scalar(sa.select(MemberInvitation))
    owner = as_user(web, personas.practitioner_p)
    assert "nia@new.test" in owner.get("/practice/members").get_data(as_text=True)

    response = owner.post(f"/practice/invitations/{invitation.id}/revoke")

    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(MemberInvitation, invitation.id).revoked_at is not None
    refused = web.test_client().get(path_of(link))
    assert refused.status_code == 404 and "withdrawn" in refused.get_data(as_text=True)
    owner.get("/practice/members")  # the flash of the withdrawal
    assert "nia@new.test" not in owner.get("/practice/members").get_data(as_text=True)


def test_another_practices_owner_cannot_withdraw_an_invitation(
    web: Flask, personas: Personas
) -> None:
    invite(web, personas.practitioner_p, "nia@new.test")
    link = mailed_link(web, "nia@new.test")
    invitation = db.session.scalar(sa.select(MemberInvitation))
    before = snapshot()

    response = as_user(web, personas.practitioner_q).post(
        f"/practice/invitations/{invitation.id}/revoke"
    )

    assert response.status_code == 404
    assert snapshot() == before
    _, joined = join(web, link)
    assert joined.status_code == 303, "the invitation still works"


# --- removing a member -------------------------------------------------------------------------


def test_removing_a_member_asks_first_then_ends_the_membership_and_the_login(
    web: Flask, personas: Personas
) -> None:
    colleague = personas.colleague_p
    log_in(web.test_client(), colleague)  # a live session that must end
    owner = as_user(web, personas.practitioner_p)

    confirm = owner.get(f"/practice/members/{colleague.id}/remove")

    assert confirm.status_code == 200
    assert "Remove Cole Colleague from the practice?" in confirm.get_data(as_text=True)
    assert db.session.get(User, colleague.id).membership is not None, "a GET changes nothing"

    response = owner.post(f"/practice/members/{colleague.id}/remove")

    assert response.status_code == 303
    db.session.expire_all()
    gone = db.session.get(User, colleague.id)
    assert gone.membership is None and gone.active is False
    live = db.session.scalar(
        sa.select(sa.func.count(LoginSession.id)).where(
            LoginSession.user_id == colleague.id, LoginSession.revoked_at.is_(None)
        )
    )
    assert live == 0
    assert accounts.authenticate(colleague.email, PASSWORD, datetime.now(UTC)) is None
    owner.get("/practice/members")  # the flash of the removal
    assert "Cole Colleague" not in owner.get("/practice/members").get_data(as_text=True)


def test_a_removed_practitioners_clients_go_to_the_practitioner_the_owner_chooses(
    web: Flask, personas: Personas
) -> None:
    leaver = make_member(personas.practitioner_p, "practitioner", "leaver@practice-p.test", "Lee")
    mine = [make_client(leaver, f"Client {n}") for n in range(3)]
    db.session.commit()
    owner = as_user(web, personas.practitioner_p)
    page = owner.get(f"/practice/members/{leaver.id}/remove").get_data(as_text=True)
    assert "3 clients" in page
    assert "Cole Colleague" in page and "Pat Practitioner" in page
    assert "Dee Desk" not in page, "the front desk cannot take clients"

    response = owner.post(
        f"/practice/members/{leaver.id}/remove", data={"successor_id": personas.colleague_p.id}
    )

    assert response.status_code == 303
    db.session.expire_all()
    assert {db.session.get(Client, c.id).practitioner_id for c in mine} == {personas.colleague_p.id}


def test_the_clients_cannot_go_to_someone_outside_the_practice(
    web: Flask, personas: Personas
) -> None:
    leaver = make_member(personas.practitioner_p, "practitioner", "leaver@practice-p.test", "Lee")
    make_client(leaver, "Client of Lee")
    db.session.commit()
    before = snapshot()

    for successor in (personas.practitioner_q.id, personas.front_desk_p.id, leaver.id, 99999):
        response = as_user(web, personas.practitioner_p).post(
            f"/practice/members/{leaver.id}/remove", data={"successor_id": successor}
        )
        assert response.status_code == 422, successor
        assert snapshot() == before


def test_upcoming_appointments_block_the_removal_and_say_how_many(
    web: Flask, personas: Personas
) -> None:
    colleague = personas.colleague_p
    start = datetime.now(UTC) + timedelta(days=2)
    for n in range(2):
        db.session.add(
            Appointment(
                uid=uuid.uuid4().hex,
                practice_id=colleague.practice_id,
                client_id=personas.record_a.id,
                practitioner_id=colleague.id,
                starts_at=start + timedelta(hours=n * 3),
                ends_at=start + timedelta(hours=n * 3 + 2),
                time_zone="Europe/London",
                kind="initial",
                status="booked",
                sequence=0,
            )
        )
    db.session.commit()
    owner = as_user(web, personas.practitioner_p)
    before = snapshot()

    page = owner.get(f"/practice/members/{colleague.id}/remove")
    response = owner.post(f"/practice/members/{colleague.id}/remove")

    assert "2 upcoming appointments" in page.get_data(as_text=True)
    assert response.status_code == 409
    assert "2 upcoming appointments" in response.get_data(as_text=True)
    assert snapshot() == before


def test_the_last_owner_cannot_be_removed_and_no_one_removes_themselves(
    web: Flask, personas: Personas
) -> None:
    owner = personas.practitioner_p
    before = snapshot()

    page = as_user(web, owner).get(f"/practice/members/{owner.id}/remove")
    response = as_user(web, owner).post(f"/practice/members/{owner.id}/remove")

    assert "last owner" in page.get_data(as_text=True)
    assert response.status_code == 409 and "last owner" in response.get_data(as_text=True)
    assert snapshot() == before

    # With a second owner, neither removes themselves, but one may remove the other.
    second = make_member(owner, "owner", "second@practice-p.test", "Sol Second")
    db.session.commit()
    refused = as_user(web, second).post(f"/practice/members/{second.id}/remove")
    assert refused.status_code == 409
    assert "cannot remove yourself" in refused.get_data(as_text=True)
    assert as_user(web, second).post(f"/practice/members/{owner.id}/remove").status_code == 303


def test_a_removed_member_is_invited_back_onto_the_same_login(
    web: Flask, personas: Personas
) -> None:
    colleague = personas.colleague_p
    as_user(web, personas.practitioner_p).post(f"/practice/members/{colleague.id}/remove")

    response = invite(web, personas.practitioner_p, colleague.email, role="front_desk")
    assert response.status_code == 303
    _, joined = join(web, mailed_link(web, colleague.email), display_name="Cole Back")

    assert joined.status_code == 303
    db.session.expire_all()
    back = db.session.get(User, colleague.id)
    assert (back.active, back.role, back.member_role) == (True, "front_desk", "front_desk")
    assert accounts.authenticate(colleague.email, NEW_PASSWORD, datetime.now(UTC)) is not None
    assert accounts.authenticate(colleague.email, PASSWORD, datetime.now(UTC)) is None


def test_only_the_owner_sees_the_invitation_form_and_the_remove_links(
    web: Flask, personas: Personas
) -> None:
    owner_page = as_user(web, personas.practitioner_p).get("/practice/members")
    desk_page = as_user(web, personas.front_desk_p).get("/practice/members")

    assert "Send invitation" in owner_page.get_data(as_text=True)
    assert "Remove Cole Colleague" in owner_page.get_data(as_text=True)
    for text in ("Send invitation", "Remove Cole Colleague", "Pending invitations"):
        assert text not in desk_page.get_data(as_text=True)


# --- the practice's details ----------------------------------------------------------------


GOOD_DETAILS = {
    "name": "Crown & Temple Studio",
    "address": "12 High Street\r\nLondon N1 1AA",
    "phone": "+44 (0)20 7946-0000",
    "booking_url": "https://book.example.com/crown-temple?ref=mail",
    "time_zone": "Europe/Dublin",
    "mail_from_name": "Crown & Temple",
    "reply_to": "Desk@CrownTemple.test",
}


def test_the_owner_saves_the_practice_details(web: Flask, personas: Personas) -> None:
    response = as_user(web, personas.practitioner_p).post("/practice", data=GOOD_DETAILS)

    assert response.status_code == 303
    db.session.expire_all()
    practice = db.session.get(Practice, personas.practitioner_p.practice_id)
    assert (practice.name, practice.address, practice.phone) == (
        "Crown & Temple Studio",
        "12 High Street\nLondon N1 1AA",
        "+44 (0)20 7946-0000",
    )
    assert practice.booking_url == "https://book.example.com/crown-temple?ref=mail"
    assert (practice.time_zone, practice.mail_from_name, practice.reply_to) == (
        "Europe/Dublin",
        "Crown & Temple",
        "desk@crowntemple.test",
    )
    page = as_user(web, personas.front_desk_p).get("/practice").get_data(as_text=True)
    assert "Crown &amp; Temple Studio" in page and "Europe/Dublin" in page
    assert "Save practice details" not in page, "the front desk reads, the owner edits"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter the practice"),
        ("name", "x" * 121, "120 characters"),
        ("name", "Studio\u202e", "U+202E"),
        ("booking_url", "http://book.example.com", "https://"),
        ("booking_url", "javascript:alert(1)", "https://"),
        ("booking_url", "https://", "https://"),
        ("booking_url", "https://user:pw@book.example.com", "https://"),
        ("booking_url", "https://book.example.com/a b", "https://"),
        ("booking_url", "https://localhost", "https://"),
        ("booking_url", "https://book.example.com:99999/", "https://"),
        ("time_zone", "Mars/Olympus", "Not a valid choice"),
        ("phone", "call me", "Enter a phone number"),
        ("phone", "12", "Enter a phone number"),
        ("reply_to", "not an address", "replies should go"),
        ("mail_from_name", "Studio\r\nBcc: x@evil.test", "U+000D"),
        ("address", "x" * 301, "300 characters"),
    ],
)
def test_bad_practice_details_are_refused_with_a_message_and_nothing_is_written(
    web: Flask, personas: Personas, field: str, value: str, message: str
) -> None:
    before = snapshot()

    response = as_user(web, personas.practitioner_p).post(
        "/practice", data={**GOOD_DETAILS, field: value}
    )

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert snapshot() == before


def test_the_booking_link_check_takes_https_links_and_none() -> None:
    assert members.check_booking_url("") == ""
    assert members.check_booking_url("  https://a.example/b  ") == "https://a.example/b"
