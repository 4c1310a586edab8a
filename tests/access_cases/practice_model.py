"""The practice's model page (issue 10 item 8): practitioners only; a version of another
practice answers 404, exactly like one that does not exist."""

from __future__ import annotations

from smptrack.extensions import db
from smptrack.models import PracticeModelVersion
from tests.access_cases import ANY_REDIRECT, Case, signed_in
from tests.conftest import Personas

# The refit needs P's client A rated and treated (the matrix seeds only the areas a case names).
SEEDED_WITH = ("assessments", "treatments")


def objects(personas: Personas) -> dict[str, int]:
    version = PracticeModelVersion(
        practice_id=personas.practitioner_p.practice_id,
        k_bio=0.06,
        k_uv=1.5e-4,
        sigma=0.31,
        source="refit",
        fit_summary={"adoptable": True, "reasons": [], "clients": 60, "ratings": 150},
    )
    db.session.add(version)
    db.session.flush()
    return {"model_version_p": version.id}


ONLY_P = signed_in(403, practitioner_p=200, practitioner_q=404)
# Refitting, adopting and reverting are the owner's: P's colleague sees the model, cannot change it.
OWNER_P = signed_in(403, practitioner_p=200, practitioner_q=404, colleague_p=403)

CASES = [
    Case(
        "GET",
        "/practice/model",
        "/practice/model",
        signed_in(403, practitioner_p=200, practitioner_q=200),
        shows={"practitioner_p": ("practice v",)},
        hides={"practitioner_q": ("practice v",)},
    ),
    # P's client A has a rating (another area's objects): the refit runs and shows its proposal;
    # Q's practice has none, and the page says there is nothing to refit.
    Case(
        "POST",
        "/practice/model/refit",
        "/practice/model/refit",
        signed_in(403, practitioner_p=ANY_REDIRECT, practitioner_q=422, colleague_p=403),
    ),
    Case(
        "GET",
        "/practice/model/versions/<int:version_id>",
        "/practice/model/versions/{model_version_p}",
        ONLY_P,
        shows={"practitioner_p": ("0.06",)},
    ),
    Case(
        "GET",
        "/practice/model/versions/<int:version_id>/adopt",
        "/practice/model/versions/{model_version_p}/adopt",
        OWNER_P,
    ),
    # Without the confirmation box ticked: the confirmation page again, nothing adopted.
    Case(
        "POST",
        "/practice/model/versions/<int:version_id>/adopt",
        "/practice/model/versions/{model_version_p}/adopt",
        signed_in(403, practitioner_p=422, practitioner_q=404, colleague_p=403),
        body={"submit": "Confirm"},
    ),
    # Neither practice has adopted a version: there is nothing to revert; back to the page.
    Case(
        "GET",
        "/practice/model/revert",
        "/practice/model/revert",
        signed_in(403, practitioner_p=ANY_REDIRECT, practitioner_q=ANY_REDIRECT, colleague_p=403),
    ),
    Case(
        "POST",
        "/practice/model/revert",
        "/practice/model/revert",
        signed_in(403, practitioner_p=ANY_REDIRECT, practitioner_q=ANY_REDIRECT, colleague_p=403),
        body={"confirm": "y", "submit": "Confirm"},
    ),
]
