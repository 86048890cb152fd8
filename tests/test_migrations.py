"""Migrations: upgrade on an empty database, downgrade to base, upgrade again."""

from __future__ import annotations

import psycopg2
import pytest

import tkpdb
from tkpdb.migrations import head_revision

TABLES = {
    "dataset", "frequencyband", "skyregion", "image", "extractedsource", "runningcatalog",
    "runningcatalog_flux", "assocxtrsource", "assocskyrgn", "temprunningcatalog", "newsource",
    "varmetric", "monitor", "rejection", "rejectreason", "version",
    "varmetric_band", "association_log", "fork_log",
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
