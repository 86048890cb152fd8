"""One image, one transaction; scratch state private to the call; one writer per dataset.

* An error anywhere in associate_image (injected by a trigger in the test database, at each
  stage in turn) leaves the database exactly as it was: no runcat, link, flux, sky-region,
  transient, variability, log or scratch row of the image, and the extractions loaded with
  commit=False in the same transaction are gone too. The image then associates normally,
  with the same result as a dataset that never failed.
* A backend killed while it waits inside the association (pg_sleep in a trigger) leaves
  nothing behind either.
* Associating an image a second time raises a clear error and changes nothing.
* temprunningcatalog rows are private to the call: an association of one dataset completes
  while another dataset's association is held half-way (its scratch rows written), and both
  give the reference result; two datasets associated by two threads at once do too.
* Two calls on one dataset whose images overlap are serialized by the locks of their sky
  area: the second waits (seen in pg_locks) until the first commits, and then sees its
  result; the wait is bounded (tkpdb.lock_timeout) and its error names the holder. Images
  that do not overlap (the tiles of an epoch) associate side by side, with the serial result.
"""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest

import tkpdb
from tests.sky import Survey, image, offset, query, scratch_rows, source

ERRORS = dict(error_radius=1.2, sys_err=1.6)   # on-sky sigma 2 arcsec per axis
CENTRE = (150.0, 20.0)


def at(east: float, north: float, flux: float = 1.0) -> dict:
    """A source row ``east``, ``north`` arcsec from the field centre."""
    return source(*offset(*CENTRE, east, north), flux=flux, **ERRORS)


# Two images make A (at the centre) and B (40" north); the third image continues A (one to
# one), forks B (b1, b2 8" either side), and has a bright new source n far from both (a
# transient candidate: the earlier images covered its position with rms 1 mJy).
HISTORY = [[at(0, 0), at(0, 40)], [at(0.5, 0), at(0, 40.5)]]
THIRD = [at(0.3, 0.2, 1.5), at(8, 40), at(-8, 40), at(100, -60, 5.0)]


def snapshot(conn) -> dict[str, list]:
    """Every row of every table of the schema (as text), sorted."""
    tables = [t for (t,) in query(conn, """
        SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1""")]
    return {t: sorted(map(str, query(conn, f"SELECT * FROM {t}"))) for t in tables}


def history(conn, description: str = "transactions") -> tuple[int, int]:
    """A dataset with HISTORY associated and a third image registered; (dataset, image)."""
    dataset = tkpdb.insert_dataset(conn, description)
    for step, rows in enumerate(HISTORY):
        img = image_of(conn, dataset, step)
        tkpdb.insert_extracted_sources(conn, img, rows)
        tkpdb.associate_extracted_sources(conn, img)
    return dataset, image_of(conn, dataset, len(HISTORY))


def image_of(conn, dataset: int, step: int) -> int:
    return image(conn, dataset, step, centre_ra=CENTRE[0], centre_decl=CENTRE[1])


def lightcurves(conn, dataset: int) -> set[tuple]:
    """The dataset's lightcurves as sets of (image step, position in the image, type)."""
    rows = query(conn, """
        SELECT a.runcat, i.taustart_ts, x.ra, x.decl, a.type FROM assocxtrsource a
        JOIN extractedsource x ON x.id = a.xtrsrc JOIN image i ON i.id = x.image
        JOIN runningcatalog rc ON rc.id = a.runcat WHERE rc.dataset = %s""", (dataset,))
    out: dict[int, set] = {}
    for runcat, ts, ra, decl, kind in rows:
        out.setdefault(runcat, set()).add((ts, ra, decl, kind))
    return {frozenset(v) for v in out.values()}


def execute(conn, sql: str) -> None:
    """Run and commit DDL (no parameters: '%' is literal)."""
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.commit()


FAILURES = {
    # stage function expected in the error context: (table, trigger condition)
    "assoc_one_to_many": ("runningcatalog", "TG_OP = 'INSERT' AND NEW.datapoints > 1"),
    "assoc_one_to_one": ("assocxtrsource", "NEW.type = 3"),
    "assoc_store_flux": ("runningcatalog_flux", "TG_OP = 'UPDATE'"),
    "assoc_new_sources": ("runningcatalog", "TG_OP = 'INSERT' AND NEW.datapoints = 1"),
    "assoc_transient_candidates": ("newsource", "TG_OP = 'INSERT'"),
    "assoc_insert_links": ("assocxtrsource", "NEW.type = 2"),
    "assoc_record_events": ("association_log", "TG_OP = 'INSERT'"),
}


