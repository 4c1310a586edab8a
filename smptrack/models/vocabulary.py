"""The closed vocabularies of the field, shared by models, forms and the API.

Each is a tuple of the stored values; labels for people live beside them.
"""

from __future__ import annotations

ROLES = ("client", "practitioner", "admin")

ZONES = (
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
)
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

SESSION_KINDS = ("initial", "build_up", "touch_up", "correction", "scar")
PIGMENT_BASES = ("carbon", "iron_oxide", "mixed")
DILUTIONS = ("standard", "light")
DEPTHS = ("shallow", "correct", "too_deep")
SEBUM = ("normal", "oily", "dry")
SWIMMING = ("never", "occasionally", "weekly", "twice_weekly_or_more")
GOALS = ("shaved_look", "density", "scar_camouflage")
HAIR_LENGTHS = ("shaved", "stubble", "thinning", "dense")
LATITUDE_BANDS = ("55_plus", "45_55", "35_45", "25_35", "under_25")
LATITUDE_BAND_LABELS = {
    "55_plus": "55° or further from the equator",
    "45_55": "45–55°",
    "35_45": "35–45°",
    "25_35": "25–35°",
    "under_25": "under 25°",
}
LIFESTYLES = ("indoor", "average", "outdoor_leisure", "outdoor_worker")
HATS = ("none", "cap", "wide_brim")
UV_INDEX_KINDS = ("average", "daily_max")
ASSESSOR_KINDS = ("practitioner_in_person", "practitioner_photo", "client_self")
REMINDER_KINDS = (
    "aftercare",
    "next_session",
    "healed_check",
    "self_check",
    "assessment",
    "touch_up",
)
REMINDER_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")
# "denied": an attempt to reach another tenant's record, answered 404 (services/audit.py).
AUDIT_ACTIONS = ("read", "create", "update", "delete", "export", "erase", "invite", "denied")
