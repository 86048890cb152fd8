"""Roles: a login granted tkpdb_reader reads and cannot write anything, call the association or
take the dataset lock; a login granted tkpdb_writer runs the whole pipeline through the API and
cannot drop or alter tables, write the catalogue directly or call a stage. The privileges
survive the re-creation of the functions by a migration. A dataset lock held too long makes the
association fail after the documented timeout, naming the dataset and the holder.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import psycopg2
import pytest

import tkpdb
from tests.sky import T0, image, observe, query, source

WRITES = [
    "INSERT INTO dataset (description) VALUES ('x')",
    "UPDATE runningcatalog SET wm_ra = 0",
    "DELETE FROM assocxtrsource",
    "TRUNCATE extractedsource",
    "SELECT nextval('extractedsource_id_seq')",
    "CREATE TABLE mine (x integer)",
    "SELECT dataset_lock(1)",
    "SELECT delete_dataset(1)",
    "SELECT * FROM associate_image(2)",
    "SELECT assoc_candidates(2, 5.68, 1.0)",
    "SELECT assoc_cleanup(2)",
    "SELECT insert_image(1, now()::timestamp, 60, 150e6, 1e6, 0.01, 0.01, 0, 10, 10, 1)",
    "SELECT * FROM insert_monitor_positions(1, ARRAY[1.0], ARRAY[1.0])",
    "SELECT * FROM associate_nulldetections(2)",
]
DDL = ["DROP TABLE runningcatalog", "ALTER TABLE image ADD COLUMN x integer",
       "ALTER TABLE image DROP CONSTRAINT image_rb_smaj_check", "TRUNCATE image",
       "DELETE FROM runningcatalog", "UPDATE extractedsource SET ra = 0",
       "CREATE TABLE mine (x integer)", "SELECT assoc_candidates(2, 5.68, 1.0)",
       "SELECT delete_dataset(1)", "SELECT dataset_lock(1)",
       "CREATE FUNCTION mine() RETURNS int LANGUAGE sql RETURN 1"]


@pytest.fixture
def login(dsn):
    """Make a login role granted a group role; yields a function group -> DSN of a session
    acting as that login; drops the logins at the end.

    The session connects as the test's own role and takes the login's identity at once
    (``-c role=...``: every privilege check is then the login's), so the test does not depend
    on the server's authentication rules for new logins."""
    made: list[str] = []
    admin = psycopg2.connect(dsn)
    admin.autocommit = True

    def make(group: str) -> str:
        name = f"tkpdb_test_{os.getpid()}_{group}_{len(made)}"
        with admin.cursor() as cur:
            cur.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE {group}')
            cur.execute(f'GRANT "{name}" TO CURRENT_USER')
        made.append(name)
        return f"{dsn} options='-c role={name}'"

    yield make
    with admin.cursor() as cur:
        for name in made:
            cur.execute(f'DROP ROLE "{name}"')
    admin.close()


def survey(conn) -> int:
    """A dataset with two associated images; returns it."""
    dataset = tkpdb.insert_dataset(conn, "roles")
    for step in range(2):
        observe(conn, image(conn, dataset, step), [source(123.0, 10.0), source(123.1, 10.0)])
    return dataset


def refused(dsn: str, statements: list[str]) -> list[str]:
    """The statements that did *not* fail with insufficient_privilege (each in its own
    transaction)."""
    allowed = []
    conn = psycopg2.connect(dsn)
    for sql in statements:
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
            allowed.append(sql)
        except psycopg2.errors.InsufficientPrivilege:
            pass
        finally:
            conn.rollback()
    conn.close()
    return allowed


def test_a_reader_reads_and_cannot_write_anything(conn, login):
    dataset = survey(conn)
    reader_dsn = login("tkpdb_reader")
    assert refused(reader_dsn, WRITES) == []
    reader = tkpdb.connect(reader_dsn)
    assert query(reader, "SELECT * FROM write_privileges()") == []
    (runcat,) = query(reader, "SELECT min(id) FROM runningcatalog")[0]
    assert len(tkpdb.get_lightcurve(reader, runcat)) == 2
    assert tkpdb.dataset_stats(reader, dataset).lightcurves == 2
    assert [r for r in tkpdb.check_catalogue(reader, dataset) if r.problems] == []
    assert query(reader, "SELECT count(*) FROM dataset_statistics") == [(1,)]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        tkpdb.insert_dataset(reader, "not mine")
    reader.close()
    # and the group role itself
    assert query(conn, "SELECT * FROM write_privileges('tkpdb_reader')") == []
    assert query(conn, "SELECT count(*) > 0 FROM write_privileges('tkpdb_writer')") == [(True,)]


def test_no_function_of_the_schema_is_executable_by_public(conn):
    rows = query(conn, """
        SELECT p.oid::regprocedure::text FROM pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
          AND (p.proacl IS NULL OR has_function_privilege('public', p.oid, 'EXECUTE'))""")
    assert rows == []


def test_a_writer_runs_the_pipeline_and_has_no_ddl(conn, login):
    writer_dsn = login("tkpdb_writer")
    writer = tkpdb.connect(writer_dsn)
    dataset = tkpdb.insert_dataset(writer, "pipeline")
    (monitor,) = tkpdb.insert_monitor_positions(writer, dataset, [(123.2, 10.0)])
    for step, rows in enumerate([[source(123.0, 10.0), source(123.1, 10.0)], [source(123.0, 10.0)]]):
        img = tkpdb.insert_image(writer, dataset, taustart_ts=T0 + dt.timedelta(minutes=step),
                                 tau_time=60.0, freq_eff=150e6, freq_bw=1e6, rb_smaj=0.01,
                                 rb_smin=0.008, rb_pa=0.0, centre_ra=123.0, centre_decl=10.0,
                                 xtr_radius=1.5, rms_min=1e-3, rms_max=2e-3, detection_thresh=8.0,
                                 commit=False)
        tkpdb.insert_extracted_sources(writer, img, rows, commit=False)
        tkpdb.associate_extracted_sources(writer, img)
    positions = tkpdb.get_nulldetections(writer, img)
    assert len(positions) == 1
    tkpdb.insert_extracted_sources(writer, img, [source(ra, decl) for _, ra, decl in positions],
                                   extract_type="ff_nd", ff_runcat_ids=[r for r, _, _ in positions])
    assert tkpdb.associate_nulldetections(writer, img) == {"forced_fits": 1}
    tkpdb.insert_extracted_sources(writer, img, [source(123.2, 10.0)], extract_type="ff_ms",
                                   ff_monitor_ids=[monitor])
    assert tkpdb.associate_monitored(writer, img) == {"first_fits": 1, "later_fits": 0}
    writer.close()
    assert refused(writer_dsn, DDL) == []
    assert [r for r in tkpdb.check_catalogue(conn, dataset) if r.problems] == []


def test_privileges_survive_the_re_creation_of_the_functions(dsn, login):
    """A migration drops and re-creates every function (reinstall_functions): the grants come
    back with them, and functions created later are not executable by PUBLIC."""
    tkpdb.downgrade(dsn, "0003")
    tkpdb.upgrade(dsn)
    reader_dsn = login("tkpdb_reader")
    assert refused(reader_dsn, WRITES) == []
    owner = psycopg2.connect(dsn)
    with owner, owner.cursor() as cur:
        cur.execute("CREATE FUNCTION later_one() RETURNS int LANGUAGE sql RETURN 1")
        cur.execute("SELECT has_function_privilege('public', 'later_one()', 'EXECUTE')")
        assert cur.fetchone() == (False,)
        cur.execute("DROP FUNCTION later_one()")
    owner.close()
    reader = psycopg2.connect(reader_dsn)
    with reader.cursor() as cur:
        cur.execute("SELECT count(*) FROM runningcatalog")
        cur.execute("SELECT * FROM write_privileges()")
        assert cur.fetchall() == []
    reader.close()


def test_a_lock_held_too_long_fails_the_association_naming_dataset_and_holder(conn, dsn, login):
    """Any role that can connect may take the advisory lock with PostgreSQL's own functions;
    association waits tkpdb.lock_timeout and then says who holds it."""
    dataset = survey(conn)
    img = image(conn, dataset, 2)
    tkpdb.insert_extracted_sources(conn, img, [source(123.0, 10.0)])
    holder = psycopg2.connect(login("tkpdb_reader"))
    with holder.cursor() as cur:
        cur.execute("SELECT pg_backend_pid(), pg_advisory_lock(1952805748, %s)", (dataset,))
        (pid, _) = cur.fetchone()
    holder.commit()
    with conn.cursor() as cur:
        cur.execute("SET tkpdb.lock_timeout = '1s'")
    conn.commit()
    start = time.monotonic()
    with pytest.raises(psycopg2.errors.LockNotAvailable,
                       match=f"sky area in dataset {dataset} is held by another session \\(pid {pid}"):
        tkpdb.associate_extracted_sources(conn, img)
    assert 0.9 <= time.monotonic() - start < 30
    holder.close()
    assert tkpdb.associate_extracted_sources(conn, img)["one_to_one"] == 1
    # the wait's lock_timeout does not outlive the lock
    with conn.cursor() as cur:
        cur.execute("SHOW lock_timeout")
        assert cur.fetchone() == ("0",)
    conn.rollback()


def test_a_waited_for_lock_is_taken_and_the_timeout_restored(conn, dsn):
    dataset = survey(conn)
    img = image(conn, dataset, 2)
    holder = psycopg2.connect(dsn)
    with holder.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(1952805748, %s)", (dataset,))

    def release() -> None:
        time.sleep(0.5)
        holder.commit()

    threading.Thread(target=release).start()
    with conn.cursor() as cur:
        cur.execute("SET LOCAL lock_timeout = '20s'")
        cur.execute("SELECT dataset_lock(%s)", (dataset,))
        cur.execute("SHOW lock_timeout")
        assert cur.fetchone() == ("20s",)
        cur.execute("SELECT dataset_locked(%s)", (dataset,))
        assert cur.fetchone() == (True,)
    conn.rollback()
    holder.close()
    assert tkpdb.associate_extracted_sources(conn, img)["new_sources"] == 0
