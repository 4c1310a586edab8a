"""The bulk recompute's writes (issue 9 item 8): after a model change it rewrites stored rows in
place to exactly what the reference path (``refresh_client``) stores, adds missing documents and
removes those with no projection; a repeated recompute leaves what is already right untouched.
On PostgreSQL the rows and documents are written by their own statements (``projections.
_UPDATE_ROWS_POSTGRESQL``, ``materialised._store_documents_postgresql``); on SQLite by the
executemany path. Both are held to the same stored values."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from flask import Flask

from smptrack.extensions import db
from smptrack.models import Client, ClientProjection
from smptrack.services import materialised, projections
from tests.conftest import make_client, make_user
from tests.test_fast_rebuild import NOW, seed_varied, stored

PREVIOUS = "the previous model"


def _reference(count: int = 40) -> dict[int, tuple]:
    practitioner = make_user("practitioner", "p@practice.test")
    seed_varied(random.Random(20261203), practitioner, count)
    make_client(practitioner, "Never treated")
    for record in db.session.scalars(sa.select(Client)).all():
        projections.refresh_client(record, NOW)
    db.session.commit()
    return stored()


def _caches() -> dict[int, tuple[str | None, str | None]]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            ClientProjection.client_id, ClientProjection.api_document, ClientProjection.chart_key
        )
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def test_the_postgresql_row_update_names_every_materialised_column() -> None:
    statement = projections._UPDATE_ROWS_POSTGRESQL
    for name in projections._ROW_COLUMNS:
        assert f"{name} = v.{name}" in statement
        assert f"%({name})s::" in statement
        assert f"c.{name}," in statement or f"c.{name})" in statement


def test_after_a_model_change_the_recompute_rewrites_stored_rows_to_the_reference(
    app: Flask,
) -> None:
    reference = _reference()
    ids = sorted(reference)
    assert len(ids) == 41
    # What a model change leaves: every row and document of another version, some documents
    # with other content under the same version, some missing, and caches of the old documents.
    db.session.execute(
        sa.update(Client).values(projection_model_version=PREVIOUS, next_touch_up_on=None)
    )
    db.session.execute(
        sa.update(ClientProjection).values(
            model_version=PREVIOUS, api_document="old answer", chart_key="old key"
        )
    )
    same_version_other_document = ids[5:10]
    for cid in same_version_other_document:
        db.session.execute(
            sa.update(ClientProjection)
            .where(ClientProjection.client_id == cid)
            .values(model_version=reference[cid][-2], document={"zones": []})
        )
    missing = ids[10:15]
    db.session.execute(sa.delete(ClientProjection).where(ClientProjection.client_id.in_(missing)))
    db.session.commit()
    assert stored() != reference

    assert projections.recompute_range(NOW, batch_size=9) == 41
    db.session.commit()

    assert stored() == reference
    # A rewritten document's answer and chart were the old projection's: they are gone.
    assert set(_caches().values()) == {(None, None)}


def test_a_repeated_recompute_stores_the_same_and_keeps_what_is_already_right(
    app: Flask,
) -> None:
    reference = _reference(20)
    projections.recompute_range(NOW, batch_size=7)
    db.session.commit()
    assert stored() == reference
    db.session.execute(sa.update(ClientProjection).values(api_document="answer", chart_key="k"))
    db.session.commit()

    projections.recompute_range(NOW, batch_size=7)
    db.session.commit()

    assert stored() == reference
    caches = set(_caches().values())
    if db.engine.dialect.name == "postgresql":
        # Unchanged documents are not written again: their answer and chart stay valid.
        assert caches == {("answer", "k")}
    else:  # SQLite replaces the batch's documents: the page and API rebuild what they need
        assert caches == {(None, None)}


def test_a_client_without_a_projection_loses_its_stored_document(app: Flask) -> None:
    reference = _reference(6)
    first, second, *rest = sorted(reference)
    kept = db.session.get(Client, second)
    projection = projections.project_client(kept, projections.client_today(kept, NOW))

    materialised.store_documents([(first, None), (second, projection)], NOW)
    db.session.commit()

    caches = _caches()
    assert first not in caches
    assert set(caches) == {second, *rest}
    assert stored()[second] == reference[second]


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_a_recompute_into_an_empty_table_inserts_every_document(
    app: Flask, batch_size: int
) -> None:
    reference = _reference(8)
    db.session.execute(sa.delete(ClientProjection))
    db.session.commit()

    assert projections.recompute_range(NOW, batch_size=batch_size) == len(reference)
    db.session.commit()

    assert stored() == reference
