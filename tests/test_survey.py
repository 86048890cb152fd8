"""The survey simulator: uniform on the sphere (poles, RA 0), and its truth recovered by a run:
every isolated steady source above 10 sigma ends in one lightcurve, every injected transient
above the limits is flagged."""

from __future__ import annotations

import numpy as np
import pytest

import tkpdb
from tkpdb.simulate import random_sky
from tkpdb.survey import _separation


@pytest.mark.parametrize("centre", [(17.0, 90.0), (250.0, -90.0), (0.0, 0.0), (0.0, 60.0)])
def test_random_skies_are_uniform_on_the_sphere(centre):
    rng = np.random.default_rng(5)
    radius = 3.0
    sky = random_sky(20000, *centre, radius, rng)
    assert np.all(_separation(centre[0], centre[1], sky.ra, sky.decl) <= radius + 1e-9)
    assert np.all((sky.ra >= 0) & (sky.ra < 360))
    # equal-area cells about the centre: 8 sectors of position angle x 2 rings of equal area
    v = np.stack([np.cos(np.radians(sky.decl)) * np.cos(np.radians(sky.ra)),
                  np.cos(np.radians(sky.decl)) * np.sin(np.radians(sky.ra)),
                  np.sin(np.radians(sky.decl))])
    a0, d0 = np.radians(centre[0]), np.radians(centre[1])
    c = np.array([np.cos(d0) * np.cos(a0), np.cos(d0) * np.sin(a0), np.sin(d0)])
    east = np.array([-np.sin(a0), np.cos(a0), 0.0])
    north = np.cross(c, east)
    pa = np.degrees(np.arctan2(east @ v, north @ v)) % 360
    rho = _separation(centre[0], centre[1], sky.ra, sky.decl)
    half = np.degrees(np.arccos(1 - (1 - np.cos(np.radians(radius))) / 2))
    counts = np.histogram2d(pa, rho, bins=[np.linspace(0, 360, 9), [0, half, radius]])[0]
    expected = len(sky) / 16
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 45, counts      # 15 degrees of freedom: p < 1e-4 for a uniform sky
    if centre[1] == 0.0:
        assert 0.4 < np.mean(sky.ra > 180) < 0.6     # across RA 0, no wrap


def test_a_run_recovers_the_truth_of_a_simulated_survey(conn, tmp_path):
    spec = tkpdb.SurveySpec(seed=2, epochs=4)
    survey = tkpdb.simulate_survey(spec)
    manifest = tkpdb.write_survey(survey, tmp_path, pixels=False, description="truth",
                                  association={"beamwidths_limit": 3.0, "ew_sys_err": 3.0,
                                               "ns_sys_err": 3.0})
    summary = tkpdb.run_manifest(conn, manifest)
    assert summary.forced_fits == "skipped: no fits images given"
    truth = tkpdb.load_truth(tmp_path)
    ids = tkpdb.catalogue_extractions(conn, summary.dataset)
    true_of = {x: t for name, xs in ids.items() for x, t in zip(xs, truth.catalogue_rows[name])}
    score = tkpdb.score_truth(conn, summary.dataset, true_of, truth.transients)
    assert score.transients_missed == () and len(score.transients_recovered) == spec.transients
    fwhm_low = spec.fwhm(min(spec.freqs)) / 3600
    bright = []
    for k in np.flatnonzero(survey.kind == "steady"):
        others = np.delete(np.arange(len(survey.ra)), k)
        if _separation(survey.ra[k], survey.decl[k], survey.ra[others], survey.decl[others]).min() < 1.5 * fwhm_low:
            continue
        covering = [im for im in survey.images if _separation(im.centre[0], im.centre[1], survey.ra[k], survey.decl[k]) <= survey.xtr_radius]
        snr = [survey.flux[k, im.epoch, im.band] / survey.noise(im, survey.ra[k:k + 1], survey.decl[k:k + 1])[0]
               for im in covering]
        if covering and min(snr) >= 10:
            bright.append(int(k))
    assert len(bright) >= 5
    detected = set(true_of.values())
    assert set(bright) <= detected
    assert not set(bright) & set(score.broken)
    assert score.lightcurves_per_source >= 1.0 and 0 < score.purity <= 1
