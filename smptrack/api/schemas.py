"""The API's request and response models (pydantic v2).

These models are the single source of both the validation of every request and the OpenAPI
document (``smptrack.api.openapi``), so the two cannot drift apart.

Request models forbid unknown fields (an ``id`` or ``practitioner_id`` smuggled into a body is
refused, not ignored) and are strict: JSON types must match (``"5"`` is not a number, ``1`` is not
``true``). Dates are ``YYYY-MM-DD`` and local times ``HH:MM`` or ``HH:MM:SS``. Every string refuses
control characters (tabs and newlines are allowed only in notes), which also keeps NUL bytes away
from PostgreSQL. The services check every business rule again; these models only make sure that
what reaches them has the right shape.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    WithJsonSchema,
)

from smptrack.domain import limits
from smptrack.domain import text as text_rule
from smptrack.domain.vocabulary import (
    ASSESSOR_KINDS,
    DEPTHS,
    DILUTIONS,
    GOALS,
    HAIR_LENGTHS,
    HATS,
    LATITUDE_BANDS,
    LIFESTYLES,
    PIGMENT_BASES,
    ROLES,
    SEBUM,
    SESSION_KINDS,
    SKIES,
    SWIMMING,
    UV_INDEX_KINDS,
    ZONES,
)

# --- field types -------------------------------------------------------------------------

# The text rule of ``smptrack.domain.text``: a one-line string refuses every control character
# (TAB, CR and LF too), C1 controls, line separators, bidi overrides and isolates; a multi-line
# one allows TAB and LF and reads CRLF as LF. The rule runs first (a before-validator), so its
# message names the character's position; the patterns state the same rule in the OpenAPI
# document (ECMA 262) and are checked again after it.
LINE_PATTERN = text_rule.LINE_PATTERN
TEXT_PATTERN = text_rule.TEXT_PATTERN
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"

NOTE_MAX = limits.NOTES_MAX
MAX_PLACEMENTS = limits.MAX_PLACEMENTS


def _line(value: Any) -> Any:
    # Not a string: left to the string schema, which answers "Input should be a valid string".
    return text_rule.check_line(value) if isinstance(value, str) else value


def _text(value: Any) -> Any:
    return text_rule.check_text(value) if isinstance(value, str) else value


def Line(max_length: int, min_length: int = 0) -> Any:
    """A one-line string of at most ``max_length`` characters."""
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length, pattern=LINE_PATTERN),
        BeforeValidator(_line),
    ]


def Text(max_length: int = NOTE_MAX) -> Any:
    """Free text that may span lines."""
    return Annotated[
        str, Field(max_length=max_length, pattern=TEXT_PATTERN), BeforeValidator(_text)
    ]


def _not_in_the_future(value: date) -> date:
    # The earliest time zone is UTC+14, so nothing later than tomorrow in UTC can be "today"
    # anywhere. The service then checks the date against the client's own zone.
    if value > datetime.now(UTC).date() + timedelta(days=1):
        raise ValueError("This date is in the future.")
    return value


# One-line strings, named for what they hold (a minimum of 1: the field cannot be empty).
EmailAddress = Line(limits.EMAIL_MAX, 1)
OptionalEmail = Line(limits.EMAIL_MAX)
Password = Line(limits.PASSWORD_MAX, 1)
TokenName = Line(limits.TOKEN_NAME_MAX)
DisplayName = Line(limits.DISPLAY_NAME_MAX, 1)
TimeZoneName = Line(limits.TIME_ZONE_MAX, 1)
Search = Line(limits.SEARCH_MAX)
Brand = Line(limits.BRAND_MAX, 1)
PigmentLine = Line(limits.PIGMENT_LINE_MAX)
Shade = Line(limits.SHADE_MAX, 1)
LotNumber = Line(limits.LOT_NUMBER_MAX, 1)
PigmentWords = Line(limits.PIGMENT_FREE_TEXT_MAX, 1)
DilutionRatio = Line(limits.DILUTION_RATIO_MAX)
Needle = Line(limits.NEEDLE_MAX)
DotSize = Line(limits.DOT_SIZE_MAX)
MachineSettings = Line(limits.MACHINE_SETTINGS_MAX)
# Multi-line text.
Notes = Text(limits.NOTES_MAX)
DepthNote = Text(limits.DEPTH_NOTE_MAX)
AssessmentNote = Text(limits.ASSESSMENT_NOTE_MAX)

PastDate = Annotated[date, AfterValidator(_not_in_the_future)]


def _local_time(value: Any) -> time:
    if not isinstance(value, str) or not re.fullmatch(LOCAL_TIME_PATTERN, value):
        raise ValueError("Give a local time as HH:MM, without a time zone.")
    return time.fromisoformat(value)


LocalTime = Annotated[
    time,
    BeforeValidator(_local_time),
    WithJsonSchema(
        {"type": "string", "pattern": LOCAL_TIME_PATTERN, "examples": ["14:30"]},
        mode="validation",
    ),
]
# In answers: "14:30:00". Not JSON Schema's format "time", which demands a UTC offset that a
# wall-clock time in the client's own zone does not have.
LocalTimeOut = Annotated[
    time,
    PlainSerializer(lambda value: value.isoformat(timespec="seconds"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": LOCAL_TIME_PATTERN}, mode="serialization"),
]


def _whole_number(value: Any) -> Any:
    # JSON Schema counts 4.0 as an integer (a number with no fractional part); so do we.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def Whole(low: int, high: int) -> Any:
    """An integer from ``low`` to ``high``. (The bounds come before the validator so that the
    JSON Schema states them as ``minimum`` and ``maximum``.)"""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_whole_number)]


def _digits(value: Any) -> Any:
    # A query argument is text; pydantic would also read "1_000", "+1" or " 1" as numbers,
    # which the document (an integer) does not allow.
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]{1,12}", value):
        raise ValueError("Give a whole number in digits.")
    return value


def QueryNumber(low: int, high: int) -> Any:
    """A query argument that is an integer from ``low`` to ``high``, written in digits."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_digits)]


