"""The practice's model settings: the touch-up threshold and the reminders the model times.

A practitioner reads and changes their own practice only (there is no practice id in the path:
the token says whose). A change re-projects and replans the practice's clients in the same
transaction, so the answer and every client's touch-up date already reflect it.
"""

from __future__ import annotations

from dataclasses import replace

from pydantic import Field

from smptrack.api.registry import operation
from smptrack.api.schemas import RequestModel, ResponseModel, Whole
from smptrack.domain import limits, protocol
from smptrack.models import User
from smptrack.services import practice_settings
from smptrack.web import utc_now

_THRESHOLD = limits.TOUCH_UP_THRESHOLD_PCT
_LEAD_LOW, _LEAD_HIGH = protocol.OFFSET_LIMITS["touch_up_lead"]
_HEALED_LOW, _HEALED_HIGH = protocol.OFFSET_LIMITS["healed_check"]

ThresholdPct = Whole(_THRESHOLD.low, _THRESHOLD.high)
LeadDays = Whole(_LEAD_LOW, _LEAD_HIGH)
HealedCheckDay = Whole(_HEALED_LOW, _HEALED_HIGH)

_THRESHOLD_WORDS = (
    "A zone is due for a touch-up when its density falls to this percentage of its healed "
    "result (FADE-MODEL D*; default 70). Higher means sooner."
)
_LEAD_WORDS = "The 'book your touch-up' reminder comes this many days before the most likely date."
_HEALED_WORDS = "The healed-check reminder comes this many days after the last session."


class ModelSettingsOut(ResponseModel):
    """The practice's model settings, with the defaults where it chose none."""

    touch_up_threshold_pct: int = Field(description=_THRESHOLD_WORDS)
    touch_up_lead_days: int = Field(description=_LEAD_WORDS)
    healed_check_day: int = Field(description=_HEALED_WORDS)
    clients_replanned: int | None = Field(
        None, description="After a change: how many clients were re-projected and replanned."
    )


class ModelSettingsPatch(RequestModel):
    """Only the fields sent change."""

    touch_up_threshold_pct: ThresholdPct = Field(None, description=_THRESHOLD_WORDS)
    touch_up_lead_days: LeadDays = Field(None, description=_LEAD_WORDS)
    healed_check_day: HealedCheckDay = Field(None, description=_HEALED_WORDS)


def _out(actor: User, replanned: int | None = None) -> ModelSettingsOut:
    current = practice_settings.practice_input_of(actor)
    return ModelSettingsOut(
        touch_up_threshold_pct=current.touch_up_threshold_pct or 70,
        touch_up_lead_days=current.touch_up_lead,
        healed_check_day=current.healed_check,
        clients_replanned=replanned,
    )


@operation(
    "GET",
    "/practice/settings",
    summary="Your practice's model settings",
    tag="practice",
    response=ModelSettingsOut,
    roles=("practitioner",),
)
def get_practice_settings(actor: User) -> ModelSettingsOut:
    """The touch-up threshold, the touch-up reminder's lead and the healed-check day."""
    return _out(actor)


@operation(
    "PATCH",
    "/practice/settings",
    summary="Change your practice's model settings",
    tag="practice",
    body=ModelSettingsPatch,
    response=ModelSettingsOut,
    roles=("practitioner",),
)
def update_practice_settings(actor: User, body: ModelSettingsPatch) -> ModelSettingsOut:
    """Only the fields sent change. Every client of the practice is re-projected (if the
    threshold changed) and has their pending reminders replanned in the same request; values
    out of range are a 422 and change nothing."""
    sent = body.model_fields_set
    current = practice_settings.practice_input_of(actor)
    changed = replace(
        current,
        touch_up_threshold_pct=body.touch_up_threshold_pct
        if "touch_up_threshold_pct" in sent
        else current.touch_up_threshold_pct,
        touch_up_lead=body.touch_up_lead_days
        if "touch_up_lead_days" in sent
        else current.touch_up_lead,
        healed_check=body.healed_check_day if "healed_check_day" in sent else current.healed_check,
    )
    _, count = practice_settings.update_practice_settings(actor, changed, now=utc_now())
    return _out(actor, count)
