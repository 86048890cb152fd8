"""PySE (``sourcefinder``, the source finder of the current TraP) CSV catalogues.

Follows PySE's own code: ``sourcefinder/utility/cli.py::csv`` writes a header line of the
export parameter names joined by ``", "`` and one line per source with every value as
``%.6f``; the names and units are those of ``sourcefinder/utility/sourceparams.py``
(``SourceParams`` and its descriptions): ``ra``, ``dec``, ``ra_err``, ``dec_err`` [deg],
``peak``, ``peak_err`` [Jy/beam], ``flux``, ``flux_err`` [Jy], ``smaj_asec``, ``smin_asec``
[arcsec, semi-axes], ``theta_celes`` [deg, east from local north], ``sig`` (significance, the
detection's signal-to-noise), ``error_radius`` [arcsec, optional], ``reduced_chisq``
(optional). The default export list (``ra, ra_err, dec, dec_err, smaj_asec, smaj_asec_err,
smin_asec, smin_asec_err, theta_celes, theta_celes_err, flux, flux_err, peak, peak_err, x, y,
sig, reduced_chisq``) has no error radius: it is then computed from ``ra_err`` and
``dec_err`` the way PySE computes it (largest of the four corner offsets). Names are matched
without regard to case. PySE has no local-rms column: the missing-error rule uses the image's
rms.
"""

from __future__ import annotations

from pathlib import Path

from ._common import Catalogue, Columns, ImageContext, finder_sources, read_table

__all__ = ["read_pyse"]

FINDER = "pyse"
#: quantity -> (PySE parameter, its documented unit)
COLUMNS = {"ra": ("ra", "deg"), "decl": ("dec", "deg"), "ra_err": ("ra_err", "deg"),
           "decl_err": ("dec_err", "deg"), "f_peak": ("peak", "Jy/beam"),
           "f_peak_err": ("peak_err", "Jy/beam"), "f_int": ("flux", "Jy"),
           "f_int_err": ("flux_err", "Jy"), "major": ("smaj_asec", "arcsec"),
           "minor": ("smin_asec", "arcsec"), "pa": ("theta_celes", "deg")}


def read_pyse(path: str | Path, context: ImageContext | None = None) -> Catalogue:
    """Read a PySE ``--csv`` catalogue."""
    path = Path(path)
    table = read_table(path, "ascii.csv")
    for name in table.colnames:
        if name != name.strip().lower():
            table.rename_column(name, name.strip().lower())
    cols = Columns(table, path)
    cols.require("sig")
    sources = finder_sources(
        cols, FINDER, context, COLUMNS, fwhm_axes=False, det_sigma=cols.numbers("sig"),
        error_radius=(cols.quantity("error_radius", "arcsec", "arcsec", allow_missing=True)
                      if cols.has("error_radius") else None))
    if cols.has("reduced_chisq"):
        sources.sources["reduced_chisq"] = cols.numbers("reduced_chisq")
    return sources
