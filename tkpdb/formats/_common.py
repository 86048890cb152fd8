"""What every catalogue reader shares: reading a table, units, the error rule, error radii.

Units out (those of :func:`tkpdb.insert_extracted_sources`): positions and position errors in
degrees, ``semimajor``, ``semiminor``, ``ew_sys_err``, ``ns_sys_err``, ``error_radius`` in
arcsec, fluxes in Jy, ``pa`` in degrees.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import Table

__all__ = ["CatalogueError", "ImageContext", "Catalogue", "read_table", "Columns",
           "error_radius_arcsec"]


class CatalogueError(ValueError):
    """A catalogue file cannot be read; the message names the file, the row and the column."""


@dataclass(frozen=True)
class ImageContext:
    """What a reader may need to know about the image its catalogue was made from.

    Attributes
    ----------
    rms : float or None
        Noise level of the image (Jy/beam), used where a row has no local rms of its own.
    beam_fwhm : float or None
        Restoring-beam FWHM along the major axis (arcsec), for the position-error rule.
    ew_sys_err, ns_sys_err : float
        Systematic position errors added to every source (arcsec).
    """

    rms: float | None = None
    beam_fwhm: float | None = None
    ew_sys_err: float = 1.0
    ns_sys_err: float = 1.0


@dataclass
class Catalogue:
    """The sources of one catalogue file, ready for :func:`tkpdb.insert_extracted_sources`.

    ``sources`` holds one numpy array per column (units of the API); ``replaced`` counts, per
    column, the finder errors replaced by the missing-error rule (see :mod:`tkpdb.formats`).
    """

    path: Path
    finder: str
    sources: dict[str, np.ndarray]
    replaced: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sources["ra"])


def read_table(path: Path, fmt: str, **kwargs: Any) -> Table:
    """Read ``path`` with astropy (``fmt`` an astropy format name); errors name the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # VOTable and FITS-unit warnings: units are checked below
            return Table.read(path, format=fmt, **kwargs)
    except FileNotFoundError:
        raise CatalogueError(f"{path}: no such file") from None
    except Exception as exc:  # astropy raises many kinds for a malformed file
        raise CatalogueError(f"{path}: cannot be read as {fmt}: {exc}") from None


def _unit_of(column: Any, override: str | None) -> u.UnitBase | None:
    """The unit a column carries in its file (None when it carries none)."""
    text = override if override is not None else column.unit
    if text is None:
        return None
    if isinstance(text, u.UnitBase) and not isinstance(text, u.UnrecognizedUnit):
        return None if text == u.dimensionless_unscaled else text
    text = str(text).strip().strip("[]").strip()
    if text in ("", "--", "-", "none", "None"):
        return None
    return u.Unit(text, parse_strict="raise")


class Columns:
    """Columns of one catalogue table, converted to the units asked for.

    Parameters
    ----------
    table
        The table as astropy read it.
    path
        The file, for error messages.
    units
        Units the file states per column (e.g. Selavy's units row), overriding the table's.
    """

    def __init__(self, table: Table, path: Path, units: dict[str, str] | None = None) -> None:
        self.table = table
        self.path = path
        self.units = units or {}
        self.n = len(table)

    def has(self, name: str) -> bool:
        return name in self.table.colnames

    def require(self, *names: str) -> None:
        """Raise unless every column is present."""
        missing = [name for name in names if not self.has(name)]
        if missing:
            raise CatalogueError(
                f"{self.path}: missing column(s) {', '.join(repr(m) for m in missing)} "
                f"(it has: {', '.join(self.table.colnames) or 'none'})")

    def fail(self, row: int, name: str, why: str) -> CatalogueError:
        return CatalogueError(f"{self.path}, data row {row + 1}, column {name!r}: {why}")

    def numbers(self, name: str, allow_missing: bool = False) -> np.ndarray:
        """The column as float64; blank or masked entries are NaN if ``allow_missing``, else an
        error; a non-number is always an error."""
        self.require(name)
        column = self.table[name]
        mask = np.zeros(self.n, bool)
        if hasattr(column, "mask"):
            mask = np.asarray(np.ma.getmaskarray(column))
        raw = np.asarray(np.ma.getdata(column))
        if raw.dtype.kind in "fiub":
            values = raw.astype(np.float64)
        else:
            values = np.full(self.n, np.nan)
            for row, text in enumerate(raw):
                if mask[row]:
                    continue
                text = str(text).strip()
                if text == "":
                    mask[row] = True
                    continue
                try:
                    values[row] = float(text)
                except ValueError:
                    raise self.fail(row, name, f"{text!r} is not a number") from None
        values[mask] = np.nan
        if not allow_missing:
            bad = np.flatnonzero(mask | np.isnan(values))
            if bad.size:
                raise self.fail(int(bad[0]), name, "is missing")
        return values

    def quantity(self, name: str, default: str, target: str, allow_missing: bool = False
                 ) -> np.ndarray:
        """The column in ``target`` units: converted from the unit the file states, or from the
        finder's documented unit ``default`` when the file states none.

        A peak flux density (target ``Jy/beam``) given in a plain flux-density unit is taken as
        per beam (some finders write ``Jy`` for ``Jy/beam``).
        """
        values = self.numbers(name, allow_missing)
        try:
            unit = _unit_of(self.table[name], self.units.get(name)) or u.Unit(default)
        except ValueError as exc:
            raise CatalogueError(f"{self.path}, column {name!r}: unknown unit ({exc})") from None
        wanted = u.Unit(target)
        if wanted == u.Jy / u.beam and unit.is_equivalent(u.Jy):
            unit = unit / u.beam
        try:
            return (values * unit).to_value(wanted)
        except u.UnitConversionError:
            raise CatalogueError(f"{self.path}, column {name!r}: unit {unit} cannot be "
                                 f"converted to {wanted}") from None

    def text(self, name: str) -> np.ndarray:
        """The column as strings (masked entries are empty strings)."""
        self.require(name)
        column = self.table[name]
        return np.asarray(np.ma.filled(column.astype(str), ""), dtype=str)


