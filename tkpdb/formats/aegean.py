"""Aegean (AegeanTools) component tables: ``--table`` output as CSV, VOTable or FITS.

Follows the Aegean documentation, "Output formats / Table description"
(``doc/includes/aegean.md`` of PaulHancock/Aegean, Aegean 2.3): columns ``ra``, ``dec`` [deg]
(else ``ra_str``, ``dec_str`` sexagesimal), ``err_ra``, ``err_dec`` [deg], ``peak_flux``,
``err_peak_flux`` [Jy/beam], ``int_flux``, ``err_int_flux`` [Jy], ``a``, ``b`` [arcsec,
"fitted semi-major / semi-minor axis"], ``pa`` [deg], ``local_rms`` [Jy/beam]. Aegean writes
``-1`` for an error it could not measure: the missing-error rule of :mod:`tkpdb.formats`
replaces it. A unit the file states wins over these defaults.
"""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ._common import Catalogue, CatalogueError, Columns, ImageContext, finder_sources, read_table

__all__ = ["read_aegean"]

FINDER = "aegean"
#: quantity -> (Aegean column, its documented unit)
COLUMNS = {"ra": ("ra", "deg"), "decl": ("dec", "deg"), "ra_err": ("err_ra", "deg"),
           "decl_err": ("err_dec", "deg"), "f_peak": ("peak_flux", "Jy/beam"),
           "f_peak_err": ("err_peak_flux", "Jy/beam"), "f_int": ("int_flux", "Jy"),
           "f_int_err": ("err_int_flux", "Jy"), "major": ("a", "arcsec"),
           "minor": ("b", "arcsec"), "pa": ("pa", "deg"), "rms": ("local_rms", "Jy/beam")}
_FORMATS = {".csv": "ascii.csv", ".tab": "ascii.tab", ".vot": "votable", ".xml": "votable",
            ".fits": "fits"}


def _read(path: Path) -> Table:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CatalogueError(f"{path}: an Aegean table must end in {', '.join(_FORMATS)}")
    return read_table(path, fmt)


def read_aegean(path: str | Path, context: ImageContext | None = None) -> Catalogue:
    """Read an Aegean component table (``*_comp.csv``, ``.vot``/``.xml``, ``.fits``)."""
    path = Path(path)
    cols = Columns(_read(path), path)
    if cols.has("ra") and cols.has("dec"):
        ra, decl = cols.quantity("ra", "deg", "deg"), cols.quantity("dec", "deg", "deg")
    else:
        cols.require("ra_str", "dec_str")
        coords = SkyCoord(cols.text("ra_str"), cols.text("dec_str"), unit=(u.hourangle, u.deg))
        ra, decl = np.asarray(coords.ra.deg), np.asarray(coords.dec.deg)
    return finder_sources(cols, FINDER, context, COLUMNS, fwhm_axes=False, ra=ra, decl=decl)