def _iso_date(value: Any) -> Any:
    # Lax parsing would read "0" or "1700000000" as a Unix time; a query date is YYYY-MM-DD.
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("Give the date as YYYY-MM-DD.")
    return value


QueryDate = Annotated[date, BeforeValidator(_iso_date)]

MAX_ID = limits.MAX_ROW_ID  # PostgreSQL's integer; ids beyond it cannot exist
Id = Whole(1, MAX_ID)
Minutes = Whole(limits.DURATION_MINUTES.low, limits.DURATION_MINUTES.high)
Percent = Whole(limits.PERCENT.low, limits.PERCENT.high)
Spf = Whole(limits.SPF.low, limits.SPF.high)
Fitzpatrick = Whole(limits.FITZPATRICK.low, limits.FITZPATRICK.high)
PageNumber = QueryNumber(1, 10_000)
PerPage = QueryNumber(1, 100)
Year = QueryNumber(1900, 2200)
Month = QueryNumber(1, 12)

Zone = Literal[ZONES]
SessionKind = Literal[SESSION_KINDS]
Dilution = Literal[DILUTIONS]
Depth = Literal[DEPTHS]
Hat = Literal[HATS]
HairLength = Literal[HAIR_LENGTHS]
UvIndexKind = Literal[UV_INDEX_KINDS]
Sky = Literal[SKIES]
AssessorKind = Literal[ASSESSOR_KINDS]
PigmentBase = Literal[PIGMENT_BASES]
Sebum = Literal[SEBUM]
Swimming = Literal[SWIMMING]
Goal = Literal[GOALS]
LatitudeBand = Literal[LATITUDE_BANDS]
Lifestyle = Literal[LIFESTYLES]
Role = Literal[ROLES]


class RequestModel(BaseModel):
    """A request body: strict JSON types, unknown fields refused, no NaN or infinity."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class QueryModel(BaseModel):
    """Query-string arguments: they arrive as strings, so types are converted (not strict).
    Unknown arguments are refused, as in bodies, so that a misspelt ``per-page`` is noticed."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- errors ------------------------------------------------------------------------------


class ErrorDetail(ResponseModel):
    code: str = Field(description="A stable, machine-readable code such as `validation_failed`.")
    message: str = Field(description="A sentence to show to a person.")
    fields: dict[str, str] = Field(
        description="Per-field messages, keyed by the field's path (`placements.0.zone`)."
    )


class Error(ResponseModel):
    """The one shape of every API error."""

    error: ErrorDetail


