"""What writes store so that reads need not recompute it (DESIGN.md "Reads do not write").

Rows here are derived, never edited: ``services.projections.refresh_stale`` rewrites a client's
rows in the transaction that changes their inputs.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from smptrack.extensions import db
from smptrack.models.clients import Client
from smptrack.models.types import UTCDateTime


class SunDoseMonth(db.Model):
    """One month of a client's sun log: entries, minutes, ambient and effective dose (SED) at
    every zone of the vocabulary (a reader picks the zones it shows)."""

    __tablename__ = "sun_dose_months"

    client_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    month: so.Mapped[date] = so.mapped_column(primary_key=True)  # the first of the month
    entries: so.Mapped[int] = so.mapped_column()
    minutes: so.Mapped[int] = so.mapped_column()
    ambient_sed: so.Mapped[float] = so.mapped_column()
    effective_sed_by_zone: so.Mapped[dict] = so.mapped_column(sa.JSON())


class ClientProjection(db.Model):
    """A client's whole projection as of the day it was computed: per zone the window, the
    flags and the curve points, as one JSON document (the API's and the chart's source)."""

    __tablename__ = "client_projections"

    client_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: so.Mapped[date] = so.mapped_column()
    model_version: so.Mapped[str] = so.mapped_column(sa.String(40))
    computed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    document: so.Mapped[dict] = so.mapped_column(sa.JSON())
    # The API's answer for this projection (``GET /api/v1/clients/{id}/projection`` on the day
    # ``as_of``), serialised once here so that the read sends it as it is. NULL: build it.
    api_document: so.Mapped[str | None] = so.mapped_column(sa.Text())
    # The client page's fade chart section for this projection (charts.section_markup), and the
    # key of the sessions and ratings it marks (charts.chart_key): the page shows it only when
    # the key of the history it loads is the same. NULL (the bulk recompute): draw it.
    chart_html: so.Mapped[str | None] = so.mapped_column(sa.Text())
    chart_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))


# The due sweep's cohort ("whose touch-up window opens on this day", across every practice) is
# an equality on the materialised earliest date; the practice-first index of the due list
# cannot serve it. Declared here, with the other materialised state, on the clients table.
sa.Index("ix_clients_touch_up_earliest_on", Client.touch_up_earliest_on)
