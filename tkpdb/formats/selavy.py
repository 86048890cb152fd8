"""Selavy (ASKAP) component catalogues: the fixed-width ``.txt`` Selavy writes, the CASDA
``.csv`` and the VOTable ``.xml``.

Follows the CASDA continuum component description (``casda.continuum_component_description``,
as carried in the VOTable's ``table_version`` PARAM) and the layouts documented in the ASKAP
VAST pipeline's "Required data" page (``docs/using/requireddata.md``), whose reader
(``vast_pipeline/image/main.py::SelavyImage.read_selavy``) reads the same three files. Columns
and units: ``ra_deg_cont``, ``dec_deg_cont`` [deg] (else ``ra_hms_cont``, ``dec_dms_cont``);
``ra_err``, ``dec_err`` [arcsec]; ``flux_peak``, ``flux_peak_err`` [mJy/beam]; ``flux_int``,
``flux_int_err`` [mJy]; ``maj_axis``, ``min_axis`` [arcsec, FWHM]; ``pos_ang`` [deg];
``rms_image`` [mJy/beam]. The ``.txt`` file has two header lines, the column names and the
units (``[deg]``, ``--`` for none), each starting with ``#``, with every column right-aligned
under the end of its name; the CSV carries no units (those above apply). A unit the file
states wins over these defaults.

Selavy prints errors below its precision as ``0.00``: the missing-error rule of
:mod:`tkpdb.formats` replaces them. Positions errors are taken, as the VAST pipeline takes them,
as errors of the RA and Dec coordinates. ``semimajor``/``semiminor`` are half the FWHM axes.
"""

from __future__ import annotations

import re
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Table

from ._common import Catalogue, CatalogueError, Columns, ImageContext, finder_sources, read_table

__all__ = ["read_selavy"]

FINDER = "selavy"
#: quantity -> (Selavy column, its documented unit)
COLUMNS = {"ra": ("ra_deg_cont", "deg"), "decl": ("dec_deg_cont", "deg"),
           "ra_err": ("ra_err", "arcsec"), "decl_err": ("dec_err", "arcsec"),
           "f_peak": ("flux_peak", "mJy/beam"), "f_peak_err": ("flux_peak_err", "mJy/beam"),
           "f_int": ("flux_int", "mJy"), "f_int_err": ("flux_int_err", "mJy"),
           "major": ("maj_axis", "arcsec"), "minor": ("min_axis", "arcsec"),
           "pa": ("pos_ang", "deg"), "rms": ("rms_image", "mJy/beam")}


def _read_fixed_width(path: Path) -> tuple[Table, dict[str, str]]:
    """The ``.txt`` layout: names line, units line, right-aligned fixed-width columns."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise CatalogueError(f"{path}: no such file") from None
    if len(lines) < 2 or not lines[0].startswith("#") or not lines[1].startswith("#"):
        raise CatalogueError(f"{path}: not a Selavy .txt catalogue (it must open with a "
                             "'#' line of column names and a '#' line of units)")
    names = [(m.group(), m.end()) for m in re.finditer(r"\S+", lines[0]) if m.group() != "#"]
    if not names:
        raise CatalogueError(f"{path}: the header line names no columns")
    width = max(len(line) for line in lines)
    ends = [end for _, end in names]
    ends[-1] = max(ends[-1], width)      # the last column (comment) runs to the end of the line
    starts = [1] + ends[:-1]
    spec = dict(format="ascii.fixed_width_no_header", col_starts=starts,
                col_ends=[e - 1 for e in ends], names=[name for name, _ in names])
    table = read_table(path, spec.pop("format"), data_start=2, comment=None, **spec)
    units_row = read_table(path, "ascii.fixed_width_no_header", data_start=1, data_end=2,
                           comment=None, **spec)
    units = {name: str(units_row[name][0]) for name in units_row.colnames
             if not np.ma.is_masked(units_row[name][0])}
    return table, units


def _read(path: Path) -> tuple[Table, dict[str, str]]:
    suffix = path.suffix.lower()
    if suffix in (".xml", ".vot"):
        return read_table(path, "votable", use_names_over_ids=True), {}
    if suffix == ".csv":
        table = read_table(path, "ascii.csv")
        if "spectral_index_from_tt" in table.colnames:   # CASDA writes names in lower case
            table.rename_column("spectral_index_from_tt", "spectral_index_from_TT")
        return table, {}
    return _read_fixed_width(path)


def read_selavy(path: str | Path, context: ImageContext | None = None) -> Catalogue:
    """Read a Selavy component catalogue (``.txt``, ``.csv`` or ``.xml``)."""
    path = Path(path)
    table, units = _read(path)
    cols = Columns(table, path, units)
    if cols.has("ra_deg_cont") and cols.has("dec_deg_cont"):
        ra = cols.quantity("ra_deg_cont", "deg", "deg")
        decl = cols.quantity("dec_deg_cont", "deg", "deg")
    else:
        cols.require("ra_hms_cont", "dec_dms_cont")
        ra_text, dec_text = cols.text("ra_hms_cont"), cols.text("dec_dms_cont")
        ra, decl = np.empty(cols.n), np.empty(cols.n)
        for row in range(cols.n):
            try:
                c = SkyCoord(ra_text[row], dec_text[row], unit=(u.hourangle, u.deg))
            except ValueError:
                raise cols.fail(row, "ra_hms_cont", f"{ra_text[row]!r} {dec_text[row]!r} is "
                                "not a position in hms/dms") from None
            ra[row], decl[row] = c.ra.deg, c.dec.deg
    return finder_sources(cols, FINDER, context, COLUMNS, fwhm_axes=True, ra=ra, decl=decl)
