"""Datasets and images."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg2
import psycopg2.extensions

from ._db import read_rows, transaction
from .validation import ImageValidationError, real_number

__all__ = ["insert_dataset", "insert_image", "ImageValidationError", "IMAGE_FIELDS"]

#: insert_image's fields in the order of the SQL function insert_image (sql/02_images.sql).
IMAGE_FIELDS = ("taustart_ts", "tau_time", "freq_eff", "freq_bw", "rb_smaj", "rb_smin", "rb_pa",
                "centre_ra", "centre_decl", "xtr_radius", "rms_min", "rms_max",
                "detection_thresh", "analysis_thresh", "stokes", "url")
_OPTIONAL = ("freq_bw", "rms_min", "rms_max", "detection_thresh", "analysis_thresh", "url")


def insert_dataset(conn: psycopg2.extensions.connection, description: str, *,
                   band_tolerance: float = 0.0) -> int:
    """Create a dataset (one processing run) and return its id.

    ``band_tolerance`` (Hz) is the bandwidth given to an image whose ``freq_bw`` is 0 or None
    when its frequency band is chosen: such images share a band with images within
    ``band_tolerance`` of them (0: only with images at their very frequency, or with a band
    whose range contains it).
    """
    if not isinstance(description, str) or not description:
        raise ValueError("insert_dataset: description must be a non-empty string")
    try:
        tolerance = real_number(band_tolerance)
    except ValueError as exc:
        raise ValueError(f"insert_dataset: band_tolerance = {band_tolerance!r} {exc}") from None
    if not 0.0 <= tolerance <= 1e15:
        raise ValueError(f"insert_dataset: band_tolerance = {band_tolerance!r} must be in [0, 1e15] Hz")
    with transaction(conn) as cur:
        cur.execute("INSERT INTO dataset (description, band_tolerance) VALUES (%s, %s) RETURNING id",
                    (description, tolerance))
        return cur.fetchone()[0]


def _image_name(dataset_id: Any, taustart_ts: Any, url: Any) -> str:
    """How messages name an image that has no id yet (as image_refusal() does)."""
    where = f"'{url}'" if isinstance(url, str) else f"at {taustart_ts}"
    return f"image {where} of dataset {dataset_id}"


def _arguments(dataset_id: Any, fields: dict[str, Any]) -> tuple:
    """The arguments of the SQL function, each of the type it must be (else a refusal)."""
    name = _image_name(dataset_id, fields["taustart_ts"], fields["url"])

    def refuse(field: str, why: str) -> ImageValidationError:
        return ImageValidationError(f"{name}: field {field!r} = {fields[field]!r} {why}")

    if not isinstance(dataset_id, int) or isinstance(dataset_id, bool):
        raise ImageValidationError(f"{name}: dataset {dataset_id!r} is not a dataset id (an integer)")
    ts = fields["taustart_ts"]
    if not isinstance(ts, dt.datetime):
        raise refuse("taustart_ts", "is not a datetime.datetime")
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    values: list[Any] = [dataset_id, ts]
    for field in IMAGE_FIELDS[1:]:
        value = fields[field]
        if value is None and field in _OPTIONAL:
            values.append(None)
        elif field == "url":
            if not isinstance(value, str):
                raise refuse(field, "is not a string")
            values.append(value)
        elif field == "stokes":
            if not isinstance(value, int) or isinstance(value, bool) or not -32768 <= value <= 32767:
                raise refuse(field, "is not a Stokes code (an integer)")
            values.append(value)
        else:
            try:
                values.append(real_number(value))
            except ValueError as exc:
                raise refuse(field, str(exc)) from None
    return tuple(values)


def insert_image(
    conn: psycopg2.extensions.connection,
    dataset_id: int,
    *,
    taustart_ts: dt.datetime,
    tau_time: float,
    freq_eff: float,
    freq_bw: float | None,
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

    The image gets the frequency band whose range overlaps ``freq_eff -/+ freq_bw / 2``
    (largest overlap, then nearest centre, when several do; else a new band; a ``freq_bw`` of 0
    or None counts as the dataset's ``band_tolerance``) and the sky region with exactly this
    centre and radius (else a new one).

    Units: ``taustart_ts`` UTC start time; ``tau_time`` s; ``freq_eff``, ``freq_bw`` Hz;
    ``rb_smaj``, ``rb_smin`` restoring-beam semi-axes (deg); ``rb_pa`` deg; ``centre_ra``,
    ``centre_decl``, ``xtr_radius`` deg (up to 180); ``rms_min``, ``rms_max`` Jy; thresholds in
    sigma; ``stokes`` a FITS code (1 = I).

    A value out of its range (the rules: ``image_refusal`` in sql/02_images.sql), a value that is
    not a number, or a start earlier than an image already associated in the dataset raises
    :class:`ImageValidationError` naming the image, the field and the rule; nothing is written
    and a transaction the caller had open is left as it was.

    With ``commit=False`` the image joins the caller's transaction, so that an image, its
    extractions (``insert_extracted_sources(..., commit=False)``) and its association are one
    transaction: an error or a killed driver then leaves no trace of the image.
    """
    fields = dict(taustart_ts=taustart_ts, tau_time=tau_time, freq_eff=freq_eff, freq_bw=freq_bw,
                  rb_smaj=rb_smaj, rb_smin=rb_smin, rb_pa=rb_pa, centre_ra=centre_ra,
                  centre_decl=centre_decl, xtr_radius=xtr_radius, rms_min=rms_min,
                  rms_max=rms_max, detection_thresh=detection_thresh,
                  analysis_thresh=analysis_thresh, stokes=stokes, url=url)
    args = _arguments(dataset_id, fields)
    placeholders = ", ".join(["%s"] * 15) + ", %s::smallint, %s"
    # the rules first, by a read that leaves the caller's transaction alone
    (refusal,) = read_rows(conn, f"SELECT image_refusal({placeholders})", args)[0]
    if refusal is not None:
        raise ImageValidationError(refusal)
    with transaction(conn, commit=commit) as cur:
        try:
            cur.execute(f"SELECT insert_image({placeholders})", args)
        except psycopg2.errors.InvalidParameterValue as exc:
            # refused under the dataset lock (an association moved the time order meanwhile)
            raise ImageValidationError(exc.diag.message_primary) from None
        return cur.fetchone()[0]
