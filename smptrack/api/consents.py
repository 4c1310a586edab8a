"""A client's consent status and signing link, and the health questionnaire (issue 12).

The same services and access rules as the pages: the consent status and the link are any
member's of the client's practice (the front desk included) and the client's own; the signed
documents and the questionnaire are clinical (practitioners of the practice and the client;
the front desk gets 403). Signing itself is a page: the client reads the text there.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from smptrack.api.registry import operation
from smptrack.api.schemas import Fitzpatrick, Line, RequestModel, ResponseModel, Text
from smptrack.models import User
from smptrack.models.consent import ALLERGIES_MAX, QUESTIONNAIRE_NOTES_MAX
from smptrack.outgoing import external_url
from smptrack.services import access, consents
from smptrack.services import questionnaire as answers_service
from smptrack.services.errors import Conflict
from smptrack.web import secret_key, utc_now

MEMBERS_AND_CLIENTS = ("practitioner", "front_desk", "client")
CLINICAL = ("practitioner", "client")


class SignedConsentOut(ResponseModel):
    id: int
    template_version: int
    text_sha256: str
    typed_name: str
    signed_at: datetime
    remote_addr: str | None
    method: str


class ConsentStatusOut(ResponseModel):
    required: bool = Field(description="The practice has published a consent text.")
    valid: bool = Field(description="Signed on the current version.")
    current_version: int | None
    signed_version: int | None = Field(description="The version of the latest signature.")
    words: str
    signed: list[SignedConsentOut] = Field(
        description="Every signature, newest first; empty for the front desk, who sees the "
        "status only."
    )


class LinkSent(ResponseModel):
    email: str
    expires_at: datetime


class AnswersIn(RequestModel):
    keloid_or_scarring: bool = False
    blood_thinners: bool = False
    scalp_skin_condition: bool = False
    pigment_allergy: bool = False
    allergies: Line(ALLERGIES_MAX) = ""
    photosensitising_medication: bool = False
    retinoid_use: bool = False
    fitzpatrick: Fitzpatrick | None = None
    notes: Text(QUESTIONNAIRE_NOTES_MAX) = ""


class ProfileOfferOut(ResponseModel):
    field: str
    label: str
    current: str
    proposed: str


class AnswersOut(ResponseModel):
    id: int
    answered_at: datetime
    answered_by_id: int | None
    answered_by_role: str
    keloid_or_scarring: bool
    blood_thinners: bool
    scalp_skin_condition: bool
    pigment_allergy: bool
    allergies: str
    photosensitising_medication: bool
    retinoid_use: bool
    fitzpatrick: int | None
    notes: str


class QuestionnaireOut(ResponseModel):
    latest: AnswersOut | None
    contraindications: list[str]
    profile_offers: list[ProfileOfferOut] = Field(
        description="Profile facts the latest answers differ from; changing them is the "
        "profile's PATCH (or the page's confirm step), never automatic."
    )
    history: list[AnswersOut] = Field(description="The latest 20 answer sets, newest first.")


@operation(
    "GET",
    "/clients/<int:client_id>/consent",
    summary="A client's consent status",
    tag="consent",
    response=ConsentStatusOut,
    roles=MEMBERS_AND_CLIENTS,
)
def get_consent_status(actor: User, client_id: int) -> ConsentStatusOut:
    """Whether the client has signed the practice's current consent text."""
    client = access.get_consent_client(actor, client_id)
    status = consents.status_of(client)
    signed = consents.consents_of(client) if access.may_read_signed_consent(actor, client) else []
    return ConsentStatusOut(
        required=status.required,
        valid=status.valid,
        current_version=status.current.version if status.current else None,
        signed_version=status.latest.template_version if status.latest else None,
        words=status.words,
        signed=[SignedConsentOut.model_validate(c) for c in signed],
    )


@operation(
    "POST",
    "/clients/<int:client_id>/consent/link",
    summary="Email the client a consent signing link",
    tag="consent",
    response=LinkSent,
    status=201,
    roles=("practitioner", "front_desk"),
    errors=(409,),
)
def send_consent_link(actor: User, client_id: int) -> LinkSent:
    """Queues the mail; the link works once and for 7 days, and replaces any earlier one.
    409 when the practice has no consent text or the client no email address."""
    client = access.get_consent_client(actor, client_id)
    now = utc_now()
    link, token = consents.issue_link(actor, client, secret_key=secret_key(), now=now)
    url = external_url("consent.link", token=token)
    if url is None:
        raise Conflict("The link cannot be sent: the site's address is not set.")
    consents.queue_link_mail(link, client, url=url, now=now)
    return LinkSent(email=client.email or "", expires_at=link.expires_at)


def _questionnaire(client) -> QuestionnaireOut:
    latest = answers_service.latest_answers(client)
    offers = answers_service.profile_offers(client, latest) if latest else []
    return QuestionnaireOut(
        latest=AnswersOut.model_validate(latest) if latest else None,
        contraindications=answers_service.contraindications(latest),
        profile_offers=[
            ProfileOfferOut(field=o.field, label=o.label, current=o.current, proposed=o.proposed)
            for o in offers
        ],
        history=[AnswersOut.model_validate(a) for a in answers_service.history_of(client)],
    )


@operation(
    "GET",
    "/clients/<int:client_id>/questionnaire",
    summary="A client's health and skin questionnaire",
    tag="consent",
    response=QuestionnaireOut,
    roles=CLINICAL,
)
def get_questionnaire(actor: User, client_id: int) -> QuestionnaireOut:
    client = access.get_client(actor, client_id)
    answers_service.require_may_answer(actor, client)
    answers_service.record_read(actor, client, now=utc_now())
    return _questionnaire(client)


@operation(
    "POST",
    "/clients/<int:client_id>/questionnaire",
    summary="Answer the health and skin questionnaire (a new dated answer set)",
    tag="consent",
    body=AnswersIn,
    response=QuestionnaireOut,
    status=201,
    roles=CLINICAL,
)
def answer_questionnaire(actor: User, client_id: int, body: AnswersIn) -> QuestionnaireOut:
    """The earlier answer sets stay; the new one is the latest. `profile_offers` in the answer
    says which profile facts it differs from; nothing in the profile changes."""
    client = access.get_client(actor, client_id)
    answers_service.record_answers(
        actor, client, answers_service.AnswersInput(**body.model_dump()), now=utc_now()
    )
    return _questionnaire(client)
