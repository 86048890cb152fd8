"""Variability indices per association row and the varmetric table (sql/92_varmetric.sql).

Brute force: after the k-th measurement of a band, V = std(f, ddof=1) / mean(f) and
eta = sum(w (f - f_w)^2) / (k - 1) with w = 1/err^2 and f_w the weighted mean (trap-semantics
2.14), for integrated and for peak flux.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tkpdb
from tests.sky import image, observe, query, source

RA, DECL = 123.0, 10.0
SIGMA = math.hypot(1.0, 1.0)  # on-sky position error (arcsec) of the sources below


def tight(ra: float, decl: float, **kw) -> dict:
    """A measurement with a 1.4 arcsec position error, so that forks can be built in a beam."""
    return source(ra, decl, error_radius=1.0, sys_err=1.0, **kw)


def at(east: float, north: float = 0.0) -> tuple[float, float]:
    """Position offset from (RA, DECL) by east/north arcsec."""
    return RA + east / 3600.0 / math.cos(math.radians(DECL)), DECL + north / 3600.0


def brute_v(f: np.ndarray) -> float:
    return float(np.std(f, ddof=1) / np.mean(f)) if len(f) > 1 else 0.0


def brute_eta(f: np.ndarray, err: np.ndarray) -> float:
    if len(f) < 2:
        return 0.0
    w = err ** -2.0
    mean_w = np.sum(w * f) / np.sum(w)
    return float(np.sum(w * (f - mean_w) ** 2) / (len(f) - 1))


def assoc_rows(conn, xtrsrc_ids: list[int]) -> list[tuple]:
    """(runcat, xtrsrc, f_datapoints, v_int, eta_int, v_peak, eta_peak) per extraction."""
    return query(conn, """
        SELECT runcat, xtrsrc, f_datapoints, v_int, eta_int, v_peak, eta_peak
        FROM assocxtrsource WHERE xtrsrc = ANY(%s) ORDER BY xtrsrc""", (xtrsrc_ids,))


def varmetric(conn, runcat: int) -> dict:
    cols = ("v_int", "eta_int", "band", "newsource", "sigma_rms_max", "sigma_rms_min",
            "lightcurve_max", "lightcurve_avg", "lightcurve_median")
    rows = query(conn, f"SELECT {', '.join(cols)} FROM varmetric WHERE runcat = %s", (runcat,))
    assert len(rows) == 1, f"runcat {runcat}: {len(rows)} varmetric rows"
    return dict(zip(cols, rows[0]))


def runcat_of(conn, xtrsrc: int, kind: int | None = None) -> list[int]:
    rows = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s"
                 + ("" if kind is None else " AND type = %s") + " ORDER BY runcat",
                 (xtrsrc,) if kind is None else (xtrsrc, kind))
    return [r for (r,) in rows]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_v_and_eta_match_a_brute_force_recomputation(conn, seed):
    rng = np.random.default_rng(seed)
    n_images, n_sources = 15, 4
    f_int = rng.lognormal(0.0, rng.uniform(0.05, 1.0, n_sources), (n_images, n_sources))
    f_peak = f_int * rng.uniform(0.5, 1.0, (n_images, n_sources))
    e_int = rng.uniform(0.001, 0.1, (n_images, n_sources))
    e_peak = rng.uniform(0.001, 0.1, (n_images, n_sources))
    dataset = tkpdb.insert_dataset(conn, f"random {seed}")
    ids = []
    for k in range(n_images):
        sources = [source(RA + 0.1 * j, DECL, flux=f_int[k, j], f_int_err=e_int[k, j],
                          f_peak=f_peak[k, j], f_peak_err=e_peak[k, j]) for j in range(n_sources)]
        row_ids, _ = observe(conn, image(conn, dataset, k), sources)
        ids.append(row_ids)
    for j in range(n_sources):
        rows = assoc_rows(conn, [ids[k][j] for k in range(n_images)])
        assert len({r[0] for r in rows}) == 1  # one lightcurve
        for k, (_, _, f_datapoints, v_int, eta_int, v_peak, eta_peak) in enumerate(rows):
            sl = slice(0, k + 1)
            assert f_datapoints == k + 1
            assert v_int == pytest.approx(brute_v(f_int[sl, j]), rel=1e-9, abs=1e-12)
            assert eta_int == pytest.approx(brute_eta(f_int[sl, j], e_int[sl, j]),
                                            rel=1e-9, abs=1e-9)
            assert v_peak == pytest.approx(brute_v(f_peak[sl, j]), rel=1e-9, abs=1e-12)
            assert eta_peak == pytest.approx(brute_eta(f_peak[sl, j], e_peak[sl, j]),
                                             rel=1e-9, abs=1e-9)
        # varmetric reports the last row and the lightcurve statistics
        runcat = rows[-1][0]
        vm = varmetric(conn, runcat)
        assert (vm["v_int"], vm["eta_int"]) == (rows[-1][3], rows[-1][4])
        assert vm["lightcurve_max"] == f_int[:, j].max()
        assert vm["lightcurve_avg"] == pytest.approx(f_int[:, j].mean(), rel=1e-12)
        assert vm["lightcurve_median"] == np.median(f_int[:, j])


CONSTANT_FLUXES = [0.1, 0.3, 1 / 3, 1e-5, 123.456, 7.0]


def _constant_lightcurve(conn, flux: float) -> list[tuple]:
    dataset = tkpdb.insert_dataset(conn, f"constant {flux}")
    ids = []
    for k in range(40):
        (x,), _ = observe(conn, image(conn, dataset, k),
                          [source(RA, DECL, flux=flux, flux_err=flux / 30)])
        ids.append(x)
    return assoc_rows(conn, ids)


@pytest.mark.parametrize("flux", CONSTANT_FLUXES)
def test_constant_lightcurve_gives_zero_v_and_eta(conn, flux):
    """Never an SQL error; V and eta exactly 0 (the running means differ in the last bits)."""
    rows = _constant_lightcurve(conn, flux)
    assert [tuple(r[3:]) for r in rows] == [(0.0, 0.0, 0.0, 0.0)] * 40
    vm = varmetric(conn, rows[0][0])
    assert (vm["v_int"], vm["eta_int"]) == (0.0, 0.0)
    assert vm["lightcurve_max"] == vm["lightcurve_median"] == flux
    assert vm["lightcurve_avg"] == pytest.approx(flux, rel=1e-14)


def test_zero_mean_flux_gives_null_v_and_no_error(conn):
    """Forced fits can be negative: +1, -2, +1 Jy has mean 0, V is undefined (NULL)."""
    dataset = tkpdb.insert_dataset(conn, "zero mean")
    fluxes = [1.0, -2.0, 1.0]
    ids = [observe(conn, image(conn, dataset, k), [source(RA, DECL, flux=f, f_peak=1.0, det_sigma=100.0)])[0][0]
           for k, f in enumerate(fluxes)]
    rows = assoc_rows(conn, ids)
    assert [r[3] for r in rows] == [0.0, pytest.approx(brute_v(np.array(fluxes[:2]))), None]
    assert rows[2][4] == pytest.approx(brute_eta(np.array(fluxes), np.full(3, 0.01)))
    assert rows[2][5] == 0.0  # peak flux constant
    vm = varmetric(conn, rows[0][0])
    assert vm["v_int"] is None and vm["eta_int"] == rows[2][4]
    assert (vm["lightcurve_max"], vm["lightcurve_avg"], vm["lightcurve_median"]) == (1.0, 0.0, 1.0)


def test_equal_fluxes_at_two_epochs(conn):
    """1, 2, 1 Jy: TraP's join on f_int matched epochs 1 and 3; the latest one is reported."""
    dataset = tkpdb.insert_dataset(conn, "repeat in time")
    ids = [observe(conn, image(conn, dataset, k), [source(RA, DECL, flux=f)])[0][0]
           for k, f in enumerate([1.0, 2.0, 1.0])]
    rows = assoc_rows(conn, ids)
    assert rows[0][3:5] != rows[2][3:5]
    vm = varmetric(conn, rows[0][0])
    assert (vm["v_int"], vm["eta_int"]) == rows[2][3:5]
    assert (vm["lightcurve_max"], vm["lightcurve_median"]) == (2.0, 1.0)
    assert vm["lightcurve_avg"] == pytest.approx(4.0 / 3.0)


