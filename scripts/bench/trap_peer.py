"""The current TraP (the ``trap`` package, 1.4) as a benchmark peer, run through its own functions.

Run by ``scripts/benchmark.py`` with the Python of TraP's own virtual environment
(``scripts/setup-trap-peer.sh`` creates ``.venv-trap``; TraP pins numba, dask and pandas
versions of its own), so nothing of it is imported into tkpdb's environment:

    .venv-trap/bin/python scripts/bench/trap_peer.py IMAGES.npz --dbname NAME

``IMAGES.npz`` holds the simulated images (the same ones tkpdb associates): per image the
source-finder columns of ``tkpdb.insert_extracted_sources`` and the image metadata. For each
image the peer calls what ``trap.run.main`` chains with Dask, in the same order, one image at a
time: ``trap.run.update_source_list`` (association), ``trap.post_processing.
update_varmetrics_iterative`` (variability) and ``trap.io.export_to_database`` (PostgreSQL,
a database of its own created by ``trap.io.init_db``). Source extraction and forced fits need
pixels and are not run: the images have no pixels, so the forced-fit limit is set below zero
(no null detections are promised) and the source finder's output is given as TraP's
DataFrame. Prints one JSON object: seconds per image for each step and the driver's peak
resident memory (MB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
from astropy.wcs import WCS
from trap.io import export_to_database, init_db
from trap.post_processing import update_varmetrics_iterative
from trap.run import update_source_list

# tkpdb's source-finder columns -> the column names of TraP's source DataFrame
COLUMNS = {
    "ra": "ra", "decl": "dec", "ra_fit_err": "ra_fit_err", "decl_fit_err": "dec_fit_err",
    "f_peak": "peak_flux", "f_peak_err": "peak_flux_err", "f_int": "int_flux",
    "f_int_err": "int_flux_err", "det_sigma": "significance_detection_level",
    "semimajor": "semimajor_axis", "semiminor": "semiminor_axis", "pa": "parallactic_angle",
    "error_radius": "error_radius", "ew_sys_err": "ew_sys_err", "ns_sys_err": "ns_sys_err",
}


def sources(images: np.lib.npyio.NpzFile, k: int) -> pd.DataFrame:
    """Image ``k``'s sources as TraP's source finder returns them (with its derived columns)."""
    frame = pd.DataFrame({trap: images[f"{k}/{ours}"] for ours, trap in COLUMNS.items()})
    frame["chisq"] = 0.0
    frame["reduced_chisq"] = 0.0
    frame["gaussian_fit"] = True
    frame["uncertainty_ew"] = np.hypot(frame.ew_sys_err, frame.error_radius) / 3600.0
    frame["uncertainty_ns"] = np.hypot(frame.ns_sys_err, frame.error_radius) / 3600.0
    frame.index.name = "id"
    return frame


def metadata(images: np.lib.npyio.NpzFile, k: int) -> dict:
    """TraP's image metadata (``read_pyse_image``'s ``im_meta``) of image ``k``."""
    meta = images[f"{k}/meta"]
    taustart, freq, band, ra, decl, radius, beam = meta
    return dict(rms=1e-3, rms_min=1e-3, rms_max=2e-3, freq_band=int(band), freq_eff=float(freq),
                freq_bw=2e6, taustart_ts=dt.datetime(2026, 1, 1) + dt.timedelta(seconds=float(taustart)),
                url=f"simulated image {k}", rb_smaj=float(beam), rb_smin=0.8 * float(beam),
                rb_pa=0.0, centre_ra=float(ra), centre_dec=float(decl), xtr_radius=float(radius),
                rejected=0)


def pixel_frame(ra: float, decl: float) -> SimpleNamespace:
    """What update_source_list reads of a PySE image: its WCS (to drop null detections
    outside the image). A tangent projection around the field centre."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---SIN", "DEC--SIN"]
    wcs.wcs.crval = [ra, decl]
    wcs.wcs.cdelt = [-0.002, 0.002]
    wcs.wcs.crpix = [2000.0, 2000.0]
    return SimpleNamespace(wcs=SimpleNamespace(wcs=wcs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", help="the .npz written by scripts/benchmark.py")
    parser.add_argument("--dbname", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="5432")
    parser.add_argument("--user", default="root")
    args = parser.parse_args()
    images = np.load(args.images)
    n_images = int(images["n_images"])
    db_kwargs = dict(db_backend="postgres", db_name=args.dbname, db_user=args.user, db_password="",
                     db_host=args.host, db_port=args.port)
    init_db(**db_kwargs, db_overwrite=True)
    source_list, varmetric, n_extracted = pd.DataFrame({}), pd.DataFrame(), 0
    steps: dict[str, list[float]] = {"associate": [], "variability": [], "export": [], "total": []}
    for k in range(n_images):
        new, meta = sources(images, k), metadata(images, k)
        t0 = time.perf_counter()
        source_list, _, extracted, n_extracted = update_source_list(
            n_extracted, pixel_frame(meta["centre_ra"], meta["centre_dec"]), k, source_list, new,
            False, -1)
        t1 = time.perf_counter()
        varmetric = update_varmetrics_iterative(varmetric, source_list, extracted, k, meta)
        t2 = time.perf_counter()
        export_to_database(db_kwargs, k, meta, varmetric, extracted)
        t3 = time.perf_counter()
        for name, seconds in (("associate", t1 - t0), ("variability", t2 - t1),
                              ("export", t3 - t2), ("total", t3 - t0)):
            steps[name].append(seconds)
    print(json.dumps({"steps": steps, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
