"""Forced fits: the peak flux of a beam-shaped elliptical Gaussian at a fixed position.

For each position the model is ``A * K(x)`` on the pixels within ``box`` beam FWHMs of it,
with ``K`` the restoring beam (FWHM ``bmaj``, ``bmin``, position angle ``bpa`` east of north)
centred on the position, evaluated in the tangent plane of the position (exact for any WCS),
and ``A`` the peak flux (Jy/beam). ``A`` is the weighted linear least-squares solution,

    A = sum(w K d) / sum(w K^2),   w = 1 / sigma^2,

with ``sigma`` the noise-map value of each pixel (or, without a noise map, the image's rms
from 3-sigma clipped pixel statistics). The least-squares variance ``1 / sum(w K^2)`` holds for
independent pixels; the noise of a restored image is correlated over the restoring beam, and
for noise convolved with the beam the variance of this estimator is exactly that variance
times the beam area in pixels (``pi bmaj bmin / (4 ln 2)`` over the pixel area), which is the
error returned. The image is taken to be background-subtracted (zero-mean noise). A position
whose pixel is outside the image or blank is not fitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from astropy.stats import sigma_clipped_stats

from .fitsimage import ImagePixels

__all__ = ["ForcedFits", "forced_fit", "image_rms", "as_sources"]

_FOUR_LN2 = 4.0 * np.log(2.0)


@dataclass(frozen=True)
class ForcedFits:
    """Results in input order: ``fitted`` (bool), ``f_peak`` and ``f_peak_err`` (Jy/beam; NaN
    where not fitted), ``ra``, ``decl`` (deg, the fixed positions)."""

    ra: np.ndarray
    decl: np.ndarray
    fitted: np.ndarray
    f_peak: np.ndarray
    f_peak_err: np.ndarray


def image_rms(data: np.ndarray) -> float:
    """The image's noise (Jy/beam): standard deviation after 3-sigma clipping."""
    _, _, std = sigma_clipped_stats(data[np.isfinite(data)], sigma=3.0, maxiters=5)
    return float(std)