def _two_bands(conn, flux_low: float, flux_high: float, low_first: bool = True):
    """Epoch 0 in 150 and 180 MHz (fluxes 3 and 5 Jy), epoch 1 with the given fluxes."""
    dataset = tkpdb.insert_dataset(conn, "two bands")
    low0, high0 = image(conn, dataset, 0, freq_eff=150e6), image(conn, dataset, 0, freq_eff=180e6)
    observe(conn, low0, [source(RA, DECL, flux=3.0)])
    observe(conn, high0, [source(RA, DECL, flux=5.0)])
    low1, high1 = image(conn, dataset, 1, freq_eff=150e6), image(conn, dataset, 1, freq_eff=180e6)
    order = [(low1, flux_low), (high1, flux_high)]
    ids = {}
    for img, flux in (order if low_first else order[::-1]):
        (ids[img],), _ = observe(conn, img, [source(RA, DECL, flux=flux)])
    (runcat,) = runcat_of(conn, ids[low1])
    bands = {img: query(conn, "SELECT band FROM image WHERE id = %s", (img,))[0][0]
             for img in (low1, high1)}
    return runcat, ids[low1], ids[high1], bands[low1], bands[high1]


@pytest.mark.parametrize("low_first", [True, False])
def test_equal_fluxes_in_two_bands_at_one_time(conn, low_first):
    """Same f_int in both bands at the latest time: the higher frequency is reported,
    whichever band was associated first."""
    runcat, _, high, _, high_band = _two_bands(conn, 1.0, 1.0, low_first)
    (row,) = assoc_rows(conn, [high])
    vm = varmetric(conn, runcat)
    assert (vm["v_int"], vm["eta_int"], vm["band"]) == (row[3], row[4], high_band)
    # statistics over the 180 MHz band only: 5 and 1 Jy
    assert (vm["lightcurve_max"], vm["lightcurve_avg"], vm["lightcurve_median"]) == (5.0, 3.0, 3.0)


