"""The client page's reads (services.overview, services.materialised.fade_section): the
hand-over choices give the same answer as the service the hand-over itself validates against,
the sections' totals count every row however many there are, the fade chart's markup escapes
what it writes, and the chart section a write stores is shown only while it is the one its
inputs draw now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack import charts
from smptrack.domain import fade, uv
from smptrack.extensions import db
from smptrack.models import AuditEvent, SunDoseMonth
from smptrack.services import clients as client_service
from smptrack.services import overview
from tests.conftest import Personas, log_in, make_member, make_user, statements_sent


@pytest.mark.parametrize("who", ["practitioner_p", "colleague_p", "front_desk_p", "practitioner_q"])
def test_the_hand_over_choices_are_the_practices_active_practitioners_by_name(
    app: Flask, personas: Personas, who: str
) -> None:
    make_member(personas.practitioner_p, "practitioner", "al@practice-p.test", "Al Active")
    gone = make_member(personas.practitioner_p, "practitioner", "gone@practice-p.test", "Gone")
    gone.active = False
    make_user("practitioner", "elsewhere@other.test", "Elsa Elsewhere")
    db.session.commit()
    viewer = personas.by_name(who)

    choices = overview.handover_choices(viewer)

    assert choices == [
        (p.id, p.display_name) for p in client_service.practitioners_of_practice(viewer)
    ]
    if who != "practitioner_q":
        assert [name for _, name in choices] == ["Al Active", "Cole Colleague", "Pat Practitioner"]


def test_a_client_sees_no_hand_over_choices(app: Flask, personas: Personas) -> None:
    assert overview.handover_choices(personas.client_a) == []


def test_the_page_offers_the_hand_over_only_with_a_colleague_to_hand_over_to(
    app: Flask, personas: Personas
) -> None:
    with_colleague = log_in(app.test_client(), personas.practitioner_p).get(
        f"/clients/{personas.record_a.id}"
    )
    alone = log_in(app.test_client(), personas.practitioner_q).get(
        f"/clients/{personas.record_b.id}"
    )

    page = with_colleague.get_data(as_text=True)
    assert "Assigned practitioner" in page
    assert f'<option selected value="{personas.practitioner_p.id}">Pat Practitioner' in page
    assert "Cole Colleague</option>" in page
    assert "Assigned practitioner" not in alone.get_data(as_text=True)


def test_the_access_log_and_sun_totals_count_every_row_and_a_far_page_shows_the_last(
    app: Flask, personas: Personas
) -> None:
    record, p = personas.record_a, personas.practitioner_p
    start = datetime(2025, 1, 1, tzinfo=UTC)
    db.session.add_all(
        AuditEvent(
            occurred_at=start + timedelta(minutes=i),
            actor_id=p.id,
            client_id=record.id,
            action="read",
            object_type="client",
            object_id=record.id,
        )
        for i in range(23)
    )
    db.session.add_all(
        SunDoseMonth(
            client_id=record.id,
            month=date(2020 + i // 12, i % 12 + 1, 1),
            entries=1,
            minutes=10 + i,
            ambient_sed=1.0,
            effective_sed_by_zone={},
        )
        for i in range(12)
    )
    db.session.commit()
    browser = log_in(app.test_client(), p)

    first = browser.get(f"/clients/{record.id}").get_data(as_text=True)
    far = browser.get(f"/clients/{record.id}?events_page=99&sun_page=99").get_data(as_text=True)

    # 23 lines written here and one more per view of the page before the one shown.
    assert "23 events, newest first" in first
    assert "12 months of sun log" in first and "December 2020" in first
    assert "Page 1 of 3" in first  # the sun log: 12 months, five a page
    assert "24 events, newest first" in far and "Page 5 of 5" in far
    assert "Page 3 of 3" in far and "January 2020" in far and "December 2020" not in far


def test_the_access_log_counts_at_most_its_bound_and_pages_the_latest_lines(
    app: Flask, personas: Personas
) -> None:
    # The log grows at every read without end: the section counts ACCESS_LOG_COUNTED lines at
    # most (a view's cost must not grow with the record's age) and says there are more.
    record, p = personas.record_a, personas.practitioner_p
    start = datetime(2025, 1, 1, tzinfo=UTC)
    lines = overview.ACCESS_LOG_COUNTED + 10
    db.session.execute(
        sa.insert(AuditEvent),
        [
            {
                "occurred_at": start + timedelta(minutes=i),
                "actor_id": p.id,
                "client_id": record.id,
                "action": "read",
                "object_type": "client",
                "object_id": record.id,
            }
            for i in range(lines)
        ],
    )
    db.session.commit()
    browser = log_in(app.test_client(), p)
    bound = overview.ACCESS_LOG_COUNTED
    pages = bound // 5

    first = browser.get(f"/clients/{record.id}").get_data(as_text=True)
    far = browser.get(f"/clients/{record.id}?events_page={pages + 7}").get_data(as_text=True)

    assert f"More than {bound} events, the latest {bound} paged here" in first
    assert f"Page 1 of {pages}+" in first
    assert f"Page {pages} of {pages}+" in far
    assert far.count('<td data-label="From">') == 5  # a full page of the log, not an empty one


def test_the_chart_markup_escapes_its_text(app: Flask, personas: Personas) -> None:
    client = fade.ClientFactors(
        fitzpatrick=3, latitude_band="45_55", lifestyle="average", habits=uv.Habits()
    )
    sessions = [fade.TreatmentSession(date(2025, 1, 6), "initial", (fade.Placement("crown"),))]
    projection = fade.project(client, sessions, [], [], as_of=date(2025, 6, 1), sigma=0.30)
    chart = charts.fade_chart(projection, [date(2025, 1, 6)], [])
    assert chart is not None
    hostile = chart.panels[0].__class__(
        **{**chart.panels[0].__dict__, "description": "<script>x</script> & 'y'"}
    )
    markup = charts.chart_markup(
        chart.__class__(**{**chart.__dict__, "panels": [hostile, *chart.panels[1:]]})
    )

    assert "<script>" not in markup
    assert "&lt;script&gt;x&lt;/script&gt; &amp; &#39;y&#39;" in markup
    assert markup.count('<svg class="fade-plot"') == len(chart.panels)
    assert markup.count('class="session-marker"') == sum(len(p.sessions) for p in chart.panels)


def test_the_page_reads_a_fixed_number_of_statements_whatever_the_access_log(
    app: Flask, personas: Personas
) -> None:
    record, p = personas.record_a, personas.practitioner_p
    browser = log_in(app.test_client(), p)

    def statements_of_a_view_after(lines: int) -> list[str]:
        db.session.add_all(
            AuditEvent(
                occurred_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
                actor_id=p.id,
                client_id=record.id,
                action="read",
                object_type="client",
            )
            for i in range(lines)
        )
        db.session.commit()
        browser.get(f"/clients/{record.id}")  # the first view after a commit reloads the login
        with statements_sent() as statements:
            browser.get(f"/clients/{record.id}")
        return statements

    few = statements_of_a_view_after(1)
    many = statements_of_a_view_after(300)

    assert len(many) == len(few)
    assert not any("OVER ()" in statement for statement in many)


# --- the chart section stored with the projection (services.materialised.fade_section) -------


def _record_history_today(personas: Personas) -> tuple[int, date]:
    """Client A with two sessions and a rating by P, materialised as of the real today (the
    page's day), as a write's unit of work does."""
    from smptrack.services import projections
    from tests.test_history import add_assessment, add_session

    now = datetime.now(UTC)
    record, p = personas.record_a, personas.practitioner_p
    today = projections.client_today(record, now)
    add_session(record, p, today - timedelta(days=400), zones=("crown", "mid_scalp"))
    add_session(record, p, today - timedelta(days=300), kind="build_up")
    add_assessment(record, today - timedelta(days=30), density=80, by=p)
    projections.refresh_stale(now)
    db.session.commit()
    return record.id, today


def _stored_chart(client_id: int) -> tuple[str | None, str | None]:
    from smptrack.models import ClientProjection

    db.session.expire_all()
    row = db.session.get(ClientProjection, client_id)
    return row.chart_html, row.chart_key


def test_a_write_stores_the_chart_section_the_page_then_shows_unchanged(
    app: Flask, personas: Personas
) -> None:
    record_id, _ = _record_history_today(personas)
    html, key = _stored_chart(record_id)
    assert html is not None and len(key) == 64
    assert "Pat Practitioner" in html  # who rated, in the legend's table

    # The tests run the page with the check on: it draws the chart again and compares.
    page = log_in(app.test_client(), personas.practitioner_p).get(f"/clients/{record_id}")

    assert page.status_code == 200
    assert html in page.get_data(as_text=True)


def test_the_page_with_a_stored_chart_reads_neither_the_document_nor_any_more_rows(
    app: Flask, personas: Personas
) -> None:
    from smptrack.services import history, materialised

    record_id, today = _record_history_today(personas)
    html, _ = _stored_chart(record_id)
    record = db.session.get(type(personas.record_a), record_id)
    loaded = history.client_history(record)

    with statements_sent() as statements:
        section = materialised.fade_section(record, loaded, today)

    assert section == html
    assert len(statements) == 1 and "document" not in statements[0]


def test_a_stored_chart_that_differs_from_the_one_drawn_now_fails_the_tests(
    app: Flask, personas: Personas, caplog: pytest.LogCaptureFixture
) -> None:
    from smptrack.models import ClientProjection

    record_id, _ = _record_history_today(personas)
    db.session.execute(
        sa.update(ClientProjection)
        .where(ClientProjection.client_id == record_id)
        .values(chart_html="<p>an old drawing</p>")
    )
    db.session.commit()

    page = log_in(app.test_client(), personas.practitioner_p).get(f"/clients/{record_id}")

    assert page.status_code == 500
    assert "StaleChartError" in caplog.text


def test_a_renamed_assessor_or_a_bulk_recompute_draws_the_chart_on_the_page_writing_nothing(
    app: Flask, personas: Personas
) -> None:
    from smptrack.models import ClientProjection

    record_id, _ = _record_history_today(personas)
    personas.practitioner_p.display_name = "Pat Renamed"
    db.session.commit()
    browser = log_in(app.test_client(), personas.practitioner_p)

    renamed = browser.get(f"/clients/{record_id}").get_data(as_text=True)

    assert "Pat Renamed" in renamed
    html, _ = _stored_chart(record_id)
    assert "Pat Renamed" not in html  # the read wrote nothing

    db.session.execute(
        sa.update(ClientProjection)
        .where(ClientProjection.client_id == record_id)
        .values(chart_html=None, chart_key=None)  # as materialised.store_documents leaves it
    )
    db.session.commit()
    bulk = browser.get(f"/clients/{record_id}").get_data(as_text=True)

    assert 'class="fade-chart"' in bulk and "Pat Renamed" in bulk
    assert _stored_chart(record_id) == (None, None)
