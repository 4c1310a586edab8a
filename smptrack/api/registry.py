"""The API's route registry: one decorator declares a route and everything the OpenAPI document
says about it, and does the work every route shares.

    @operation("POST", "/clients", body=ClientCreate, response=ClientOut, status=201,
               errors=(403,), tag="clients", summary="Add a client to your practice")
    def create_client(actor: User, body: ClientCreate) -> ClientOut: ...

The decorator records an ``Operation`` in ``OPERATIONS``, from which ``smptrack.api.openapi``
builds the document, and ``register_routes`` then adds one URL rule per path to the blueprint,
dispatching on the method. (One rule per path, not per method: a path whose id the URL converter
refuses is then a plain 404, where separate rules per method would make it a 405.) At request
time the route

1. authenticates the bearer token (401 otherwise; never the session cookie),
2. refuses a role that may not use the route at all (403),
3. validates the query string with ``query`` and the JSON body with ``body`` (400 for a body
   that is not a JSON object, 422 with per-field messages for one that does not fit the model),
4. calls the view with the actor, the path arguments and the validated models,
5. commits once, and renders the view's response model as JSON with ``status``.

Anything that goes wrong raises: ``ServiceError`` subclasses become the one JSON error shape
after a rollback, so a refused request writes nothing.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, request
from pydantic import BaseModel, ValidationError

from smptrack import retry, security
from smptrack.api.schemas import LINE_PATTERN, MAX_ID, TEXT_PATTERN
from smptrack.extensions import db
from smptrack.models import User
from smptrack.services import accounts
from smptrack.services.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceError,
    ValidationFailed,
)
from smptrack.web import abandon_read, begin_read, commit, end_read, json_error, utc_now

log = logging.getLogger(__name__)

PREFIX = "/api/v1"  # where the blueprint is mounted (smptrack.app.register_blueprints)


class BadRequest(ServiceError):
    """The body is not a JSON object at all (as opposed to an object with bad fields: 422)."""

    status = 400
    code = "bad_request"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


@dataclass(frozen=True)
class Operation:
    """One route as the OpenAPI document describes it."""

    method: str
    rule: str  # the Flask rule under the blueprint, e.g. "/clients/<int:client_id>"
    endpoint: str
    summary: str
    description: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel]
    status: int
    errors: tuple[int, ...]
    authenticated: bool
    roles: tuple[str, ...] | None  # None: any role; else others get 403 before the body is read
    # A multipart/form-data body instead of JSON: its text fields validated by ``form``, its
    # files named in ``files`` (the route's body limits are the upload's: security).
    form: type[BaseModel] | None = None
    files: tuple[str, ...] = ()
    # An answer that is not JSON (a photo's bytes): its media type; the view returns a Response.
    produces: str | None = None
    # The view reads only who the caller is (``accounts.ApiCaller``), not the ORM ``User``.
    identity_only: bool = False

    @property
    def path(self) -> str:
        """The OpenAPI path: ``/api/v1/clients/{client_id}``."""
        return PREFIX + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", self.rule)

    @property
    def path_parameters(self) -> list[tuple[str, str]]:
        """(name, converter) of each path argument, in order."""
        return [
            (name, converter or "string")
            for converter, name in re.findall(r"<(?:([^:<>]+):)?([^<>]+)>", self.rule)
        ]

    @property
    def error_statuses(self) -> tuple[int, ...]:
        statuses = set(self.errors)
        if self.roles is not None:
            statuses.add(403)
        if self.authenticated:
            statuses.add(401)
        if self.body is not None:
            statuses.update((400, 422))
        if self.form is not None:
            statuses.update((400, 413, 422))
        if self.query is not None:
            statuses.add(422)
        if self.path_parameters:
            statuses.add(404)
        return tuple(sorted(statuses))


OPERATIONS: list[Operation] = []
_HANDLERS: dict[tuple[str, str], Callable[..., Response]] = {}


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    authenticated: bool = True,
    roles: tuple[str, ...] | None = None,
    form: type[BaseModel] | None = None,
    files: tuple[str, ...] = (),
    produces: str | None = None,
    identity_only: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API route; see the module docstring. The view's docstring is its description.

    The view is called as ``view(actor, **path_args, query=..., body=...)`` (``actor`` omitted
    when ``authenticated`` is false; ``query`` and ``body`` only when declared) and returns an
    instance of ``response``, or a function of no arguments that builds one after the commit:
    for an answer that must show what the commit computes (the commit refreshes a client's
    projected touch-up date when its inputs changed).

    With ``identity_only`` the actor is an ``accounts.ApiCaller`` (id, role, practice, member
    role: all the access policy and the audit read of an actor), built from one row of plain
    columns: for hot reads whose view and services use nothing else of the login.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        op = Operation(
            method=method,
            rule=rule,
            endpoint=view.__name__,
            summary=summary,
            description=inspect.cleandoc(view.__doc__ or ""),
            tag=tag,
            body=body,
            query=query,
            response=response,
            status=status,
            errors=errors,
            authenticated=authenticated,
            roles=roles,
            form=form,
            files=files,
            produces=produces,
            identity_only=identity_only,
        )

        @wraps(view)
        def handler(**path_args: Any) -> Response:
            if any(isinstance(v, int) and v > MAX_ID for v in path_args.values()):
                # No row has such an id, and the database would refuse to compare with it.
                raise NotFound("No such object.")
            if not op.authenticated:
                # Anyone may send this one: the tight limits of requests not logged in.
                security.limit_anonymous_body()

            def answer() -> Response:
                args: list[Any] = []
                if op.authenticated:
                    actor = authenticate(
                        identity_only=op.identity_only,
                        # The record a hot read names comes with its caller, in one statement.
                        record_id=path_args.get("client_id") if op.identity_only else None,
                    )
                    if op.roles is not None and actor.role not in op.roles:
                        raise Forbidden(f"Only a {' or '.join(op.roles)} can do this.")
                    args.append(actor)
                if op.query is not None:
                    path_args["query"] = parse_query(op.query)
                if op.body is not None:
                    path_args["body"] = parse_body(op.body)
                if op.form is not None:
                    path_args["body"], path_args["files"] = parse_form(op.form, op.files)

                def unit() -> Any:
                    outcome = view(*args, **path_args)
                    if op.method == "GET":
                        end_read()  # nothing to commit: reads do not write
                    else:
                        commit()  # the unit of work's explicit step, then the commit
                    return outcome

                try:
                    # A transient lock ("database is locked", a serialization failure) rolls the
                    # unit back and runs it again after a short backoff: a wait, never a 500.
                    result = retry.run_unit(unit, what=f"{method} {request.path}")
                    # (A Response is callable too: a WSGI application, not a deferred answer.)
                    if callable(result) and not isinstance(result, BaseModel | Response):
                        result = result()
                except sa.exc.IntegrityError as exc:
                    # The services check uniqueness first; this is the race in which two requests
                    # pass that check together. The database's constraint decides, the loser
                    # gets a 409 instead of a 500.
                    db.session.rollback()
                    log.warning("integrity error on %s %s: %s", method, request.path, exc.orig)
                    raise Conflict("This conflicts with a record that already exists.") from exc
                return render(op, result)

            if op.identity_only and op.method == "GET":
                # Its row statements on a connection of its own (smptrack/read_connection.py),
                # given back however the read ends.
                begin_read()
                try:
                    return answer()
                except sa.exc.DBAPIError as exc:
                    if not exc.connection_invalidated:
                        raise
                    # Its connection was dead (the server dropped it since it was pooled; a
                    # hot read's checkout is not pinged): a read runs again, once, on a fresh one.
                    log.warning("%s %s: a dropped connection, read again", method, request.path)
                    abandon_read()
                    begin_read()
                    return answer()
                finally:
                    abandon_read()
            return answer()

        OPERATIONS.append(op)
        _HANDLERS[(rule, method)] = handler
        return handler

    return decorate


def register_routes(blueprint: Blueprint) -> None:
    """One URL rule per path of ``OPERATIONS``, passing each request to its method's handler.

    The rule's endpoint is named after the path's GET operation (``api.get_client``) when it has
    one, so ``url_for`` reads naturally.
    """
    by_rule: dict[str, list[Operation]] = {}
    for op in OPERATIONS:
        by_rule.setdefault(op.rule, []).append(op)
    for rule, ops in by_rule.items():
        endpoint = next((op.endpoint for op in ops if op.method == "GET"), ops[0].endpoint)
        view = _dispatcher(rule, endpoint)
        if any(op.form is not None for op in ops):
            view = security.accepts_upload(view)  # only with a valid-looking bearer token
        blueprint.add_url_rule(
            rule,
            endpoint=endpoint,
            view_func=view,
            methods=[op.method for op in ops],
        )


def _dispatcher(rule: str, endpoint: str) -> Callable[..., Response]:
    def dispatch(**path_args: Any) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return _HANDLERS[(rule, method)](**path_args)

    dispatch.__name__ = endpoint
    return dispatch


# --- request handling --------------------------------------------------------------------


def bearer_secret() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(
    *, identity_only: bool = False, record_id: int | None = None
) -> User | accounts.ApiCaller:
    """The user of the request's bearer token (only who they are, an ``accounts.ApiCaller``,
    with ``identity_only``, holding the client record ``record_id`` if the login sees it),
    else ``Unauthorized``. The token's last use is written after the response, at most once
    an hour (``accounts.user_for_api_token``)."""
    secret, now = bearer_secret() or "", utc_now()
    if identity_only:
        user = accounts.caller_for_api_token(secret, now, record_id=record_id)
    else:
        user = accounts.user_for_api_token(secret, now)
    if user is None:
        raise Unauthorized("Send a valid bearer token: Authorization: Bearer <token>.")
    return user


def _holds_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_holds_non_finite(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_non_finite(item) for item in value)
    return False


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The JSON body validated by ``model``: ``BadRequest`` if it is not a JSON object,
    ``ValidationFailed`` (with ``fields``) if the object does not fit the model.

    The body is read once (its size was checked first, ``smptrack.security``; reading past the
    limit raises 413) and parsed once, by pydantic from the raw bytes, so that strict mode
    applies JSON's rules: "2026-05-01" is a date, "5" is not a number.
    """
    if not request.is_json:
        raise BadRequest("Send a JSON object with Content-Type: application/json.")
    raw = request.get_data(cache=True)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors()
        if any(error["type"] == "json_invalid" for error in errors):
            raise BadRequest("The body is not valid JSON.") from exc
        if any(error["type"] == "model_type" and not error["loc"] for error in errors):
            raise BadRequest("Send a JSON object, not a list or a single value.") from exc
        # pydantic's parser reads NaN and Infinity, which are not JSON (RFC 8259); the body
        # models refuse non-finite numbers, so any that was sent is in some error's input.
        if any(_holds_non_finite(error.get("input")) for error in errors):
            raise BadRequest("The body is not valid JSON: NaN and infinity are not JSON.") from exc
        raise ValidationFailed("Please correct the highlighted fields.", fields_of(exc)) from exc


