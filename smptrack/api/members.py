"""The practice and its members: its details, who works there and in what role.

Every member sees the practice and its members (there is no practice id in the path: the token
says whose). Clients and admins belong to no practice and get 403.
"""

from __future__ import annotations

import sqlalchemy as sa

from smptrack.api.registry import operation
from smptrack.api.schemas_booking import MemberList, MemberOut, PracticeOut
from smptrack.extensions import db
from smptrack.models import PracticeMember, User
from smptrack.services import access, practices

STAFF = ("practitioner", "front_desk")
# The owner first, then the practitioners, then the front desk; by name within each.
_ROLE_ORDER = sa.case(
    (PracticeMember.role == "owner", 0), (PracticeMember.role == "practitioner", 1), else_=2
)


@operation(
    "GET",
    "/practice",
    summary="Your practice's details",
    tag="practice",
    response=PracticeOut,
    roles=STAFF,
)
def get_practice(actor: User) -> PracticeOut:
    """Its name, address, phone, booking link, time zone and mail identity, and your role."""
    access.require_member(actor)
    practice = practices.practice_of(actor)
    return PracticeOut(
        id=practice.id,
        name=practice.name,
        address=practice.address or "",
        phone=practice.phone or "",
        booking_url=practice.booking_url or "",
        time_zone=practice.time_zone,
        mail_from_name=practice.mail_from_name or "",
        reply_to=practice.reply_to or "",
        your_role=actor.member_role,
    )


@operation(
    "GET",
    "/practice/members",
    summary="Your practice's members",
    tag="practice",
    response=MemberList,
    roles=STAFF,
)
def list_members(actor: User) -> MemberList:
    """Everyone who works at the practice, with their role and since when."""
    access.require_member(actor)
    rows = db.session.execute(
        access.practice_members(actor)
        .add_columns(PracticeMember.role, PracticeMember.created_at)
        .order_by(_ROLE_ORDER, User.display_name, User.id)
    )
    return MemberList(
        items=[
            MemberOut(
                id=user.id,
                display_name=user.display_name,
                email=user.email,
                role=role,
                since=since,
            )
            for user, role, since in rows
        ]
    )
