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
                "avg_f_int_sq", "avg_f_int_weight", "avg_weighted_f_int", "avg_weighted_f_int_sq"]
LINK_COLUMNS = ["runcat", "xtrsrc", "type", "distance_arcsec", "r", "v_int", "eta_int", "f_datapoints"]
_TYPES = {"id": "int4", "xtrsrc": "int8", "dataset": "int4", "datapoints": "int4", "runcat": "int4",
          "band": "int4", "stokes": "int2", "f_datapoints": "int4", "type": "int2"}


def prepare(cur) -> None:
    """Temporary tables of one session (rows live until commit)."""
    runcat = ", ".join(f"{c} {'integer' if _TYPES.get(c) == 'int4' else 'bigint' if c == 'xtrsrc' else 'float8'}"
                       for c in RUNCAT_COLUMNS)
    flux = ", ".join(f"{c} {'integer' if _TYPES.get(c) == 'int4' else 'smallint' if c == 'stokes' else 'float8'}"
                     for c in FLUX_COLUMNS)
    cur.execute(f"""
        CREATE TEMP TABLE IF NOT EXISTS bench_runcat ({runcat}) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS bench_flux ({flux}) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS bench_link
            (runcat integer, xtrsrc bigint, type smallint, distance_arcsec float8, r float8,
             v_int float8, eta_int float8, f_datapoints integer) ON COMMIT DELETE ROWS;""")


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
    cur.execute(f"""
        INSERT INTO runningcatalog_flux AS f ({', '.join(FLUX_COLUMNS)})
        SELECT {', '.join(FLUX_COLUMNS)} FROM bench_flux
        ON CONFLICT (runcat, band, stokes) DO UPDATE SET
        {', '.join(f'{c} = excluded.{c}' for c in FLUX_COLUMNS[3:])}""")
    _copy(cur, "bench_link", LINK_COLUMNS, links)
    cur.execute(f"""
        INSERT INTO assocxtrsource ({', '.join(LINK_COLUMNS)})
        SELECT {', '.join(LINK_COLUMNS)} FROM bench_link""")