def parse_form(model: type[BaseModel], files: tuple[str, ...]) -> tuple[BaseModel, dict[str, Any]]:
    """A multipart/form-data body: its text fields validated by ``model`` (each sent once;
    unknown ones refused) and its file parts named in ``files`` (a missing one is None; the
    view says what it needs). Parsing is Werkzeug's, under the upload limits (413 past them)."""
    if request.mimetype != "multipart/form-data":
        raise BadRequest("Send multipart/form-data, with the file as a part of its own.")
    form = request.form
    if any(len(form.getlist(name)) > 1 for name in form):
        raise ValidationFailed("Send each field once.", {"body": "A field was sent twice."})
    unexpected = sorted(set(request.files) - set(files))
    if unexpected:
        name = unexpected[0][:100]
        raise ValidationFailed("This file part is not accepted.", {name: "Not accepted."})
    try:
        values = model.model_validate(form.to_dict())
    except ValidationError as exc:
        raise ValidationFailed("Please correct the highlighted fields.", fields_of(exc)) from exc
    return values, {name: request.files.get(name) for name in files}


def parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ValidationFailed("Please correct the query arguments.", fields_of(exc)) from exc


_MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "This field is not accepted.",
}
_PATTERN_MESSAGES = {
    LINE_PATTERN: "Remove the control characters (line breaks, tabs and the like).",
    TEXT_PATTERN: "Remove the control characters (line breaks and tabs are fine).",
}


