"""The consent panel of the client page reads rows of the few columns it shows
(``consents.status_shown``, ``questionnaire.latest_answers_shown``, issue 9): at every step of a
record's consent and answers it must say what the ORM reads (``status_of``, ``latest_answers``)
say."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client
from smptrack.services import consents
from smptrack.services import questionnaire as answers_service
from tests.conftest import Personas
from tests.test_consent import TEXT_V1, TEXT_V2, publish, sign_own


def the_panel_reads_agree(record: Client) -> tuple:
    db.session.expire_all()
    loaded, shown = consents.status_of(record), consents.status_shown(record)
    assert (shown.required, shown.valid, shown.words) == (
        loaded.required,
        loaded.valid,
        loaded.words,
    )
    answers = answers_service.latest_answers(record)
    answers_row = answers_service.latest_answers_shown(record)
    assert (answers_row is None) == (answers is None)
    assert answers_service.contraindications(answers_row) == (
        answers_service.contraindications(answers)
    )
    if answers is not None:
        assert answers_row.answered_at == answers.answered_at
    return shown.words, answers_service.contraindications(answers_row)


def answer(personas: Personas, now: datetime, **data: object) -> None:
    answers_service.record_answers(
        personas.practitioner_p,
        personas.record_a,
        answers_service.AnswersInput(**data),
        now=now,
    )
    db.session.commit()


def test_the_panel_reads_say_what_the_records_say_at_every_step(
    app: Flask, personas: Personas, now: datetime
) -> None:
    record = personas.record_a
    steps = [the_panel_reads_agree(record)]  # no text published, nothing answered
    first = publish(personas.practitioner_p, TEXT_V1, now)
    steps.append(the_panel_reads_agree(record))  # not signed
    answer(personas, now, blood_thinners=True, allergies="Nickel")
    sign_own(personas, first, now + timedelta(minutes=1))
    steps.append(the_panel_reads_agree(record))  # signed, two flags
    publish(personas.practitioner_p, TEXT_V2, now + timedelta(minutes=2))
    answer(personas, now + timedelta(minutes=3))
    steps.append(the_panel_reads_agree(record))  # an old version signed, all clear

    words = [step[0] for step in steps]
    assert words[0].startswith("No consent needed")
    assert words[1].startswith("Not signed")
    assert words[2].startswith("Signed on version 1")
    assert words[3].startswith("Signed version 1, current is 2")
    assert [step[1] for step in steps] == [
        [],
        [],
        ["Takes blood thinners", "Allergies: Nickel"],
        [],
    ]


def test_another_practices_text_is_not_the_records(
    app: Flask, personas: Personas, now: datetime
) -> None:
    publish(personas.practitioner_q, TEXT_V1, now)
    assert the_panel_reads_agree(personas.record_a)[0].startswith("No consent needed")
