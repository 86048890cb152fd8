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

from ._common import Catalogue, CatalogueError, Columns, ImageContext, finder_sources, read_table

__all__ = ["read_pybdsf"]

FINDER = "pybdsf"
#: quantity -> (PyBDSF column, its documented unit)
COLUMNS = {"ra": ("RA", "deg"), "decl": ("DEC", "deg"), "ra_err": ("E_RA", "deg"),
           "decl_err": ("E_DEC", "deg"), "f_peak": ("Peak_flux", "Jy/beam"),
           "f_peak_err": ("E_Peak_flux", "Jy/beam"), "f_int": ("Total_flux", "Jy"),
           "f_int_err": ("E_Total_flux", "Jy"), "major": ("Maj", "deg"), "minor": ("Min", "deg"),
           "pa": ("PA", "deg"), "rms": ("Isl_rms", "Jy/beam")}


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
    return finder_sources(cols, FINDER, context, COLUMNS, fwhm_axes=True)
