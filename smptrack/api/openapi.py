"""The OpenAPI 3.1 document, built from the route registry and the pydantic models that validate
the requests, so that what the document says is what the API does."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from smptrack import __version__
from smptrack.api.registry import OPERATIONS, Operation, operation
from smptrack.api.schemas import MAX_ID, Error, OpenApiDocument

REF_TEMPLATE = "#/components/schemas/{model}"

ERROR_DESCRIPTIONS = {
    400: "The body is not a JSON object.",
    401: "No valid bearer token.",
    403: "Your role may not do this at all.",
    404: "No such object, or it is not yours to see.",
    409: "Conflicts with an existing record.",
    413: "The request is larger than this route accepts (bytes or form parts).",
    422: "A field is missing or invalid; `fields` names each one.",
    429: "Too many failed attempts; try again after the `Retry-After` header's seconds.",
}


class _SchemaGenerator(GenerateJsonSchema):
    """Pydantic's generator without ``"default": null`` on fields that do not accept null
    (a PATCH field that is simply optional), which would contradict their own type."""

    def default_schema(self, schema: Any) -> dict[str, Any]:
        json_schema = super().default_schema(schema)
        if "default" in json_schema and json_schema["default"] is None:
            del json_schema["default"]
        return json_schema


def _schemas(ops: list[Operation]) -> tuple[dict, dict[str, Any]]:
    """JSON Schemas of every model the operations name, with shared definitions."""
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for op in ops:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        if op.query is not None:
            wanted[(op.query, "validation")] = None
        if op.form is not None:
            wanted[(op.form, "validation")] = None
        if op.response is not None:
            wanted[(op.response, "serialization")] = None
    refs, top = models_json_schema(
        list(wanted), ref_template=REF_TEMPLATE, schema_generator=_SchemaGenerator
    )
    return refs, top.get("$defs", {})


def _first_line(doc: str | None) -> str:
    if not doc or doc == BaseModel.__doc__:
        return ""
    return doc.strip().splitlines()[0]


def _query_parameters(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _path_parameters(op: Operation) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if converter == "int"
            else {"type": "string"},
        }
        for name, converter in op.path_parameters
    ]


def _success(op: Operation, refs: dict) -> dict[str, Any]:
    if op.produces is not None:  # bytes, such as a photo
        return {
            "description": "The file itself.",
            "content": {op.produces: {"schema": {"type": "string", "format": "binary"}}},
        }
    return {
        "description": _first_line(op.response.__doc__) or "Success.",
        "content": {"application/json": {"schema": refs[(op.response, "serialization")]}},
    }


def _multipart(op: Operation, refs: dict, components: dict[str, Any]) -> dict[str, Any]:
    """The form model's schema, inlined, with each file part as binary and required."""
    name = refs[(op.form, "validation")]["$ref"].rsplit("/", 1)[1]
    schema = dict(components[name])
    fields = {}
    for field, prop in schema.get("properties", {}).items():
        # A form field is sent or left out: never null (a text part cannot say null).
        choices = [choice for choice in prop.get("anyOf", ()) if choice.get("type") != "null"]
        if len(choices) == 1:
            prop = {**{k: v for k, v in prop.items() if k != "anyOf"}, **choices[0]}
        fields[field] = prop
    schema["properties"] = {
        **{part: {"type": "string", "format": "binary"} for part in op.files},
        **fields,
    }
    schema["required"] = [*op.files, *schema.get("required", [])]
    schema.pop("title", None)
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _operation(op: Operation, refs: dict, components: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {str(op.status): _success(op, refs)}
    for status in op.error_statuses:
        responses[str(status)] = {"$ref": f"#/components/responses/Error{status}"}
    document: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "responses": responses,
    }
    if op.description:
        document["description"] = op.description
    parameters = _path_parameters(op)
    if op.query is not None:
        name = refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[1]
        parameters += _query_parameters(components[name])
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    if op.form is not None:
        document["requestBody"] = _multipart(op, refs, components)
    if not op.authenticated:
        document["security"] = []
    return document


def build_document(ops: list[Operation] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``ops`` (every registered operation by default)."""
    ops = list(OPERATIONS if ops is None else ops)
    refs, components = _schemas(ops)
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs, components)
    query_models = {refs[(op.query, "validation")]["$ref"] for op in ops if op.query is not None}
    for ref in query_models:  # inlined as parameters; not a body anyone sends
        components.pop(ref.rsplit("/", 1)[1], None)
    for op in ops:  # inlined in their multipart bodies
        if op.form is not None:
            components.pop(refs[(op.form, "validation")]["$ref"].rsplit("/", 1)[1], None)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "smptrack API",
            "version": __version__,
            "description": (
                "Records of scalp micropigmentation sessions, sun exposure and fade "
                "assessments. Authenticate with `POST /api/v1/tokens`, then send "
                "`Authorization: Bearer <token>`. Errors always have the shape of `Error`."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {
                f"Error{status}": {
                    "description": description,
                    "content": {
                        "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="Error")}}
                    },
                }
                for status, description in ERROR_DESCRIPTIONS.items()
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `POST /api/v1/tokens`.",
                }
            },
        },
        "security": [{"bearer": []}],
    }


@cache
def _document() -> dict[str, Any]:
    return build_document()


@operation(
    "GET",
    "/openapi.json",
    summary="This OpenAPI 3.1 document",
    tag="meta",
    response=OpenApiDocument,
    authenticated=False,
)
def openapi_json() -> OpenApiDocument:
    """Generated from the same models that validate each request, so it cannot drift."""
    return OpenApiDocument(_document())
