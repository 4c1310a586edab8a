"""The closed vocabularies of the field: the values that may be stored, written once.

Models (their CHECK constraints), forms (their choices), the API's schemas (their enums), the
services and the fade model all take them from here; ``tests/test_text_rules.py`` checks that the
constraints and the OpenAPI document say the same. Each is a ``Literal`` type (for type hints)
and the tuple of its values, in the order lists show them. Changing a tuple changes what the
database accepts: it needs a migration of the CHECK constraint that names it.
"""

from __future__ import annotations

from typing import Literal, get_args

# A login's kind. "front_desk" is a practice member who books and sees contact details only.
Role = Literal["client", "practitioner", "front_desk", "admin"]
# A member's place in their practice (DESIGN "The practice (studio) is the tenant").
MemberRole = Literal["owner", "practitioner", "front_desk"]
AppointmentStatus = Literal["booked", "cancelled", "done", "no_show"]
# Whose appointments a secret calendar feed URL serves.
CalendarFeedScope = Literal["practitioner", "practice", "client"]

Zone = Literal[
    "frontal_hairline",
    "left_temple",
    "right_temple",
    "mid_scalp",
    "crown",
    "left_parietal",
    "right_parietal",
    "occipital",
    "scar_strip",
    "fue_scars",
    "other",
]
SessionKind = Literal["initial", "build_up", "touch_up", "correction", "scar"]
PigmentBase = Literal["carbon", "iron_oxide", "mixed"]
Dilution = Literal["standard", "light"]
Depth = Literal["shallow", "correct", "too_deep"]
Sebum = Literal["normal", "oily", "dry"]
Swimming = Literal["never", "occasionally", "weekly", "twice_weekly_or_more"]
Goal = Literal["shaved_look", "density", "scar_camouflage"]
HairLength = Literal["shaved", "stubble", "thinning", "dense"]
LatitudeBand = Literal["55_plus", "45_55", "35_45", "25_35", "under_25"]
Lifestyle = Literal["indoor", "average", "outdoor_leisure", "outdoor_worker"]
Hat = Literal["none", "cap", "wide_brim"]
UvIndexKind = Literal["average", "daily_max"]
Sky = Literal["clear", "partly_cloudy", "mostly_cloudy", "overcast"]  # FADE-MODEL §11
AssessorKind = Literal["practitioner_in_person", "practitioner_photo", "client_self"]
ReminderKind = Literal[
    "aftercare",
    "next_session",
    "healed_check",
    "self_check",
    "assessment",
    "touch_up",
    "appointment",
    "appointment_cancelled",
]
# "skipped": its moment had passed before it could be sent (``PlannedReminder.stale_after``).
ReminderStatus = Literal["pending", "sending", "sent", "failed", "cancelled", "skipped"]
# "denied": an attempt to reach another tenant's record, answered 404 (services/audit.py).
AuditAction = Literal["read", "create", "update", "delete", "export", "erase", "invite", "denied"]
# The account-mail outbox (invitations, password resets): no "cancelled", nothing cancels one.
AccountMailStatus = Literal["pending", "sending", "sent", "failed"]
# Where a practice's model constants came from: the documented defaults, or its own refit.
ModelVersionSource = Literal["default", "refit"]
# How a consent was given: from the client's own login, or from an emailed signing link.
ConsentMethod = Literal["account", "link"]
# Who answered a health questionnaire: the client, or a practitioner of their practice.
QuestionnaireAnswerer = Literal["client", "practitioner"]

