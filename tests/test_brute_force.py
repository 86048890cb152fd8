"""Everything association stores, against a brute-force recomputation in Python.

A random sky of 300 sources (230 scattered over a 0.25 deg cap across RA 0, 30 close pairs
3-14 arcsec apart, and a few with 20-arcsec errors, for which the 36-arcsec cone rather than the
De Ruiter radius decides) is observed in 8 images: 4 timesteps x 2 bands (beams of 36 and 29
arcsec), each source detected with probability 0.9, positions scattered by 0.7 arcsec, every
error drawn at random (east-west and north-south apart). The close pairs make one-to-many,
many-to-one and many-to-many associations.

Two independent checks:

1. Replay: tests.sky.ReferenceAssociation runs the documented algorithm (trap-semantics
   2.3-2.9, the tangent-plane weighted mean of sql/10_candidates.sql) image by image in
   Python. The engine's counts per image, lightcurves (extraction ids) and types must be the
   same; positions within 1 micro-arcsec, r and distance_arcsec within 1 micro-arcsec (r to
   1e-6 absolute), every other aggregate within 1e-9 relative.

2. One-shot formulas, from the engine's own lightcurves (no replay): for every runcat,
   wm_uncertainty_ew/ns = 1/sqrt(sum of weights), avg_weight_* = mean weight, avg_ra_err and
   avg_decl_err = plain means, avg_wra = avg_weight_ra * wm_ra and avg_wdecl =
   avg_weight_decl * wm_decl (1e-9 relative); the position is the weighted centroid of its
   measurements on the sphere (astropy offset frame) within 0.1 mas and TraP's flat weighted
   mean of RA and Dec within 1 mas; the ten flux means and f_datapoints of every band are the
   numpy means over the band's measurements (1e-9 relative); and every link's r and
   distance_arcsec are those of the measurement against the centroid of the lightcurve's
   earlier measurements (astropy separation; 1e-4 arcsec, r 1e-4 absolute).
"""

from __future__ import annotations

import math
from collections import defaultdict

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from tests.sky import Survey, alpha, offset

CENTRE = (0.0, 40.0)       # deg: the field straddles RA 0
BANDS = ((150e6, 0.01), (160e6, 0.008))   # (freq_eff Hz, rb_smaj deg)
N_STEPS = 4


def true_sky(rng: np.random.Generator) -> list[dict]:
    """Positions (deg) and intrinsic properties of the sources."""
    sources = []

    def add(ra, decl, blurry=False):
        sources.append(dict(ra=ra, decl=decl, flux=rng.uniform(0.05, 2.0), blurry=blurry))

    for _ in range(230):
        r, pa = 900.0 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        add(*offset(*CENTRE, r * math.sin(pa), r * math.cos(pa)))
    for _ in range(30):
        r, pa = 800.0 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        ra, decl = offset(*CENTRE, r * math.sin(pa), r * math.cos(pa))
        sep, angle = rng.uniform(3.0, 14.0), rng.uniform(0, 2 * math.pi)
        add(ra, decl)
        add(*offset(ra, decl, sep * math.sin(angle), sep * math.cos(angle)))
    for _ in range(10):
        r, pa = 900.0 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        add(*offset(*CENTRE, r * math.sin(pa), r * math.cos(pa)), blurry=True)
    assert len(sources) == 300
    return sources


def measure(src: dict, rng: np.random.Generator) -> dict:
    """One source-finder row for ``src``."""
    east, north = rng.normal(0.0, 0.7, 2)
    ra, decl = offset(src["ra"], src["decl"], east, north)
    scale = 10.0 if src["blurry"] else 1.0
    f_peak, f_int = src["flux"] * rng.uniform(0.8, 1.2, 2)
    return dict(
        ra=ra, decl=decl, ra_fit_err=rng.uniform(1e-5, 3e-4), decl_fit_err=rng.uniform(1e-5, 3e-4),
        f_peak=f_peak, f_peak_err=rng.uniform(0.001, 0.05), f_int=f_int,
        f_int_err=rng.uniform(0.001, 0.05), det_sigma=20.0, semimajor=20.0, semiminor=15.0, pa=0.0,
        ew_sys_err=scale * rng.uniform(1.0, 3.0), ns_sys_err=scale * rng.uniform(1.0, 3.0),
        error_radius=scale * rng.uniform(0.3, 2.0))


@pytest.fixture
def survey(conn) -> Survey:
    rng = np.random.default_rng(20260101)
    sky = true_sky(rng)
    survey = Survey(conn, "brute force")
    for step in range(N_STEPS):
        for freq, rb_smaj in BANDS:
            rows = [measure(src, rng) for src in sky if rng.random() < 0.9]
            survey.observe(step, rows, freq_eff=freq, rb_smaj=rb_smaj, rb_smin=rb_smaj,
                           centre_ra=CENTRE[0], centre_decl=CENTRE[1], xtr_radius=0.5)
    return survey


