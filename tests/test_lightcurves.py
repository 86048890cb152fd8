"""Lightcurves: tkpdb.get_lightcurve and the SQL view ``lightcurve`` (sql/93_lightcurves.sql)."""

from __future__ import annotations

import datetime as dt

import pytest

import tkpdb
from tests.sky import T0, image, observe, query, source

RA, DECL = 123.0, 10.0


def test_every_measurement_in_time_then_frequency_order(conn):
    """Two bands per epoch, associated high band first: returned by time, then frequency."""
    dataset = tkpdb.insert_dataset(conn, "lightcurve")
    expected = []
    for step in range(3):
        for freq in (180e6, 150e6):
            img = image(conn, dataset, step, freq_eff=freq)
            flux = 1.0 + step + freq / 1e9
            (x,), _ = observe(conn, img, [source(RA, DECL, flux=flux, flux_err=0.02,
                                                 f_peak=flux / 2, f_peak_err=0.01)])
            expected.append((step, freq, img, x, flux))
    ((runcat,),) = query(conn, "SELECT id FROM runningcatalog WHERE dataset = %s", (dataset,))
    points = tkpdb.get_lightcurve(conn, runcat)
    expected.sort(key=lambda e: (e[0], e[1]))
    assert [(p.taustart_ts, p.freq_eff, p.image, p.xtrsrc) for p in points] == [
        (T0 + dt.timedelta(minutes=step), freq, img, x) for step, freq, img, x, _ in expected]
    assert [p.f_int for p in points] == [flux for *_, flux in expected]
    assert [p.f_peak for p in points] == [flux / 2 for *_, flux in expected]
    assert {(p.f_int_err, p.f_peak_err, p.stokes, p.extract_type) for p in points} == {
        (0.02, 0.01, 1, 0)}
    assert [p.assoc_type for p in points] == [3, 4, 3, 3, 3, 3]  # the 180 MHz image came first
    bands = dict(query(conn, "SELECT freq_eff, band FROM image WHERE dataset = %s GROUP BY 1, 2",
                       (dataset,)))
    assert [p.band for p in points] == [bands[p.freq_eff] for p in points]
    first = points[1]
    assert (first.r, first.distance_arcsec, first.v_int, first.eta_int) == (0.0, 0.0, 0.0, 0.0)
    assert all(p.r >= 0 and p.distance_arcsec >= 0 for p in points)
    assert points[0]._asdict()["xtrsrc"] == expected[0][3]


def test_the_view_gives_the_same_rows(conn):
    dataset = tkpdb.insert_dataset(conn, "view")
    for step in range(3):
        observe(conn, image(conn, dataset, step), [source(RA, DECL, flux=1.0 + step)])
    ((runcat,),) = query(conn, "SELECT id FROM runningcatalog WHERE dataset = %s", (dataset,))
    fields = ", ".join(tkpdb.LightcurvePoint._fields)
    rows = query(conn, f"SELECT {fields} FROM lightcurve WHERE runcat = %s "
                 "ORDER BY taustart_ts, freq_eff, xtrsrc", (runcat,))
    assert [tkpdb.LightcurvePoint(*r) for r in rows] == tkpdb.get_lightcurve(conn, runcat)


def test_a_fork_child_has_the_parent_history(conn):
    dataset = tkpdb.insert_dataset(conn, "fork")
    (a,), _ = observe(conn, image(conn, dataset, 0), [source(RA, DECL)])
    ((parent,),) = query(conn, "SELECT id FROM runningcatalog WHERE dataset = %s", (dataset,))
    d = 5.0 / 3600.0
    (e, w), _ = observe(conn, image(conn, dataset, 1), [source(RA + d, DECL), source(RA - d, DECL)])
    children = [r for (r,) in query(
        conn, "SELECT runcat FROM assocxtrsource WHERE type = 2 ORDER BY xtrsrc")]
    curves = [[(p.xtrsrc, p.assoc_type) for p in tkpdb.get_lightcurve(conn, c)] for c in children]
    assert curves == [[(a, 6), (e, 2)], [(a, 6), (w, 2)]]
    with pytest.raises(ValueError, match=f"runcat {parent} does not exist"):
        tkpdb.get_lightcurve(conn, parent)


def test_unknown_runcat(conn):
    with pytest.raises(ValueError, match="runcat 12345 does not exist"):
        tkpdb.get_lightcurve(conn, 12345)


def test_reading_leaves_the_callers_transaction_alone(conn):
    """Extractions loaded with commit=False are neither committed nor discarded by a read."""
    dataset = tkpdb.insert_dataset(conn, "transaction")
    observe(conn, image(conn, dataset, 0), [source(RA, DECL)])
    ((runcat,),) = query(conn, "SELECT id FROM runningcatalog WHERE dataset = %s", (dataset,))
    img = image(conn, dataset, 1)
    tkpdb.insert_extracted_sources(conn, img, [source(RA, DECL)], commit=False)
    assert len(tkpdb.get_lightcurve(conn, runcat)) == 1
    tkpdb.associate_extracted_sources(conn, img)  # same transaction, committed here
    assert len(tkpdb.get_lightcurve(conn, runcat)) == 2