@pytest.mark.parametrize("stage", list(FAILURES))
def test_an_error_in_any_stage_leaves_nothing(conn, stage):
    table, condition = FAILURES[stage]
    dataset, third = history(conn)
    before = snapshot(conn)
    execute(conn, f"""
        CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {condition} THEN RAISE EXCEPTION 'injected failure in %', TG_TABLE_NAME; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER injected_failure BEFORE INSERT OR UPDATE ON {table}
        FOR EACH ROW EXECUTE FUNCTION injected_failure();""")

    ids = tkpdb.insert_extracted_sources(conn, third, THIRD, commit=False)
    with pytest.raises(psycopg2.errors.RaiseException, match=f"injected failure in {table}") as err:
        tkpdb.associate_extracted_sources(conn, third)
    assert stage in err.value.diag.context           # it failed in the intended stage
    assert snapshot(conn) == before
    assert query(conn, "SELECT count(*) FROM extractedsource WHERE id = ANY(%s)", (ids,)) == [(0,)]
    assert scratch_rows(conn) == 0

    # without the failure the image associates as if nothing had happened
    execute(conn, f"DROP TRIGGER injected_failure ON {table}; DROP FUNCTION injected_failure()")
    tkpdb.insert_extracted_sources(conn, third, THIRD, commit=False)
    result = tkpdb.associate_extracted_sources(conn, third)
    assert (result["one_to_one"], result["one_to_many"], result["new_sources"],
            result["new_transient_candidates"]) == (1, 1, 1, 1)
    control, control_third = history(conn, "control")
    tkpdb.insert_extracted_sources(conn, control_third, THIRD)
    tkpdb.associate_extracted_sources(conn, control_third)
    assert lightcurves(conn, dataset) == lightcurves(conn, control)


def wait_for(conn, sql: str, params: tuple, what: str) -> None:
    """Poll until ``sql`` returns a row (an event in another session), at most 30 s."""
    for _ in range(600):
        if query(conn, sql, params):
            return
        time.sleep(0.05)
    pytest.fail(f"never saw: {what}")


@pytest.mark.parametrize("table, condition", [("assocxtrsource", "NEW.type = 2"),
                                              ("assocxtrsource", "NEW.type = 3"),
                                              ("assocskyrgn", "true")])
def test_a_killed_backend_leaves_nothing(conn, dsn, table, condition):
    dataset, third = history(conn)
    before = snapshot(conn)
    execute(conn, f"""
        CREATE FUNCTION injected_pause() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$;
        CREATE TRIGGER injected_pause BEFORE INSERT ON {table}
        FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION injected_pause();""")
    victim = tkpdb.connect(dsn)
    (pid,) = query(victim, "SELECT pg_backend_pid()")[0]
    errors: list[BaseException] = []

    def associate() -> None:
        try:
            tkpdb.insert_extracted_sources(victim, third, THIRD, commit=False)
            tkpdb.associate_extracted_sources(victim, third)
        except BaseException as exc:  # noqa: BLE001 (the kill is the point)
            errors.append(exc)

    worker = threading.Thread(target=associate)
    worker.start()
    wait_for(conn, "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event = 'PgSleep'",
             (pid,), "the association pausing in the trigger")
    assert query(conn, "SELECT pg_terminate_backend(%s)", (pid,)) == [(True,)]
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], psycopg2.OperationalError)
    assert snapshot(conn) == before
    execute(conn, f"DROP TRIGGER injected_pause ON {table}; DROP FUNCTION injected_pause()")
    tkpdb.insert_extracted_sources(conn, third, THIRD)
    assert tkpdb.associate_extracted_sources(conn, third)["one_to_many"] == 1


def test_associating_an_image_twice_is_refused(conn):
    dataset, third = history(conn)
    tkpdb.insert_extracted_sources(conn, third, THIRD)
    tkpdb.associate_extracted_sources(conn, third)
    before = snapshot(conn)
    with pytest.raises(psycopg2.errors.RaiseException,
                       match=f"image {third} is already associated"):
        tkpdb.associate_extracted_sources(conn, third)
    with pytest.raises(psycopg2.errors.RaiseException, match="already associated"):
        query(conn, "SELECT * FROM associate_image(%s)", (third,))
    conn.rollback()
    assert snapshot(conn) == before


@pytest.mark.parametrize("args, message", [
    ((5.68, 1.0, 3.0, 999999), "does not exist"),
    ((0.0, 1.0, 3.0, None), "deruiter_radius must be > 0"),
    ((5.68, -1.0, 3.0, None), "beamwidths_limit must be > 0")])
def test_bad_arguments_are_refused_and_change_nothing(conn, args, message):
    dataset, third = history(conn)
    tkpdb.insert_extracted_sources(conn, third, THIRD)
    before = snapshot(conn)
    deruiter, limit, margin, image_id = args
    with pytest.raises(psycopg2.errors.RaiseException, match=message):
        tkpdb.associate_extracted_sources(conn, image_id or third, deruiter, limit, margin)
    assert snapshot(conn) == before


