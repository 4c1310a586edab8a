"""Schemathesis against the OpenAPI document: generated requests, valid and not, to every
operation, as a practitioner with a client or two of their own. No answer may be a 5xx, an
undocumented status or content type, or a body that breaks the document's own description of it,
and a request the document says is invalid must be refused.

Path ids are random (mostly 404s, some of them the other practices' rows) or, about half the
time, real rows of the practice, so that the generated bodies reach the services too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from smptrack.api.schemas import MAX_ID
from smptrack.extensions import db
from smptrack.models import Pigment, PigmentLot, Placement, TreatmentSession, User
from smptrack.services import accounts
from tests.conftest import Personas, make_client, make_user

MAX_EXAMPLES = 25  # per operation; the whole run takes about a minute


@pytest.fixture
def fuzzer(app: Flask, personas: Personas) -> User:
    """A practitioner whose rows come after the personas' (ids 1 and 2 are A's and B's records):
    the coverage phase sends ids such as 0, 1 and 2**31 - 1 unmapped, and must not erase the
    record that the rest of the run works on."""
    user = make_user("practitioner", "fuzz@practice-f.test", "Fran Fuzzer")
    db.session.commit()
    return user


@pytest.fixture
def bearer(fuzzer: User) -> dict[str, str]:
    secret = accounts.issue_api_token(
        fuzzer, "schemathesis", datetime.now(UTC), timedelta(days=1)
    ).secret
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def real_ids(practitioner: User) -> dict[str, dict[str, int]]:
    """Rows of the practice for each path parameter name: for DELETE, rows to spare."""
    pigment = Pigment(practice_id=practitioner.practice_id, brand="Fuzz", line="", shade="Black")
    lot = PigmentLot(pigment=pigment, lot_number="F-1", expires_on=date(2030, 1, 1))
    record = make_client(practitioner, "Flo Fuzzed")
    to_erase = make_client(practitioner, "Erin Erasable")

    def treatment() -> TreatmentSession:
        return TreatmentSession(
            client_id=record.id,
            performed_on=date(2025, 5, 1),
            kind="initial",
            performed_by_id=practitioner.id,
            logged_by_id=practitioner.id,
            placements=[Placement(zone="crown", pigment_lot=lot)],
        )

    kept, spared = treatment(), treatment()
    db.session.add_all([pigment, lot, kept, spared])
    db.session.commit()
    ids = {
        "client_id": record.id,
        "session_id": kept.id,
        "pigment_id": pigment.id,
        "lot_id": lot.id,
    }
    return {"DELETE": {**ids, "client_id": to_erase.id, "session_id": spared.id}, "other": ids}


def _even_in_range(value: Any) -> bool:
    return isinstance(value, int) and 1 <= value <= MAX_ID and value % 2 == 0


@pytest.fixture
def api_schema(app: Flask, fuzzer: User, bearer: dict[str, str]) -> Any:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    ids = real_ids(fuzzer)

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return path_parameters
        if context.operation.method.upper() == "DELETE":
            # Always the rows to spare: a random small id could be client A's.
            return {name: ids["DELETE"].get(name, v) for name, v in path_parameters.items()}
        # An even id in the documented range becomes the real one: about half the cases reach
        # a real row, and an id the document calls invalid stays invalid.
        return {
            name: ids["other"].get(name, v) if _even_in_range(v) else v
            for name, v in path_parameters.items()
        }

    @schema.hook
    def filter_query(context: Any, query: dict[str, Any] | None) -> bool:
        # A query value of null or [] is not sent at all, so a "negative" case made of one is
        # in fact a valid request; schemathesis would then blame the API for accepting it.
        return not query or all(value is not None and value != [] for value in query.values())

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_openapi_document(case: Any, bearer: dict[str, str]) -> None:
    # Not positive_data_acceptance: a document cannot state every business rule (a date in the
    # future in the client's zone, a lot of one's own catalogue, an IANA zone), so a request of
    # valid shape may still get a 422.
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
