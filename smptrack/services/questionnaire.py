"""The health and skin questionnaire: dated answer sets, contraindications, profile offers.

- Each answer set is a new ``HealthQuestionnaire`` row (who answered, when); the latest wins and
  the history stays, so a practitioner can see what changed since the last session.
- **Contraindications** (a flag on the client page and the session form): keloid or
  hypertrophic scarring, blood thinners, an active skin condition on the scalp, an allergy to
  pigment, photosensitising medication, and any other allergy named (numbing creams, latex:
  worth a look before the needle).
- **Profile offers.** Two answers are also fade-model facts of the client profile
  (FADE-MODEL §3's F_bio habits factor, and the skin type of the UV pipeline): retinoid use
  and the Fitzpatrick type. When an answer differs from the profile, the page *offers* the
  change and applies it only on confirmation, through ``profile.update_profile`` (the one
  profile-update path; the caller's ``web.commit`` then reprojects the client). Never silently:
  a questionnaire answer is the client's impression, the profile is the practitioner's record.

Flushes, never commits; ``now`` is aware UTC. Who may: ``access.may_answer_questionnaire``
(the client and the practitioners of their practice; never the front desk).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from smptrack.extensions import db
from smptrack.models import Client, HealthQuestionnaire
from smptrack.models.consent import ALLERGIES_MAX, QUESTIONNAIRE_NOTES_MAX
from smptrack.services import access, audit
from smptrack.services import profile as profiles
from smptrack.services.access import Actor
from smptrack.services.catalogue import check_text, is_row_id
from smptrack.services.errors import NotFound, ValidationFailed

HISTORY_SHOWN = 20  # answer sets listed on the page; the export carries every one

# The yes/no questions, in the order of the form, with the flag shown when answered yes.
YES_NO_QUESTIONS = {
    "keloid_or_scarring": "Keloid or raised (hypertrophic) scarring",
    "blood_thinners": "Takes blood thinners",
    "scalp_skin_condition": "Active skin condition on the scalp",
    "pigment_allergy": "Allergy to pigment or tattoo ink",
    "photosensitising_medication": "Medication that sensitises the skin to sun",
    "retinoid_use": "Uses retinoids, acids or peels on the scalp",
}
CONTRAINDICATIONS = (
    "keloid_or_scarring",
    "blood_thinners",
    "scalp_skin_condition",
    "pigment_allergy",
    "photosensitising_medication",
)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}


@dataclass(frozen=True)
class AnswersInput:
    keloid_or_scarring: bool = False
    blood_thinners: bool = False
    scalp_skin_condition: bool = False
    pigment_allergy: bool = False
    allergies: str = ""
    photosensitising_medication: bool = False
    retinoid_use: bool = False
    fitzpatrick: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class ProfileOffer:
    """A profile fact the answers would change: ``field`` of ``ProfileInput``."""

    field: str
    label: str
    current: str
    proposed: str
    value: object


def require_may_answer(actor: Actor, client: Client) -> None:
    """``NotFound`` unless ``actor`` may read and answer ``client``'s questionnaire (the caller
    loaded ``client`` through ``access.get_client``, which refuses the front desk with 403)."""
    if not access.may_answer_questionnaire(actor, client):
        raise access.refused(actor, Client, client.id, "client", "No such client.")


def record_answers(
    actor: Actor, client: Client, data: AnswersInput, *, now: datetime
) -> HealthQuestionnaire:
    """A new dated answer set. ``ValidationFailed`` names every unfit field (nothing written)."""
    require_may_answer(actor, client)
    fields: dict[str, str] = {}
    for name in YES_NO_QUESTIONS:
        if not isinstance(getattr(data, name), bool):
            fields[name] = "Answer yes or no."
    allergies = check_text(
        fields, "allergies", data.allergies, label="Allergies", max_length=ALLERGIES_MAX
    )
    notes = check_text(
        fields,
        "notes",
        data.notes,
        label="Notes",
        max_length=QUESTIONNAIRE_NOTES_MAX,
        multiline=True,
    )
    fitzpatrick = data.fitzpatrick
    if fitzpatrick is not None and (
        isinstance(fitzpatrick, bool)
        or not isinstance(fitzpatrick, int)
        or fitzpatrick not in profiles.FITZPATRICK_TYPES
    ):
        fields["fitzpatrick"] = "Choose a skin type from I to VI, or leave it unknown."
    if fields:
        raise ValidationFailed("Please correct the highlighted fields.", fields)
    answers = HealthQuestionnaire(
        client_id=client.id,
        answered_at=now,
        answered_by_id=actor.id,
        answered_by_role="client" if access.is_own_record(actor, client) else "practitioner",
        allergies=allergies,
        notes=notes,
        fitzpatrick=fitzpatrick,
        **{name: getattr(data, name) for name in YES_NO_QUESTIONS},
    )
    db.session.add(answers)
    db.session.flush()
    audit.record_event(
        actor,
        "create",
        client_id=client.id,
        object_type="health_questionnaire",
        object_id=answers.id,
        now=now,
    )
    return answers


def latest_answers(client: Client) -> HealthQuestionnaire | None:
    return db.session.scalar(
        sa.select(HealthQuestionnaire)
        .where(HealthQuestionnaire.client_id == client.id)
        .order_by(HealthQuestionnaire.answered_at.desc(), HealthQuestionnaire.id.desc())
        .limit(1)
    )


# ``latest_answers_shown``'s read: what the consent panel shows of the latest answers (when,
# and the flags ``contraindications`` reads), built once.
_LATEST_ANSWERS_SHOWN = (
    sa.select(
        HealthQuestionnaire.answered_at,
        HealthQuestionnaire.allergies,
        *(getattr(HealthQuestionnaire, name) for name in CONTRAINDICATIONS),
    )
    .where(HealthQuestionnaire.client_id == sa.bindparam("client_id"))
    .order_by(HealthQuestionnaire.answered_at.desc(), HealthQuestionnaire.id.desc())
    .limit(1)
)


def latest_answers_shown(client: Client) -> sa.Row | None:
    """``latest_answers`` for a panel that only shows it: a row of its date and the columns
    ``contraindications`` reads (an answer set is some twenty columns, and loading it as an
    ORM object was a twentieth of the client page's CPU)."""
    return db.session.connection().execute(_LATEST_ANSWERS_SHOWN, {"client_id": client.id}).first()


def history_of(client: Client, limit: int = HISTORY_SHOWN) -> list[HealthQuestionnaire]:
    """The client's answer sets, newest first, at most ``limit``."""
    return list(
        db.session.scalars(
            sa.select(HealthQuestionnaire)
            .where(HealthQuestionnaire.client_id == client.id)
            .order_by(HealthQuestionnaire.answered_at.desc(), HealthQuestionnaire.id.desc())
            .limit(limit)
        )
    )


def get_answers(client: Client, answers_id: int) -> HealthQuestionnaire:
    """One answer set of ``client`` (loaded through the access policy by the caller)."""
    found = None
    if is_row_id(answers_id):
        found = db.session.scalar(
            sa.select(HealthQuestionnaire).where(
                HealthQuestionnaire.id == answers_id, HealthQuestionnaire.client_id == client.id
            )
        )
    if found is None:
        raise NotFound("No such questionnaire.")
    return found


def contraindications(answers: HealthQuestionnaire | None) -> list[str]:
    """The flags the answers raise, in words (empty when none, or never answered)."""
    if answers is None:
        return []
    flags = [YES_NO_QUESTIONS[name] for name in CONTRAINDICATIONS if getattr(answers, name)]
    if answers.allergies:
        flags.append(f"Allergies: {answers.allergies}")
    return flags


def profile_offers(client: Client, answers: HealthQuestionnaire) -> list[ProfileOffer]:
    """The profile facts ``answers`` would change (empty when they agree with the profile)."""
    offers = []
    if answers.retinoid_use != client.retinoid_or_peel_use:
        offers.append(
            ProfileOffer(
                "retinoid_or_peel_use",
                "Regular retinoid, acid or peel use",
                "yes" if client.retinoid_or_peel_use else "no",
                "yes" if answers.retinoid_use else "no",
                answers.retinoid_use,
            )
        )
    if answers.fitzpatrick is not None and answers.fitzpatrick != client.fitzpatrick:
        offers.append(
            ProfileOffer(
                "fitzpatrick",
                "Fitzpatrick skin type",
                ROMAN.get(client.fitzpatrick, str(client.fitzpatrick)),
                ROMAN[answers.fitzpatrick],
                answers.fitzpatrick,
            )
        )
    return offers


def apply_offers(
    actor: Actor, client: Client, answers: HealthQuestionnaire, *, now: datetime
) -> list[ProfileOffer]:
    """The confirmed step: write the offers of ``answers`` to the profile through
    ``profile.update_profile`` (the caller commits with ``web.commit``, which reprojects).
    Returns what changed (nothing when the profile already agrees)."""
    require_may_answer(actor, client)
    offers = profile_offers(client, answers)
    if offers:
        changed = replace(
            profiles.profile_of(client), **{offer.field: offer.value for offer in offers}
        )
        profiles.update_profile(actor, client, changed, now=now)
    return offers


def record_read(actor: Actor, client: Client, *, now: datetime) -> None:
    audit.record_event(
        actor,
        "read",
        client_id=client.id,
        object_type="health_questionnaire",
        object_id=None,
        now=now,
    )