ROLES: tuple[str, ...] = get_args(Role)
MEMBER_ROLES: tuple[str, ...] = get_args(MemberRole)
APPOINTMENT_STATUSES: tuple[str, ...] = get_args(AppointmentStatus)
CALENDAR_FEED_SCOPES: tuple[str, ...] = get_args(CalendarFeedScope)
CONSENT_METHODS: tuple[str, ...] = get_args(ConsentMethod)
QUESTIONNAIRE_ANSWERERS: tuple[str, ...] = get_args(QuestionnaireAnswerer)
ZONES: tuple[str, ...] = get_args(Zone)
SESSION_KINDS: tuple[str, ...] = get_args(SessionKind)
# The sessions of an initial series (the planner spaces them and reminds of the next one).
SERIES_KINDS: tuple[str, ...] = ("initial", "build_up")
PIGMENT_BASES: tuple[str, ...] = get_args(PigmentBase)
DILUTIONS: tuple[str, ...] = get_args(Dilution)
DEPTHS: tuple[str, ...] = get_args(Depth)
SEBUM: tuple[str, ...] = get_args(Sebum)
SWIMMING: tuple[str, ...] = get_args(Swimming)
GOALS: tuple[str, ...] = get_args(Goal)
HAIR_LENGTHS: tuple[str, ...] = get_args(HairLength)
LATITUDE_BANDS: tuple[str, ...] = get_args(LatitudeBand)
LIFESTYLES: tuple[str, ...] = get_args(Lifestyle)
HATS: tuple[str, ...] = get_args(Hat)
UV_INDEX_KINDS: tuple[str, ...] = get_args(UvIndexKind)
SKIES: tuple[str, ...] = get_args(Sky)
ASSESSOR_KINDS: tuple[str, ...] = get_args(AssessorKind)
# FADE-MODEL §6 weighs a practitioner's rating above a client's own; who may record which.
PRACTITIONER_ASSESSOR_KINDS: tuple[str, ...] = ("practitioner_in_person", "practitioner_photo")
CLIENT_ASSESSOR_KINDS: tuple[str, ...] = ("client_self",)
REMINDER_KINDS: tuple[str, ...] = get_args(ReminderKind)
REMINDER_STATUSES: tuple[str, ...] = get_args(ReminderStatus)
AUDIT_ACTIONS: tuple[str, ...] = get_args(AuditAction)
ACCOUNT_MAIL_STATUSES: tuple[str, ...] = get_args(AccountMailStatus)
MODEL_VERSION_SOURCES: tuple[str, ...] = get_args(ModelVersionSource)

# Words for people, keyed by the stored value (a missing key fails at import where it is used).
ZONE_LABELS = {
    "frontal_hairline": "Frontal hairline",
    "left_temple": "Left temple",
    "right_temple": "Right temple",
    "mid_scalp": "Mid-scalp",
    "crown": "Crown",
    "left_parietal": "Left parietal",
    "right_parietal": "Right parietal",
    "occipital": "Occipital",
    "scar_strip": "Strip scar",
    "fue_scars": "FUE scars",
    "other": "Other",
}
LATITUDE_BAND_LABELS = {
    "55_plus": "55° or further from the equator",
    "45_55": "45–55°",
    "35_45": "35–45°",
    "25_35": "25–35°",
    "under_25": "under 25°",
}

__all__ = [
    "ACCOUNT_MAIL_STATUSES",
    "APPOINTMENT_STATUSES",
    "ASSESSOR_KINDS",
    "AUDIT_ACTIONS",
    "CALENDAR_FEED_SCOPES",
    "CLIENT_ASSESSOR_KINDS",
    "CONSENT_METHODS",
    "DEPTHS",
    "DILUTIONS",
    "GOALS",
    "HAIR_LENGTHS",
    "HATS",
    "LATITUDE_BANDS",
    "LATITUDE_BAND_LABELS",
    "LIFESTYLES",
    "MEMBER_ROLES",
    "PIGMENT_BASES",
    "PRACTITIONER_ASSESSOR_KINDS",
    "QUESTIONNAIRE_ANSWERERS",
    "REMINDER_KINDS",
    "REMINDER_STATUSES",
    "ROLES",
    "SEBUM",
    "SERIES_KINDS",
    "SESSION_KINDS",
    "SKIES",
    "SWIMMING",
    "UV_INDEX_KINDS",
    "ZONES",
    "ZONE_LABELS",
    "AssessorKind",
    "AuditAction",
    "Depth",
    "Dilution",
    "Goal",
    "HairLength",
    "Hat",
    "LatitudeBand",
    "Lifestyle",
    "PigmentBase",
    "ReminderKind",
    "ReminderStatus",
    "Role",
    "Sebum",
    "SessionKind",
    "Sky",
    "Swimming",
    "UvIndexKind",
    "Zone",
]