def survey_images(east: float) -> list[list[dict]]:
    """Four images of a small crowded field (forks, many-to-one), ``east`` arcsec off centre."""
    return [[at(east, 0), at(east + 9, 0), at(east, 18)],
            [at(east, 0), at(east + 9, 0), at(east, 18)],
            [at(east - 8, 8), at(east + 8, 8), at(east + 4.5, 0), at(east + 60, 0)],
            [at(east - 12, 8), at(east + 12, 8), at(east + 4.5, 0), at(east + 60, 0)]]


def test_scratch_rows_are_private_to_the_call(conn, dsn):
    """Dataset P's association is held in the middle of stage 3 (its candidate pairs written to
    temprunningcatalog, uncommitted) while dataset Q associates a whole survey; both give the
    reference result."""
    p = Survey(conn, "held")
    for rows in survey_images(0.0)[:2]:
        p.observe(len(p.results), rows, centre_ra=CENTRE[0], centre_decl=CENTRE[1])
    gate = tkpdb.connect(dsn)
    with gate.cursor() as cur:               # a session lock the paused association waits for
        cur.execute("SELECT pg_advisory_lock(42)")
    gate.commit()
    execute(conn, f"""
        CREATE FUNCTION injected_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.dataset = {p.dataset} THEN
                PERFORM pg_advisory_lock(42); PERFORM pg_advisory_unlock(42);
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER injected_gate BEFORE INSERT ON runningcatalog
        FOR EACH ROW EXECUTE FUNCTION injected_gate();""")

    held = tkpdb.connect(dsn)
    (held_pid,) = query(held, "SELECT pg_backend_pid()")[0]
    p.conn = held                            # P's third image goes through its own session
    errors: list[BaseException] = []

    def associate_p() -> None:
        try:
            p.observe(2, survey_images(0.0)[2], centre_ra=CENTRE[0], centre_decl=CENTRE[1])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    worker = threading.Thread(target=associate_p)
    worker.start()
    wait_for(conn, """SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = 'advisory'
                      AND objid = 42 AND NOT granted""", (held_pid,), "P held in stage 3")
    # P's pairs are in a temporary table of its own session, which no other session sees
    assert scratch_rows(conn) == 0

    q = Survey(conn, "running")
    for step, rows in enumerate(survey_images(0.0)):
        q.observe(step, rows, centre_ra=CENTRE[0], centre_decl=CENTRE[1])
    q.check()
    assert sum(r["one_to_many"] for r in q.results) >= 1

    gate.rollback()
    with gate.cursor() as cur:
        cur.execute("SELECT pg_advisory_unlock(42)")
    gate.commit()
    worker.join(timeout=60)
    assert not errors, errors
    assert p.results[-1]["one_to_many"] >= 1
    p.conn = conn
    execute(conn, "DROP TRIGGER injected_gate ON runningcatalog; DROP FUNCTION injected_gate()")
    p.observe(3, survey_images(0.0)[3], centre_ra=CENTRE[0], centre_decl=CENTRE[1])
    p.check()
    assert lightcurves(conn, p.dataset) == lightcurves(conn, q.dataset)
    gate.close()
    held.close()


def test_two_datasets_associated_by_two_threads(conn, dsn):
    results: dict[str, set] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            own = tkpdb.connect(dsn)
            survey = Survey(own, name)
            for _ in range(3):                       # the same four images, three times over
                for rows in survey_images(0.0):
                    survey.observe(len(survey.results), rows, centre_ra=CENTRE[0],
                                   centre_decl=CENTRE[1])
            survey.check()
            results[name] = lightcurves(own, survey.dataset)
            own.close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert results["left"] == results["right"]


def holding_the_field(conn, dsn) -> tuple[int, int, object, int]:
    """The third image associated without commit in a session of its own (which then holds the
    locks of the field's sky area) and a fourth image of the same field loaded: (dataset,
    fourth image, the holding session, its pid)."""
    dataset, third = history(conn)
    fourth = image_of(conn, dataset, 3)
    tkpdb.insert_extracted_sources(conn, third, THIRD)
    tkpdb.insert_extracted_sources(conn, fourth, [at(100, -60, 5.0)])
    first = tkpdb.connect(dsn)
    (first_pid,) = query(first, "SELECT pg_backend_pid()")[0]
    tkpdb.associate_extracted_sources(first, third, commit=False)   # holds the locks
    return dataset, fourth, first, first_pid


