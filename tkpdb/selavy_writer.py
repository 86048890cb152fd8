"""Writing a Selavy component catalogue in its fixed-width ``.txt`` layout.

The layout of :mod:`tkpdb.formats.selavy`: a ``#`` line of column names, a ``#`` line of units
(``[deg]``, ``--``), then one line per component, every value right-aligned under the end of
its column name, with Selavy's printed precision (that of the CASDA VOTable ``FIELD``
``precision`` attributes). Used by the survey simulator and to write test samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import Angle

__all__ = ["SELAVY_COLUMNS", "write_selavy_txt", "selavy_rows"]

#: Component columns in Selavy's order: (name, unit, decimals; None for text).
SELAVY_COLUMNS: list[tuple[str, str, int | None]] = [
    ("island_id", "--", None), ("component_id", "--", None), ("component_name", "", None),
    ("ra_hms_cont", "", None), ("dec_dms_cont", "", None), ("ra_deg_cont", "[deg]", 6),
    ("dec_deg_cont", "[deg]", 6), ("ra_err", "[arcsec]", 2), ("dec_err", "[arcsec]", 2),
    ("freq", "[MHz]", 1), ("flux_peak", "[mJy/beam]", 3), ("flux_peak_err", "[mJy/beam]", 3),
    ("flux_int", "[mJy]", 3), ("flux_int_err", "[mJy]", 3), ("maj_axis", "[arcsec]", 2),
    ("min_axis", "[arcsec]", 2), ("pos_ang", "[deg]", 2), ("maj_axis_err", "[arcsec]", 2),
    ("min_axis_err", "[arcsec]", 2), ("pos_ang_err", "[deg]", 2),
    ("maj_axis_deconv", "[arcsec]", 2), ("min_axis_deconv", "[arcsec]", 2),
    ("pos_ang_deconv", "[deg]", 2), ("maj_axis_deconv_err", "[arcsec]", 2),
    ("min_axis_deconv_err", "[arcsec]", 2), ("pos_ang_deconv_err", "[deg]", 2),
    ("chi_squared_fit", "--", 3), ("rms_fit_gauss", "[mJy/beam]", 3),
    ("spectral_index", "--", 2), ("spectral_curvature", "--", 2),
    ("spectral_index_err", "--", 2), ("spectral_curvature_err", "--", 2),
    ("rms_image", "[mJy/beam]", 3), ("has_siblings", "--", 0), ("fit_is_estimate", "--", 0),
    ("spectral_index_from_TT", "--", 0), ("flag_c4", "--", 0), ("comment", "", None),
]


def selavy_rows(*, sbid: int, ra: np.ndarray, decl: np.ndarray, ra_err: np.ndarray,
                decl_err: np.ndarray, freq_hz: float, f_peak: np.ndarray, f_peak_err: np.ndarray,
                f_int: np.ndarray, f_int_err: np.ndarray, maj: np.ndarray, min_: np.ndarray,
                pa: np.ndarray, rms: np.ndarray) -> dict[str, np.ndarray]:
    """Selavy's columns from physical values: positions (deg), errors (arcsec), fluxes (Jy),
    axes (arcsec FWHM), position angle (deg), rms (Jy/beam); converted to Selavy's units."""
    n = len(ra)
    ids = np.arange(1, n + 1)
    angle_ra, angle_dec = Angle(ra, u.deg), Angle(decl, u.deg)
    hms = angle_ra.to_string(unit=u.hour, sep=":", precision=1, pad=True)
    dms = angle_dec.to_string(unit=u.deg, sep=":", precision=0, pad=True, alwayssign=True)
    names = [f"J{h.replace(':', '')[:6]}{d.replace(':', '')[:7]}" for h, d in zip(np.atleast_1d(hms), np.atleast_1d(dms))]
    mjy = (1 * u.Jy).to_value(u.mJy)
    zero = np.zeros(n)
    return {
        "island_id": np.array([f"SB{sbid}_island_{k}" for k in ids]),
        "component_id": np.array([f"SB{sbid}_component_{k}a" for k in ids]),
        "component_name": np.array(names), "ra_hms_cont": np.atleast_1d(hms),
        "dec_dms_cont": np.atleast_1d(dms), "ra_deg_cont": ra, "dec_deg_cont": decl,
        "ra_err": ra_err, "dec_err": decl_err, "freq": np.full(n, freq_hz / 1e6),
        "flux_peak": f_peak * mjy, "flux_peak_err": f_peak_err * mjy, "flux_int": f_int * mjy,
        "flux_int_err": f_int_err * mjy, "maj_axis": maj, "min_axis": min_, "pos_ang": pa,
        "maj_axis_err": zero, "min_axis_err": zero, "pos_ang_err": zero,
        "maj_axis_deconv": zero, "min_axis_deconv": zero, "pos_ang_deconv": zero,
        "maj_axis_deconv_err": zero, "min_axis_deconv_err": zero, "pos_ang_deconv_err": zero,
        "chi_squared_fit": zero, "rms_fit_gauss": rms * mjy, "spectral_index": np.full(n, -99.0),
        "spectral_curvature": np.full(n, -99.0), "spectral_index_err": zero,
        "spectral_curvature_err": zero, "rms_image": rms * mjy, "has_siblings": zero,
        "fit_is_estimate": zero, "spectral_index_from_TT": np.ones(n), "flag_c4": zero,
        "comment": np.full(n, ""),
    }


def write_selavy_txt(path: str | Path, columns: Mapping[str, np.ndarray]) -> Path:
    """Write Selavy's fixed-width ``.txt`` component catalogue (columns as Selavy names them)."""
    cells: list[list[str]] = []
    for name, unit, decimals in SELAVY_COLUMNS:
        values = np.atleast_1d(columns[name])
        if decimals is None:
            text = [str(v) for v in values]
        else:
            text = [f"{float(v):.{decimals}f}" for v in values]
        cells.append([name, unit] + text)
    widths = [max(len(c) for c in column) + 1 for column in cells]
    widths[0] += 1                                  # room for the leading '#'
    widths[-1] = max(widths[-1], 101)               # Selavy's 100-character comment field
    lines = []
    for row in range(len(cells[0])):
        line = "".join(col[row].rjust(w) for col, w in zip(cells, widths))
        if row < 2:
            line = "#" + line[1:]
        lines.append(line)
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path
