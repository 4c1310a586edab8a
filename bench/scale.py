"""Benchmark the due sweep and the recompute after a model change at scale (issue 9 item 8).

1. Generate ``--clients`` clients on PostgreSQL with COPY (a realistic mix: 1-4 sessions over
   1-6 zones, some touch-ups, sun entries with hats, sunscreen and sky-estimated UV indexes, a
   fifth of the clients with 1-3 ratings), spread over practices of 1,000 clients. The
   materialised dates of the generated rows are spread like computed ones (a baseline plus two to
   seven years); the recompute below replaces them with the model's for its range.
2. The due sweep: ``EXPLAIN (ANALYZE)`` of today's cohort (clients whose touch-up window opens
   today, across every practice), of the touch-up reminder's cohort (most likely date = today +
   the 60-day lead) and of one practice's due list (the query of ``services.due``).
3. The recompute after a model change (``projections.recompute_range``) over the first
   ``--recompute`` clients, split into ``--processes`` disjoint id ranges, each process with its
   own connection, timed by the wall clock and by CPU (each process's own and its database
   backend's, read from /proc: on a shared machine the CPU per client is the stable figure, and
   processes / CPU per client the rate on that many free cores). Before it the range's stored
   rows are given another model's version label (``forget_stored``), so that every run writes
   every row and document as after a model change; ``--unchanged`` times a repeated recompute,
   which writes nothing. Then the reference path
   (``refresh_client`` per ORM object, as ``rebuild_all`` did) over ``--reference`` clients for
   comparison.

Run: ``python bench/scale.py [--clients 1000000] [--recompute 100000] [--processes 2]
[--database URL] [--keep | --drop]``. Prints a table. Generation is skipped when the database
already holds ``--clients`` clients (``--regenerate`` forces it). The machine is shared: figures
are wall-clock on whatever the other processes leave free.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:55432/smp_scale"
NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
TODAY = NOW.date()
PRACTICE_SIZE = 1000
ZONES6 = ("frontal_hairline", "left_temple", "right_temple", "mid_scalp", "crown", "occipital")
BANDS = ("55_plus", "45_55", "35_45", "25_35", "under_25")
LIFESTYLES = ("indoor", "average", "outdoor_leisure", "outdoor_worker")
TIME_ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Australia/Sydney")
ASSESSORS = ("practitioner_in_person", "practitioner_photo", "client_self")
SKIES = ("clear", "partly_cloudy", "mostly_cloudy", "overcast")
HATS = ("none", "cap", "wide_brim")
TABLES = (
    "fade_assessments",
    "sun_exposures",
    "placements",
    "treatment_sessions",
    "client_projections",
    "sun_dose_months",
    "reminders",
    "practice_model_versions",
    "clients",
    "practice_settings",
    "practices",
    "users",
)


def build_app(url: str):
    os.environ["SMPTRACK_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="smptrack-scale-")
    from smptrack.app import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-scale"})


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# --- generation -------------------------------------------------------------------------------


def generate(url: str, clients: int, seed: int) -> dict[str, int]:
    """COPY the users, clients and their histories; returns the row counts."""
    import psycopg

    rng = random.Random(seed)
    counts = dict.fromkeys(("users", "clients", "sessions", "placements", "sun", "ratings"), 0)
    created = datetime(2026, 1, 1)
    with psycopg.connect(psycopg_url(url), autocommit=False) as conn:
        with conn.cursor() as cur:
            cur.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
            practices = (clients + PRACTICE_SIZE - 1) // PRACTICE_SIZE
            with cur.copy(
                "COPY users (id, email, password_hash, role, display_name, time_zone, active,"
                " created_at) FROM STDIN"
            ) as copy:
                for pid in range(1, practices + 1):
                    copy.write_row(
                        (
                            pid,
                            f"p{pid}@scale.test",
                            "!",
                            "practitioner",
                            f"Practice {pid}",
                            "Europe/London",
                            True,
                            created,
                        )
                    )
            counts["users"] = practices
            # Since issue 11 the practice is the tenant: practice n, owned by user n, holds
            # clients (n-1)*1000+1 .. n*1000, each assigned to that practitioner.
            with cur.copy(
                "COPY practices (id, name, address, phone, booking_url, time_zone,"
                " mail_from_name, reply_to, created_at) FROM STDIN"
            ) as copy:
                for pid in range(1, practices + 1):
                    row = (pid, f"Practice {pid}", "", "", "", "Europe/London", "", "", created)
                    copy.write_row(row)
            session_id = placement_id = 0
            statements = {
                "copy_clients": (
                    "COPY clients (id, practice_id, practitioner_id, display_name, email,"
                    " time_zone, fitzpatrick, sebum, retinoid_or_peel_use, swimming, goal,"
                    " hair_length,"
                    " latitude_band, lifestyle, usual_hat, usual_hat_pct, usual_sunscreen_spf,"
                    " usual_sunscreen_pct, usual_sunscreen_generous, sun_log_complete, notes,"
                    " created_at, updated_at, next_touch_up_on, touch_up_earliest_on,"
                    " touch_up_latest_on, next_touch_up_zone, touch_up_due_now,"
                    " projection_model_version) FROM STDIN"
                ),
                "copy_sessions": (
                    "COPY treatment_sessions (id, client_id, performed_on, kind, logged_at,"
                    " needle, machine_settings, notes, expired_lot_confirmed) FROM STDIN"
                ),
                "copy_placements": (
                    "COPY placements (id, session_id, zone, pigment_free_text, dilution,"
                    " dilution_ratio, needle, dot_size, depth, depth_note, scar_tissue)"
                    " FROM STDIN"
                ),
                "copy_sun": (
                    "COPY sun_exposures (client_id, exposed_on, start_time, duration_minutes,"
                    " uv_index, uv_index_kind, sky, uv_index_estimated, hat, sunscreen_spf,"
                    " sunscreen_applied_at, sunscreen_generous, swimming, hair_length,"
                    " created_at) FROM STDIN"
                ),
                "copy_ratings": (
                    "COPY fade_assessments (client_id, assessed_on, zone, density_pct,"
                    " assessor_kind, note, created_at, blur_or_colour_shift) FROM STDIN"
                ),
            }
            buffers: dict[str, list[tuple]] = {name: [] for name in statements}
            for cid in range(1, clients + 1):
                zones = rng.sample(ZONES6, rng.randint(1, 6))
                first = TODAY - timedelta(days=rng.randint(35, 8 * 365))
                day = first
                last = first
                for number in range(rng.randint(1, 4)):
                    if day >= TODAY:
                        break
                    kind = "initial" if number == 0 else "build_up"
                    if number and rng.random() < 0.15:
                        kind, day = "touch_up", day + timedelta(days=rng.randint(500, 1500))
                        if day >= TODAY:
                            break
                    session_id += 1
                    buffers["copy_sessions"].append(
                        (session_id, cid, day, kind, created, "", "", "", False)
                    )
                    for zone in zones if kind != "touch_up" else zones[:2]:
                        placement_id += 1
                        buffers["copy_placements"].append(
                            (
                                placement_id,
                                session_id,
                                zone,
                                "carbon SMP",
                                "light" if rng.random() < 0.1 else "standard",
                                "",
                                "",
                                "",
                                "shallow" if rng.random() < 0.05 else "correct",
                                "",
                                rng.random() < 0.03,
                            )
                        )
                        counts["placements"] += 1
                    counts["sessions"] += 1
                    last = day
                    day += timedelta(days=21)
                span = (TODAY - first).days
                for _ in range(rng.choice((0, 0, 0, 2, 5, 10, 20, 30))):
                    estimated = rng.random() < 0.2
                    spf = rng.choice((None, None, 30, 50))
                    buffers["copy_sun"].append(
                        (
                            cid,
                            TODAY - timedelta(days=rng.randint(1, span)),
                            f"{rng.randint(8, 17):02d}:00",
                            rng.randint(15, 240),
                            round(rng.uniform(0.5, 10.0), 1),
                            "average" if estimated else "daily_max",
                            rng.choice(SKIES) if estimated else None,
                            estimated,
                            rng.choice(HATS),
                            spf,
                            "09:00" if spf else None,
                            False,
                            rng.random() < 0.05,
                            "shaved",
                            created,
                        )
                    )
                    counts["sun"] += 1
                if rng.random() < 0.2:
                    for _ in range(rng.randint(1, 3)):
                        buffers["copy_ratings"].append(
                            (
                                cid,
                                min(TODAY, last + timedelta(days=rng.randint(30, 30 + span))),
                                rng.choice(zones),
                                round(rng.uniform(50, 100), 1),
                                rng.choice(ASSESSORS),
                                "",
                                created,
                                False,
                            )
                        )
                        counts["ratings"] += 1
                # Spread like computed dates: the most likely crossing 2-7 years after
                # the baseline, the window +/- a year around it.
                most_likely = last + timedelta(days=28 + rng.randint(730, 2555))
                buffers["copy_clients"].append(
                    (
                        cid,
                        (cid - 1) // PRACTICE_SIZE + 1,
                        (cid - 1) // PRACTICE_SIZE + 1,
                        f"Client {cid}",
                        f"c{cid}@scale.test" if rng.random() < 0.8 else None,
                        rng.choice(TIME_ZONES),
                        rng.randint(1, 6),
                        rng.choice(("normal", "normal", "oily", "dry")),
                        rng.random() < 0.1,
                        "occasionally",
                        "shaved_look",
                        "shaved",
                        rng.choice(BANDS),
                        rng.choice(LIFESTYLES),
                        rng.choice(HATS),
                        rng.choice((0, 25, 50)),
                        None,
                        0,
                        False,
                        rng.random() < 0.2,
                        "",
                        created,
                        created,
                        most_likely,
                        most_likely - timedelta(days=365),
                        most_likely + timedelta(days=365),
                        zones[0],
                        most_likely <= TODAY,
                        "generated",
                    )
                )
                if cid % 20_000 == 0 or cid == clients:
                    _flush(cur, statements, buffers)
            counts["clients"] = clients
            for table in ("users", "practices", "clients", "treatment_sessions", "placements"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                    f" (SELECT max(id) FROM {table}))"  # constant table names
                )
        conn.commit()
        with conn.cursor() as cur:
            conn.autocommit = True
            cur.execute("ANALYZE")
    return counts


def _flush(cur, statements: dict[str, str], buffers: dict[str, list[tuple]]) -> None:
    """COPY each table's buffered rows, one table after the other (one COPY per connection at
    a time), and empty the buffers."""
    for name, sql in statements.items():
        with cur.copy(sql) as copy:
            for row in buffers[name]:
                copy.write_row(row)
        buffers[name].clear()


def existing_clients(url: str) -> int:
    import psycopg

    with psycopg.connect(psycopg_url(url)) as conn:
        return conn.execute("SELECT count(*) FROM clients").fetchone()[0]


# --- the due sweep ----------------------------------------------------------------------------


def explain_ms(url: str, sql: str, params: dict) -> tuple[float, int, str]:
    """Execution time (ms, best of 5 after a warm-up), rows returned and the plan's top node."""
    import psycopg

    with psycopg.connect(psycopg_url(url)) as conn:
        best, rows, node = float("inf"), 0, ""
        for _ in range(6):
            plan = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params).fetchone()[0][0]
            best = min(best, plan["Execution Time"])
            rows = plan["Plan"]["Actual Rows"]
            node = _index_used(plan["Plan"]) or plan["Plan"]["Node Type"]
        return best, rows, node


