"""Consent and the health questionnaire (issue 12 items 1 and 2).

Every member reads the practice's consent text; only an owner publishes a version. A client's
consent status and the signing link are front-desk business too (the front desk books and
chases the signature); the signed document and the questionnaire are clinical: practitioners of
the client's practice and the client only (front desk 403). Another practice's client or
consent answers 404; the admin has no such page (403). The signing link needs no login: it
stores its token and moves on; without a stored token there is nothing to sign (404).

Placeholders: {consent_a} is A's signature on P's text, {consent_b} B's on Q's; {answers_a}
is A's questionnaire; {consent_token} a live signing link of A.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from smptrack.services import consents
from smptrack.services import questionnaire as answers_service
from tests.access_cases import ANY_REDIRECT, Case, everyone, signed_in
from tests.conftest import Personas


def over_api(status: int, **overrides: int) -> dict[str, int | str]:
    """As ``tests.access_cases.api`` (a name the package's ``api`` module shadows)."""
    return everyone(status, anonymous=401, **overrides)


TEXT_P = "P's consent words: I agree to scalp micropigmentation."
ALLERGY_A = "Lidocaine-marker"


def objects(personas: Personas) -> dict[str, int | str]:
    now = datetime.now(UTC)
    p, q = personas.practitioner_p, personas.practitioner_q
    template_p = consents.publish_template(p, title="Consent P", body=TEXT_P, now=now)
    template_q = consents.publish_template(q, title="Consent Q", body="Q's words.", now=now)
    signed_a = consents.sign_from_account(
        personas.client_a,
        personas.record_a,
        typed_name="Ada Client",
        agreed=True,
        template_id=template_p.id,
        remote_addr="192.0.2.10",
        now=now,
    )
    signed_b = consents.sign_from_account(
        personas.client_b,
        personas.record_b,
        typed_name="Bea Client",
        agreed=True,
        template_id=template_q.id,
        remote_addr="192.0.2.11",
        now=now,
    )
    _, token = consents.issue_link(
        p, personas.record_a, secret_key=current_app.config["SECRET_KEY"], now=now
    )
    answers = answers_service.record_answers(
        p,
        personas.record_a,
        answers_service.AnswersInput(blood_thinners=True, allergies=ALLERGY_A, fitzpatrick=5),
        now=now,
    )
    return {
        "consent_a": signed_a.id,
        "consent_b": signed_b.id,
        "answers_a": answers.id,
        "consent_token": token,
    }


# Members read; the owners (P and Q) of their own practices publish.
MEMBERS_READ = signed_in(403, practitioner_p=200, practitioner_q=200, front_desk_p=200)
OWNERS_PUBLISH = signed_in(
    403, practitioner_p=ANY_REDIRECT, practitioner_q=ANY_REDIRECT, colleague_p=403, front_desk_p=403
)
# A's consent status: P's members (front desk too) and A; B and Q find nothing.
STATUS_A = signed_in(404, practitioner_p=200, front_desk_p=200, client_a=200, admin=403)
SEND_A = signed_in(
    404, practitioner_p=ANY_REDIRECT, front_desk_p=ANY_REDIRECT, client_a=403, admin=403
)
# Only the client signs from a login (staff 403 by role).
SIGN_OWN_GET = signed_in(403, client_a=200, client_b=404)
# Clinical: P's practitioners and A; the front desk 403; the admin has no such page.
CLINICAL_A = signed_in(404, practitioner_p=200, client_a=200, admin=403)
CLINICAL_A_WRITE = signed_in(404, practitioner_p=ANY_REDIRECT, client_a=ANY_REDIRECT, admin=403)

CASES = [
    Case(
        "GET",
        "/practice/consent",
        "/practice/consent",
        MEMBERS_READ,
        shows={"practitioner_p": ("I agree to scalp micropigmentation",)},
        hides={"practitioner_q": ("I agree to scalp micropigmentation",)},
    ),
    Case(
        "POST",
        "/practice/consent",
        "/practice/consent",
        OWNERS_PUBLISH,
        body={"title": "Consent", "body": "A new version of the words."},
    ),
    Case(
        "GET",
        "/clients/<int:client_id>/consent",
        "/clients/{a}/consent",
        STATUS_A,
        shows={
            "practitioner_p": ("Signed on version 1",),
            "front_desk_p": ("Signed on version 1",),
        },
        # The front desk sees the status, not who typed what from where.
        hides={"front_desk_p": ("Printable copy",)},
    ),
    Case("POST", "/clients/<int:client_id>/consent/send", "/clients/{a}/consent/send", SEND_A),
    Case("GET", "/clients/<int:client_id>/consent/sign", "/clients/{a}/consent/sign", SIGN_OWN_GET),
    # No template_id posted: A reaches the signing step, which refuses a text A was not shown.
    Case(
        "POST",
        "/clients/<int:client_id>/consent/sign",
        "/clients/{a}/consent/sign",
        signed_in(403, client_a=409, client_b=404),
        body={"typed_name": "Ada Client", "agreed": "y"},
    ),
    Case(
        "GET",
        "/consents/<int:consent_id>",
        "/consents/{consent_a}",
        CLINICAL_A,
        shows={
            "practitioner_p": ("192.0.2.10", TEXT_P.replace("'", "&#39;")),
            "client_a": ("192.0.2.10",),
        },
    ),
    Case(
        "GET",
        "/consent/sign/<token>",
        "/consent/sign/{consent_token}",
        everyone(ANY_REDIRECT),
    ),
    Case("GET", "/consent/sign", "/consent/sign", everyone(404)),
    Case(
        "POST",
        "/consent/sign",
        "/consent/sign",
        everyone(404),
        body={"typed_name": "Ada Client", "agreed": "y"},
    ),
    Case(
        "GET",
        "/clients/<int:client_id>/questionnaire",
        "/clients/{a}/questionnaire",
        CLINICAL_A,
        shows={"practitioner_p": (ALLERGY_A, "Takes blood thinners")},
    ),
    Case(
        "POST",
        "/clients/<int:client_id>/questionnaire",
        "/clients/{a}/questionnaire",
        CLINICAL_A_WRITE,
        body={"allergies": ""},
    ),
    Case(
        "GET",
        "/clients/<int:client_id>/questionnaire/<int:answers_id>/profile",
        "/clients/{a}/questionnaire/{answers_a}/profile",
        CLINICAL_A,
        shows={"practitioner_p": ("Fitzpatrick skin type",)},
    ),
    Case(
        "POST",
        "/clients/<int:client_id>/questionnaire/<int:answers_id>/profile",
        "/clients/{a}/questionnaire/{answers_a}/profile",
        CLINICAL_A_WRITE,
    ),
    # The API: the same rules (the roles refused before the record is looked at: 403).
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/consent",
        "/api/v1/clients/{a}/consent",
        over_api(404, practitioner_p=200, front_desk_p=200, client_a=200, admin=403),
        json=True,
        shows={"practitioner_p": ("192.0.2.10",)},
        hides={"front_desk_p": ("192.0.2.10",)},
    ),
    Case(
        "POST",
        "/api/v1/clients/<int:client_id>/consent/link",
        "/api/v1/clients/{a}/consent/link",
        over_api(404, practitioner_p=201, front_desk_p=201, client_a=403, client_b=403, admin=403),
        json=True,
    ),
    Case(
        "GET",
        "/api/v1/clients/<int:client_id>/questionnaire",
        "/api/v1/clients/{a}/questionnaire",
        over_api(404, practitioner_p=200, client_a=200, admin=403),
        json=True,
        shows={"practitioner_p": (ALLERGY_A,)},
    ),
    Case(
        "POST",
        "/api/v1/clients/<int:client_id>/questionnaire",
        "/api/v1/clients/{a}/questionnaire",
        over_api(404, practitioner_p=201, client_a=201, admin=403),
        body={"scalp_skin_condition": True},
        json=True,
    ),
]
