"""SQLAlchemy models: the nouns of DESIGN.md. No business rules here."""

from smptrack.models.account_mail import AccountMail
from smptrack.models.accounts import ApiToken, Invitation, LoginSession, User
from smptrack.models.appointments import Appointment, CalendarFeed
from smptrack.models.assessments import FadeAssessment
from smptrack.models.audit import AuditEvent
from smptrack.models.clients import Client
from smptrack.models.consent import Consent, ConsentLink, ConsentTemplate, HealthQuestionnaire
from smptrack.models.email_change import EmailChange
from smptrack.models.exposure import SunExposure
from smptrack.models.follow_up import FollowUpResponse
from smptrack.models.materialised import ClientProjection, SunDoseMonth
from smptrack.models.model_versions import PracticeModelVersion
from smptrack.models.photos import Photo
from smptrack.models.pigments import Pigment, PigmentLot
from smptrack.models.practice import MemberInvitation, Practice, PracticeMember, PracticeSettings
from smptrack.models.reminders import Reminder, ReminderPreference, SchedulerHeartbeat
from smptrack.models.throttle import ThrottleCounter
from smptrack.models.treatments import Placement, TreatmentSession

__all__ = [
    "AccountMail",
    "ApiToken",
    "Appointment",
    "AuditEvent",
    "CalendarFeed",
    "Client",
    "ClientProjection",
    "Consent",
    "ConsentLink",
    "ConsentTemplate",
    "EmailChange",
    "FadeAssessment",
    "FollowUpResponse",
    "HealthQuestionnaire",
    "Invitation",
    "LoginSession",
    "MemberInvitation",
    "Photo",
    "Pigment",
    "PigmentLot",
    "Placement",
    "Practice",
    "PracticeMember",
    "PracticeModelVersion",
    "PracticeSettings",
    "Reminder",
    "ReminderPreference",
    "SchedulerHeartbeat",
    "SunDoseMonth",
    "SunExposure",
    "ThrottleCounter",
    "TreatmentSession",
    "User",
]
