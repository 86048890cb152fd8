"""Forced fits at null detections (type 7): flux without moving positions, until expiration."""

from __future__ import annotations

import psycopg2
import pytest

import tkpdb
from tests.scenarios import BAND1, Scenario, offset
from tests.sky import image, query, source


def runcat_state(conn, runcat: int) -> tuple:
    return query(conn, """
        SELECT rc.wm_ra, rc.wm_decl, rc.datapoints, rc.forcedfits_count, f.f_datapoints, f.avg_f_int
        FROM runningcatalog rc JOIN runningcatalog_flux f ON f.runcat = rc.id WHERE rc.id = %s""",
                 (runcat,))[0]


def force_fit(sky: Scenario, step: int, fluxes: dict[int, float], expiration: int = 10) -> list[int]:
    """An image at ``step`` with only source B detected blind, then forced fits of the null
    detections; returns the runcats that were force-fitted."""
    result_image = image(sky.conn, sky.dataset, step, centre_ra=sky.ra0, centre_decl=sky.decl0)
    tkpdb.insert_extracted_sources(sky.conn, result_image, [source(*offset(sky.ra0, sky.decl0, 100, 0), flux=2.0)])
    tkpdb.associate_extracted_sources(sky.conn, result_image)
    positions = tkpdb.get_nulldetections(sky.conn, result_image, expiration=expiration)
    if positions:
        fits = [source(ra, decl, flux=fluxes.get(runcat, 0.1)) for runcat, ra, decl in positions]
        tkpdb.insert_extracted_sources(sky.conn, result_image, fits, extract_type="ff_nd",
                                       ff_runcat_ids=[runcat for runcat, _, _ in positions])
        assert tkpdb.associate_nulldetections(sky.conn, result_image) == {"forced_fits": len(positions)}
    return [runcat for runcat, _, _ in positions]


def test_a_fading_source_is_force_fitted_until_expiration(conn):
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"A": (0, 0, 1.0), "B": (100, 0, 2.0)})
    a = sky.runcat_of("A")
    ra, decl, *_ = runcat_state(conn, a)

    assert force_fit(sky, 1, {a: 0.2}, expiration=2) == [a]
    assert runcat_state(conn, a) == (ra, decl, 1, 1, 2, pytest.approx((1.0 + 0.2) / 2))
    assert force_fit(sky, 2, {a: 0.4}, expiration=2) == [a]
    assert runcat_state(conn, a) == (ra, decl, 1, 2, 3, pytest.approx((1.0 + 0.2 + 0.4) / 3))
    assert force_fit(sky, 3, {}, expiration=2) == []          # expired
    assert runcat_state(conn, a)[3] == 2

    sky.observe(4, BAND1, {"A4": (0, 0, 1.0), "B4": (100, 0, 2.0)})   # detected again
    assert runcat_state(conn, a)[2:4] == (2, 0)
    assert force_fit(sky, 5, {a: 0.3}, expiration=2) == [a]   # and fitted again when it fades
    kinds = query(conn, "SELECT type, r, distance_arcsec FROM assocxtrsource WHERE runcat = %s ORDER BY xtrsrc", (a,))
    assert [k for k, _, _ in kinds] == [4, 7, 7, 3, 7]
    assert all((r, d) == (0, 0) for k, r, d in kinds if k == 7)


def test_a_fork_keeps_a_forced_fit_as_a_forced_fit(conn):
    """A is force-fitted once, then forks (two extractions 5" east and west, both matching):
    each child holds A's blind measurement as history (type 6) and the forced fit still as a
    forced fit (type 7), which is no position measurement: datapoints 2 (A's detection and the
    base point), as the consistency checker that runs after every test recomputes."""
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"A": (0, 0, 1.0), "B": (100, 0, 2.0)})
    a = sky.runcat_of("A")
    assert force_fit(sky, 1, {a: 0.2}) == [a]
    result = sky.observe(2, BAND1, {"A1": (-5, 0, 1.0), "A2": (5, 0, 1.0), "B2": (100, 0, 2.0)})
    assert result["one_to_many"] == 1
    ids = {label: xtrsrc for xtrsrc, label in sky.labels.items()}
    for label in ("A1", "A2"):
        ((child,),) = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s", (ids[label],))
        types = sorted(t for (t,) in query(conn, "SELECT type FROM assocxtrsource WHERE runcat = %s",
                                           (child,)))
        assert types == [2, 6, 7]
        assert runcat_state(conn, child)[2] == 2