def _index_used(plan: dict) -> str | None:
    if "Index Name" in plan:
        return f"{plan['Node Type']} on {plan['Index Name']}"
    for child in plan.get("Plans", ()):
        found = _index_used(child)
        if found:
            return found
    return None


def sweep_queries(url: str) -> list[tuple[str, float, int, str]]:
    lead = TODAY + timedelta(days=60)
    queries = [
        (
            "window opens today (all practices)",
            "SELECT id FROM clients WHERE touch_up_earliest_on = %(today)s",
            {"today": TODAY},
        ),
        (
            "touch-up reminder cohort (today + 60 d)",
            "SELECT id FROM clients WHERE next_touch_up_on = %(day)s",
            {"day": lead},
        ),
        (
            "one practice's due list, page 1",
            "SELECT id, display_name, next_touch_up_on FROM clients WHERE practice_id ="
            " %(practice)s AND next_touch_up_on IS NOT NULL AND (touch_up_earliest_on <"
            " %(before)s OR touch_up_due_now) ORDER BY next_touch_up_on, display_name, id"
            " LIMIT 25",
            {"practice": 7, "before": TODAY + timedelta(days=90)},
        ),
        (
            "one practice's due list, count",
            "SELECT count(*) FROM clients WHERE practice_id = %(practice)s AND"
            " next_touch_up_on IS NOT NULL AND (touch_up_earliest_on < %(before)s OR"
            " touch_up_due_now)",
            {"practice": 7, "before": TODAY + timedelta(days=90)},
        ),
    ]
    return [(name, *explain_ms(url, sql, params)) for name, sql, params in queries]


