"""The results of a dataset: transient candidates, variability, and exports with units.

The rows come from the SQL functions of ``sql/97_results.sql`` (``dataset_transient_candidates``,
``dataset_variability``, ``dataset_runcat_fluxes``, ``dataset_lightcurves``), which DBAs can
call directly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

import astropy.units as u
import numpy as np
import psycopg2.extensions
from astropy.table import Table

from ._db import read_rows

__all__ = ["TransientCandidate", "Variability", "transient_candidates", "variability",
           "runcat_table", "lightcurve_table", "export_dataset", "EXPORT_FORMATS"]


class TransientCandidate(NamedTuple):
    """A transient candidate (newsource): its lightcurve, type (0 possibly, 1 likely), position
    (deg), trigger measurement (time UTC, Hz, Jy), the image giving the earlier limits, the
    significance against those limits (trigger f_peak over its rms_min, rms_max) and V, eta."""

    runcat: int
    newsource_type: int
    wm_ra: float
    wm_decl: float
    trigger_xtrsrc: int
    taustart_ts: dt.datetime
    freq_eff: float
    f_peak: float
    f_peak_err: float
    previous_limits_image: int
    sigma_rms_min: float | None
    sigma_rms_max: float | None
    v_int: float | None
    eta_int: float | None
    datapoints: int


class Variability(NamedTuple):
    """A lightcurve's variability (varmetric): position (deg), datapoints, band (Hz) of its
    latest measurement, V and eta there, f_int max / mean / median (Jy), newsource id."""

    runcat: int
    wm_ra: float
    wm_decl: float
    datapoints: int
    freq_central: float | None
    v_int: float | None
    eta_int: float | None
    lightcurve_max: float | None
    lightcurve_avg: float | None
    lightcurve_median: float | None
    newsource: int | None


def _dataset_exists(conn, dataset_id: int) -> None:
    if not read_rows(conn, "SELECT 1 FROM dataset WHERE id = %s", (dataset_id,)):
        raise ValueError(f"dataset {dataset_id} does not exist")


def transient_candidates(conn: psycopg2.extensions.connection, dataset_id: int
                         ) -> list[TransientCandidate]:
    """The dataset's transient candidates, most significant (sigma_rms_max) first."""
    _dataset_exists(conn, dataset_id)
    rows = read_rows(conn, f"SELECT {', '.join(TransientCandidate._fields)} "
                           "FROM dataset_transient_candidates(%s)", (dataset_id,))
    return [TransientCandidate(*row) for row in rows]


def variability(conn: psycopg2.extensions.connection, dataset_id: int,
                limit: int | None = None) -> list[Variability]:
    """The dataset's lightcurves by decreasing eta (then V); at most ``limit``."""
    _dataset_exists(conn, dataset_id)
    rows = read_rows(conn, f"SELECT {', '.join(Variability._fields)} FROM dataset_variability(%s)"
                           " LIMIT %s", (dataset_id, limit))
    return [Variability(*row) for row in rows]


_RUNCAT_UNITS = {
    "wm_ra": u.deg, "wm_decl": u.deg, "wm_uncertainty_ew": u.arcsec, "wm_uncertainty_ns": u.arcsec,
    "freq_central": u.Hz, "avg_f_peak": u.Jy / u.beam, "avg_f_int": u.Jy, "wmean_f_int": u.Jy,
    "wmean_f_int_err": u.Jy,
}
_RUNCAT_DESCRIPTIONS = {
    "runcat": "lightcurve (runningcatalog id)", "wm_ra": "weighted-mean RA",
    "wm_decl": "weighted-mean Dec", "wm_uncertainty_ew": "1-sigma east-west uncertainty of the mean",
    "wm_uncertainty_ns": "1-sigma north-south uncertainty of the mean",
    "datapoints": "positional datapoints", "mon_src": "monitored position",
    "f_datapoints": "flux measurements in this band", "v_int": "flux coefficient of variation of f_int",
    "eta_int": "reduced chi-square of f_int about its weighted mean",
    "wmean_f_int": "weighted mean f_int", "newsource_type": "transient candidate type (0, 1) or null",
}
_LIGHTCURVE_UNITS = {
    "freq_eff": u.Hz, "ra": u.deg, "decl": u.deg, "f_peak": u.Jy / u.beam,
    "f_peak_err": u.Jy / u.beam, "f_int": u.Jy, "f_int_err": u.Jy, "distance_arcsec": u.arcsec,
}


def _table(conn, function: str, dataset_id: int, units: dict, descriptions: dict) -> Table:
    _dataset_exists(conn, dataset_id)
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {function}(%s)", (dataset_id,))
        names = [d.name for d in cur.description]
        rows = cur.fetchall()
    if conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INTRANS:
        conn.rollback()
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    table = Table()
    for name, values in zip(names, columns):
        values = list(values)
        if name == "taustart_ts":
            table[name] = np.array([v.isoformat() for v in values], dtype=str)
            table[name].description = "start of the image (UTC)"
            continue
        if values and all(isinstance(v, bool) for v in values):
            array = np.array(values, dtype=bool)
        elif values and all(v is None or isinstance(v, int) for v in values) and None not in values:
            array = np.array(values, dtype=np.int64)
        else:
            array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        table[name] = array * units[name] if name in units else array
        if name in descriptions:
            table[name].description = descriptions[name]
    table.meta["dataset"] = dataset_id
    return table


def runcat_table(conn: psycopg2.extensions.connection, dataset_id: int) -> Table:
    """The running catalogue, one row per lightcurve, band and Stokes, with units."""
    return _table(conn, "dataset_runcat_fluxes", dataset_id, _RUNCAT_UNITS, _RUNCAT_DESCRIPTIONS)


def lightcurve_table(conn: psycopg2.extensions.connection, dataset_id: int) -> Table:
    """Every lightcurve measurement (one row per link), with units."""
    return _table(conn, "dataset_lightcurves", dataset_id, _LIGHTCURVE_UNITS,
                  {"extract_type": "0 blind, 1 null-detection forced fit, 2 monitoring fit",
                   "assoc_type": "link type (assocxtrsource.type)",
                   "flux_fraction": "share of the measurement's fluxes this lightcurve holds "
                                    "(flux division; 1 = all)"})


#: Export format -> (astropy format, file suffix).
EXPORT_FORMATS = {"parquet": ("parquet", ".parquet"), "votable": ("votable", ".xml"),
                  "csv": ("ascii.csv", ".csv")}


def export_dataset(conn: psycopg2.extensions.connection, dataset_id: int,
                   directory: str | Path, format: str = "parquet") -> list[Path]:
    """Write ``runcat`` (running catalogue with per-band flux statistics and variability) and
    ``lightcurves`` (one row per measurement) of the dataset into ``directory``; return the
    paths. Units are in the VOTable ``unit`` attributes and the Parquet schema metadata; the
    CSV carries none (its columns have the units of the other two)."""
    if format not in EXPORT_FORMATS:
        raise ValueError(f"export format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
    astropy_format, suffix = EXPORT_FORMATS[format]
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in (("runcat", runcat_table(conn, dataset_id)),
                        ("lightcurves", lightcurve_table(conn, dataset_id))):
        path = out / f"dataset{dataset_id}_{name}{suffix}"
        table.write(path, format=astropy_format, overwrite=True)
        paths.append(path)
    return paths
