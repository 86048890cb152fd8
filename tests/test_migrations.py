"""Migrations: upgrade on an empty database, downgrade to base, upgrade again; and the upgrade
of a database made by an older release ends in exactly the schema of a new one."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg2
import pytest

import tkpdb
from tkpdb.migrations import head_revision

TABLES = {
    "dataset", "frequencyband", "skyregion", "image", "extractedsource", "runningcatalog",
    "runningcatalog_flux", "assocxtrsource", "assocskyrgn", "newsource",
    "monitor", "rejection", "rejectreason", "version", "association_log", "fork_log",
    "image_input",
}


def _tables(dsn: str) -> set[str]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {name for (name,) in cur.fetchall()} - {"alembic_version"}


def test_upgrade_downgrade_upgrade(empty_dsn):
    tkpdb.upgrade(empty_dsn)
    assert _tables(empty_dsn) == TABLES
    tkpdb.downgrade(empty_dsn, "base")
    assert _tables(empty_dsn) == set()
    tkpdb.upgrade(empty_dsn)
    assert _tables(empty_dsn) == TABLES
    conn = tkpdb.connect(empty_dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT value FROM version WHERE name = 'tkpdb'")
        assert cur.fetchone()[0] == int(head_revision())
    conn.close()


def test_connect_refuses_an_unmigrated_database(empty_dsn):
    with pytest.raises(tkpdb.SchemaVersionError, match="tkpdb db upgrade"):
        tkpdb.connect(empty_dsn)


def test_derived_columns_are_computed_by_the_database(conn):
    """A DBA inserting with plain SQL gets TraP's derived uncertainties (trap-semantics 1.5)."""
    dataset = tkpdb.insert_dataset(conn, "plain sql")
    from tests.sky import image
    img = image(conn, dataset)
    with conn.cursor() as cur:
        cur.execute("""
            INSERT INTO extractedsource (image, ra, decl, ra_fit_err, decl_fit_err, ew_sys_err,
                ns_sys_err, error_radius, det_sigma, f_peak, f_peak_err, f_int, f_int_err)
            VALUES (%s, 10.0, 60.0, 0.001, 0.002, 3.6, 7.2, 4.8, 10, 1, 0.1, 1, 0.1)
            RETURNING zone, x, y, z, ra_err, decl_err, uncertainty_ew, uncertainty_ns""", (img,))
        zone, x, y, z, ra_err, decl_err, unc_ew, unc_ns = cur.fetchone()
    import math
    assert zone == 60
    assert x == pytest.approx(math.cos(math.radians(60)) * math.cos(math.radians(10)))
    assert y == pytest.approx(math.cos(math.radians(60)) * math.sin(math.radians(10)))
    assert z == pytest.approx(math.sin(math.radians(60)))
    theta, decl = 3.6 / 3600, 60.0
    alpha = math.degrees(abs(math.atan(math.sin(math.radians(theta)) / math.sqrt(abs(
        math.cos(math.radians(decl - theta)) * math.cos(math.radians(decl + theta)))))))
    assert ra_err == pytest.approx(math.sqrt(0.001 ** 2 + alpha ** 2))
    assert decl_err == pytest.approx(math.sqrt(0.002 ** 2 + (7.2 / 3600) ** 2))
    assert unc_ew == pytest.approx(math.hypot(3.6, 4.8) / 3600)
    assert unc_ns == pytest.approx(math.hypot(7.2, 4.8) / 3600)
    conn.rollback()


# --- Upgrading a database of an older release --------------------------------------------

SNAPSHOT_0003 = Path(__file__).parent / "data" / "schema_0003.sql"

# The catalogue of the public schema, object by object, without oids or column positions
# (a column added by ALTER TABLE comes last, one created by 01_schema.sql where it stands).
_OURS = "NOT EXISTS (SELECT FROM pg_depend e WHERE e.objid = {oid} AND e.deptype = 'e')"
CATALOGUE = {
    "relations": f"""
        SELECT c.relname, c.relkind, c.relpersistence, c.reloptions::text, c.relacl::text
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND {_OURS.format(oid="c.oid")}""",
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               a.attgenerated, pg_get_expr(d.adbin, d.adrelid), a.attstorage
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'p')
          AND a.attnum > 0 AND NOT a.attisdropped""",
    "indexes": """
        SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND conrelid <> 0""",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger
        WHERE NOT tgisinternal""",
    "functions": f"""
        SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid), p.proacl::text FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p')
          AND {_OURS.format(oid="p.oid")}""",
    "views": """
        SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v'""",
    "comments": """
        SELECT pg_describe_object(classoid, objoid, objsubid), description FROM pg_description""",
}