def test_calls_on_one_dataset_are_serialized(conn, dsn):
    """Two images of one field: the first call holds the locks of its sky area until it commits;
    the second waits for them (pg_locks shows its request for a cell the first holds, not
    granted) and, once let through, sees the first call's new source: its extraction at the
    same position is a one-to-one match (type 3), not a second new source."""
    dataset, fourth, first, first_pid = holding_the_field(conn, dsn)
    second = tkpdb.connect(dsn)
    (second_pid,) = query(second, "SELECT pg_backend_pid()")[0]
    done: list[dict] = []
    worker = threading.Thread(target=lambda: done.append(
        tkpdb.associate_extracted_sources(second, fourth)))
    worker.start()

    cells = """SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND pid = %s
               AND objsubid = 1 AND classid = %s AND mode = 'ExclusiveLock' AND granted = %s"""
    wait_for(conn, cells, (second_pid, dataset, False), "the second call waiting for a sky cell")
    (waiting,), = query(conn, cells, (second_pid, dataset, False))
    assert (waiting,) in query(conn, cells, (first_pid, dataset, True))
    assert not done
    # another dataset is not held up meanwhile
    other, other_third = history(conn, "other")
    tkpdb.insert_extracted_sources(conn, other_third, THIRD)
    assert tkpdb.associate_extracted_sources(conn, other_third)["one_to_many"] == 1

    first.commit()
    worker.join(timeout=60)
    assert len(done) == 1 and (done[0]["one_to_one"], done[0]["new_sources"]) == (1, 0)
    assert query(conn, """SELECT a.type FROM assocxtrsource a JOIN extractedsource x
                          ON x.id = a.xtrsrc WHERE x.image = %s""", (fourth,)) == [(3,)]
    first.close()
    second.close()


# Two tiles of one epoch, 10 degrees apart: they share no sky cell.
TILES = ((150.0, 20.0), (160.5, 20.0))


def tile_rows(centre: tuple[float, float], step: int) -> list[dict]:
    """A crowded little field at a tile centre (forks, many-to-one, a new source)."""
    return [source(*offset(*centre, e, n), flux=1.0 + 0.1 * step, **ERRORS)
            for e, n in [(0, 0), (9, 0), (0, 18), (8 * (step % 2) - 4, 8), (60 * step + 120, 0)]]


def tiles(conn, description: str) -> tuple[int, list[list[int]]]:
    """A dataset with two tiles per epoch for two epochs; images registered, not associated."""
    dataset = tkpdb.insert_dataset(conn, description)
    images = [[image(conn, dataset, step, centre_ra=ra, centre_decl=decl, xtr_radius=1.0)
               for ra, decl in TILES] for step in range(3)]
    for step, epoch in enumerate(images):
        for img, centre in zip(epoch, TILES):
            tkpdb.insert_extracted_sources(conn, img, tile_rows(centre, step))
    return dataset, images


def test_tiles_of_one_epoch_associate_side_by_side(conn, dsn):
    """The two tiles of each epoch associate at the same time in two sessions (the first holds
    its locks while the second runs to its commit), and the result equals the serial one."""
    serial, serial_images = tiles(conn, "serial")
    for epoch in serial_images:
        for img in epoch:
            tkpdb.associate_extracted_sources(conn, img)
    parallel, parallel_images = tiles(conn, "parallel")
    left, right = tkpdb.connect(dsn), tkpdb.connect(dsn)
    for a, b in parallel_images:
        tkpdb.associate_extracted_sources(left, a, commit=False)      # holds tile A's area
        finished: list[dict] = []
        worker = threading.Thread(target=lambda img=b: finished.append(
            tkpdb.associate_extracted_sources(right, img)))
        worker.start()
        worker.join(timeout=30)
        side_by_side = bool(finished)            # tile B finished while tile A held its area
        left.commit()
        worker.join(timeout=60)
        assert side_by_side, "tile B waited for tile A"
    assert lightcurves(conn, parallel) == lightcurves(conn, serial)
    left.close()
    right.close()


def test_a_wait_for_an_overlapping_image_is_bounded(conn, dsn):
    dataset, fourth, first, first_pid = holding_the_field(conn, dsn)
    second = tkpdb.connect(dsn)
    with second.cursor() as cur:
        cur.execute("SET tkpdb.lock_timeout = '200ms'")
    second.commit()
    with pytest.raises(psycopg2.errors.LockNotAvailable,
                       match=f"image {fourth}: its sky area in dataset {dataset} is held by "
                             f"another session \\(pid {first_pid}\\)"):
        tkpdb.associate_extracted_sources(second, fourth)
    first.commit()
    assert tkpdb.associate_extracted_sources(second, fourth)["one_to_one"] == 1
    first.close()
    second.close()
