"""A digest of a dataset's lightcurves that does not depend on ids, to compare engine versions.

Every lightcurve is written as one line: its measurements as (image number in the dataset,
row number in its image, assoc type, r, distance_arcsec, v_int, eta_int, f_datapoints, v_peak,
eta_peak), its position aggregates and its flux statistics per band (central frequency, Stokes,
the ten running means); floats in full precision (``repr``). The lines are sorted and hashed
(SHA-256). Two runs on the same images give the same digest exactly when every lightcurve is
identical, bit for bit.

``scripts/bench/reference_lightcurves.json`` holds the digests of the TraP-compatible engine
as it was before the write-floor rework (same simulated images: ``w1_digest`` below); the
benchmark reports whether its W1 lightcurves still match.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

__all__ = ["lightcurve_lines", "digest", "REFERENCE", "reference_digest"]

REFERENCE = Path(__file__).resolve().parent / "reference_lightcurves.json"

_RUNCAT = ["datapoints", "wm_ra", "wm_decl", "wm_uncertainty_ew", "wm_uncertainty_ns",
           "avg_ra_err", "avg_decl_err", "avg_wra", "avg_wdecl", "avg_weight_ra", "avg_weight_decl"]
_FLUX = ["f_datapoints", "avg_f_peak", "avg_f_peak_sq", "avg_f_peak_weight", "avg_weighted_f_peak",
         "avg_weighted_f_peak_sq", "avg_f_int", "avg_f_int_sq", "avg_f_int_weight",
         "avg_weighted_f_int", "avg_weighted_f_int_sq"]
_LINK = ["type", "r", "distance_arcsec", "v_int", "eta_int", "f_datapoints", "v_peak", "eta_peak"]


def lightcurve_lines(conn, dataset: int) -> list[str]:
    """One sorted text line per lightcurve of ``dataset`` (see the module docstring)."""
    with conn.cursor() as cur:
        cur.execute("""
            SELECT i.id, row_number() OVER (ORDER BY i.taustart_ts, i.freq_eff, i.id) - 1
            FROM image i WHERE i.dataset = %s""", (dataset,))
        image_no = dict(cur.fetchall())
        cur.execute(f"""
            SELECT a.runcat, x.image, x.id - min(x.id) OVER (PARTITION BY x.image),
                   {', '.join('a.' + c for c in _LINK)}
            FROM assocxtrsource a
            JOIN extractedsource x ON x.id = a.xtrsrc
            JOIN runningcatalog rc ON rc.id = a.runcat
            WHERE rc.dataset = %s""", (dataset,))
        links: dict[int, list[tuple]] = {}
        for runcat, image, row, *values in cur.fetchall():
            links.setdefault(runcat, []).append((image_no[image], row, *values))
        cur.execute(f"SELECT id, {', '.join(_RUNCAT)} FROM runningcatalog WHERE dataset = %s",
                    (dataset,))
        runcats = {row[0]: row[1:] for row in cur.fetchall()}
        cur.execute(f"""
            SELECT f.runcat, b.freq_central, f.stokes, {', '.join('f.' + c for c in _FLUX)}
            FROM runningcatalog_flux f JOIN runningcatalog rc ON rc.id = f.runcat
            JOIN frequencyband b ON b.id = f.band WHERE rc.dataset = %s""", (dataset,))
        flux: dict[int, list[tuple]] = {}
        for runcat, *values in cur.fetchall():
            flux.setdefault(runcat, []).append(tuple(values))
    conn.rollback()
    return sorted(repr((sorted(links.get(k, [])), runcats[k], sorted(flux.get(k, []))))
                  for k in runcats)


def digest(conn, dataset: int) -> str:
    """SHA-256 of :func:`lightcurve_lines` (hex)."""
    h = hashlib.sha256()
    for line in lightcurve_lines(conn, dataset):
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


def reference_digest(key: str) -> str | None:
    """The stored digest of the pre-rework engine for a workload key, if there is one."""
    if not REFERENCE.exists():
        return None
    return json.loads(REFERENCE.read_text()).get(key)


def w1_key(sources: int, images: int) -> str:
    """Key of a W1 configuration in the reference file."""
    return f"W1 {sources} sources x {images} images"