# --- the recompute ----------------------------------------------------------------------------


def _backend_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of the PostgreSQL backend ``pid`` so far, from /proc: the
    server runs on this machine (127.0.0.1), and its work is half of a recompute's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _recompute_worker(args: tuple[str, int, int, int]) -> tuple[int, float, float, float]:
    """One id range: (clients, wall s, this process's CPU s, its database backend's CPU s)."""
    url, first_id, last_id, batch_size = args
    app = build_app(url)
    with app.app_context():
        import sqlalchemy as sa

        from smptrack.extensions import db
        from smptrack.services import projections

        backend = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.commit()
        backend_before = _backend_cpu_s(backend)
        started, cpu_started = time.perf_counter(), time.process_time()
        count = projections.recompute_range(
            NOW, first_id=first_id, last_id=last_id, batch_size=batch_size
        )
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        backend_cpu = _backend_cpu_s(backend) - backend_before
        db.session.remove()
        db.engine.dispose()
    return count, elapsed, cpu, backend_cpu


PREVIOUS_MODEL = "bench: the previous model"


def forget_stored(url: str, last_id: int) -> None:
    """Give clients 1..last_id a stored projection of another model, as a model change leaves
    them: the recompute skips a client whose stored values are already its own (a repeated run
    would write nothing), so without this a second run on the same ids would time no writes at
    all. Only the version label changes; the recompute then writes every row and document.
    The two tables are vacuumed after it (untimed, a few seconds at 1,000,000 clients): a model
    change meets rows that have stood for a while, not the dead versions this step leaves."""
    import psycopg

    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute(
            "UPDATE clients SET projection_model_version = %s WHERE id <= %s",
            (PREVIOUS_MODEL, last_id),
        )
        conn.execute(
            "UPDATE client_projections SET model_version = %s WHERE client_id <= %s",
            (PREVIOUS_MODEL, last_id),
        )
        conn.execute("VACUUM client_projections, clients")


