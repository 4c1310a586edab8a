"""The practice's pages (issue 11 item 1): every member reads the details and the member list;
only the owner edits, invites, withdraws and removes (colleague and front desk: 403); another
practice's member or invitation answers 404. The join pages need no login: the link stores its
token and moves on; without a stored token there is nothing to join (404)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from smptrack.services import members
from tests.access_cases import ANY_REDIRECT, Case, everyone, signed_in
from tests.conftest import Personas


def objects(personas: Personas) -> dict[str, int | str]:
    invitation, token = members.invite_member(
        personas.practitioner_p,
        email="invitee@practice-p.test",
        display_name="Ivy Invitee",
        role="front_desk",
        secret_key=current_app.config["SECRET_KEY"],
        now=datetime.now(UTC),
    )
    return {
        "invitation_p": invitation.id,
        "member_token": token,
        "colleague_p": personas.colleague_p.id,
    }


STAFF = ("practitioner_p", "practitioner_q", "colleague_p", "front_desk_p")
# Every member reads; the rest are refused.
MEMBERS_READ = signed_in(403, **dict.fromkeys(STAFF, 200))
# Each owner changes their own practice; the other members may not.
OWNERS_WRITE = signed_in(
    403, practitioner_p=ANY_REDIRECT, practitioner_q=ANY_REDIRECT, colleague_p=403, front_desk_p=403
)
# P's own objects: P's owner acts, Q's owner finds nothing, P's other members may not.
ONLY_P = signed_in(403, practitioner_p=200, practitioner_q=404, colleague_p=403, front_desk_p=403)
# Named in full: the matrix's defaults give P's colleague what P gets, which is not the rule here.
P_OWNER_ACTS = signed_in(
    403, practitioner_p=ANY_REDIRECT, practitioner_q=404, colleague_p=403, front_desk_p=403
)

DETAILS = {
    "name": "Renamed Studio",
    "address": "1 High Street\nLondon",
    "phone": "+44 20 7946 0000",
    "booking_url": "https://book.example.com/studio",
    "time_zone": "Europe/London",
    "mail_from_name": "Renamed Studio",
    "reply_to": "desk@studio.test",
}
INVITE = {"display_name": "Nia New", "email": "nia@new.test", "role": "practitioner"}

CASES = [
    Case(
        "GET",
        "/practice",
        "/practice",
        MEMBERS_READ,
        shows={"practitioner_p": ("Pat Practitioner&#39;s practice",)},
        hides={"practitioner_q": ("Pat Practitioner",)},
    ),
    Case("POST", "/practice", "/practice", OWNERS_WRITE, body=DETAILS),
    Case(
        "GET",
        "/practice/members",
        "/practice/members",
        MEMBERS_READ,
        shows={
            "practitioner_p": ("Cole Colleague", "Dee Desk", "Ivy Invitee"),
            "front_desk_p": ("Cole Colleague", "Pat Practitioner"),
        },
        # Pending invitations are the owner's business; Q sees none of P's people.
        hides={
            "front_desk_p": ("Ivy Invitee",),
            "colleague_p": ("Ivy Invitee",),
            "practitioner_q": ("Cole Colleague", "Ivy Invitee"),
        },
    ),
    Case("POST", "/practice/members/invite", "/practice/members/invite", OWNERS_WRITE, body=INVITE),
    Case(
        "POST",
        "/practice/invitations/<int:invitation_id>/revoke",
        "/practice/invitations/{invitation_p}/revoke",
        P_OWNER_ACTS,
    ),
    Case(
        "GET",
        "/practice/members/<int:user_id>/remove",
        "/practice/members/{colleague_p}/remove",
        ONLY_P,
        shows={"practitioner_p": ("Cole Colleague",)},
    ),
    Case(
        "POST",
        "/practice/members/<int:user_id>/remove",
        "/practice/members/{colleague_p}/remove",
        P_OWNER_ACTS,
    ),
    Case("GET", "/practice/join/<token>", "/practice/join/{member_token}", everyone(ANY_REDIRECT)),
    # No token in this browser's session: nothing to join, whoever asks.
    Case("GET", "/practice/join", "/practice/join", everyone(404)),
    Case(
        "POST",
        "/practice/join",
        "/practice/join",
        everyone(404),
        body={"display_name": "X", "password": "long enough pass", "confirm": "long enough pass"},
    ),
]
