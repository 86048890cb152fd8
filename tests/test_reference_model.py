"""What the engine stores, against a brute-force recomputation in Python.

A random sky of well-separated sources is observed in several images of two bands, with
random position errors, error radii, fluxes and flux errors. For every lightcurve the test
replays its measurements in image order with the documented formulas (trap-semantics 2.3-2.5;
the tangent-plane weighted mean of sql/10_candidates.sql) and compares every stored value:
weighted-mean position and its uncertainties, the plain means of ra_err and decl_err, the
weights, the avg_wra invariant, the ten flux averages per band, and r and distance_arcsec of
every link. Tolerances: 1e-9 deg (3.6 micro-arcsec) for positions, 1e-9 relative elsewhere.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

import tkpdb
from tests.sky import IMAGE_DEFAULTS, query

N_SOURCES, N_IMAGES = 120, 6
CENTRE = (123.0, 10.0)


def gnomonic(ra0, decl0, ra, decl):
    """(xi, eta) in deg of (ra, decl) in the tangent plane at (ra0, decl0)."""
    a0, d0, a, d = map(math.radians, (ra0, decl0, ra, decl))
    cosc = math.sin(d0) * math.sin(d) + math.cos(d0) * math.cos(d) * math.cos(a - a0)
    xi = math.cos(d) * math.sin(a - a0) / cosc
    eta = (math.cos(d0) * math.sin(d) - math.sin(d0) * math.cos(d) * math.cos(a - a0)) / cosc
    return math.degrees(xi), math.degrees(eta)


def shift(ra0, decl0, xi, eta):
    """Inverse of gnomonic: the position at offsets (xi, eta) deg from (ra0, decl0)."""
    d0, x, y = math.radians(decl0), math.radians(xi), math.radians(eta)
    ra = ra0 + math.degrees(math.atan2(x, math.cos(d0) - y * math.sin(d0)))
    decl = math.degrees(math.asin((math.sin(d0) + y * math.cos(d0)) / math.sqrt(1 + x * x + y * y)))
    return ra % 360.0, decl


def separation_arcsec(ra1, decl1, ra2, decl2):
    a1, d1, a2, d2 = map(math.radians, (ra1, decl1, ra2, decl2))
    hav = math.sin((d2 - d1) / 2) ** 2 + math.cos(d1) * math.cos(d2) * math.sin((a2 - a1) / 2) ** 2
    return math.degrees(2 * math.asin(math.sqrt(hav))) * 3600


def alpha(theta, decl):
    if abs(decl) + theta > 89.9:
        return 180.0
    t, d = math.radians(theta), math.radians(decl)
    return math.degrees(abs(math.atan(math.sin(t) / math.sqrt(abs(math.cos(d - t) * math.cos(d + t))))))


def make_survey(conn, rng):
    """Insert and associate the survey; return per true source its measurements in order."""
    dataset = tkpdb.insert_dataset(conn, "reference model")
    # sources on a grid 150 arcsec apart (never within the 36 arcsec search radius of another)
    grid = [(i, j) for i in range(12) for j in range(10)]
    true = [(CENTRE[0] + i * 150 / 3600 / math.cos(math.radians(CENTRE[1])),
             CENTRE[1] + j * 150 / 3600) for i, j in grid[:N_SOURCES]]
    measurements: dict[int, list[dict]] = {k: [] for k in range(N_SOURCES)}
    for step in range(N_IMAGES):
        freq = (150e6, 160e6)[step % 2]
        img = tkpdb.insert_image(conn, dataset, **dict(
            IMAGE_DEFAULTS, taustart_ts=dt.datetime(2026, 1, 1) + dt.timedelta(minutes=step),
            freq_eff=freq, centre_ra=CENTRE[0] + 0.2, centre_decl=CENTRE[1] + 0.2, xtr_radius=1.0))
        rows = []
        for k, (ra, decl) in enumerate(true):
            row = dict(
                ra=ra + rng.normal(0, 3) / 3600 / math.cos(math.radians(decl)),
                decl=decl + rng.normal(0, 3) / 3600,
                ra_fit_err=rng.uniform(1e-4, 5e-4), decl_fit_err=rng.uniform(1e-4, 5e-4),
                f_peak=rng.uniform(0.01, 2.0), f_peak_err=rng.uniform(0.001, 0.05),
                f_int=rng.uniform(0.01, 2.0), f_int_err=rng.uniform(0.001, 0.05),
                det_sigma=10.0, semimajor=20.0, semiminor=15.0, pa=0.0,
                ew_sys_err=rng.uniform(5, 15), ns_sys_err=rng.uniform(5, 15),
                error_radius=rng.uniform(1, 10))
            rows.append(row)
        ids = tkpdb.insert_extracted_sources(conn, img, rows)
        tkpdb.associate_extracted_sources(conn, img)
        for k, (xid, row) in enumerate(zip(ids, rows)):
            measurements[k].append(dict(row, id=xid, band=freq))
    return dataset, measurements


def replay(ms: list[dict]) -> tuple[dict, dict[int, tuple[float, float]]]:
    """Expected runcat aggregates after ``ms`` and (r, distance_arcsec) of each link."""
    links: dict[int, tuple[float, float]] = {}
    for k, m in enumerate(ms):
        m["unc_ew"] = math.hypot(m["ew_sys_err"], m["error_radius"]) / 3600
        m["unc_ns"] = math.hypot(m["ns_sys_err"], m["error_radius"]) / 3600
        m["ra_err"] = math.hypot(m["ra_fit_err"], alpha(m["ew_sys_err"] / 3600, m["decl"]))
        m["decl_err"] = math.hypot(m["decl_fit_err"], m["ns_sys_err"] / 3600)
        w_ra, w_decl = m["unc_ew"] ** -2, m["unc_ns"] ** -2
        if k == 0:
            ra, decl, sum_ra, sum_decl = m["ra"], m["decl"], w_ra, w_decl
            links[m["id"]] = (0.0, 0.0)
            continue
        xi, eta = gnomonic(ra, decl, m["ra"], m["decl"])
        r = math.sqrt(xi ** 2 / (1 / sum_ra + m["unc_ew"] ** 2)
                      + eta ** 2 / (1 / sum_decl + m["unc_ns"] ** 2))
        links[m["id"]] = (r, separation_arcsec(ra, decl, m["ra"], m["decl"]))
        ra, decl = shift(ra, decl, xi * w_ra / (sum_ra + w_ra), eta * w_decl / (sum_decl + w_decl))
        sum_ra, sum_decl = sum_ra + w_ra, sum_decl + w_decl
    n = len(ms)
    expected = dict(
        datapoints=n, wm_ra=ra, wm_decl=decl,
        wm_uncertainty_ew=sum_ra ** -0.5, wm_uncertainty_ns=sum_decl ** -0.5,
        avg_ra_err=np.mean([m["ra_err"] for m in ms]), avg_decl_err=np.mean([m["decl_err"] for m in ms]),
        avg_weight_ra=sum_ra / n, avg_weight_decl=sum_decl / n,
        avg_wra=sum_ra / n * ra, avg_wdecl=sum_decl / n * decl,
    )
    return expected, links


def flux_expectation(ms: list[dict]) -> dict[float, dict[str, float]]:
    out = {}
    for band in {m["band"] for m in ms}:
        got = [m for m in ms if m["band"] == band]
        stats = {"f_datapoints": len(got)}
        for kind in ("peak", "int"):
            f = np.array([m[f"f_{kind}"] for m in got])
            w = np.array([m[f"f_{kind}_err"] for m in got]) ** -2
            stats.update({
                f"avg_f_{kind}": f.mean(), f"avg_f_{kind}_sq": (f ** 2).mean(),
                f"avg_f_{kind}_weight": w.mean(), f"avg_weighted_f_{kind}": (w * f).mean(),
                f"avg_weighted_f_{kind}_sq": (w * f ** 2).mean(),
            })
        out[band] = stats
    return out


def test_engine_matches_the_brute_force_recomputation(conn):
    dataset, measurements = make_survey(conn, np.random.default_rng(2026))
    columns = ["datapoints", "wm_ra", "wm_decl", "wm_uncertainty_ew", "wm_uncertainty_ns",
               "avg_ra_err", "avg_decl_err", "avg_weight_ra", "avg_weight_decl", "avg_wra",
               "avg_wdecl"]
    flux_columns = ["f_datapoints"] + [
        f"{prefix}{kind}{suffix}" for kind in ("peak", "int")
        for prefix, suffix in (("avg_f_", ""), ("avg_f_", "_sq"), ("avg_f_", "_weight"),
                               ("avg_weighted_f_", ""), ("avg_weighted_f_", "_sq"))]
    n_runcats = query(conn, "SELECT count(*) FROM runningcatalog WHERE dataset = %s", (dataset,))[0][0]
    assert n_runcats == N_SOURCES

    for k, ms in measurements.items():
        expected, links = replay(ms)
        (runcat, *values), = query(conn, f"""
            SELECT rc.id, {', '.join('rc.' + c for c in columns)} FROM runningcatalog rc
            WHERE rc.xtrsrc = %s""", (ms[0]["id"],))
        got = dict(zip(columns, values))
        assert got["datapoints"] == expected["datapoints"]
        assert got["wm_ra"] == pytest.approx(expected["wm_ra"], abs=1e-9)
        assert got["wm_decl"] == pytest.approx(expected["wm_decl"], abs=1e-9)
        for name in columns[3:]:
            assert got[name] == pytest.approx(expected[name], rel=1e-9), name

        # TraP's flat weighted mean gives the same position to well within a milli-arcsecond
        w_ra = np.array([m["unc_ew"] ** -2 for m in ms])
        w_decl = np.array([m["unc_ns"] ** -2 for m in ms])
        flat_ra = np.sum(w_ra * [m["ra"] for m in ms]) / w_ra.sum()
        flat_decl = np.sum(w_decl * [m["decl"] for m in ms]) / w_decl.sum()
        assert abs(got["wm_ra"] - flat_ra) * math.cos(math.radians(flat_decl)) * 3600 < 1e-3
        assert abs(got["wm_decl"] - flat_decl) * 3600 < 1e-3

        rows = query(conn, f"""
            SELECT b.freq_central, {', '.join('f.' + c for c in flux_columns)}
            FROM runningcatalog_flux f JOIN frequencyband b ON b.id = f.band
            WHERE f.runcat = %s""", (runcat,))
        flux = flux_expectation(ms)
        assert {row[0] for row in rows} == set(flux)
        for band, *values in rows:
            for name, value in zip(flux_columns, values):
                assert value == pytest.approx(flux[band][name], rel=1e-9), (band, name)

        for xtrsrc, r, distance, kind in query(
                conn, "SELECT xtrsrc, r, distance_arcsec, type FROM assocxtrsource WHERE runcat = %s",
                (runcat,)):
            assert kind == (4 if xtrsrc == ms[0]["id"] else 3)
            assert r == pytest.approx(links[xtrsrc][0], rel=1e-9, abs=1e-12)
            assert distance == pytest.approx(links[xtrsrc][1], rel=1e-7, abs=1e-9)