def recompute(
    url: str, clients: int, processes: int, batch_size: int
) -> tuple[int, float, float, float]:
    """The recompute of clients 1..clients over ``processes`` ranges: (clients, wall-clock s,
    CPU s of the app processes, CPU s of their database backends).

    On a machine shared with other work the wall-clock rate is what was left over; the CPU
    time is the recompute's own cost, and ``processes`` divided by it per client is the rate
    the same number of free cores would reach."""
    share = (clients + processes - 1) // processes
    ranges = [
        (url, 1 + i * share, min(clients, (i + 1) * share), batch_size) for i in range(processes)
    ]
    started = time.perf_counter()
    if processes == 1:
        results = [_recompute_worker(ranges[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            results = pool.map(_recompute_worker, ranges)
    app_cpu = sum(r[2] for r in results)
    database_cpu = sum(r[3] for r in results)
    return sum(r[0] for r in results), time.perf_counter() - started, app_cpu, database_cpu


def reference(url: str, first_id: int, count: int) -> tuple[int, float]:
    """The reference path over ``count`` clients: ORM objects, ``refresh_client`` one by one,
    the documents stored per batch (what ``rebuild_all`` did, without the sun doses)."""
    app = build_app(url)
    with app.app_context():
        import sqlalchemy as sa

        from smptrack.extensions import db
        from smptrack.models import Client
        from smptrack.services import projections
        from smptrack.services.materialised import store_projections

        started = time.perf_counter()
        for start in range(first_id, first_id + count, 200):
            batch = db.session.scalars(
                sa.select(Client).where(Client.id >= start, Client.id < start + 200)
            ).all()
            loaded = projections.load_inputs_many(batch)
            with db.session.no_autoflush:
                done = [
                    (c, projections.refresh_client(c, NOW, loaded[c.id], store_document=False))
                    for c in batch
                ]
                store_projections(done, NOW)
            db.session.commit()
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    return count, elapsed


def database_size(url: str) -> tuple[str, int]:
    import psycopg

    with psycopg.connect(psycopg_url(url)) as conn:
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        rows = conn.execute(
            "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM treatment_sessions)"
            " + (SELECT count(*) FROM placements) + (SELECT count(*) FROM sun_exposures)"
            " + (SELECT count(*) FROM fade_assessments)"
        ).fetchone()[0]
    return f"{size / 2**30:.2f} GiB", rows


def drop_data(url: str) -> None:
    import psycopg

    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        conn.execute("VACUUM FULL")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DEFAULT_URL)
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--recompute", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--reference", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--drop", action="store_true", help="Empty the database at the end.")
    parser.add_argument(
        "--unchanged",
        action="store_true",
        help="Time a repeated recompute (stored values already the model's: nothing to write)"
        " rather than one after a model change.",
    )
    options = parser.parse_args()

    app = build_app(options.database)
    with app.app_context():
        from flask_migrate import upgrade

        from smptrack.extensions import db

        upgrade()
        db.engine.dispose()

    table: list[tuple[str, str, str, str, str]] = []
    if options.regenerate or existing_clients(options.database) != options.clients:
        started = time.perf_counter()
        counts = generate(options.database, options.clients, options.seed)
        elapsed = time.perf_counter() - started
        rows = sum(v for k, v in counts.items() if k != "users")
        print(f"generated {counts} in {elapsed:.0f} s", flush=True)
        table.append(
            (
                "generate (COPY)",
                f"{options.clients:,}",
                f"{rows:,}",
                "",
                f"{options.clients / elapsed:,.0f} clients/s, {elapsed:.0f} s",
            )
        )
    size, rows = database_size(options.database)
    for name, ms, found, node in sweep_queries(options.database):
        table.append(
            (f"sweep: {name}", f"{options.clients:,}", f"{found:,} found", f"{ms:.2f}", node)
        )
    if not options.unchanged:
        forget_stored(options.database, options.recompute)
    count, elapsed, app_cpu, database_cpu = recompute(
        options.database, options.recompute, options.processes, options.batch_size
    )
    cpu_ms = (app_cpu + database_cpu) / count * 1000
    table.append(
        (
            f"recompute{', nothing changed' if options.unchanged else ''},"
            f" {options.processes} processes",
            f"{count:,}",
            "",
            "",
            f"{count / elapsed:,.0f} clients/s, {elapsed:.0f} s wall-clock; {cpu_ms:.2f} ms CPU"
            f" per client (app {app_cpu / count * 1000:.2f} + database"
            f" {database_cpu / count * 1000:.2f}) = {options.processes * 1000 / cpu_ms:,.0f}"
            f" clients/s on {options.processes} free cores",
        )
    )
    if options.reference:
        count, elapsed = reference(options.database, options.recompute + 1, options.reference)
        table.append(
            (
                "reference path, 1 process",
                f"{count:,}",
                "",
                "",
                f"{count / elapsed:,.0f} clients/s, {elapsed:.0f} s",
            )
        )
    after, rows = database_size(options.database)
    print()
    print(f"database: {rows:,} history rows; {size} before the recompute, {after} after")
    header = ("step", "clients", "rows", "query ms", "result")
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(5)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in table:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    if options.drop:
        drop_data(options.database)
        print("data dropped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