# --- queries -----------------------------------------------------------------------------


class PageQuery(QueryModel):
    page: PageNumber = Field(1, description="1-based page number.")
    per_page: PerPage = Field(25, description="Items per page (at most 100).")


class ClientQuery(PageQuery):
    q: Search = Field("", description="Search by name or email.")
    sort: Literal["name", "touch_up"] = Field(
        "name", description="`name`, or `touch_up` for the next touch-up date first."
    )


class ExposureQuery(PageQuery):
    # Optional, but not nullable: a query string has no null.
    year: Year = Field(None, description="Only this year.")
    month: Month = Field(None, description="Only this month (with `year`).")


# --- accounts ----------------------------------------------------------------------------


class TokenCreate(RequestModel):
    email: EmailAddress
    password: Password
    name: TokenName | None = Field(None, description="A label to recognise the token by.")


class TokenOut(ResponseModel):
    id: int
    token: str = Field(description="The bearer token. Shown once: only its hash is stored.")
    name: str
    expires_at: datetime | None


class UserOut(ResponseModel):
    id: int
    email: str
    role: Role
    display_name: str
    time_zone: str
    client_id: int | None = Field(
        description="For a client login, the id of their own client record (once linked)."
    )


# --- clients -----------------------------------------------------------------------------


class ClientCreate(RequestModel):
    display_name: DisplayName
    email: OptionalEmail | None = None
    time_zone: TimeZoneName | None = Field(
        None, description="An IANA time zone; the server's default when omitted."
    )
    notes: Notes = ""
    confirm_duplicate: bool = Field(
        False,
        description="Add the client although another record of the practice has this email "
        "(otherwise 409 `duplicate_email`, naming it in `fields.existing_client_id`).",
    )


class ProfileFields(BaseModel):
    """The client facts the fade model reads (FADE-MODEL.md). In a PATCH every field is optional:
    only the fields sent change, and ``null`` is refused except where a value may be empty."""

    fitzpatrick: Fitzpatrick = Field(None, description="Fitzpatrick skin type I-VI.")
    sebum: Sebum = None
    retinoid_or_peel_use: bool = Field(None, description="Regular retinoid or peel use.")
    swimming: Swimming = None
    goal: Goal = None
    hair_length: HairLength = Field(None, description="Usual hair over the treated area.")
    latitude_band: LatitudeBand = None
    lifestyle: Lifestyle = None
    usual_hat: Hat = None
    usual_hat_pct: Percent = Field(None, description="Share of time outdoors in it.")
    usual_sunscreen_spf: Spf | None = None
    usual_sunscreen_pct: Percent = Field(None, description="Share of time outdoors.")
    usual_sunscreen_generous: bool = None
    sun_log_complete: bool = Field(None, description="Every outdoor day is in the sun log.")
    time_zone: TimeZoneName = Field(None, description="An IANA time zone.")
    latitude: float | None = Field(
        None,
        ge=-90,
        le=90,
        description="Degrees, + north; with `longitude`, where the sky's UV is estimated. "
        "null: the coordinates of the time zone.",
    )
    longitude: float | None = Field(None, ge=-180, le=180, description="Degrees, + east.")


class ClientPatch(ProfileFields, RequestModel):
    """Only the fields sent are changed."""


class Profile(ResponseModel):
    fitzpatrick: int
    sebum: Sebum
    retinoid_or_peel_use: bool
    swimming: Swimming
    goal: Goal
    hair_length: HairLength
    latitude_band: LatitudeBand
    lifestyle: Lifestyle
    usual_hat: Hat
    usual_hat_pct: int
    usual_sunscreen_spf: int | None
    usual_sunscreen_pct: int
    usual_sunscreen_generous: bool
    sun_log_complete: bool
    latitude: float | None
    longitude: float | None


