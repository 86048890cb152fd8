"""Bulk writes shared by the write floor and the in-memory baseline.

Both end an image the way association must: the extractions stored (binary COPY, as tkpdb
does), one assocxtrsource row per link, new runcats and their flux rows inserted, matched
runcats and their flux rows updated; all set-based from temporary tables filled by binary COPY,
in one transaction per image.
"""

from __future__ import annotations

import numpy as np

from tkpdb.ingest import copy_binary

RUNCAT_COLUMNS = ["id", "xtrsrc", "dataset", "datapoints", "wm_ra", "wm_decl", "wm_uncertainty_ew",
                  "wm_uncertainty_ns", "avg_ra_err", "avg_decl_err", "avg_wra", "avg_wdecl",
                  "avg_weight_ra", "avg_weight_decl", "anchor_ra", "anchor_decl"]
FLUX_COLUMNS = ["runcat", "band", "stokes", "f_datapoints", "avg_f_peak", "avg_f_peak_sq",
                "avg_f_peak_weight", "avg_weighted_f_peak", "avg_weighted_f_peak_sq", "avg_f_int",
                "avg_f_int_sq", "avg_f_int_weight", "avg_weighted_f_int", "avg_weighted_f_int_sq",
                # the variability state association keeps in the same row (sql/92_varmetric.sql)
                "f_int_count", "f_int_sum", "f_int_max", "median_lo_f_int", "median_lo_xtrsrc",
                "median_hi_f_int", "median_hi_xtrsrc", "latest_ts", "latest_f_int", "latest_freq",
                "latest_xtrsrc"]
LINK_COLUMNS = ["runcat", "xtrsrc", "type", "distance_arcsec", "r", "v_int", "eta_int", "f_datapoints",
                "band", "stokes", "f_int"]
_TYPES = {"id": "int4", "xtrsrc": "int8", "dataset": "int4", "datapoints": "int4", "runcat": "int4",
          "band": "int4", "stokes": "int2", "f_datapoints": "int4", "type": "int2",
          "f_int_count": "int4", "median_lo_xtrsrc": "int8", "median_hi_xtrsrc": "int8",
          "latest_xtrsrc": "int8"}
_SQL_TYPES = {"int2": "smallint", "int4": "integer", "int8": "bigint", "float8": "float8"}


def prepare(cur) -> None:
    """Temporary tables of one session (rows live until commit)."""
    def columns(names: list[str]) -> str:
        return ", ".join(f"{c} {_SQL_TYPES[_TYPES.get(c, 'float8')]}" for c in names)

    # latest_ts travels as epoch seconds (float8) and becomes a timestamp in the INSERT
    cur.execute(f"""
        CREATE TEMP TABLE IF NOT EXISTS bench_runcat ({columns(RUNCAT_COLUMNS)}) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS bench_flux ({columns(FLUX_COLUMNS)}) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS bench_link ({columns(LINK_COLUMNS)}) ON COMMIT DELETE ROWS;""")


def _copy(cur, table: str, columns: list[str], values: dict[str, np.ndarray]) -> None:
    if len(values[columns[0]]) == 0:
        return
    copy_binary(cur, table, [(c, _TYPES.get(c, "float8"), np.asarray(values[c])) for c in columns])


def write(cur, new_runcats: dict[str, np.ndarray], updated_runcats: dict[str, np.ndarray],
          flux: dict[str, np.ndarray], links: dict[str, np.ndarray]) -> None:
    """Insert new runcats, update matched ones, upsert flux rows, insert links."""
    _copy(cur, "bench_runcat", RUNCAT_COLUMNS, new_runcats)
    cur.execute(f"""
        INSERT INTO runningcatalog ({', '.join(RUNCAT_COLUMNS)})
        SELECT {', '.join(RUNCAT_COLUMNS)} FROM bench_runcat""")
    cur.execute("TRUNCATE bench_runcat")
    _copy(cur, "bench_runcat", RUNCAT_COLUMNS, updated_runcats)
    cur.execute("""
        UPDATE runningcatalog rc
        SET datapoints = b.datapoints, wm_ra = b.wm_ra, wm_decl = b.wm_decl,
            wm_uncertainty_ew = b.wm_uncertainty_ew, wm_uncertainty_ns = b.wm_uncertainty_ns,
            avg_ra_err = b.avg_ra_err, avg_decl_err = b.avg_decl_err, avg_wra = b.avg_wra,
            avg_wdecl = b.avg_wdecl, avg_weight_ra = b.avg_weight_ra,
            avg_weight_decl = b.avg_weight_decl, forcedfits_count = 0
        FROM bench_runcat b WHERE rc.id = b.id""")
    _copy(cur, "bench_flux", FLUX_COLUMNS, flux)
    values = ", ".join("to_timestamp(latest_ts) AT TIME ZONE 'UTC'" if c == "latest_ts" else c
                       for c in FLUX_COLUMNS)
    cur.execute(f"""
        INSERT INTO runningcatalog_flux AS f ({', '.join(FLUX_COLUMNS)})
        SELECT {values} FROM bench_flux
        ON CONFLICT (runcat, band, stokes) DO UPDATE SET
        {', '.join(f'{c} = excluded.{c}' for c in FLUX_COLUMNS[3:])}""")
    _copy(cur, "bench_link", LINK_COLUMNS, links)
    cur.execute(f"""
        INSERT INTO assocxtrsource ({', '.join(LINK_COLUMNS)})
        SELECT {', '.join(LINK_COLUMNS)} FROM bench_link""")
