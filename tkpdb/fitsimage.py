"""Image metadata from a FITS header, and the pixels forced fits are measured on.

Header keywords read (astropy.io.fits, astropy.wcs, astropy.time):

* start time ``taustart_ts``: ``DATE-OBS`` (ISO; ``TIMESYS`` gives the time scale, default
  UTC), else ``MJD-OBS``; converted to UTC;
* exposure ``tau_time`` (s): ``EXPTIME``, else ``DURATION`` (ASKAP), else ``DATE-END`` minus
  the start;
* frequency ``freq_eff``, ``freq_bw`` (Hz): ``RESTFRQ``/``RESTFREQ`` with ``RESTBW``, else the
  axis whose ``CTYPEn`` is ``FREQ`` (``CRVALn``, ``|CDELTn|``, unit ``CUNITn``, default Hz);
* restoring beam: ``BMAJ``, ``BMIN`` (FWHM, deg), ``BPA`` (deg); ``rb_smaj = BMAJ / 2``,
  ``rb_smin = BMIN / 2`` (TraP's semi-axes), ``rb_pa = BPA``;
* ``centre_ra``, ``centre_decl``: the celestial WCS at the centre pixel;
* ``xtr_radius``: the largest circle about the centre inside the image,
  ``min(NAXIS1, NAXIS2) / 2`` pixels times the pixel scale (deg);
* with a noise map: ``rms_min``, ``rms_max`` = the smallest and largest finite, positive
  noise-map values (``BUNIT``, default Jy/beam) inside that circle.

A keyword that is absent is simply not returned: the runner then needs the value from the
manifest and says which one is missing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.time import Time
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales

__all__ = ["FitsError", "ImagePixels", "header_metadata", "read_pixels", "flux_unit"]


class FitsError(ValueError):
    """A FITS file cannot be used; the message names the file and the keyword."""


@dataclass(frozen=True)
class ImagePixels:
    """A 2-D image (Jy/beam, indexed ``[y, x]``), its celestial WCS and its noise map."""

    path: Path
    data: np.ndarray
    wcs: WCS
    noise: np.ndarray | None = None

    @property
    def pixel_scale(self) -> float:
        """Pixel size (deg), the geometric mean of both axes."""
        sx, sy = proj_plane_pixel_scales(self.wcs)
        return float(np.sqrt(sx * sy))


def flux_unit(text: str | None, path: Path) -> u.UnitBase:
    """A ``BUNIT`` as an astropy unit (radio images write ``JY/BEAM``); default Jy/beam."""
    if not text:
        return u.Jy / u.beam
    try:
        return u.Unit(re.sub("jy", "Jy", str(text).strip().lower()))
    except ValueError:
        raise FitsError(f"{path}: BUNIT {text!r} is not a unit") from None


def _image_hdu(hdul: fits.HDUList, path: Path) -> fits.ImageHDU | fits.PrimaryHDU:
    for hdu in hdul:
        if hdu.is_image and hdu.header.get("NAXIS", 0) >= 2:
            return hdu
    raise FitsError(f"{path}: no image HDU with two or more axes")


def _plane(data: np.ndarray) -> np.ndarray:
    """The first 2-D plane of an image with degenerate (Stokes, frequency) axes."""
    while data.ndim > 2:
        data = data[0]
    return np.asarray(data, dtype=np.float64)


def _open(path: Path) -> fits.HDUList:
    try:
        return fits.open(path, memmap=True)
    except FileNotFoundError:
        raise FitsError(f"{path}: no such file") from None
    except OSError as exc:
        raise FitsError(f"{path}: not a FITS file ({exc})") from None


def _start_time(header: fits.Header, path: Path) -> dt.datetime | None:
    scale = str(header.get("TIMESYS", "utc")).strip().lower()
    if scale not in Time.SCALES:
        scale = "utc"
    try:
        if "DATE-OBS" in header:
            return Time(str(header["DATE-OBS"]).strip(), scale=scale).utc.datetime
        if "MJD-OBS" in header:
            return Time(float(header["MJD-OBS"]), format="mjd", scale=scale).utc.datetime
    except ValueError as exc:
        raise FitsError(f"{path}: DATE-OBS/MJD-OBS cannot be read as a time ({exc})") from None
    return None


def _frequency(header: fits.Header) -> tuple[float | None, float | None]:
    for key in ("RESTFRQ", "RESTFREQ"):
        if key in header:
            bw = header.get("RESTBW")
            return float(header[key]), (float(bw) if bw is not None else None)
    for k in range(1, int(header.get("NAXIS", 0)) + 1):
        if str(header.get(f"CTYPE{k}", "")).strip().upper().startswith("FREQ"):
            unit = u.Unit(str(header.get(f"CUNIT{k}", "Hz")).strip() or "Hz")
            freq = (float(header[f"CRVAL{k}"]) * unit).to_value(u.Hz)
            delta = header.get(f"CDELT{k}")
            return freq, (abs(float(delta) * unit.to(u.Hz)) if delta is not None else None)
    return None, None


def header_metadata(fits_path: str | Path, noise_path: str | Path | None = None
                    ) -> dict[str, Any]:
    """The :func:`tkpdb.insert_image` fields the FITS header (and noise map) give."""
    path = Path(fits_path)
    with _open(path) as hdul:
        hdu = _image_hdu(hdul, path)
        header = hdu.header
        out: dict[str, Any] = {}
        start = _start_time(header, path)
        if start is not None:
            out["taustart_ts"] = start
        for key in ("EXPTIME", "DURATION"):
            if key in header:
                out["tau_time"] = float(header[key])
                break
        else:
            if start is not None and "DATE-END" in header:
                end = Time(str(header["DATE-END"]).strip(), scale="utc").datetime
                out["tau_time"] = (end - start).total_seconds()
        freq, bw = _frequency(header)
        if freq is not None:
            out["freq_eff"] = freq
        if bw is not None:
            out["freq_bw"] = bw
        if "BMAJ" in header and "BMIN" in header:
            out["rb_smaj"] = float(header["BMAJ"]) / 2.0
            out["rb_smin"] = float(header["BMIN"]) / 2.0
            out["rb_pa"] = float(header.get("BPA", 0.0))
        try:
            wcs = WCS(header).celestial
        except Exception as exc:  # astropy.wcs raises several kinds
            raise FitsError(f"{path}: no usable celestial WCS ({exc})") from None
        if wcs.naxis != 2:
            raise FitsError(f"{path}: no celestial WCS (CTYPE1/CTYPE2 RA---/DEC--)")
        nx, ny = int(header["NAXIS1"]), int(header["NAXIS2"])
        ra, decl = wcs.pixel_to_world_values((nx - 1) / 2.0, (ny - 1) / 2.0)
        out["centre_ra"] = float(np.mod(ra, 360.0))
        out["centre_decl"] = float(decl)
        scale = float(np.sqrt(np.prod(proj_plane_pixel_scales(wcs))))
        out["xtr_radius"] = min(nx, ny) / 2.0 * scale
    if noise_path is not None:
        noise = read_noise(Path(noise_path), (ny, nx))
        yy, xx = np.mgrid[0:ny, 0:nx]
        inside = np.hypot(xx - (nx - 1) / 2.0, yy - (ny - 1) / 2.0) <= min(nx, ny) / 2.0
        good = noise[inside & np.isfinite(noise) & (noise > 0)]
        if good.size == 0:
            raise FitsError(f"{noise_path}: no finite, positive noise value inside the image")
        out["rms_min"], out["rms_max"] = float(good.min()), float(good.max())
    return out


def read_noise(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """A noise map (Jy/beam) of the given image shape."""
    with _open(path) as hdul:
        hdu = _image_hdu(hdul, path)
        unit = flux_unit(hdu.header.get("BUNIT"), path)
        noise = _plane(hdu.data) * unit.to(u.Jy / u.beam)
    if noise.shape != shape:
        raise FitsError(f"{path}: noise map is {noise.shape[1]}x{noise.shape[0]} pixels, "
                        f"the image {shape[1]}x{shape[0]}")
    return noise


def read_pixels(fits_path: str | Path, noise_path: str | Path | None = None) -> ImagePixels:
    """The image plane (Jy/beam), its celestial WCS and, if given, its noise map."""
    path = Path(fits_path)
    with _open(path) as hdul:
        hdu = _image_hdu(hdul, path)
        unit = flux_unit(hdu.header.get("BUNIT"), path)
        try:
            scale = unit.to(u.Jy / u.beam)
        except u.UnitConversionError:
            raise FitsError(f"{path}: BUNIT {unit} is not a flux density per beam") from None
        data = _plane(hdu.data) * scale
        wcs = WCS(hdu.header).celestial
    noise = read_noise(Path(noise_path), data.shape) if noise_path is not None else None
    return ImagePixels(path, data, wcs, noise)