class ClientOut(ResponseModel):
    id: int
    display_name: str
    email: str | None
    time_zone: str
    practice_id: int | None = Field(description="The practice (tenant) the record belongs to.")
    practitioner_id: int | None = Field(description="The assigned practitioner of the practice.")
    has_login: bool
    notes: str
    next_touch_up_on: date | None = Field(description="The projected touch-up date.")
    touch_up_earliest_on: date | None
    touch_up_latest_on: date | None
    touch_up_due_now: bool
    profile: Profile
    url: str

    @classmethod
    def of(cls, client: Any, url: str, *, notes: bool = True) -> ClientOut:
        """``client`` (a ``Client`` or a row of its columns) at ``url``; with ``notes`` false,
        its notes read as an empty string."""
        return cls(
            id=client.id,
            display_name=client.display_name,
            email=client.email,
            time_zone=client.time_zone,
            practice_id=client.practice_id,
            practitioner_id=client.practitioner_id,
            has_login=client.user_id is not None,
            notes=(client.notes or "") if notes else "",
            next_touch_up_on=client.next_touch_up_on,
            touch_up_earliest_on=client.touch_up_earliest_on,
            touch_up_latest_on=client.touch_up_latest_on,
            touch_up_due_now=bool(client.touch_up_due_now),
            profile=Profile.model_validate(client),
            url=url,
        )


class ClientPage(ResponseModel):
    items: list[ClientOut]
    page: int
    per_page: int
    total: int


# --- pigments ----------------------------------------------------------------------------


class PigmentCreate(RequestModel):
    brand: Brand
    line: PigmentLine = ""
    shade: Shade
    base: PigmentBase = "carbon"


class LotCreate(RequestModel):
    lot_number: LotNumber
    expires_on: date


class LotOut(ResponseModel):
    id: int
    pigment_id: int
    lot_number: str
    expires_on: date


class PigmentOut(ResponseModel):
    id: int
    brand: str
    line: str
    shade: str
    base: PigmentBase
    label: str
    lots: list[LotOut]


class PigmentPage(ResponseModel):
    items: list[PigmentOut]
    page: int
    per_page: int
    total: int


class RecallRowOut(ResponseModel):
    client_id: int
    client_name: str
    client_email: str | None
    session_id: int
    performed_on: date
    zone: Zone
    placement_id: int


class RecallTrace(ResponseModel):
    lot: LotOut
    items: list[RecallRowOut]
    page: int
    per_page: int
    total: int


# --- treatment sessions ------------------------------------------------------------------


class PlacementIn(RequestModel):
    zone: Zone
    pigment_lot_id: Id | None = Field(
        None, description="A lot of your own catalogue (practitioners)."
    )
    pigment_free_text: PigmentWords | None = Field(
        None, description="The pigment in words (a client logging their own session)."
    )
    dilution: Dilution = "standard"
    dilution_ratio: DilutionRatio = Field("", description="As written, e.g. `1:3`.")
    needle: Needle = ""
    dot_size: DotSize = ""
    density_worked_pct: Percent | None = None
    depth: Depth = "correct"
    depth_note: DepthNote = ""
    scar_tissue: bool = False


class SessionFields(BaseModel):
    needle: Needle = ""
    machine_settings: MachineSettings = ""
    duration_minutes: Minutes | None = None
    notes: Notes = ""
    notes_shared: bool = Field(
        False,
        description="Share the notes (and the placements' depth notes) with the client; "
        "otherwise they stay internal to the practice. A client's own session is theirs.",
    )
    confirm_expired_lot: bool = Field(
        False, description="Confirm using a lot past its expiry on the session date."
    )


class SessionCreate(SessionFields, RequestModel):
    performed_on: PastDate
    kind: SessionKind
    placements: list[PlacementIn] = Field(min_length=1, max_length=MAX_PLACEMENTS)
    consent_override_reason: Notes = Field(
        "",
        description="Why the session is recorded although the client has no valid consent on "
        "the practice's current consent text. Without it such a session is refused (409).",
    )


class SessionPatch(RequestModel):
    """Only the fields sent are changed; ``placements``, when sent, replace all of them."""

    performed_on: PastDate = None
    kind: SessionKind = None
    placements: list[PlacementIn] = Field(None, min_length=1, max_length=MAX_PLACEMENTS)
    needle: Needle = None
    machine_settings: MachineSettings = None
    duration_minutes: Minutes | None = None
    notes: Notes = None
    notes_shared: bool = Field(None, description="Share the notes with the client, or not.")
    confirm_expired_lot: bool = False