def error_radius_arcsec(ra: np.ndarray, decl: np.ndarray, ra_err: np.ndarray,
                        decl_err: np.ndarray) -> np.ndarray:
    """TraP's error radius (arcsec): the largest on-sky separation between the position and the
    four corners (ra -/+ ra_err, decl -/+ decl_err); all inputs in degrees."""
    a0, d0 = np.radians(ra), np.radians(decl)
    best = np.zeros(len(a0))
    for sa in (-1.0, 1.0):
        for sd in (-1.0, 1.0):
            a1 = np.radians(ra + sa * ra_err)
            d1 = np.radians(np.clip(decl + sd * decl_err, -90.0, 90.0))
            dra = a1 - a0
            num = np.hypot(np.cos(d1) * np.sin(dra),
                           np.cos(d0) * np.sin(d1) - np.sin(d0) * np.cos(d1) * np.cos(dra))
            den = np.sin(d0) * np.sin(d1) + np.cos(d0) * np.cos(d1) * np.cos(dra)
            best = np.maximum(best, np.degrees(np.arctan2(num, den)) * 3600.0)
    return best


def _bad(errors: np.ndarray) -> np.ndarray:
    """Errors the rule replaces: zero, negative (Aegean's -1) or missing (NaN)."""
    return ~(errors > 0.0)   # NaN compares False


