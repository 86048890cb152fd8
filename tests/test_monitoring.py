"""The monitoring list: types 8 then 9, a lightcurve of its own, never blind-associated."""

from __future__ import annotations

import psycopg2
import pytest

import tkpdb
from tests.scenarios import BAND1, Scenario
from tests.test_nulldetections import store_forced_fit
from tests.sky import image, query, source


def fit_monitors(sky: Scenario, img: int, flux: float) -> dict:
    entries = tkpdb.get_monitor_entries(sky.conn, sky.dataset)
    fits = [source(e.ra, e.decl, flux=flux) for e in entries]
    tkpdb.insert_extracted_sources(sky.conn, img, fits, extract_type="ff_ms",
                                   ff_monitor_ids=[e.id for e in entries])
    return tkpdb.associate_monitored(sky.conn, img)


def test_monitor_positions_are_stored_in_order(conn):
    dataset = tkpdb.insert_dataset(conn, "monitor")
    ids = tkpdb.insert_monitor_positions(conn, dataset, [(123.0, 10.0), (-1.0, 5.0)], names=["a", "b"])
    assert ids == sorted(ids)
    assert [(e.id, e.runcat, e.ra, e.decl, e.name) for e in tkpdb.get_monitor_entries(conn, dataset)] == [
        (ids[0], None, 123.0, 10.0, "a"), (ids[1], None, 359.0, 5.0, "b")]
    with pytest.raises(psycopg2.errors.RaiseException, match=r"position \(10, 91\) \(row 0\) is not a valid"):
        tkpdb.insert_monitor_positions(conn, dataset, [(10.0, 91.0)])
    assert len(tkpdb.get_monitor_entries(conn, dataset)) == 2


def test_a_monitored_position_before_and_after_the_source_appears(conn):
    sky = Scenario(conn)
    (monitor_id,) = tkpdb.insert_monitor_positions(conn, sky.dataset, [(sky.ra0, sky.decl0)])

    img0 = image(conn, sky.dataset, 0)                     # nothing detected blind yet
    tkpdb.associate_extracted_sources(conn, img0)
    assert fit_monitors(sky, img0, 0.5) == {"first_fits": 1, "later_fits": 0}
    (entry,) = tkpdb.get_monitor_entries(conn, sky.dataset)
    watched = entry.runcat
    assert query(conn, "SELECT mon_src, datapoints FROM runningcatalog WHERE id = %s", (watched,)) == [(True, 1)]

    for step in (1, 2):                                    # the source appears, blind
        img = image(conn, sky.dataset, step)
        tkpdb.insert_extracted_sources(conn, img, [source(sky.ra0, sky.decl0, flux=2.0)])
        result = tkpdb.associate_extracted_sources(conn, img)
        assert result["one_to_one"] == (0 if step == 1 else 1)   # never the monitored runcat
        assert fit_monitors(sky, img, 2.1) == {"first_fits": 0, "later_fits": 1}

    types = query(conn, "SELECT type FROM assocxtrsource WHERE runcat = %s ORDER BY xtrsrc", (watched,))
    assert [t for (t,) in types] == [8, 9, 9]
    assert query(conn, """
        SELECT rc.datapoints, rc.wm_ra, rc.wm_decl, f.f_datapoints, f.avg_f_int
        FROM runningcatalog rc JOIN runningcatalog_flux f ON f.runcat = rc.id WHERE rc.id = %s""",
                 (watched,)) == [(3, sky.ra0, sky.decl0, 3, pytest.approx((0.5 + 2.1 + 2.1) / 3))]
    blind = query(conn, "SELECT count(*) FROM runningcatalog WHERE dataset = %s AND NOT mon_src", (sky.dataset,))
    assert blind == [(1,)]
    assert monitor_id == entry.id


def test_monitored_runcats_are_never_null_detections(conn):
    sky = Scenario(conn)
    tkpdb.insert_monitor_positions(conn, sky.dataset, [(sky.ra0, sky.decl0)])
    img0 = image(conn, sky.dataset, 0)
    tkpdb.associate_extracted_sources(conn, img0)
    fit_monitors(sky, img0, 0.5)
    # a new sky region covering the monitored position (TraP linked mon_src runcats to it)
    img1 = image(conn, sky.dataset, 1, centre_ra=sky.ra0 + 0.1, xtr_radius=2.0)
    tkpdb.associate_extracted_sources(conn, img1)
    assert tkpdb.get_nulldetections(conn, img1) == []
    assert query(conn, """
        SELECT count(*) FROM assocskyrgn s JOIN runningcatalog rc ON rc.id = s.runcat
        WHERE rc.mon_src""") == [(0,)]


def test_monitored_runcats_cannot_take_null_detection_fits(conn):
    sky = Scenario(conn)
    tkpdb.insert_monitor_positions(conn, sky.dataset, [(sky.ra0, sky.decl0)])
    img0 = image(conn, sky.dataset, 0)
    fit_monitors(sky, img0, 0.5)
    (entry,) = tkpdb.get_monitor_entries(conn, sky.dataset)
    img1 = image(conn, sky.dataset, 1)
    tkpdb.associate_extracted_sources(conn, img1)
    with pytest.raises(tkpdb.SourceValidationError, match="monitored runcat"):
        tkpdb.insert_extracted_sources(conn, img1, [source(sky.ra0, sky.decl0)],
                                       extract_type="ff_nd", ff_runcat_ids=[entry.runcat])
    store_forced_fit(conn, img1, entry.runcat)          # stored by plain SQL: refused again
    with pytest.raises(psycopg2.errors.RaiseException, match="monitored runcat"):
        tkpdb.associate_nulldetections(conn, img1)
    with pytest.raises(psycopg2.errors.RaiseException, match="already associated"):
        tkpdb.associate_monitored(conn, img0)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM extractedsource WHERE extract_type = 1")
    conn.commit()