def fields_of(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as ``{"placements.0.zone": "Input should be ..."}``, one per field.

    Messages never repeat the input, which may be long or hostile.
    """
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        # An unknown field's name is the sender's text: keep what comes back short.
        key = ".".join(str(part) for part in error["loc"])[:100] or "body"
        message = _MESSAGES.get(error["type"], error["msg"])
        if error["type"].endswith("_type") and error.get("input", ...) is None:
            message = "This field cannot be null."
        if error["type"] == "string_pattern_mismatch":
            message = _PATTERN_MESSAGES.get(error.get("ctx", {}).get("pattern"), message)
        message = message.removeprefix("Value error, ")
        if not message.endswith("."):
            message += "."
        fields.setdefault(key, message)
    return fields


def render(op: Operation, result: BaseModel) -> Response:
    if op.produces is not None:
        if not isinstance(result, Response):
            raise TypeError(f"{op.endpoint} returned {type(result).__name__}, not a Response")
        return result
    if not isinstance(result, op.response):
        raise TypeError(f"{op.endpoint} returned {type(result).__name__}, not {op.response}")
    # pydantic's own encoder: a projection's hundreds of curve points cost a fifth of a
    # model_dump followed by the standard library's json.dumps.
    return Response(result.model_dump_json(), status=op.status, mimetype="application/json")


def service_error(exc: ServiceError) -> Response:
    """The blueprint's handler of service errors (registered in ``smptrack.api``)."""
    db.session.rollback()
    response = json_error(exc.status, exc.code, exc.message, exc.fields)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="smptrack"'
    retry_after = getattr(exc, "retry_after", None)  # a throttle's 429 (services.throttle)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response