def build_sources(
    cols: Columns, finder: str, context: ImageContext | None, *,
    ra: np.ndarray, decl: np.ndarray, ra_err: tuple[str, np.ndarray],
    decl_err: tuple[str, np.ndarray], f_peak: np.ndarray, f_peak_err: tuple[str, np.ndarray],
    f_int: np.ndarray, f_int_err: tuple[str, np.ndarray], rms: tuple[str, np.ndarray] | None,
    semimajor: np.ndarray, semiminor: np.ndarray, pa: np.ndarray,
    det_sigma: np.ndarray | None = None, error_radius: np.ndarray | None = None,
) -> Catalogue:
    """Assemble the API columns from a finder's quantities and apply the missing-error rule.

    Quantities in API units (deg, Jy or Jy/beam, arcsec); each error comes with the finder's
    column name for messages. ``rms`` is the finder's local-noise column (Jy/beam), if any.
    The rule (documented in :mod:`tkpdb.formats`): an error that is zero, negative or missing is
    the error of a point source of that peak flux in that noise, sigma_S = local rms and
    sigma_pos = beam FWHM / (2 SNR), SNR = f_peak / local rms clipped to at least 1.
    """
    context = context or ImageContext()
    n = cols.n
    replaced: dict[str, int] = {}
    local = np.full(n, np.nan) if rms is None else rms[1].copy()
    no_local = _bad(local)
    if no_local.any():
        if context.rms is not None:
            local[no_local] = context.rms
            if rms is not None:
                replaced[rms[0]] = int(no_local.sum())
        else:
            needs = np.ones(n, bool) if det_sigma is None else np.zeros(n, bool)
            for _, values in (ra_err, decl_err, f_peak_err, f_int_err):
                needs |= _bad(values)
            rows = np.flatnonzero(no_local & needs)
            if rows.size:
                raise cols.fail(int(rows[0]), rms[0] if rms is not None else "(local rms)",
                                "the row needs a local rms (for its significance or a zero or "
                                "missing error) and has none; no image rms is known either: "
                                "give the image's noise map or rms_max in the manifest")
    snr = np.maximum(np.where(local > 0, f_peak / np.where(local > 0, local, 1.0), 1.0), 1.0)

    out_err: dict[str, np.ndarray] = {}
    for key, (name, values) in (("f_peak_err", f_peak_err), ("f_int_err", f_int_err)):
        bad = _bad(values)
        values = values.copy()
        if bad.any():
            values[bad] = local[bad]
            replaced[name] = int(bad.sum())
        out_err[key] = values
    for key, (name, values) in (("ra_fit_err", ra_err), ("decl_fit_err", decl_err)):
        bad = _bad(values)
        values = values.copy()
        if bad.any():
            if context.beam_fwhm is None:
                raise cols.fail(int(np.flatnonzero(bad)[0]), name,
                                "error is zero or missing and the image's beam is not known "
                                "(give the FITS image or rb_smaj in the manifest)")
            floor = context.beam_fwhm / (2.0 * snr[bad]) / 3600.0
            if key == "ra_fit_err":
                floor = floor / np.maximum(np.cos(np.radians(decl[bad])), 1e-6)
            values[bad] = floor
            replaced[name] = int(bad.sum())
        out_err[key] = values

    if det_sigma is None:
        det_sigma = f_peak / local
    radius = error_radius_arcsec(ra, decl, out_err["ra_fit_err"], out_err["decl_fit_err"])
    if error_radius is not None:
        given = error_radius > 0
        radius = np.where(given, error_radius, radius)
    sources = {
        "ra": ra, "decl": decl, "ra_fit_err": out_err["ra_fit_err"],
        "decl_fit_err": out_err["decl_fit_err"], "f_peak": f_peak,
        "f_peak_err": out_err["f_peak_err"], "f_int": f_int, "f_int_err": out_err["f_int_err"],
        "det_sigma": det_sigma, "semimajor": semimajor, "semiminor": semiminor, "pa": pa,
        "ew_sys_err": np.full(n, float(context.ew_sys_err)),
        "ns_sys_err": np.full(n, float(context.ns_sys_err)),
        "error_radius": radius,
    }
    return Catalogue(cols.path, finder, sources, replaced)


#: The quantities a reader maps from its finder's columns, with the API unit of each.
_TARGETS = {"ra": "deg", "decl": "deg", "ra_err": "deg", "decl_err": "deg", "f_peak": "Jy/beam",
            "f_peak_err": "Jy/beam", "f_int": "Jy", "f_int_err": "Jy", "major": "arcsec",
            "minor": "arcsec", "pa": "deg", "rms": "Jy/beam"}
_ERRORS = ("ra_err", "decl_err", "f_peak_err", "f_int_err", "rms")


def finder_sources(cols: Columns, finder: str, context: ImageContext | None,
                   names: dict[str, tuple[str, str]], *, fwhm_axes: bool, **given: Any
                   ) -> Catalogue:
    """:func:`build_sources` from a finder's column map ``quantity -> (column, documented
    unit)`` (keys of ``_TARGETS``; ``rms`` optional: used when the file has it). ``fwhm_axes``:
    the finder writes FWHM axes (halved into TraP's semi-axes). ``given`` passes quantities
    computed by the reader (``ra``, ``decl``, ``det_sigma``, ``error_radius``)."""
    needed = [column for key, (column, _) in names.items()
              if key not in given and key != "rms"]
    cols.require(*needed)

    def q(key: str) -> np.ndarray:
        column, unit = names[key]
        return cols.quantity(column, unit, _TARGETS[key], allow_missing=key in _ERRORS)

    values = {key: given[key] if key in given else q(key) for key in names
              if key != "rms" and key in _TARGETS}
    rms = None
    if "rms" in names and cols.has(names["rms"][0]):
        rms = (names["rms"][0], q("rms"))
    half = 0.5 if fwhm_axes else 1.0
    return build_sources(
        cols, finder, context,
        ra=given.get("ra", values.get("ra")), decl=given.get("decl", values.get("decl")),
        ra_err=(names["ra_err"][0], values["ra_err"]),
        decl_err=(names["decl_err"][0], values["decl_err"]), f_peak=values["f_peak"],
        f_peak_err=(names["f_peak_err"][0], values["f_peak_err"]), f_int=values["f_int"],
        f_int_err=(names["f_int_err"][0], values["f_int_err"]), rms=rms,
        semimajor=values["major"] * half, semiminor=values["minor"] * half, pa=values["pa"],
        det_sigma=given.get("det_sigma"), error_radius=given.get("error_radius"))
