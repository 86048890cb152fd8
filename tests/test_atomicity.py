"""One image, one transaction; scratch state private to the call; one dataset at a time.

* an error in the middle of associate_image leaves nothing behind, not even the extractions
  loaded with commit=False in the same transaction;
* a backend killed during the association leaves nothing behind;
* two datasets are associated at the same time from two connections, each correctly;
* two calls on the same dataset are serialized by the dataset's advisory lock.
"""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest

import tkpdb
from tests.scenarios import BAND1, Scenario, offset
from tests.sky import image, query, source

COUNT_ROWS = """
    SELECT (SELECT count(*) FROM extractedsource), (SELECT count(*) FROM runningcatalog),
           (SELECT count(*) FROM runningcatalog_flux), (SELECT count(*) FROM assocxtrsource),
           (SELECT count(*) FROM assocskyrgn),
           (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname = 'temprunningcatalog' AND n.nspname = 'public')"""


def two_image_dataset(conn) -> tuple[int, int, list[dict]]:
    """A dataset with one associated image; returns (dataset, second image, its sources)."""
    dataset = tkpdb.insert_dataset(conn, "atomicity")
    first = image(conn, dataset, 0)
    tkpdb.insert_extracted_sources(conn, first, [source(123.0, 10.0), source(123.1, 10.0)])
    tkpdb.associate_extracted_sources(conn, first)
    second = image(conn, dataset, 1)
    return dataset, second, [source(123.0, 10.0001), source(123.1, 10.0), source(123.2, 10.0)]


def test_an_error_mid_association_leaves_nothing(conn):
    dataset, second, sources = two_image_dataset(conn)
    before = query(conn, COUNT_ROWS)
    with conn.cursor() as cur:  # fail in stage 5 (new sources), after stages 1-4 wrote rows
        cur.execute("""
            CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
            CREATE TRIGGER fail_new_source BEFORE INSERT ON assocskyrgn
            FOR EACH ROW EXECUTE FUNCTION fail();""")
    conn.commit()
    tkpdb.insert_extracted_sources(conn, second, sources, commit=False)
    with pytest.raises(psycopg2.errors.RaiseException, match="injected failure"):
        tkpdb.associate_extracted_sources(conn, second)
    assert query(conn, COUNT_ROWS) == before
    with conn.cursor() as cur:
        cur.execute("DROP TRIGGER fail_new_source ON assocskyrgn; DROP FUNCTION fail()")
    conn.commit()
    # the image can then be loaded and associated normally
    tkpdb.insert_extracted_sources(conn, second, sources, commit=False)
    result = tkpdb.associate_extracted_sources(conn, second)
    assert (result["one_to_one"], result["new_sources"]) == (2, 1)


def test_a_killed_backend_leaves_nothing(conn, dsn):
    dataset, second, sources = two_image_dataset(conn)
    before = query(conn, COUNT_ROWS)
    with conn.cursor() as cur:  # make stage 4 (one-to-one) wait, so the backend can be killed
        cur.execute("""
            CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$;
            CREATE TRIGGER slow_link BEFORE INSERT ON assocxtrsource
            FOR EACH ROW WHEN (NEW.type = 3) EXECUTE FUNCTION slow();""")
    conn.commit()

    victim = tkpdb.connect(dsn)
    with victim.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        (pid,) = cur.fetchone()
    victim.rollback()
    errors: list[BaseException] = []

    def associate() -> None:
        try:
            tkpdb.insert_extracted_sources(victim, second, sources, commit=False)
            tkpdb.associate_extracted_sources(victim, second)
        except BaseException as exc:  # noqa: BLE001 (the kill is expected)
            errors.append(exc)

    worker = threading.Thread(target=associate)
    worker.start()
    for _ in range(200):  # wait until the victim sleeps inside the association
        rows = query(conn, "SELECT wait_event FROM pg_stat_activity WHERE pid = %s", (pid,))
        if rows and rows[0][0] == "PgSleep":
            break
        time.sleep(0.05)
    else:
        pytest.fail("the association never reached the injected pause")
    query(conn, "SELECT pg_terminate_backend(%s)", (pid,))
    worker.join(timeout=30)
    assert errors and isinstance(errors[0], psycopg2.OperationalError)
    assert query(conn, COUNT_ROWS) == before
    with conn.cursor() as cur:
        cur.execute("DROP TRIGGER slow_link ON assocxtrsource; DROP FUNCTION slow()")
    conn.commit()


def test_two_datasets_associate_at_the_same_time(conn, dsn):
    """Each thread runs a whole survey of its own dataset; interleaved statements on the shared
    temprunningcatalog must not mix (each call sees only its own rows)."""
    results: dict[str, set] = {}
    errors: list[BaseException] = []

    def survey(name: str, ra0: float) -> None:
        try:
            own = tkpdb.connect(dsn)
            sky = Scenario(own, ra0=ra0, decl0=10.0)
            for step in range(6):
                sky.observe(step, BAND1, {f"{name}{step}a": (0, step), f"{name}{step}b": (100, 0),
                                          f"{name}{step}c": (-100, step)})
            results[name] = sky.lightcurves()
            own.close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=survey, args=(n, ra)) for n, ra in (("p", 123.0), ("q", 123.0))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    for name in ("p", "q"):
        assert results[name] == {frozenset(f"{name}{s}{c}" for s in range(6)) for c in "abc"}


def test_calls_on_one_dataset_are_serialized(conn, dsn):
    """While one transaction holds the dataset (an association in progress), a second
    association of the same dataset waits for the advisory lock instead of interleaving."""
    dataset, second, sources = two_image_dataset(conn)
    third = image(conn, dataset, 2)
    tkpdb.insert_extracted_sources(conn, second, sources)
    tkpdb.insert_extracted_sources(conn, third, [source(*offset(123.0, 10.0, 1, 1))])

    holder = tkpdb.connect(dsn)
    with holder.cursor() as cur:
        cur.execute("SELECT * FROM associate_image(%s)", (second,))  # not committed yet
    other = tkpdb.connect(dsn)
    with other.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        (other_pid,) = cur.fetchone()
    other.rollback()
    done = threading.Event()

    def associate_third() -> None:
        tkpdb.associate_extracted_sources(other, third)
        done.set()

    worker = threading.Thread(target=associate_third)
    worker.start()
    for _ in range(200):
        rows = query(conn, "SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = %s",
                     (other_pid,))
        if rows and rows[0] == ("Lock", "advisory"):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the second association did not wait for the dataset lock")
    assert not done.is_set()
    holder.commit()
    worker.join(timeout=30)
    assert done.is_set()
    # the third image was associated against the catalogue updated by the second
    assert query(conn, """
        SELECT count(*) FROM assocxtrsource a JOIN extractedsource x ON x.id = a.xtrsrc
        WHERE x.image = %s AND a.type = 3""", (third,)) == [(1,)]
    holder.close()
    other.close()
