"""Founding a practice, and reading its details (DESIGN "The practice is the tenant")."""

from __future__ import annotations

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Practice, PracticeMember, User


def default_name(owner: User) -> str:
    """What a practice of one is called until its owner names it."""
    return f"{owner.display_name}'s practice"[:120]


def found_practice(owner: User, name: str | None = None) -> Practice:
    """A new practice with ``owner`` as its owner: what every practitioner who signs up gets.

    Its time zone is the owner's and replies to its mail go to the owner's address, until the
    owner sets the practice's own.
    """
    if owner.role != "practitioner":
        raise ValueError("only a practitioner can own a practice")
    practice = Practice(
        name=name or default_name(owner),
        time_zone=owner.time_zone,
        mail_from_name=name or default_name(owner),
        reply_to=owner.email,
    )
    db.session.add(practice)
    db.session.flush()
    db.session.add(PracticeMember(practice_id=practice.id, user_id=owner.id, role="owner"))
    db.session.flush()
    # The membership relationship is view-only: load the row just written.
    db.session.expire(owner, ["membership"])
    return practice


def practice_of(user: User | None) -> Practice | None:
    """The practice ``user`` belongs to (None for clients, admins and the unattached)."""
    if user is None or user.membership is None:
        return None
    return user.membership.practice


def get_practice(practice_id: int) -> Practice | None:
    return db.session.get(Practice, practice_id)


def owners_of(practice_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(PracticeMember, PracticeMember.user_id == User.id)
            .where(PracticeMember.practice_id == practice_id, PracticeMember.role == "owner")
            .order_by(User.id)
        )
    )