def catalogue(dsn: str) -> dict[str, list[tuple]]:
    """Every object of the database's public schema, as sorted rows per kind."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        out = {}
        for kind, sql in CATALOGUE.items():
            cur.execute(sql)
            out[kind] = sorted(cur.fetchall(), key=repr)
    conn.close()
    return out


def test_a_database_of_revision_0003_upgrades_to_the_schema_of_a_new_one(empty_dsn, dsn):
    conn = psycopg2.connect(empty_dsn)
    with conn, conn.cursor() as cur:
        # the extensions exist already (created by a superuser, with their comments): only
        # their owner may comment on them, and the test role need not be a superuser
        cur.execute(re.sub(r"^COMMENT ON EXTENSION .*$", "", SNAPSHOT_0003.read_text(), flags=re.M))
    conn.close()
    tkpdb.upgrade(empty_dsn)
    upgraded, new = catalogue(empty_dsn), catalogue(dsn)
    for kind in CATALOGUE:
        only_upgraded = [row for row in upgraded[kind] if row not in new[kind]]
        only_new = [row for row in new[kind] if row not in upgraded[kind]]
        assert not only_upgraded and not only_new, (kind, only_upgraded, only_new)


def test_an_upgraded_database_keeps_its_variability_metrics(empty_dsn):
    """A revision-0003 database with lightcurves (associated by its own functions) upgrades with
    its data: varmetric, a table there and a view over the flux rows' new state here, reports
    the same values for every lightcurve, and the upgraded engine continues them."""
    import datetime as dt

    import numpy as np

    from tkpdb.ingest import copy_binary
    from tkpdb.simulate import observe, random_sky

    conn = psycopg2.connect(empty_dsn)
    with conn, conn.cursor() as cur:
        cur.execute(SNAPSHOT_0003.read_text())
    conn.close()
    conn = psycopg2.connect(empty_dsn)
    rng = np.random.default_rng(3)
    sky = random_sky(150, 150.0, 30.0, 0.3, rng)
    columns = "runcat, v_int, eta_int, band, newsource, sigma_rms_max, lightcurve_max, lightcurve_median"

    def image(cur, dataset: int, k: int) -> int:
        cur.execute("SELECT insert_image(%s, %s, 10.0, %s, 2e6, 0.01, 0.008, 0.0, 150.0, 30.0, 1.0, "
                    "1e-3, 2e-3, 8.0)", (dataset, dt.datetime(2026, 1, 1) + dt.timedelta(minutes=k),
                                         (150e6, 160e6)[k % 2]))
        img = cur.fetchone()[0]
        cur.execute("SELECT array_agg(nextval('extractedsource_id_seq')) FROM generate_series(1, %s)",
                    (len(sky),))
        ids = np.asarray(cur.fetchone()[0], dtype=np.int64)
        copy_binary(cur, "extractedsource", [("id", "int8", ids), ("image", "int4", np.full(len(sky), img))]
                    + [(name, "float8", np.asarray(v, float)) for name, v in observe(sky, rng).items()])
        cur.execute("SELECT * FROM associate_image(%s)", (img,))
        return img

    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO dataset (description) VALUES ('older') RETURNING id")
        (dataset,) = cur.fetchone()
        for k in range(5):
            image(cur, dataset, k)
        cur.execute(f"SELECT {columns}, lightcurve_avg FROM varmetric ORDER BY runcat")
        before = cur.fetchall()
    conn.close()
    tkpdb.upgrade(empty_dsn)
    conn = psycopg2.connect(empty_dsn)
    with conn, conn.cursor() as cur:
        cur.execute(f"SELECT {columns}, lightcurve_avg FROM varmetric ORDER BY runcat")
        after = cur.fetchall()
        assert [row[:-1] for row in after] == [row[:-1] for row in before]
        assert [row[-1] for row in after] == pytest.approx([row[-1] for row in before], rel=1e-12)
        image(cur, dataset, 5)                          # the new engine continues the lightcurves
        cur.execute("SELECT reference, dangling FROM check_integrity() WHERE dangling > 0")
        assert cur.fetchall() == []
        cur.execute("""SELECT count(*) FROM runningcatalog_flux
                       WHERE f_int_count <> f_datapoints OR median_hi_xtrsrc IS NULL""")
        assert cur.fetchone() == (0,)
    conn.close()