def test_new_and_detected_runcats_are_not_null_detections(conn):
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"A": (0, 0), "B": (100, 0)})
    img = image(conn, sky.dataset, 1, centre_ra=sky.ra0, centre_decl=sky.decl0)
    ids = tkpdb.insert_extracted_sources(conn, img, [source(*offset(sky.ra0, sky.decl0, 100, 0)),
                                                     source(*offset(sky.ra0, sky.decl0, -200, 0))])
    tkpdb.associate_extracted_sources(conn, img)
    # B was detected, C (ids[1]) is new in this image: only A is missing
    (a,) = [rc for rc, labels in query(conn, """
        SELECT rc.id, array_agg(a.xtrsrc) FROM runningcatalog rc
        JOIN assocxtrsource a ON a.runcat = rc.id WHERE rc.dataset = %s GROUP BY rc.id""",
        (sky.dataset,)) if labels == [min(sky.labels)]]
    assert [runcat for runcat, _, _ in tkpdb.get_nulldetections(conn, img)] == [a]
    assert query(conn, "SELECT count(*) FROM runningcatalog WHERE xtrsrc = %s", (ids[1],)) == [(1,)]


def store_forced_fit(conn, img: int, runcat: int) -> None:
    """A forced fit stored with plain SQL (a DBA's INSERT bypasses insert_extracted_sources)."""
    with conn.cursor() as cur:
        cur.execute("""INSERT INTO extractedsource (image, extract_type, ff_runcat, ra, decl,
                           ra_fit_err, decl_fit_err, ew_sys_err, ns_sys_err, error_radius,
                           det_sigma, f_peak, f_peak_err, f_int, f_int_err)
                       VALUES (%s, 1, %s, 123, 10, 0, 0, 1, 1, 1, 10, 1, 0.1, 1, 0.1)""",
                    (img, runcat))
    conn.commit()


def test_bad_forced_fits_are_refused_and_nothing_is_written(conn):
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"A": (0, 0)})
    other = Scenario(conn)
    other.observe(0, BAND1, {"X": (0, 0)})
    img = image(conn, sky.dataset, 1)
    tkpdb.associate_extracted_sources(conn, img)
    with pytest.raises(tkpdb.SourceValidationError, match="belongs to dataset"):
        tkpdb.insert_extracted_sources(conn, img, [source(123.0, 10.0)], extract_type="ff_nd",
                                       ff_runcat_ids=[other.runcat_of("X")])
    store_forced_fit(conn, img, other.runcat_of("X"))
    before = query(conn, "SELECT count(*), sum(f_datapoints) FROM assocxtrsource")
    with pytest.raises(psycopg2.errors.RaiseException, match="belongs to dataset"):
        tkpdb.associate_nulldetections(conn, img)
    assert query(conn, "SELECT count(*), sum(f_datapoints) FROM assocxtrsource") == before
    with pytest.raises(psycopg2.errors.RaiseException, match="image 999999 does not exist"):
        tkpdb.associate_nulldetections(conn, 999999)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM extractedsource WHERE extract_type = 1")
    conn.commit()


def test_a_second_association_of_the_same_fits_is_refused(conn):
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"A": (0, 0), "B": (100, 0)})
    force_fit(sky, 1, {})
    with conn.cursor() as cur:
        cur.execute("SELECT max(id) FROM image")
        (img,) = cur.fetchone()
    conn.rollback()
    with pytest.raises(psycopg2.errors.RaiseException, match="already associated"):
        tkpdb.associate_nulldetections(conn, img)
