"""PyBDSF source (``srl``) and Gaussian (``gaul``) lists, in FITS and in ASCII or CSV.

Follows the PyBDSF documentation, "write_catalog / Definition of output columns"
(``doc/source/write_catalog.rst`` of lofar-astron/PyBDSF) and its writer
(``bdsf/output.py``: ``make_ascii_str``, ``write_fits_list``). Columns and units: ``RA``,
``DEC``, ``E_RA``, ``E_DEC`` [deg]; ``Peak_flux``, ``E_Peak_flux`` [Jy/beam];
``Total_flux``, ``E_Total_flux`` [Jy]; ``Maj``, ``Min`` [deg, FWHM]; ``PA`` [deg];
``Isl_rms`` [Jy/beam]. The ASCII and CSV lists open with ``#`` comment lines (list name,
PyBDSF version, reference frequency, equinox), a blank line, then ``# `` and the column names
separated by spaces (ASCII) or ``, `` (CSV); the FITS lists are binary tables in the first
extension with the units in ``TUNITn``. ``semimajor``/``semiminor`` are half the FWHM axes.
"""

from __future__ import annotations

from pathlib import Path

from astropy.table import Table

from ._common import Catalogue, CatalogueError, Columns, ImageContext, build_sources, read_table

__all__ = ["read_pybdsf"]

FINDER = "pybdsf"


def _read(path: Path) -> Table:
    if path.suffix.lower() in (".fits", ".fit"):
        return read_table(path, "fits")
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise CatalogueError(f"{path}: no such file") from None
    header = [line for line in lines if line.startswith("#")]
    if not header:
        raise CatalogueError(f"{path}: not a PyBDSF list (no '#' header with column names)")
    delimiter = "," if "," in header[-1] else " "
    return read_table(path, "ascii.commented_header", header_start=-1, delimiter=delimiter)


def read_pybdsf(path: str | Path, context: ImageContext | None = None) -> Catalogue:
    """Read a PyBDSF ``srl`` or ``gaul`` list (``.fits``; ``.srl``/``.gaul``/``.txt``/``.csv``)."""
    path = Path(path)
    cols = Columns(_read(path), path)
    cols.require("RA", "DEC", "E_RA", "E_DEC", "Peak_flux", "E_Peak_flux", "Total_flux",
                 "E_Total_flux", "Maj", "Min", "PA")
    rms = (("Isl_rms", cols.quantity("Isl_rms", "Jy/beam", "Jy/beam", allow_missing=True))
           if cols.has("Isl_rms") else None)
    return build_sources(
        cols, FINDER, context,
        ra=cols.quantity("RA", "deg", "deg"), decl=cols.quantity("DEC", "deg", "deg"),
        ra_err=("E_RA", cols.quantity("E_RA", "deg", "deg", allow_missing=True)),
        decl_err=("E_DEC", cols.quantity("E_DEC", "deg", "deg", allow_missing=True)),
        f_peak=cols.quantity("Peak_flux", "Jy/beam", "Jy/beam"),
        f_peak_err=("E_Peak_flux",
                    cols.quantity("E_Peak_flux", "Jy/beam", "Jy/beam", allow_missing=True)),
        f_int=cols.quantity("Total_flux", "Jy", "Jy"),
        f_int_err=("E_Total_flux", cols.quantity("E_Total_flux", "Jy", "Jy", allow_missing=True)),
        rms=rms,
        semimajor=cols.quantity("Maj", "deg", "arcsec") / 2.0,
        semiminor=cols.quantity("Min", "deg", "arcsec") / 2.0,
        pa=cols.quantity("PA", "deg", "deg"),
    )
