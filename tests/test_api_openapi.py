"""The OpenAPI document: valid OpenAPI 3.1, generated from the routes and models the API runs on,
so that every /api/v1 route is in it and nothing else is."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from openapi_spec_validator import validate

from smptrack.api.openapi import build_document
from smptrack.api.registry import OPERATIONS

WRITES = ("post", "patch", "put", "delete")


@pytest.fixture
def document(app: Flask) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every /api/v1 rule in the app's url_map."""
    return {
        (method.lower(), re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def documented(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in document["paths"].items() for method in item}


def test_it_serves_a_valid_openapi_3_1_document_without_a_token(document: dict) -> None:
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"].startswith("3.1")


def test_every_api_route_is_in_the_document_and_nothing_else(app: Flask, document: dict) -> None:
    routes = api_routes(app)

    assert routes - documented(document) == set(), "routes missing from the document"
    assert documented(document) - routes == set(), "documented operations that do not exist"
    assert len(routes) >= 20


def test_it_documents_the_routes_the_design_lists(document: dict) -> None:
    expected = {
        ("get", "/api/v1/me"),
        ("get", "/api/v1/clients"),
        ("post", "/api/v1/clients"),
        ("get", "/api/v1/clients/{client_id}"),
        ("patch", "/api/v1/clients/{client_id}"),
        ("delete", "/api/v1/clients/{client_id}"),
        ("get", "/api/v1/clients/{client_id}/sessions"),
        ("post", "/api/v1/clients/{client_id}/sessions"),
        ("get", "/api/v1/sessions/{session_id}"),
        ("patch", "/api/v1/sessions/{session_id}"),
        ("delete", "/api/v1/sessions/{session_id}"),
        ("get", "/api/v1/clients/{client_id}/sun-exposures"),
        ("post", "/api/v1/clients/{client_id}/sun-exposures"),
        ("get", "/api/v1/clients/{client_id}/assessments"),
        ("post", "/api/v1/clients/{client_id}/assessments"),
        ("get", "/api/v1/clients/{client_id}/export"),
        ("get", "/api/v1/pigments"),
        ("post", "/api/v1/pigments"),
        ("post", "/api/v1/pigments/{pigment_id}/lots"),
        ("get", "/api/v1/pigment-lots/{lot_id}/clients"),
        ("post", "/api/v1/tokens"),
        ("get", "/api/v1/openapi.json"),
    }
    assert expected <= documented(document)


def test_the_served_document_is_the_one_built_from_the_registry(document: dict) -> None:
    assert document == build_document(OPERATIONS)


def test_every_body_refuses_unknown_fields(document: dict) -> None:
    schemas = document["components"]["schemas"]
    bodies = [
        (path, method, operation["requestBody"]["content"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "requestBody" in operation
    ]
    assert len(bodies) >= 9
    for path, method, content in bodies:
        if "application/json" in content:
            model = schemas[content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
        else:  # a photo upload: its form's schema is inlined
            model = content["multipart/form-data"]["schema"]
        assert model["additionalProperties"] is False, f"{method} {path}"


def test_the_document_states_the_limits_the_api_enforces(document: dict) -> None:
    schemas = document["components"]["schemas"]
    exposure = schemas["ExposureCreate"]["properties"]
    assert (exposure["duration_minutes"]["minimum"], exposure["duration_minutes"]["maximum"]) == (
        1,
        1440,
    )
    uv_index = next(s for s in exposure["uv_index"]["anyOf"] if s.get("type") == "number")
    assert (uv_index["minimum"], uv_index["maximum"]) == (0, 20)  # null: estimated from the sky
    spf = next(s for s in exposure["sunscreen_spf"]["anyOf"] if s.get("type") == "integer")
    assert (spf["minimum"], spf["maximum"]) == (1, 100)
    assessment = schemas["AssessmentCreate"]["properties"]
    assert (assessment["density_pct"]["minimum"], assessment["density_pct"]["maximum"]) == (0, 100)
    assert "crown" in assessment["zone"]["enum"] and "moon" not in assessment["zone"]["enum"]
    assert schemas["SessionCreate"]["properties"]["notes"]["maxLength"] == 5000


def test_the_limits_are_json_schema_keywords_not_pydantic_leftovers(document: dict) -> None:
    # A constraint pydantic cannot translate lands in the schema under its own name, where
    # no client or tool reads it as a limit.
    leftovers = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"ge", "le", "gt", "lt", "min_length", "max_length", "strict"}:
                    leftovers.append(f"{where}/{key}")
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(document, "")
    assert leftovers == []
    placement = document["components"]["schemas"]["PlacementIn"]["properties"]
    [density] = [s for s in placement["density_worked_pct"]["anyOf"] if s.get("type") == "integer"]
    assert (density["minimum"], density["maximum"]) == (0, 100)


def test_local_times_are_wall_clock_times_without_a_utc_offset(document: dict) -> None:
    # JSON Schema's format "time" requires an offset ("14:30:00Z"); a time of day in the
    # client's own zone has none, so answering "14:30:00" under that format breaks the document.
    assert '"format": "time"' not in json.dumps(document)
    exposure = document["components"]["schemas"]["ExposureOut"]["properties"]
    [start] = [s for s in exposure["start_time"]["anyOf"] if s.get("type") == "string"]
    assert re.fullmatch(start["pattern"], "14:30:00")


def test_every_operation_documents_its_errors_in_the_one_error_shape(document: dict) -> None:
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            errors = {code for code in operation["responses"] if code.startswith("4")}
            if operation.get("security") != []:
                assert "401" in errors, f"{method} {path}"
            if "requestBody" in operation:
                assert {"400", "422"} <= errors, f"{method} {path}"
            if "{" in path:
                assert "404" in errors, f"{method} {path}"
            for code in errors:
                assert operation["responses"][code] == {
                    "$ref": f"#/components/responses/Error{code}"
                }


def test_only_the_token_and_document_routes_need_no_token(document: dict) -> None:
    open_routes = {
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation.get("security") == []
    }
    assert open_routes == {("post", "/api/v1/tokens"), ("get", "/api/v1/openapi.json")}
    assert document["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
