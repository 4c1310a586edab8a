"""One rule for text (issue 8 item 6): the domain's rule itself, then the same rule at every door.

1. ``smptrack.domain.text``: a table of values, each accepted or refused with its message.
2. Every text field of every page form and every string field of every API body, found by walking
   the form classes and the OpenAPI document (so a field added later is attacked too), refuses
   NUL, CR, LF, U+202E and U+0085 with a 4xx and leaves every table as it was. Each form's clean
   post is accepted first, so the refusals below are the characters' doing.
3. The vocabularies and limits are the domain's everywhere: the migrated database's CHECK
   constraints, the columns' lengths, the forms' lengths and the OpenAPI document's enums and
   lengths.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from wtforms import Form, StringField, TextAreaField
from wtforms.fields import FieldList, FormField
from wtforms.validators import Length

import smptrack
from smptrack import mail
from smptrack.domain import limits, text, vocabulary
from smptrack.extensions import db
from smptrack.forms import BaseForm, RowForm
from smptrack.models import (
    ApiToken,
    Client,
    Pigment,
    PigmentLot,
    Placement,
    Practice,
    Reminder,
    TreatmentSession,
    User,
)
from smptrack.services import accounts, consents, follow_up, projections
from tests.conftest import PASSWORD, Personas, log_in, make_client, make_user
from tests.test_api_hostile import ROUTES, World, send, snapshot
from tests.test_api_hostile import world as world
from tests.test_api_tokens import OwnContextClient, assert_json_error

# --- 1. the rule ---------------------------------------------------------------------------

LINE_CASES = [
    # (value, refused message fragment or None when accepted)
    ("Ada Lovelace", None),
    ("Zoë Łukasiewicz-Ångström", None),
    ("山田 太郎", None),
    ("محمد\u200f 12", None),  # a right-to-left mark is allowed: it cannot reorder letters
    ("a\u200db", None),  # zero-width joiner (emoji, Indic scripts)
    ("", None),
    ("Bobby\x00Tables", "Remove a null character (U+0000) at position 6."),
    ("a\rb", "Remove a line break (U+000D) at position 2; this field takes a single line."),
    ("a\nb", "Remove a line break (U+000A) at position 2; this field takes a single line."),
    ("a\r\nb", "Remove a line break (U+000D) at position 2 (and 1 more like it); this field"),
    ("a\tb", "Remove a tab at position 2; this field takes a single line."),
    ("ring\x07", "Remove an invisible control character (U+0007) at position 5."),
    ("\x1b[31m", "Remove an invisible control character (U+001B) at position 1."),
    ("del\x7f", "Remove an invisible control character (U+007F) at position 4."),
    ("nel\x85", "Remove a line break (U+0085) at position 4"),
    ("csi\x9b", "Remove an invisible control character (U+009B) at position 4."),
    ("ab\u2028", "Remove a line break (U+2028) at position 3"),
    ("evil\u202egnp.exe", "Remove a text-direction control (U+202E) at position 5; it can make"),
    ("x\u202ay", "Remove a text-direction control (U+202A) at position 2"),
    ("x\u2066y\u2069", "Remove a text-direction control (U+2066) at position 2 (and 1 more"),
    ("half\ud800", "Remove a broken character (U+D800, half of a pair) at position 5."),
    ("\x0b", "Remove a line break (U+000B) at position 1"),
]
TEXT_CASES = [
    ("line one\nline two", None),
    ("col\tcol", None),
    ("browser\r\nline", None),  # CRLF is read as LF
    ("evil\u202e", "Remove a text-direction control (U+202E) at position 5"),
    ("nul\x00", "Remove a null character (U+0000) at position 4."),
    ("lone\rcr", "Remove a carriage return (U+000D) at position 5; use an ordinary line break."),
    ("nel\x85", "Remove an unusual line break (U+0085) at position 4; use an ordinary line break."),
    ("bell\x07", "Remove an invisible control character (U+0007) at position 5."),
    ("\ufeffbom", None),  # a byte-order mark is not a control character (category Cf)
]


@pytest.mark.parametrize(("value", "refused"), LINE_CASES, ids=[repr(v) for v, _ in LINE_CASES])
def test_a_single_line_field_takes_printable_text_on_one_line(value: str, refused: str | None):
    if refused is None:
        assert text.check_line(value) == value
        assert text.problem(value) is None
    else:
        with pytest.raises(text.TextRefused) as caught:
            text.check_line(value)
        assert caught.value.message.startswith(refused)
        assert text.problem(value) == caught.value.message


@pytest.mark.parametrize(("value", "refused"), TEXT_CASES, ids=[repr(v) for v, _ in TEXT_CASES])
def test_a_multi_line_field_also_takes_line_feeds_and_tabs(value: str, refused: str | None):
    if refused is None:
        assert text.check_text(value) == value.replace("\r\n", "\n")
        assert text.problem(value, multiline=True) is None
    else:
        with pytest.raises(text.TextRefused) as caught:
            text.check_text(value)
        assert caught.value.message.startswith(refused)


@pytest.mark.parametrize("code", [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029])
def test_every_control_character_is_refused_in_a_line_and_named_not_echoed(code: int):
    refused = text.refusal(f"ab{chr(code)}")
    assert refused is not None and refused.position == 3
    assert f"U+{code:04X}" in refused.message or code == 0x09
    assert chr(code) not in refused.message


@pytest.mark.parametrize("char", [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))])
def test_every_bidi_embedding_override_and_isolate_is_refused_even_in_notes(char: str):
    assert text.problem(f"x{char}", multiline=True) is not None
    assert text.problem(f"x{char}") is not None


def test_the_patterns_the_api_documents_say_what_the_rule_says():
    # Every character from U+0000 to U+30FF (surrogates aside, which a pattern cannot name).
    for code in [*range(0x0000, 0xD800), *range(0xE000, 0xE100)]:
        char = f"a{chr(code)}b"
        assert bool(re.fullmatch(text.LINE_PATTERN, char)) == text.is_clean(char), hex(code)
        multi = bool(re.fullmatch(text.TEXT_PATTERN, char))
        assert multi == text.is_clean(char, multiline=True), hex(code)
    assert re.fullmatch(text.TEXT_PATTERN, "a\r\nb") and not re.fullmatch(text.TEXT_PATTERN, "a\r")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NS-2031.b", "NS-2031.b"),
        ('A"; filename="evil.exe', "A_filename_evil.exe"),
        ("../../etc/passwd", "etc_passwd"),
        ("Lot\r\nSet-Cookie: x", "Lot_Set-Cookie_x"),
        ("Łódź", "d"),
        ("", "fallback"),
    ],
)
def test_a_download_name_keeps_only_safe_ascii(value: str, expected: str) -> None:
    assert text.filename_part(value, "fallback") == expected


# --- 2a. every page form -------------------------------------------------------------------

HOSTILE_LINE = {"NUL": "\x00", "CR": "\r", "LF": "\n", "RLO": "\u202e", "NEL": "\x85"}
HOSTILE_TEXT = {"NUL": "\x00", "lone CR": "\r", "RLO": "\u202e", "NEL": "\x85"}
# Bookkeeping of who is logged in and how often a login failed: a request may write these (the
# login session's last use, a throttle counter), and they hold nothing a form posts.
BOOKKEEPING = {"login_sessions", "throttle_counters"}


def data_snapshot() -> dict[str, list[tuple]]:
    return {name: rows for name, rows in snapshot().items() if name not in BOOKKEEPING}


def _all_subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def smptrack_forms() -> list[type]:
    """Every form class defined in smptrack (every module imported first)."""
    for module in pkgutil.walk_packages(smptrack.__path__, "smptrack."):
        if module.name.endswith(".forms") or module.name == "smptrack.forms":
            importlib.import_module(module.name)
    return [
        cls
        for cls in {*_all_subclasses(FlaskForm), *_all_subclasses(Form)}
        if cls.__module__.startswith("smptrack.") and cls not in (BaseForm, RowForm)
    ]


@dataclass(frozen=True)
class TextField:
    name: str  # as posted: "placements-0-needle"
    multiline: bool


def text_fields(form_class: type) -> list[TextField]:
    """The text inputs of ``form_class`` as a browser posts them (the first row of a list)."""
    form = form_class(formdata=None)
    found: list[TextField] = []

    def walk(fields: Any) -> None:
        for field in fields:
            if isinstance(field, FieldList):
                walk(field.entries[:1])
            elif isinstance(field, FormField):
                walk(field.form)
            elif isinstance(field, StringField) and field.type != "CSRFTokenField":
                found.append(TextField(field.name, isinstance(field, TextAreaField)))

    walk(form)
    return found


def test_every_form_of_the_app_applies_the_text_rule(app: Flask) -> None:
    forms = smptrack_forms()
    assert len(forms) > 20
    for form_class in forms:
        if issubclass(form_class, FlaskForm):
            assert issubclass(form_class, BaseForm), f"{form_class.__qualname__} skips BaseForm"
        else:
            assert issubclass(form_class, RowForm), f"{form_class.__qualname__} skips RowForm"


@dataclass
class Page:
    """A form as posted: where, by whom, and a body the app accepts."""

    url: str
    body: dict[str, str]
    user: User | None
    session: dict[str, str] | None = None
    refusal_redirects: bool = False  # the form lives on another page: refusal flashes and redirects
    accepted: tuple[int, ...] = (302, 303)  # a clean post's status (a new token's page: 200)


def _recent() -> str:
    return (date.today() - timedelta(days=3)).isoformat()


def _row(index: int, **values: str) -> dict[str, str]:
    row = {"zone": "", "dilution": "standard", "depth": "correct"}
    row.update(values)
    return {f"placements-{index}-{name}": value for name, value in row.items()}


def _session_body(placement: dict[str, str]) -> dict[str, str]:
    return {
        "performed_on": _recent(),
        "kind": "touch_up",
        "needle": "1RL 0.25",
        "machine_settings": "Cheyenne 90 Hz",
        "duration_minutes": "90",
        "notes": "Even coverage.\nClient comfortable.",
        **_row(
            0,
            zone="crown",
            dilution_ratio="1:3",
            needle="3RL",
            dot_size="0.3 mm",
            depth_note="Good\nretention.",
            **placement,
        ),
    }


def _pages(app: Flask, p: Personas) -> dict[type, Page]:
    """A page per form class with text fields; built in a fresh database for each test."""
    from smptrack.account.forms import (
        ChangeEmailForm,
        ChangePasswordForm,
        CreateTokenForm,
        SettingsForm,
    )
    from smptrack.appointments.forms import BookForm
    from smptrack.assessments.forms import AssessmentForm
    from smptrack.auth.forms import (
        AcceptInviteForm,
        LoginForm,
        NewPasswordForm,
        ResetRequestForm,
        SignUpForm,
    )
    from smptrack.catalogue.forms import LotForm, PigmentForm
    from smptrack.catalogue.recall_forms import RecallNoticeForm
    from smptrack.clients.forms import ClientForm, InviteForm
    from smptrack.consent.forms import QuestionnaireForm, SignForm, TemplateForm
    from smptrack.follow_up.forms import FollowUpForm
    from smptrack.onboarding.routes import WelcomeForm
    from smptrack.practice.forms import InviteMemberForm, JoinForm, PracticeForm
    from smptrack.privacy.forms import EraseClientForm, EraseOwnAccountForm
    from smptrack.reminders.forms import PracticeSettingsForm
    from smptrack.services import members
    from smptrack.treatments.quick_forms import QuickClientSessionForm, QuickPractitionerSessionForm

    pigment = Pigment(practice_id=p.practitioner_p.practice_id, brand="Perma", line="", shade="Jet")
    lot = PigmentLot(pigment=pigment, lot_number="P-1", expires_on=date(2030, 1, 1))
    db.session.add_all([pigment, lot])
    db.session.flush()
    cal = make_client(p.practitioner_p, "Cal Client", email="cal@clients.test")
    secret = app.config["SECRET_KEY"]
    _, invite = accounts.invite_client(
        cal, "cal@clients.test", p.practitioner_p, secret, datetime.now(UTC), timedelta(days=1)
    )
    reset = accounts.make_reset_token(p.client_a, secret)
    # An owner with nothing set up yet: the welcome page asks for every step.
    newcomer = make_user("practitioner", "nia@studio.test", "Nia New")
    projections.refresh_stale(datetime.now(UTC))
    db.session.commit()
    _, join = members.invite_member(
        p.practitioner_p,
        email="nell@practice-p.test",
        display_name="Nell New",
        role="practitioner",
        secret_key=secret,
        now=datetime.now(UTC),
    )
    from tests.test_history import add_session

    add_session(cal, p.practitioner_p, date.today() - timedelta(days=40), zones=("crown",))
    # Lot P-1 went into Cal's scalp, so its recall notice has someone to go to.
    db.session.add(
        TreatmentSession(
            client_id=cal.id,
            performed_on=date.today() - timedelta(days=30),
            kind="touch_up",
            placements=[Placement(zone="crown", pigment_lot=lot)],
        )
    )
    projections.refresh_stale(datetime.now(UTC))
    check_in = Reminder(  # the follow-up page asks about Cal's treated zone
        client_id=cal.id,
        recipient_email="cal@clients.test",
        kind="healed_check",
        due_at=datetime.now(UTC) - timedelta(hours=1),
        dedupe_key="text-rules:healed-check",
        status="sent",
        sent_at=datetime.now(UTC) - timedelta(hours=1),
    )
    db.session.add(check_in)
    db.session.commit()
    follow_up_path = "/follow-up/" + follow_up.follow_up_token(
        secret, check_in, issued_at=check_in.sent_at
    )
    # Q's practice publishes a consent text for B to sign (P's has none, so P's session form
    # asks for no override).
    consent_text = consents.publish_template(
        p.practitioner_q, title="Consent", body="I agree.\nTo the treatment.", now=datetime.now(UTC)
    )
    db.session.commit()
    new_password = {"password": "a new long password", "confirm": "a new long password"}
    return {
        SignUpForm: Page(
            "/auth/signup",
            {
                "role": "practitioner",
                "display_name": "Nia New",
                "email": "nia@practice-n.test",
                "time_zone": "Europe/London",
                **new_password,
            },
            None,
        ),
        LoginForm: Page("/auth/login", {"email": "p@practice-p.test", "password": PASSWORD}, None),
        ResetRequestForm: Page("/auth/reset", {"email": "a@clients.test"}, None),
        NewPasswordForm: Page("/auth/reset/new", new_password, None, {"reset_token": reset}),
        AcceptInviteForm: Page(
            "/auth/invite/accept",
            new_password,
            None,
            {"invite_token": invite},
        ),
        SettingsForm: Page(
            "/account", {"display_name": "Pat P.", "time_zone": "Europe/London"}, p.practitioner_p
        ),
        ChangePasswordForm: Page(
            "/account/password", {"current_password": PASSWORD, **new_password}, p.practitioner_p
        ),
        CreateTokenForm: Page(
            "/account/tokens", {"name": "Bookkeeping script"}, p.practitioner_p, accepted=(200,)
        ),
        ChangeEmailForm: Page(
            "/account/email",
            {"new_email": "pat.new@practice-p.test", "current_password": PASSWORD},
            p.practitioner_p,
        ),
        RecallNoticeForm: Page(
            f"/lots/{lot.id}/recall/notify",
            {"message": "Lot P-1 is recalled.\nPlease call us.", "send": "Send"},
            p.practitioner_p,
        ),
        ClientForm: Page(
            "/clients/new",
            {
                "display_name": "Dee Client",
                "email": "dee@clients.test",
                "time_zone": "Europe/London",
                "notes": "Prefers mornings.\nNo retinoids.",
            },
            p.practitioner_p,
        ),
        InviteForm: Page(
            f"/clients/{cal.id}/invite",
            {"email": "cal@clients.test"},
            p.practitioner_p,
            refusal_redirects=True,
        ),
        PigmentForm: Page(
            "/pigments/",
            {"brand": "Noir", "line": "Studio", "shade": "Charcoal", "base": "carbon"},
            p.practitioner_p,
        ),
        LotForm: Page(
            f"/pigments/{pigment.id}/lots",
            {"lot_number": "NS-2031", "expires_on": "2031-01-01"},
            p.practitioner_p,
        ),
        # A new session's page serves the quick forms (the shared-settings block on top of the
        # session's fields); the edit page's plain forms are their bases, covered through them.
        QuickPractitionerSessionForm: Page(
            f"/clients/{p.record_a.id}/sessions/new",
            _session_body({"pigment_lot_id": str(lot.id)}),
            p.practitioner_p,
        ),
        QuickClientSessionForm: Page(
            f"/clients/{p.record_a.id}/sessions/new",
            _session_body({"pigment_free_text": "Brand X Noir"}),
            p.client_a,
        ),
        AssessmentForm: Page(
            f"/clients/{p.record_a.id}/assessments/new",
            {
                "assessed_on": _recent(),
                "zone": "crown",
                "density_pct": "80",
                "assessor_kind": "practitioner_in_person",
                "note": "Daylight.\nSlight fade.",
            },
            p.practitioner_p,
        ),
        EraseClientForm: Page(
            f"/clients/{p.record_b.id}/erase", {"confirm_name": "Bea Client"}, p.practitioner_q
        ),
        EraseOwnAccountForm: Page("/me/erase", {"password": PASSWORD}, p.client_a),
        PracticeForm: Page(
            "/practice",
            {
                "name": "Pat's Studio",
                "address": "1 High Street\nLondon",
                "phone": "+44 20 7946 0000",
                "booking_url": "https://book.example/pat",
                "time_zone": "Europe/London",
                "mail_from_name": "Pat's Studio",
                "reply_to": "desk@practice-p.test",
            },
            p.practitioner_p,
        ),
        InviteMemberForm: Page(
            "/practice/members/invite",
            {"display_name": "Ivy Invitee", "email": "ivy@practice-p.test", "role": "front_desk"},
            p.practitioner_p,
        ),
        FollowUpForm: Page(
            follow_up_path, {"density_crown": "80", "note": "Daylight.\nEven cover."}, None
        ),
        TemplateForm: Page(
            "/practice/consent",
            {"title": "Consent to SMP", "body": "I agree to the treatment.\nAnd its aftercare."},
            p.practitioner_q,
        ),
        SignForm: Page(
            f"/clients/{p.record_b.id}/consent/sign",
            {"typed_name": "Bea Client", "agreed": "y", "template_id": str(consent_text.id)},
            p.client_b,
        ),
        QuestionnaireForm: Page(
            f"/clients/{p.record_a.id}/questionnaire",
            {"allergies": "Latex", "fitzpatrick": "", "notes": "Healthy scalp.\nNo medication."},
            p.practitioner_p,
        ),
        JoinForm: Page(
            "/practice/join",
            {"display_name": "Nell New", "time_zone": "Europe/London", **new_password},
            None,
            {"member_invitation_token": join},
        ),
        BookForm: Page(
            "/appointments/new",
            {
                "client_id": str(p.record_a.id),
                "practitioner_id": str(p.practitioner_p.id),
                "day": (datetime.now(UTC) + timedelta(days=7)).date().isoformat(),
                "start": "10:00",
                "minutes": "180",
                "kind": "initial",
                "note": "Prefers mornings.\nParks at the back.",
            },
            p.front_desk_p,
        ),
        WelcomeForm: Page(
            "/welcome",
            {
                "practice_name": "Ink & Follicle",
                "pigment_brand": "Nordic Scalp",
                "pigment_line": "",
                "pigment_shade": "Dark Ash",
                "pigment_base": "carbon",
                "lot_lot_number": "DA-1",
                "lot_expires_on": "2030-05-31",
                "client_display_name": "Casey Client",
                "client_email": "",
                "client_time_zone": "Europe/London",
            },
            newcomer,
        ),
        PracticeSettingsForm: Page(
            "/practice/reminders",
            {
                "waking_hours_start": "8",
                "waking_hours_end": "21",
                "aftercare": "0, 3, 7",
                "healed_check": "28",
                "next_session": "12",
                "next_session_lead": "2",
                "next_session_min": "7",
                "series_sessions": "3",
                "self_check_months": "12",
                "touch_up_lead": "60",
                "aftercare_instructions": "No washing for three days.\nNo sun for four weeks.",
            },
            p.practitioner_p,
        ),
    }


def forms_with_text() -> list[type]:
    return sorted(
        (
            cls
            for cls in smptrack_forms()
            if issubclass(cls, FlaskForm) and cls.__name__ not in ("StrictForm",)
        ),
        key=lambda cls: cls.__qualname__,
    )


@pytest.fixture
def browser(app: Flask) -> Callable[[Page], FlaskClient]:
    app.test_client_class = OwnContextClient

    def open_as(page: Page) -> FlaskClient:
        client = log_in(app.test_client(), page.user)
        if page.user is not None:
            client.get("/account")  # the login session's first use is written here, not later
        if page.session:
            with client.session_transaction() as session:
                session.update(page.session)
        return client

    return open_as


def test_every_form_with_a_text_field_is_posted_below(app: Flask, personas: Personas) -> None:
    with app.test_request_context():
        with_text = {cls for cls in forms_with_text() if text_fields(cls)}
        pages = _pages(app, personas)
    # Abstract field groups (the session's fields without its rows) are posted as their forms.
    covered = set(pages) | {base for cls in pages for base in cls.__mro__}
    assert with_text <= covered, sorted(cls.__qualname__ for cls in with_text - covered)


FORM_NAMES = [
    "SignUpForm",
    "LoginForm",
    "ResetRequestForm",
    "NewPasswordForm",
    "AcceptInviteForm",
    "SettingsForm",
    "ChangePasswordForm",
    "CreateTokenForm",
    "ChangeEmailForm",
    "RecallNoticeForm",
    "ClientForm",
    "InviteForm",
    "PigmentForm",
    "LotForm",
    "QuickPractitionerSessionForm",
    "QuickClientSessionForm",
    "WelcomeForm",
    "AssessmentForm",
    "EraseClientForm",
    "EraseOwnAccountForm",
    "PracticeSettingsForm",
    "BookForm",
    "PracticeForm",
    "InviteMemberForm",
    "JoinForm",
    "FollowUpForm",
    "TemplateForm",
    "SignForm",
    "QuestionnaireForm",
]


def _page_named(app: Flask, personas: Personas, name: str) -> tuple[type, Page]:
    pages = _pages(app, personas)
    (form_class,) = [cls for cls in pages if cls.__name__ == name]
    return form_class, pages[form_class]


def test_the_form_names_here_are_the_pages_table(app: Flask, personas: Personas) -> None:
    with app.test_request_context():
        assert sorted(cls.__name__ for cls in _pages(app, personas)) == sorted(FORM_NAMES)


@pytest.mark.parametrize("name", FORM_NAMES)
def test_each_forms_clean_post_is_accepted_so_the_refusals_below_are_the_characters(
    app: Flask, personas: Personas, browser, name: str
) -> None:
    _, page = _page_named(app, personas, name)
    client = browser(page)
    before = data_snapshot()

    response = client.post(page.url, data=page.body)

    assert response.status_code in page.accepted, (name, response.status_code)
    flashes = _flashes(client)
    assert not [m for kind, m in flashes if kind == "error"], flashes
    assert data_snapshot() != before or name in ("LoginForm",), f"{name} wrote nothing"


def _flashes(client: FlaskClient) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def _poisoned(value: str, char: str) -> str:
    value = value or "Abcd"
    return value[:1] + char + value[1:]


@pytest.mark.parametrize("name", FORM_NAMES)
def test_a_hostile_character_in_any_text_field_of_a_form_is_refused_and_writes_nothing(
    app: Flask, personas: Personas, browser, name: str
) -> None:
    form_class, page = _page_named(app, personas, name)
    with app.test_request_context():
        fields = text_fields(form_class)
    assert fields, f"{name} has no text field"
    client = browser(page)
    before = data_snapshot()
    for field in fields:
        for label, char in (HOSTILE_TEXT if field.multiline else HOSTILE_LINE).items():
            body = {**page.body, field.name: _poisoned(page.body.get(field.name, ""), char)}

            response = client.post(page.url, data=body)

            where = f"{name}.{field.name} with {label}"
            if page.refusal_redirects:
                assert response.status_code in (302, 303), where
                shown = " ".join(message for _, message in _flashes(client))
            else:
                assert response.status_code == 422, (where, response.status_code)
                shown = response.get_data(as_text=True)
            assert "at position 2" in shown and "Remove " in shown, where
            assert data_snapshot() == before, f"{where} wrote something"


# --- 2b. every API body --------------------------------------------------------------------


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def api_string_fields(document: dict, schema: dict, path: tuple = ()) -> Iterator[tuple]:
    """(path, multiline) of every free-text string property of a request schema, into arrays
    of objects (their first item). Enums, dates and times are not free text."""
    schema = _resolve(document, schema)
    for name, prop in schema.get("properties", {}).items():
        options = [_resolve(document, option) for option in prop.get("anyOf", [prop])]
        for option in options:
            if option.get("type") == "string" and "pattern" in option and "format" not in option:
                if option["pattern"] in (text.LINE_PATTERN, text.TEXT_PATTERN):
                    yield (*path, name), option["pattern"] == text.TEXT_PATTERN
            elif option.get("type") == "array" and "items" in option:
                yield from api_string_fields(document, option["items"], (*path, name, 0))
            elif option.get("type") == "string" and not {"enum", "format", "pattern"} & set(option):
                raise AssertionError(f"{'.'.join(map(str, (*path, name)))}: no text rule")


def _api_document(app: Flask) -> dict:
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _operation_schema(document: dict, route_name: str) -> dict:
    route = ROUTES[route_name]
    path = (
        route.path.replace("{a}", "{client_id}")
        .replace("{session}", "{session_id}")
        .replace("{pigment}", "{pigment_id}")
        .replace("{appointment}", "{appointment_id}")
    )
    operation = document["paths"][path][route.method.lower()]
    return operation["requestBody"]["content"]["application/json"]["schema"]


def test_every_string_of_every_api_body_is_under_the_text_rule(app: Flask) -> None:
    document = _api_document(app)
    found = {
        name: list(api_string_fields(document, _operation_schema(document, name)))
        for name in ROUTES
    }
    assert (("display_name",), False) in found["create client"]
    assert (("placements", 0, "depth_note"), True) in found["record session"]
    assert sum(len(fields) for fields in found.values()) >= 25


CLEAN_API_VALUES = {
    "email": "clean@clients.test",
    "time_zone": "Europe/London",
    "password": PASSWORD,
}


@pytest.mark.parametrize("route_name", list(ROUTES))
def test_a_hostile_character_in_any_string_of_an_api_body_is_refused_and_writes_nothing(
    app: Flask, world: World, route_name: str
) -> None:
    app.test_client_class = OwnContextClient
    route = ROUTES[route_name]
    document = _api_document(app)
    fields = list(api_string_fields(document, _operation_schema(document, route_name)))
    # The sun log's strings are all dates, times and choices, and the practice's model
    # settings are numbers, a move is a date and a time: they have no free text to attack.
    no_free_text = ("log sun", "change practice settings", "move appointment")
    assert bool(fields) == (route_name not in no_free_text), fields
    # The token's first use writes its last use after the response (at most once an hour): a
    # legitimate write of any request, so it happens before the snapshot.
    app.test_client().get("/api/v1/me", headers=dict(world.bearer))
    before = snapshot()
    for path, multiline in fields:
        for label, char in (HOSTILE_TEXT if multiline else HOSTILE_LINE).items():
            body = world.body(route, None)
            if path[0] == "placements" and "placements" not in body:  # a PATCH replacing them
                body["placements"] = world.body(ROUTES["record session"], None)["placements"]
            target = body
            for key in path[:-1]:
                target = target[key]
            clean = target.get(path[-1]) or CLEAN_API_VALUES.get(path[-1], "Abcd")
            target[path[-1]] = _poisoned(str(clean), char)

            response = send(app, world, route, body)

            where = f"{route_name}: {'.'.join(map(str, path))} with {label}"
            error = assert_json_error(response)
            assert response.status_code == 422, (where, response.status_code, error)
            message = error["fields"].get(".".join(map(str, path)), "")
            assert message.startswith("Remove ") and "at position 2" in message, (where, error)
            assert char not in message
            assert snapshot() == before, f"{where} wrote something"


def test_a_line_feed_in_an_api_note_is_kept_and_crlf_is_read_as_lf(
    app: Flask, world: World
) -> None:
    app.test_client_class = OwnContextClient
    route = ROUTES["create client"]
    body = world.body(route, (("notes",), "one\r\ntwo\tthree"))

    response = send(app, world, route, body)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["notes"] == "one\ntwo\tthree"


# --- 2c. the services, with no form or schema in front -------------------------------------


def test_the_services_refuse_a_control_character_without_any_form_in_front(
    app: Flask, personas: Personas
) -> None:
    from smptrack.services import clients as client_service
    from smptrack.services.errors import ValidationFailed

    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        client_service.create_client(
            personas.practitioner_p,
            display_name="Eve\u202e",
            email=None,
            time_zone="Europe/London",
            now=datetime.now(UTC),
        )
    assert caught.value.fields["display_name"].startswith("Remove a text-direction control")
    with pytest.raises(ValidationFailed):
        accounts.create_user(
            email="eve@evil.test",
            password=PASSWORD,
            role="client",
            display_name="Eve\x00",
            time_zone="UTC",
        )
    db.session.rollback()
    assert snapshot() == before


@pytest.mark.parametrize("header", ["Subject", "To", "Reply-To", "From"])
def test_no_mail_is_composed_with_a_line_break_in_a_header(header: str) -> None:
    values: dict[str, Any] = {
        "sender": "smptrack <no-reply@smp.example>",
        "to": "ada@clients.test",
        "subject": "Your touch-up",
        "text": "Hello",
    }
    evil = "Eve\r\nBcc: victim@evil.test"
    if header == "Subject":
        values["subject"] = evil
    elif header == "From":
        values["sender"] = evil + " <no-reply@smp.example>"
    elif header == "Reply-To":
        values["headers"] = {"Reply-To": evil + " <p@practice-p.test>"}
    with pytest.raises(mail.UnsafeHeader, match=f"The {header} header cannot be built: Remove"):
        if header == "To":
            mail.recipient(evil, "ada@clients.test")
        else:
            mail.compose(**values)


# --- 3. vocabularies and limits live once ----------------------------------------------------

# Which vocabulary each CHECK of the schema must hold, by (table, column).
VOCABULARY_OF = {
    ("sun_exposures", "sky"): vocabulary.SKIES,
    ("users", "role"): vocabulary.ROLES,
    ("clients", "sebum"): vocabulary.SEBUM,
    ("clients", "swimming"): vocabulary.SWIMMING,
    ("clients", "goal"): vocabulary.GOALS,
    ("clients", "hair_length"): vocabulary.HAIR_LENGTHS,
    ("clients", "latitude_band"): vocabulary.LATITUDE_BANDS,
    ("clients", "lifestyle"): vocabulary.LIFESTYLES,
    ("clients", "usual_hat"): vocabulary.HATS,
    ("pigments", "base"): vocabulary.PIGMENT_BASES,
    ("treatment_sessions", "kind"): vocabulary.SESSION_KINDS,
    ("placements", "zone"): vocabulary.ZONES,
    ("placements", "dilution"): vocabulary.DILUTIONS,
    ("placements", "depth"): vocabulary.DEPTHS,
    ("sun_exposures", "uv_index_kind"): vocabulary.UV_INDEX_KINDS,
    ("sun_exposures", "hat"): vocabulary.HATS,
    ("sun_exposures", "hair_length"): vocabulary.HAIR_LENGTHS,
    ("fade_assessments", "zone"): vocabulary.ZONES,
    ("fade_assessments", "assessor_kind"): vocabulary.ASSESSOR_KINDS,
    ("photos", "zone"): vocabulary.ZONES,
    ("reminders", "kind"): vocabulary.REMINDER_KINDS,
    ("reminders", "status"): vocabulary.REMINDER_STATUSES,
    ("audit_events", "action"): vocabulary.AUDIT_ACTIONS,
    ("account_mail", "status"): vocabulary.ACCOUNT_MAIL_STATUSES,
    ("practice_model_versions", "source"): vocabulary.MODEL_VERSION_SOURCES,
    ("practice_members", "role"): vocabulary.MEMBER_ROLES,
    ("member_invitations", "role"): vocabulary.MEMBER_ROLES,
    ("appointments", "status"): vocabulary.APPOINTMENT_STATUSES,
    ("appointments", "kind"): vocabulary.SESSION_KINDS,
    ("calendar_feeds", "scope"): vocabulary.CALENDAR_FEED_SCOPES,
    ("consents", "method"): vocabulary.CONSENT_METHODS,
    ("health_questionnaires", "answered_by_role"): vocabulary.QUESTIONNAIRE_ANSWERERS,
}
RANGE_OF = {
    ("clients", "fitzpatrick"): limits.FITZPATRICK,
    ("clients", "usual_hat_pct"): limits.PERCENT,
    ("clients", "usual_sunscreen_spf"): limits.SPF,
    ("clients", "usual_sunscreen_pct"): limits.PERCENT,
    ("treatment_sessions", "duration_minutes"): limits.DURATION_MINUTES,
    ("placements", "density_worked_pct"): limits.PERCENT,
    ("sun_exposures", "duration_minutes"): limits.DURATION_MINUTES,
    ("sun_exposures", "uv_index"): limits.UV_INDEX,
    ("clients", "latitude"): limits.LATITUDE,
    ("clients", "longitude"): limits.LONGITUDE,
    ("sun_exposures", "sunscreen_spf"): limits.SPF,
    ("fade_assessments", "density_pct"): limits.DENSITY_PCT,
    ("practice_settings", "touch_up_threshold_pct"): limits.TOUCH_UP_THRESHOLD_PCT,
    ("practice_settings", "waking_hours_start"): limits.WAKING_HOURS_START,
    ("practice_settings", "waking_hours_end"): limits.WAKING_HOURS_END,
    ("practice_settings", "appointment_reminder_hours"): limits.APPOINTMENT_REMINDER_HOURS,
    ("practice_settings", "treatment_record_retention_years"): (
        limits.TREATMENT_RECORD_RETENTION_YEARS
    ),
    ("reminder_preferences", "touch_up_lead_days"): limits.TOUCH_UP_LEAD_DAYS,
    ("health_questionnaires", "fitzpatrick"): limits.FITZPATRICK,
}
_IN = re.compile(
    r"^\(?\s*(?:\"?\w+\"?\s+IS\s+NULL\s+OR\s+)?\"?(\w+)\"?\s+IN\s*\((.*)\)\s*\)?$",
    re.IGNORECASE | re.DOTALL,
)
_RANGE = re.compile(
    r"\"?(\w+)\"?\s*IS\s+NULL\s+OR\s*\(*\s*\"?\w+\"?\s*>=\s*\(*'?(-?[\d.]+)'?.*?<=\s*\(*'?(-?[\d.]+)",
    re.IGNORECASE | re.DOTALL,
)


def _database_checks() -> Iterator[tuple[str, str]]:
    inspector = sa.inspect(db.engine)
    for table in inspector.get_table_names():
        for check in inspector.get_check_constraints(table):
            yield table, check["sqltext"]


def test_every_check_constraint_of_the_migrated_database_holds_the_domains_vocabulary(
    app: Flask,
) -> None:
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for table, sqltext in _database_checks():
        match = _IN.match(sqltext.strip())
        if match:
            # PostgreSQL writes it back as (col)::text = ANY (ARRAY['a'::character varying, ...])
            values = re.findall(r"'([^']*)'", match.group(2))
            found[(table, match.group(1))] = tuple(values)
        elif "ANY" in sqltext.upper():
            column = re.search(r"\(?\"?(\w+)\"?\)?::text", sqltext).group(1)
            found[(table, column)] = tuple(re.findall(r"'([^']*)'", sqltext))
    assert {key: set(values) for key, values in found.items()} == {
        key: set(values) for key, values in VOCABULARY_OF.items()
    }


def test_every_range_check_of_the_migrated_database_is_the_domains_range(app: Flask) -> None:
    found = {}
    for table, sqltext in _database_checks():
        match = _RANGE.search(sqltext)
        if match:
            found[(table, match.group(1))] = (float(match.group(2)), float(match.group(3)))
    assert found == {key: (float(r.low), float(r.high)) for key, r in RANGE_OF.items()}


# (form class name, field) -> the model column it fills
FORM_COLUMNS = {
    "SignUpForm": User,
    "AcceptInviteForm": User,
    "SettingsForm": User,
    "LoginForm": User,
    "ResetRequestForm": User,
    "JoinForm": User,
    "InviteMemberForm": {"display_name": User.__table__.c.display_name},
    "PracticeForm": Practice,
    "ClientForm": Client,
    "InviteForm": Client,
    "EraseClientForm": {"confirm_name": Client.__table__.c.display_name},
    "PigmentForm": Pigment,
    "LotForm": PigmentLot,
    "_SessionFields": TreatmentSession,
    "_PlacementFields": Placement,
    "ClientPlacementForm": Placement,
}


def _length_of(field: Any) -> int | None:
    lengths = [v.max for v in field.validators if isinstance(v, Length) and v.max >= 0]
    return lengths[0] if lengths else None


def test_every_form_text_field_is_as_long_as_the_column_it_fills(app: Flask) -> None:
    checked = 0
    with app.test_request_context():
        for form_class in smptrack_forms():
            target = FORM_COLUMNS.get(form_class.__name__)
            if target is None:
                continue
            form = form_class(formdata=None) if issubclass(form_class, FlaskForm) else form_class()
            for field in form:
                if not isinstance(field, StringField) or isinstance(field, TextAreaField):
                    continue
                columns = target if isinstance(target, dict) else target.__table__.c
                column = columns.get(field.short_name)
                if column is None or getattr(column.type, "length", None) is None:
                    continue
                assert _length_of(field) == column.type.length, (
                    f"{form_class.__name__}.{field.short_name}"
                )
                checked += 1
    assert checked >= 15


SCHEMA_MODELS = {
    "ClientCreate": Client,
    "TokenCreate": {"email": User.__table__.c.email, "name": ApiToken.__table__.c.name},
    "PigmentCreate": Pigment,
    "LotCreate": PigmentLot,
    "PlacementIn": Placement,
    "SessionCreate": TreatmentSession,
    "SessionPatch": TreatmentSession,
    "ClientPatch": Client,
}
DOMAIN_VOCABULARIES = {
    name: set(value)
    for name, value in vars(vocabulary).items()
    if name.isupper() and isinstance(value, tuple)
}


def test_the_openapi_documents_enums_and_lengths_are_the_domains(app: Flask) -> None:
    document = _api_document(app)
    enums = 0
    lengths = 0

    def walk(schema: Any) -> Iterator[dict]:
        if isinstance(schema, dict):
            yield schema
            for value in schema.values():
                yield from walk(value)
        elif isinstance(schema, list):
            for value in schema:
                yield from walk(value)

    for node in walk(document["components"]["schemas"]):
        if "enum" in node and node.get("type") == "string":
            assert set(node["enum"]) in DOMAIN_VOCABULARIES.values() or set(node["enum"]) <= {
                "name",
                "touch_up",
                "client",
                "treatment_session",
            }, node["enum"]
            enums += 1
    for schema_name, target in SCHEMA_MODELS.items():
        schema = document["components"]["schemas"][schema_name]
        columns = target if isinstance(target, dict) else target.__table__.c
        for name, prop in schema["properties"].items():
            column = columns.get(name)
            if column is None or getattr(column.type, "length", None) is None:
                continue
            (option,) = [o for o in prop.get("anyOf", [prop]) if o.get("type") == "string"]
            if "enum" in option:
                continue
            assert option.get("maxLength") == column.type.length, f"{schema_name}.{name}"
            lengths += 1
    assert enums >= 15 and lengths >= 15
    zone = document["components"]["schemas"]["PlacementIn"]["properties"]["zone"]
    assert _resolve(document, zone).get("enum", zone.get("enum")) == list(vocabulary.ZONES)