def test_the_engine_equals_the_reference_replay(survey):
    survey.check(position_arcsec=1e-6, rel=1e-9)
    totals = defaultdict(int)
    for result in survey.results:
        for name in ("one_to_one", "one_to_many", "many_to_one", "many_to_many_pruned",
                     "new_sources"):
            totals[name] += result[name]
    # the sky exercises every outcome
    assert all(totals[name] > 0 for name in totals), dict(totals)


def basis(ra: float, decl: float) -> np.ndarray:
    """Rows: the unit vector of (ra, decl) and the unit vectors east and north of it there."""
    a, d = math.radians(ra), math.radians(decl)
    return np.array([[math.cos(d) * math.cos(a), math.cos(d) * math.sin(a), math.sin(d)],
                     [-math.sin(a), math.cos(a), 0.0],
                     [-math.sin(d) * math.cos(a), -math.sin(d) * math.sin(a), math.cos(d)]])


def unit(ra: np.ndarray, decl: np.ndarray) -> np.ndarray:
    a, d = np.radians(ra), np.radians(decl)
    return np.stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)], axis=-1)


def offsets(ra0: float, decl0: float, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """East and north offsets (arcsec) of unit vectors ``points`` in the offset frame of
    (ra0, decl0): longitude and latitude after rotating (ra0, decl0) to (0, 0), north up
    (astropy's SkyOffsetFrame)."""
    c, e, n = basis(ra0, decl0)
    lon = np.arctan2(points @ e, points @ c)
    lat = np.arcsin(np.clip(points @ n, -1.0, 1.0))
    return np.degrees(lon) * 3600.0, np.degrees(lat) * 3600.0


def shifted(ra0: float, decl0: float, east: float, north: float) -> tuple[float, float]:
    """The position at offsets (east, north; arcsec) of the offset frame of (ra0, decl0)."""
    c, e, n = basis(ra0, decl0)
    lon, lat = math.radians(east / 3600.0), math.radians(north / 3600.0)
    v = math.cos(lat) * math.cos(lon) * c + math.cos(lat) * math.sin(lon) * e + math.sin(lat) * n
    return (math.degrees(math.atan2(v[1], v[0])) % 360.0,
            math.degrees(math.atan2(v[2], math.hypot(v[0], v[1]))))


def centroid(points: np.ndarray, w_ew: np.ndarray, w_ns: np.ndarray,
             start: tuple[float, float]) -> tuple[float, float]:
    """The weighted centroid on the sphere of unit vectors ``points``: the position about which
    the weighted mean offsets (east with ``w_ew``, north with ``w_ns``) vanish. Fixed-point
    iteration from ``start`` (deg)."""
    ra, decl = start
    for _ in range(5):
        east, north = offsets(ra, decl, points)
        ra, decl = shifted(ra, decl, np.sum(w_ew * east) / w_ew.sum(),
                           np.sum(w_ns * north) / w_ns.sum())
    return ra, decl


def test_the_offset_frame_is_astropys():
    """offsets() and shifted() are astropy's SkyOffsetFrame (to 1 micro-arcsec)."""
    centre = SkyCoord(359.99 * u.deg, 40.0 * u.deg)
    points = SkyCoord([0.002, 359.98, 359.99] * u.deg, [40.001, 39.998, 40.0] * u.deg)
    east, north = centre.spherical_offsets_to(points)
    mine = offsets(359.99, 40.0, unit(points.ra.deg, points.dec.deg))
    assert np.allclose(mine[0], east.to_value(u.arcsec), rtol=0, atol=1e-6)
    assert np.allclose(mine[1], north.to_value(u.arcsec), rtol=0, atol=1e-6)
    back = centre.spherical_offsets_by(12.0 * u.arcsec, -7.0 * u.arcsec)
    there = shifted(359.99, 40.0, 12.0, -7.0)
    assert back.separation(SkyCoord(*there, unit=u.deg)).to_value(u.arcsec) < 1e-6


def test_every_stored_aggregate_follows_the_documented_formulas(survey):
    runcats = survey.check(position_arcsec=1e-6, rel=1e-9)
    image_order = {img: k for k, img in enumerate(dict.fromkeys(survey.image_of.values()))}
    worst = defaultdict(float)
    positions, flat, links = [], [], []   # (stored ra, decl, expected ra, decl), ...
    for members, rc in runcats.items():
        ms = sorted((survey.measurements[x] for x in members),
                    key=lambda m: (image_order[survey.image_of[m["id"]]], m["id"]))
        w_ew = np.array([m["uncertainty_ew"] for m in ms]) ** -2.0
        w_ns = np.array([m["uncertainty_ns"] for m in ms]) ** -2.0
        n = len(ms)
        assert rc["datapoints"] == n
        assert rc["wm_uncertainty_ew"] == pytest.approx(w_ew.sum() ** -0.5, rel=1e-9)
        assert rc["wm_uncertainty_ns"] == pytest.approx(w_ns.sum() ** -0.5, rel=1e-9)
        assert rc["avg_weight_ra"] == pytest.approx(w_ew.mean(), rel=1e-9)
        assert rc["avg_weight_decl"] == pytest.approx(w_ns.mean(), rel=1e-9)
        ra_err = [math.hypot(m["ra_fit_err"], alpha(m["ew_sys_err"] / 3600, m["decl"])) for m in ms]
        decl_err = [math.hypot(m["decl_fit_err"], m["ns_sys_err"] / 3600) for m in ms]
        assert rc["avg_ra_err"] == pytest.approx(np.mean(ra_err), rel=1e-9)
        assert rc["avg_decl_err"] == pytest.approx(np.mean(decl_err), rel=1e-9)
        assert 0.0 <= rc["wm_ra"] < 360.0
        assert rc["avg_wra"] == pytest.approx(rc["avg_weight_ra"] * rc["wm_ra"], rel=1e-12)
        assert rc["avg_wdecl"] == pytest.approx(rc["avg_weight_decl"] * rc["wm_decl"], rel=1e-12)

        vectors = unit(np.array([m["ra"] for m in ms]), np.array([m["decl"] for m in ms]))
        start = (ms[0]["ra"], ms[0]["decl"])
        positions.append((rc["wm_ra"], rc["wm_decl"], *centroid(vectors, w_ew, w_ns, start)))
        # TraP's flat weighted mean (RA unwrapped about the stored position)
        ras = np.array([(m["ra"] - rc["wm_ra"] + 180.0) % 360.0 - 180.0 for m in ms])
        decls = np.array([m["decl"] for m in ms])
        flat.append((rc["wm_ra"], rc["wm_decl"], rc["wm_ra"] + np.sum(w_ew * ras) / w_ew.sum(),
                     np.sum(w_ns * decls) / w_ns.sum()))

        by_band = defaultdict(list)
        for m in ms:
            by_band[(m["band"], m["stokes"])].append(m)
        assert set(rc["flux"]) == set(by_band)
        for key, got in rc["flux"].items():
            band_ms = by_band[key]
            assert got["f_datapoints"] == len(band_ms)
            for kind in ("peak", "int"):
                f = np.array([m[f"f_{kind}"] for m in band_ms])
                w = np.array([m[f"f_{kind}_err"] for m in band_ms]) ** -2.0
                want = {f"avg_f_{kind}": f.mean(), f"avg_f_{kind}_sq": (f * f).mean(),
                        f"avg_f_{kind}_weight": w.mean(), f"avg_weighted_f_{kind}": (w * f).mean(),
                        f"avg_weighted_f_{kind}_sq": (w * f * f).mean()}
                for name, value in want.items():
                    assert got[name] == pytest.approx(value, rel=1e-9), (key, name)

        # every link against the centroid of the lightcurve's earlier measurements
        for k, m in enumerate(ms):
            link = rc["links"][m["id"]]
            order = image_order[survey.image_of[m["id"]]]
            earlier = [j for j in range(k) if image_order[survey.image_of[ms[j]["id"]]] < order]
            same_band = [p for p in ms[:k + 1]
                         if (p["band"], p["stokes"]) == (m["band"], m["stokes"])]
            assert link["f_datapoints"] == len(same_band)
            if not earlier:
                # a new source (type 4), or that link copied to a fork (type 6)
                assert link["type"] in (4, 6) and (link["r"], link["distance"]) == (0.0, 0.0)
                continue
            prior = centroid(vectors[earlier], w_ew[earlier], w_ns[earlier], start)
            (east,), (north,) = offsets(*prior, vectors[k:k + 1])
            var_ew = 3600 ** 2 / w_ew[earlier].sum() + (m["uncertainty_ew"] * 3600) ** 2
            var_ns = 3600 ** 2 / w_ns[earlier].sum() + (m["uncertainty_ns"] * 3600) ** 2
            r = math.sqrt(east ** 2 / var_ew + north ** 2 / var_ns)   # arcsec^2 / arcsec^2
            assert link["r"] == pytest.approx(r, abs=1e-3)
            worst["r"] = max(worst["r"], abs(link["r"] - r))
            links.append((*prior, m["ra"], m["decl"], link["distance"]))

    # separations with astropy, all at once: positions against the centroids and TraP's flat
    # means, distances against the centroids of the earlier measurements
    for name, rows, tolerance in (("centroid", positions, 1e-3), ("flat", flat, 1e-3)):
        rows = np.array(rows)
        error = SkyCoord(rows[:, 0] * u.deg, rows[:, 1] * u.deg).separation(
            SkyCoord(rows[:, 2] * u.deg, rows[:, 3] * u.deg)).to_value(u.arcsec)
        worst[name] = error.max()
        assert error.max() < tolerance, name
    rows = np.array(links)
    distance = SkyCoord(rows[:, 0] * u.deg, rows[:, 1] * u.deg).separation(
        SkyCoord(rows[:, 2] * u.deg, rows[:, 3] * u.deg)).to_value(u.arcsec)
    worst["distance"] = np.abs(distance - rows[:, 4]).max()
    assert np.abs(distance - rows[:, 4]).max() < 1e-3
    print("largest differences:", dict(worst))
