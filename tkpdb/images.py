"""Datasets and images."""

from __future__ import annotations

import datetime as dt

import psycopg2.extensions

from ._db import transaction

__all__ = ["insert_dataset", "insert_image"]


def insert_dataset(conn: psycopg2.extensions.connection, description: str) -> int:
    """Create a dataset (one processing run) and return its id."""
    if not description:
        raise ValueError("insert_dataset: description must be a non-empty string")
    with transaction(conn) as cur:
        cur.execute("INSERT INTO dataset (description) VALUES (%s) RETURNING id", (description,))
        return cur.fetchone()[0]


def insert_image(
    conn: psycopg2.extensions.connection,
    dataset_id: int,
    *,
    taustart_ts: dt.datetime,
    tau_time: float,
    freq_eff: float,
    freq_bw: float,
    rb_smaj: float,
    rb_smin: float,
    rb_pa: float,
    centre_ra: float,
    centre_decl: float,
    xtr_radius: float,
    rms_min: float | None,
    rms_max: float | None,
    detection_thresh: float | None,
    analysis_thresh: float | None = None,
    stokes: int = 1,
    url: str | None = None,
    commit: bool = True,
) -> int:
    """Register an image and return its id.

    The image gets the frequency band whose range strictly overlaps
    ``freq_eff -/+ freq_bw / 2`` (largest overlap, then nearest centre, when several do; else a
    new band) and the sky region with exactly this centre and radius (else a new one).

    Units: ``taustart_ts`` UTC start time; ``tau_time`` s; ``freq_eff``, ``freq_bw`` Hz;
    ``rb_smaj``, ``rb_smin`` restoring-beam semi-axes (deg); ``rb_pa`` deg; ``centre_ra``,
    ``centre_decl``, ``xtr_radius`` deg; ``rms_min``, ``rms_max`` Jy; thresholds in sigma.

    With ``commit=False`` the image joins the caller's transaction, so that an image, its
    extractions (``insert_extracted_sources(..., commit=False)``) and its association are one
    transaction: an error or a killed driver then leaves no trace of the image.
    """
    if isinstance(taustart_ts, dt.datetime) and taustart_ts.tzinfo is not None:
        taustart_ts = taustart_ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    with transaction(conn, commit=commit) as cur:
        cur.execute(
            "SELECT insert_image(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s::smallint, %s)",
            (dataset_id, taustart_ts, tau_time, freq_eff, freq_bw, rb_smaj, rb_smin, rb_pa,
             centre_ra, centre_decl, xtr_radius, rms_min, rms_max, detection_thresh,
             analysis_thresh, stokes, url),
        )
        return cur.fetchone()[0]
