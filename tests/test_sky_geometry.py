"""RA wrap-around and the poles: right for every image, wherever it is centred."""

from __future__ import annotations

import numpy as np
import pytest

from tests.scenarios import BAND1, Scenario, offset


def separation_arcsec(ra1, decl1, ra2, decl2) -> float:
    r1, d1, r2, d2 = map(np.radians, (ra1, decl1, ra2, decl2))
    cos = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(r1 - r2)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))) * 3600)


@pytest.mark.parametrize("centre_ra", [0.0, 180.0, 359.9, 90.0])
def test_sources_across_ra_zero_make_one_lightcurve_near_zero(conn, centre_ra):
    sky = Scenario(conn, ra0=0.0, decl0=30.0)
    jitter = [(-4, 1), (5, -2), (-6, 0), (3, 2), (-2, -3)]
    for step, (east, north) in enumerate(jitter):
        sky.observe(step, BAND1, {f"f{step}": (east, north)}, centre_ra=centre_ra)
    assert len(sky.lightcurves()) == 1
    ra, decl = sky.position(sky.runcat_of(*[f"f{k}" for k in range(len(jitter))]))
    assert 0.0 <= ra < 360.0
    assert ra < 0.01 or ra > 359.99          # near 0, never near 180
    mean_east = np.mean([e for e, _ in jitter])
    mean_north = np.mean([n for _, n in jitter])
    expected = offset(0.0, 30.0, mean_east, mean_north)
    assert separation_arcsec(ra, decl, *expected) < 0.01


@pytest.mark.parametrize("centre_ra", [0.0, 179.0, 180.0])
@pytest.mark.parametrize("pole", [90.0, -90.0])
def test_a_source_at_the_pole_seen_at_every_ra(conn, centre_ra, pole):
    """Measurements 10.8 arcsec from the pole at RA 10, 190, 100, 280 (across the pole from
    each other) are one source; no special case for fields centred at RA 180 (TraP missed
    these pairs there)."""
    sign = 1.0 if pole > 0 else -1.0
    decl = sign * 89.997
    sky = Scenario(conn, ra0=centre_ra, decl0=sign * 89.9)
    ras = [10.0, 190.0, 100.0, 280.0, 0.001, 359.999]
    for step, ra in enumerate(ras):
        sky.observe_at(step, BAND1, {f"f{step}": (ra, decl)}, centre_decl=pole, xtr_radius=5.0)
    assert sky.lightcurves() == {frozenset(f"f{k}" for k in range(len(ras)))}
    ra, wm_decl = sky.position(sky.runcat_of(*[f"f{k}" for k in range(len(ras))]))
    assert 0.0 <= ra < 360.0
    assert separation_arcsec(ra, wm_decl, 0.0, pole) < 5.0   # the mean of a ring is its centre


def test_separate_sources_around_the_pole_stay_separate(conn):
    sky = Scenario(conn, ra0=0.0, decl0=89.0)
    positions = {f"s{k}": (90.0 * k, 89.5) for k in range(4)}
    for step in range(3):
        shifted = {f"{label}_{step}": (ra + 0.01 * step, decl) for label, (ra, decl) in positions.items()}
        sky.observe_at(step, BAND1, shifted, centre_decl=90.0, centre_ra=180.0, xtr_radius=3.0)
    assert sky.lightcurves() == {frozenset(f"s{k}_{step}" for step in range(3)) for k in range(4)}
