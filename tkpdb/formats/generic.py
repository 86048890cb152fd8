"""The generic table: tkpdb's own (TraP's) column names and units, in any table file astropy
reads (``.csv``, ``.ecsv``, ``.xml``/``.vot``, ``.fits``).

Follows :data:`tkpdb.ingest.SOURCE_COLUMNS` (TraP's source-finder tuple, trap-semantics 1.5):
``ra``, ``decl``, ``ra_fit_err``, ``decl_fit_err`` [deg], ``f_peak``, ``f_peak_err``,
``f_int``, ``f_int_err`` [Jy], ``det_sigma``, ``semimajor``, ``semiminor`` [arcsec], ``pa``
[deg], ``ew_sys_err``, ``ns_sys_err``, ``error_radius`` [arcsec]; optional ``chisq``,
``reduced_chisq``. ``ew_sys_err``, ``ns_sys_err`` and ``error_radius`` may be left out (then
the manifest's systematic errors and TraP's corner error radius apply). A unit the file states
wins (converted); zero or missing errors follow the rule of :mod:`tkpdb.formats`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._common import Catalogue, CatalogueError, Columns, ImageContext, finder_sources, read_table

__all__ = ["read_generic"]

FINDER = "tkpdb"
#: quantity -> (column, unit)
COLUMNS = {"ra": ("ra", "deg"), "decl": ("decl", "deg"), "ra_err": ("ra_fit_err", "deg"),
           "decl_err": ("decl_fit_err", "deg"), "f_peak": ("f_peak", "Jy"),
           "f_peak_err": ("f_peak_err", "Jy"), "f_int": ("f_int", "Jy"),
           "f_int_err": ("f_int_err", "Jy"), "major": ("semimajor", "arcsec"),
           "minor": ("semiminor", "arcsec"), "pa": ("pa", "deg")}
_FORMATS = {".csv": "ascii.csv", ".ecsv": "ascii.ecsv", ".xml": "votable", ".vot": "votable",
            ".fits": "fits", ".txt": "ascii"}


def read_generic(path: str | Path, context: ImageContext | None = None) -> Catalogue:
    """Read a table with tkpdb's column names."""
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CatalogueError(f"{path}: a tkpdb table must end in {', '.join(_FORMATS)}")
    cols = Columns(read_table(path, fmt), path)
    cols.require("det_sigma")
    catalogue = finder_sources(
        cols, FINDER, context, COLUMNS, fwhm_axes=False, det_sigma=cols.numbers("det_sigma"),
        error_radius=(cols.quantity("error_radius", "arcsec", "arcsec")
                      if cols.has("error_radius") else None))
    for name in ("ew_sys_err", "ns_sys_err"):
        if cols.has(name):
            catalogue.sources[name] = cols.quantity(name, "arcsec", "arcsec")
    for name in ("chisq", "reduced_chisq"):
        if cols.has(name):
            catalogue.sources[name] = cols.numbers(name, allow_missing=True)
    if cols.has("error_radius") and np.any(catalogue.sources["error_radius"] < 0):
        raise cols.fail(int(np.flatnonzero(catalogue.sources["error_radius"] < 0)[0]),
                        "error_radius", "is negative")
    return catalogue