@pytest.mark.parametrize("low_first", [True, False])
def test_brighter_band_at_the_latest_time_is_reported(conn, low_first):
    runcat, low, _, low_band, _ = _two_bands(conn, 2.0, 1.0, low_first)
    (row,) = assoc_rows(conn, [low])
    vm = varmetric(conn, runcat)
    assert (vm["v_int"], vm["eta_int"], vm["band"]) == (row[3], row[4], low_band)
    assert (vm["lightcurve_max"], vm["lightcurve_avg"], vm["lightcurve_median"]) == (3.0, 2.5, 2.5)


def test_latest_measurement_wins_over_a_brighter_older_band(conn):
    dataset = tkpdb.insert_dataset(conn, "stale band")
    observe(conn, image(conn, dataset, 0, freq_eff=180e6), [source(RA, DECL, flux=9.0)])
    (x,), _ = observe(conn, image(conn, dataset, 1, freq_eff=150e6), [source(RA, DECL, flux=1.0)])
    (row,) = assoc_rows(conn, [x])
    vm = varmetric(conn, row[0])
    assert (vm["v_int"], vm["eta_int"], vm["lightcurve_max"]) == (row[3], row[4], 1.0)


def test_only_the_runcats_of_the_image_are_touched(conn):
    """A runcat absent from an image keeps its state as it was (no dataset rebuild): its flux
    row is not rewritten (same row version), the detected runcat's is."""
    dataset = tkpdb.insert_dataset(conn, "touch")
    (a, b), _ = observe(conn, image(conn, dataset, 0), [source(RA, DECL), source(RA + 0.2, DECL)])
    (runcat_a,), (runcat_b,) = runcat_of(conn, a), runcat_of(conn, b)
    version = "SELECT xmin::text, ctid::text FROM runningcatalog_flux WHERE runcat = %s"
    before_a, before_b = query(conn, version, (runcat_a,)), query(conn, version, (runcat_b,))
    observe(conn, image(conn, dataset, 1), [source(RA, DECL, flux=2.0)])
    assert varmetric(conn, runcat_a)["lightcurve_max"] == 2.0
    assert query(conn, version, (runcat_a,)) != before_a
    assert query(conn, version, (runcat_b,)) == before_b
    assert varmetric(conn, runcat_b)["lightcurve_max"] == 1.0