class PlacementOut(ResponseModel):
    id: int
    zone: Zone
    pigment_lot_id: int | None
    pigment_free_text: str | None
    dilution: Dilution
    dilution_ratio: str
    needle: str
    dot_size: str
    density_worked_pct: int | None
    depth: Depth
    depth_note: str
    scar_tissue: bool


class SessionOut(ResponseModel):
    id: int
    client_id: int
    performed_on: date
    kind: SessionKind
    needle: str
    machine_settings: str
    duration_minutes: int | None
    notes: str = Field(
        description="Empty for a client when the practice keeps them internal (`notes_shared`)."
    )
    notes_shared: bool
    expired_lot_confirmed: bool
    consent_override_reason: str | None
    consent_override_by_id: int | None
    consent_override_at: datetime | None
    performed_by_id: int | None
    logged_by_id: int | None
    logged_at: datetime
    updated_at: datetime | None
    placements: list[PlacementOut]


class SessionPage(ResponseModel):
    items: list[SessionOut]
    page: int
    per_page: int
    total: int


# --- sun exposure ------------------------------------------------------------------------


class ExposureCreate(RequestModel):
    exposed_on: PastDate
    duration_minutes: Minutes
    uv_index: float | None = Field(
        None,
        ge=limits.UV_INDEX.low,
        le=limits.UV_INDEX.high,
        description="Omit it (and give `sky` and `start_time`) when the client does not know "
        "it: it is then estimated from the sun at the client's location and the sky.",
    )
    sky: Sky | None = Field(
        None, description="With no `uv_index`: the sky the client saw outdoors."
    )
    uv_index_kind: UvIndexKind = Field(
        "daily_max", description="`average` over the period, or the day's `daily_max`."
    )
    start_time: LocalTime | None = Field(None, description="Local time, `HH:MM`.")
    hat: Hat = "none"
    sunscreen_spf: Spf | None = None
    sunscreen_applied_at: LocalTime | None = Field(None, description="Local time, `HH:MM`.")
    sunscreen_generous: bool = False
    swimming: bool = False
    hair_length: HairLength | None = Field(None, description="The client's usual when omitted.")


class ExposureOut(ResponseModel):
    id: int
    client_id: int
    exposed_on: date
    start_time: LocalTimeOut | None
    duration_minutes: int
    uv_index: float
    uv_index_kind: UvIndexKind
    uv_index_estimated: bool = Field(
        description="The UV index was estimated from the sun and `sky`, not given."
    )
    sky: Sky | None
    hat: Hat
    sunscreen_spf: int | None
    sunscreen_applied_at: LocalTimeOut | None
    sunscreen_generous: bool
    swimming: bool
    hair_length: HairLength
    logged_by_id: int | None
    created_at: datetime


class ExposurePage(ResponseModel):
    items: list[ExposureOut]
    page: int
    per_page: int
    total: int


# --- assessments -------------------------------------------------------------------------


class AssessmentCreate(RequestModel):
    assessed_on: PastDate
    zone: Zone
    density_pct: float = Field(
        ge=limits.DENSITY_PCT.low,
        le=limits.DENSITY_PCT.high,
        description="Percent of the healed result.",
    )
    assessor_kind: AssessorKind = Field(
        None, description="Who rated; by default `client_self` for a client, else in person."
    )
    note: AssessmentNote = ""
    notes_shared: bool = Field(
        False,
        description="Share a practitioner's note with the client; otherwise it stays internal. "
        "A client's own note is theirs.",
    )
    blur_or_colour_shift: bool = False


class AssessmentOut(ResponseModel):
    id: int
    client_id: int
    assessed_on: date
    zone: Zone
    density_pct: float
    assessor_kind: AssessorKind
    assessed_by_id: int | None
    note: str = Field(
        description="Empty for a client when the practice keeps it internal (`notes_shared`)."
    )
    notes_shared: bool
    blur_or_colour_shift: bool
    created_at: datetime


class AssessmentPage(ResponseModel):
    items: list[AssessmentOut]
    page: int
    per_page: int
    total: int


class Deleted(ResponseModel):
    """What was deleted."""

    object: Literal["client", "treatment_session"]
    id: int


# --- documents ---------------------------------------------------------------------------


class ClientExport(RootModel[dict[str, Any]]):
    """Everything smptrack holds about one client, as one JSON document."""


class OpenApiDocument(RootModel[dict[str, Any]]):
    """This document."""