def _tangent(ra0: np.ndarray, dec0: np.ndarray, ra: np.ndarray, dec: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Gnomonic offsets (xi east, eta north; deg) of (ra, dec) about (ra0, dec0)."""
    a0, d0, a, d = (np.radians(v) for v in (ra0, dec0, ra, dec))
    cosc = np.sin(d0) * np.sin(d) + np.cos(d0) * np.cos(d) * np.cos(a - a0)
    xi = np.cos(d) * np.sin(a - a0) / cosc
    eta = (np.cos(d0) * np.sin(d) - np.sin(d0) * np.cos(d) * np.cos(a - a0)) / cosc
    return np.degrees(xi), np.degrees(eta)


def forced_fit(pixels: ImagePixels, positions: Sequence[tuple[float, float]], *,
               bmaj: float, bmin: float, bpa: float, box: float = 1.5,
               rms: float | None = None) -> ForcedFits:
    """Fit the peak flux at each ``(ra, decl)`` (deg) of ``positions``.

    Parameters
    ----------
    bmaj, bmin
        Restoring-beam FWHM axes (deg).
    bpa
        Beam position angle (deg, east of north).
    box
        Half-size of the fitted box in units of ``bmaj``.
    rms
        Noise (Jy/beam) used where the image has no noise map (default: :func:`image_rms`).
    """
    pos = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    n = len(pos)
    f_peak, f_err = np.full(n, np.nan), np.full(n, np.nan)
    fitted = np.zeros(n, bool)
    if n == 0:
        return ForcedFits(pos[:, 0], pos[:, 1], fitted, f_peak, f_err)
    ny, nx = pixels.data.shape
    x0, y0 = pixels.wcs.world_to_pixel_values(pos[:, 0], pos[:, 1])
    x0, y0 = np.asarray(x0, float), np.asarray(y0, float)
    ix, iy = np.round(x0).astype(int), np.round(y0).astype(int)
    inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    inside[inside] = np.isfinite(pixels.data[iy[inside], ix[inside]])
    if not inside.any():
        return ForcedFits(pos[:, 0], pos[:, 1], fitted, f_peak, f_err)
    scale = pixels.pixel_scale
    h = max(1, int(np.ceil(box * bmaj / scale)))
    dy, dx = np.mgrid[-h:h + 1, -h:h + 1]
    sel = np.flatnonzero(inside)
    px = ix[sel, None] + dx.ravel()[None, :]
    py = iy[sel, None] + dy.ravel()[None, :]
    valid = (px >= 0) & (px < nx) & (py >= 0) & (py < ny)
    pxc, pyc = np.clip(px, 0, nx - 1), np.clip(py, 0, ny - 1)
    data = pixels.data[pyc, pxc]
    if pixels.noise is not None:
        sigma = pixels.noise[pyc, pxc]
    else:
        sigma = np.full(data.shape, rms if rms is not None else image_rms(pixels.data))
    valid &= np.isfinite(data) & np.isfinite(sigma) & (sigma > 0)
    ra_pix, dec_pix = pixels.wcs.pixel_to_world_values(pxc.astype(float), pyc.astype(float))
    xi, eta = _tangent(pos[sel, 0, None], pos[sel, 1, None], np.asarray(ra_pix), np.asarray(dec_pix))
    pa = np.radians(bpa)
    along = xi * np.sin(pa) + eta * np.cos(pa)
    across = xi * np.cos(pa) - eta * np.sin(pa)
    kernel = np.exp(-_FOUR_LN2 * ((along / bmaj) ** 2 + (across / bmin) ** 2))
    weight = np.where(valid, 1.0 / np.where(valid, sigma, 1.0) ** 2, 0.0)
    kernel = np.where(valid, kernel, 0.0)
    data = np.where(valid, data, 0.0)
    normal = (weight * kernel ** 2).sum(axis=1)
    ok = normal > 0
    beam_pixels = np.pi * bmaj * bmin / _FOUR_LN2 / scale ** 2
    amplitude = (weight * kernel * data).sum(axis=1) / np.where(ok, normal, 1.0)
    error = np.sqrt(beam_pixels / np.where(ok, normal, 1.0))
    f_peak[sel[ok]], f_err[sel[ok]] = amplitude[ok], error[ok]
    fitted[sel[ok]] = True
    return ForcedFits(pos[:, 0], pos[:, 1], fitted, f_peak, f_err)


def as_sources(fits_: ForcedFits, *, bmaj: float, bmin: float, bpa: float,
               ew_sys_err: float, ns_sys_err: float) -> dict[str, np.ndarray]:
    """The fitted rows as :func:`tkpdb.insert_extracted_sources` columns.

    The position is the fixed one (fit errors 0, error radius the beam's semi-major axis: the
    fit says nothing finer about where the source is); ``f_int = f_peak`` (Jy, a point source);
    ``det_sigma = f_peak / f_peak_err``; the shape is the beam's (semi-axes, arcsec).
    """
    k = fits_.fitted
    n = int(k.sum())
    flux, err = fits_.f_peak[k], fits_.f_peak_err[k]
    return {
        "ra": fits_.ra[k], "decl": fits_.decl[k], "ra_fit_err": np.zeros(n),
        "decl_fit_err": np.zeros(n), "f_peak": flux, "f_peak_err": err, "f_int": flux,
        "f_int_err": err, "det_sigma": flux / err,
        "semimajor": np.full(n, bmaj * 1800.0), "semiminor": np.full(n, bmin * 1800.0),
        "pa": np.full(n, bpa), "ew_sys_err": np.full(n, ew_sys_err),
        "ns_sys_err": np.full(n, ns_sys_err), "error_radius": np.full(n, bmaj * 1800.0),
    }