def test_newsource_significance(conn):
    """sigma_rms_min/max = trigger f_peak / rms_min/max of the previous-limits image."""
    dataset = tkpdb.insert_dataset(conn, "significance")
    image(conn, dataset, 0, rms_min=2e-3, rms_max=4e-3)
    (x,), _ = observe(conn, image(conn, dataset, 1), [source(RA, DECL, flux=1.0, f_peak=0.1)])
    (runcat,) = runcat_of(conn, x)
    ((newsource,),) = query(conn, "SELECT id FROM newsource WHERE runcat = %s", (runcat,))
    vm = varmetric(conn, runcat)
    assert vm["newsource"] == newsource
    assert vm["sigma_rms_min"] == pytest.approx(50.0) and vm["sigma_rms_max"] == pytest.approx(25.0)
    # a source that is not a transient candidate has none
    (_, y), _ = observe(conn, image(conn, dataset, 2),
                        [source(RA, DECL), source(RA + 0.3, DECL, f_peak=0.001)])
    vm = varmetric(conn, runcat_of(conn, y)[0])
    assert (vm["newsource"], vm["sigma_rms_min"], vm["sigma_rms_max"]) == (None, None, None)


def test_varmetric_after_a_fork(conn):
    """S (1 Jy, twice) forks into E (0.6 Jy) and W (0.5 Jy); both children continue."""
    dataset = tkpdb.insert_dataset(conn, "fork")
    for k in range(2):
        observe(conn, image(conn, dataset, k), [tight(RA, DECL, flux=1.0)])
    ((parent,),) = query(conn, "SELECT id FROM runningcatalog WHERE dataset = %s", (dataset,))
    d = 6 * SIGMA
    (e, w), counts = observe(conn, image(conn, dataset, 2),
                             [tight(*at(d), flux=0.6), tight(*at(-d), flux=0.5)])
    assert counts["one_to_many"] == 1
    (child_e,), (child_w,) = runcat_of(conn, e, 2), runcat_of(conn, w, 2)
    assert query(conn, "SELECT count(*) FROM varmetric WHERE runcat = %s", (parent,)) == [(0,)]
    assert query(conn, "SELECT count(*) FROM runningcatalog_flux WHERE runcat = %s", (parent,)) == [(0,)]
    for child, x, f in ((child_e, e, 0.6), (child_w, w, 0.5)):
        (row,) = assoc_rows(conn, [x])
        vm = varmetric(conn, child)
        assert (vm["v_int"], vm["eta_int"]) == (row[3], row[4])
        assert vm["v_int"] == pytest.approx(brute_v(np.array([1.0, 1.0, f])))
        assert (vm["lightcurve_max"], vm["lightcurve_median"]) == (1.0, 1.0)
        assert vm["lightcurve_avg"] == pytest.approx((2.0 + f) / 3.0)
    # both children go on one-to-one
    (e2, w2), counts = observe(conn, image(conn, dataset, 3),
                               [tight(*at(d), flux=0.6), tight(*at(-d), flux=0.5)])
    assert counts["one_to_one"] == 2 and counts["one_to_many"] == 0
    assert runcat_of(conn, e2) == [child_e] and runcat_of(conn, w2) == [child_w]
    for child, x, f in ((child_e, e2, 0.6), (child_w, w2, 0.5)):
        (row,) = assoc_rows(conn, [x])
        vm = varmetric(conn, child)
        assert (vm["v_int"], vm["eta_int"]) == (row[3], row[4])
        assert (vm["lightcurve_max"], vm["lightcurve_median"]) == (1.0, (1.0 + f) / 2)
        assert vm["lightcurve_avg"] == pytest.approx((2.0 + 2 * f) / 4.0)
    assert query(conn, """
        SELECT runcat, f_int_count, f_datapoints FROM runningcatalog_flux
        WHERE runcat IN (%s, %s) ORDER BY runcat""", (child_e, child_w)) == [
        (child_e, 4, 4), (child_w, 4, 4)]


