"""Forced fits: a beam-shaped Gaussian at a fixed position recovers an injected flux within its
error, on noise correlated over the restoring beam as in a restored image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.wcs import WCS

from tkpdb.fitsimage import ImagePixels
from tkpdb.forcedfit import forced_fit

N, PIX = 96, 5.0 / 3600.0              # pixels, deg
BMAJ, BMIN, BPA = 30.0 / 3600.0, 20.0 / 3600.0, 35.0


def _wcs() -> WCS:
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---SIN", "DEC--SIN"]
    w.wcs.crval = [10.0, -45.0]
    w.wcs.crpix = [(N + 1) / 2, (N + 1) / 2]
    w.wcs.cdelt = [-PIX, PIX]
    return w


def _beam_on(w: WCS, ra: float, decl: float) -> np.ndarray:
    from tkpdb.forcedfit import _tangent
    yy, xx = np.mgrid[0:N, 0:N]
    r, d = w.pixel_to_world_values(xx.astype(float), yy.astype(float))
    xi, eta = _tangent(ra, decl, r, d)
    pa = np.radians(BPA)
    along, across = xi * np.sin(pa) + eta * np.cos(pa), xi * np.cos(pa) - eta * np.sin(pa)
    return np.exp(-4 * np.log(2) * ((along / BMAJ) ** 2 + (across / BMIN) ** 2))


def _correlated_noise(rng, w: WCS) -> np.ndarray:
    """Unit-rms white noise convolved with the beam."""
    kernel = _beam_on(w, *w.wcs.crval)
    white = rng.normal(size=(N, N))
    smooth = np.real(np.fft.ifft2(np.fft.fft2(white) * np.fft.fft2(np.fft.ifftshift(kernel))))
    return smooth / np.sqrt((kernel ** 2).sum())


def test_an_injected_flux_is_recovered_within_its_error():
    rng = np.random.default_rng(7)
    w = _wcs()
    ra, decl = 10.003, -44.998                    # off the pixel grid
    flux, rms = 0.010, 0.001
    source = flux * _beam_on(w, ra, decl)
    noise_map = np.full((N, N), rms)
    estimates, errors = [], []
    for _ in range(150):
        pixels = ImagePixels(Path("sim.fits"), source + rms * _correlated_noise(rng, w), w, noise_map)
        fit = forced_fit(pixels, [(ra, decl)], bmaj=BMAJ, bmin=BMIN, bpa=BPA)
        assert fit.fitted.tolist() == [True]
        estimates.append(fit.f_peak[0]), errors.append(fit.f_peak_err[0])
    estimates, errors = np.array(estimates), np.array(errors)
    assert abs(estimates[0] - flux) < 3 * errors[0]          # one fit, within its error
    # and the error is the scatter of the estimates (the beam-correlation correction)
    assert abs(estimates.mean() - flux) < 3 * estimates.std() / np.sqrt(len(estimates))
    assert 0.8 < errors.mean() / estimates.std() < 1.25
    assert 0.55 < np.mean(np.abs(estimates - flux) < errors) < 0.80


def test_noise_free_pixels_give_the_exact_flux_and_outside_positions_are_not_fitted():
    w = _wcs()
    pixels = ImagePixels(Path("sim.fits"), 0.5 * _beam_on(w, 10.0, -45.0), w, None)
    fit = forced_fit(pixels, [(10.0, -45.0), (12.0, -45.0)], bmaj=BMAJ, bmin=BMIN, bpa=BPA, rms=1e-3)
    assert fit.fitted.tolist() == [True, False]
    assert fit.f_peak[0] == pytest.approx(0.5, rel=1e-9)
    assert np.isnan(fit.f_peak[1])