def test_varmetric_after_a_many_to_one(conn):
    """A (1 Jy) and B (3 Jy), 9 sigma apart, then one extraction (2 Jy) between them."""
    dataset = tkpdb.insert_dataset(conn, "many to one")
    d = 4.5 * SIGMA
    for k in range(2):
        (a, b), _ = observe(conn, image(conn, dataset, k),
                            [tight(*at(0, -d), flux=1.0), tight(*at(0, d), flux=3.0)])
    (runcat_a,), (runcat_b,) = runcat_of(conn, a), runcat_of(conn, b)
    (m,), counts = observe(conn, image(conn, dataset, 2), [tight(RA, DECL, flux=2.0)])
    assert counts["many_to_one"] == 1
    assert runcat_of(conn, m) == sorted([runcat_a, runcat_b])
    rows = {r[0]: r for r in assoc_rows(conn, [m])}
    for runcat, f in ((runcat_a, 1.0), (runcat_b, 3.0)):
        vm = varmetric(conn, runcat)
        assert (vm["v_int"], vm["eta_int"]) == rows[runcat][3:5]
        assert vm["v_int"] == pytest.approx(brute_v(np.array([f, f, 2.0])))
        assert vm["lightcurve_max"] == max(f, 2.0) and vm["lightcurve_median"] == f
        assert vm["lightcurve_avg"] == pytest.approx((2 * f + 2.0) / 3.0)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fluxes=st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 7.25]), min_size=1, max_size=9),
       bands=st.lists(st.sampled_from([150e6, 180e6]), min_size=9, max_size=9))
def test_median_max_and_mean_follow_every_measurement(conn, fluxes, bands):
    """Any sequence of fluxes (repeats included, two bands): after each image, varmetric's
    statistics of the reported band equal numpy's over that band's fluxes so far."""
    dataset = tkpdb.insert_dataset(conn, "order statistics")
    runcat, seen = None, {150e6: [], 180e6: []}
    for k, (flux, freq) in enumerate(zip(fluxes, bands)):
        (x,), _ = observe(conn, image(conn, dataset, k, freq_eff=freq), [source(RA, DECL, flux=flux)])
        runcat = runcat or runcat_of(conn, x)[0]
        seen[freq].append(flux)
        vm = varmetric(conn, runcat)
        f = np.array(seen[freq])
        assert (vm["lightcurve_max"], vm["lightcurve_median"]) == (f.max(), np.median(f))
        assert vm["lightcurve_avg"] == pytest.approx(f.mean(), rel=1e-12)


def test_the_median_walks_the_lightcurve_index(conn):
    """The middle of a band is kept as keys into the links' lightcurve index: after every image
    they are the middle entries of the band's links in (f_int, extraction id) order."""
    dataset = tkpdb.insert_dataset(conn, "keys")
    rng = np.random.default_rng(7)
    ids = [observe(conn, image(conn, dataset, k), [source(RA, DECL, flux=f)])[0][0]
           for k, f in enumerate(rng.choice([1.0, 2.0, 3.0], 12))]
    (runcat,) = runcat_of(conn, ids[0])
    links = query(conn, """SELECT f_int, xtrsrc FROM assocxtrsource WHERE runcat = %s
                           ORDER BY f_int, xtrsrc""", (runcat,))
    state = query(conn, """SELECT median_lo_f_int, median_lo_xtrsrc, median_hi_f_int, median_hi_xtrsrc
                           FROM runningcatalog_flux WHERE runcat = %s""", (runcat,))
    assert state == [(*links[5], *links[6])]
