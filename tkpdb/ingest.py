"""Bulk loading of source-finder measurements into ``extractedsource``.

Loading is one binary ``COPY`` per call, built with numpy: no per-row INSERT and no per-row
Python loop. Bad input raises :class:`SourceValidationError` naming the row and the field, and
nothing is written.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import psycopg2.extensions

from ._db import transaction

__all__ = [
    "SOURCE_COLUMNS",
    "OPTIONAL_COLUMNS",
    "EXTRACT_TYPES",
    "SourceValidationError",
    "as_columns",
    "insert_extracted_sources",
]

#: Required columns, in TraP's source-finder tuple order, with their units.
SOURCE_COLUMNS: dict[str, str] = {
    "ra": "deg", "decl": "deg", "ra_fit_err": "deg", "decl_fit_err": "deg",
    "f_peak": "Jy", "f_peak_err": "Jy", "f_int": "Jy", "f_int_err": "Jy",
    "det_sigma": "sigma", "semimajor": "arcsec", "semiminor": "arcsec", "pa": "deg",
    "ew_sys_err": "arcsec", "ns_sys_err": "arcsec", "error_radius": "arcsec",
}
#: Optional columns (absent: stored as NULL).
OPTIONAL_COLUMNS: dict[str, str] = {"fit_type": "", "chisq": "", "reduced_chisq": ""}
#: ``extract_type`` names (TraP's) and their codes.
EXTRACT_TYPES: dict[str, int] = {"blind": 0, "ff_nd": 1, "ff_ms": 2}

#: error_radius substituted for an infinite one (arcsec), as TraP does.
INFINITE_ERROR_RADIUS = 360.0

_TUPLE_ORDER = list(SOURCE_COLUMNS) + list(OPTIONAL_COLUMNS)
_NON_NEGATIVE = ("ra_fit_err", "decl_fit_err", "ew_sys_err", "ns_sys_err", "error_radius")
_POSITIVE = ("f_peak_err", "f_int_err")


class SourceValidationError(ValueError):
    """A measurement cannot be stored; the message names the image, row and field."""


def as_columns(sources: Any) -> dict[str, np.ndarray]:
    """Turn table-like input into a dict of equal-length 1-D numpy arrays.

    Accepts an astropy Table, a numpy structured array, a pandas DataFrame, a mapping of
    equal-length columns, a sequence of mappings, or a sequence of tuples in TraP's
    source-finder order (``SOURCE_COLUMNS`` then ``OPTIONAL_COLUMNS``).
    """
    if hasattr(sources, "colnames"):  # astropy Table
        return {name: np.asarray(sources[name]) for name in sources.colnames}
    if isinstance(sources, np.ndarray) and sources.dtype.names:
        return {name: np.asarray(sources[name]) for name in sources.dtype.names}
    if hasattr(sources, "columns") and hasattr(sources, "to_numpy"):  # pandas DataFrame
        return {str(name): sources[name].to_numpy() for name in sources.columns}
    if isinstance(sources, Mapping):
        return {str(name): np.asarray(values) for name, values in sources.items()}
    if isinstance(sources, Sequence) and not isinstance(sources, (str, bytes)):
        rows = list(sources)
        if not rows:
            return {name: np.empty(0) for name in SOURCE_COLUMNS}
        if isinstance(rows[0], Mapping):
            names = list(rows[0])
            for k, row in enumerate(rows):
                if row.keys() != rows[0].keys():
                    missing = [repr(name) for name in names if name not in row]
                    extra = [repr(name) for name in row if name not in rows[0]]
                    raise SourceValidationError(
                        f"row {k}: " + "; ".join(
                            text for text in (missing and f"missing field(s) {', '.join(missing)}",
                                              extra and f"unexpected field(s) {', '.join(extra)}")
                            if text) + " (not as in row 0)")
            return {name: np.asarray([row[name] for row in rows]) for name in names}
        widths = [len(row) for row in rows]
        for k, width in enumerate(widths):
            if width != widths[0] or not len(SOURCE_COLUMNS) <= width <= len(_TUPLE_ORDER):
                raise SourceValidationError(
                    f"row {k}: a source tuple needs {len(SOURCE_COLUMNS)} to {len(_TUPLE_ORDER)} "
                    f"values ({', '.join(_TUPLE_ORDER)}), the same in every row; it has {width}"
                    + (f", row 0 has {widths[0]}" if k else ""))
        array = np.array(rows, dtype=object)
        return {name: array[:, k] for k, name in enumerate(_TUPLE_ORDER[:width])}
    raise TypeError(f"cannot read sources from a {type(sources).__name__}")


def _validate(image_id: int, cols: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], int]:
    """Check and normalise the columns (float64 arrays); return them and the row count."""
    missing = [name for name in SOURCE_COLUMNS if name not in cols]
    if missing:
        raise SourceValidationError(f"image {image_id}: missing column(s) {', '.join(missing)}")
    unknown = sorted(set(cols) - set(SOURCE_COLUMNS) - set(OPTIONAL_COLUMNS))
    if unknown:
        raise SourceValidationError(f"image {image_id}: unknown column(s) {', '.join(unknown)}")
    lengths = {name: len(np.atleast_1d(v)) for name, v in cols.items()}
    counts = list(lengths.values())
    n = max(set(counts), key=counts.count)   # the length of most columns
    odd = [f"{name!r} has {length}" for name, length in lengths.items() if length != n]
    if odd:
        raise SourceValidationError(f"image {image_id}: columns have different lengths: "
                                    f"{', '.join(odd)} values, the others {n}")

    out: dict[str, np.ndarray] = {}
    for name in [c for c in _TUPLE_ORDER if c in cols]:
        try:
            values = np.atleast_1d(np.asarray(cols[name], dtype=np.float64)).copy()
        except (TypeError, ValueError):
            row, value = _first_non_numeric(cols[name])
            raise SourceValidationError(
                f"image {image_id}, row {row}: field {name!r} = {value!r} is not a number") from None
        if name == "error_radius":
            values[np.isposinf(values)] = INFINITE_ERROR_RADIUS
        if name == "ra":
            finite = np.isfinite(values)   # a NaN or infinite RA is reported as given, below
            values[finite] = np.mod(values[finite], 360.0)
            values[finite & (values >= 360.0)] = 0.0
        out[name] = values

    def fail(mask: np.ndarray, name: str, why: str) -> None:
        if mask.any():
            row = int(np.flatnonzero(mask)[0])
            raise SourceValidationError(
                f"image {image_id}, row {row}: field {name!r} = {float(out[name][row])!r} {why}"
                + (f" ({int(mask.sum())} rows in all)" if mask.sum() > 1 else "")
            )

    for name in out:
        fail(~np.isfinite(out[name]), name, "is not a finite number")
    fail(np.abs(out["decl"]) > 90.0, "decl", "is outside [-90, 90] deg")
    for name in _NON_NEGATIVE:
        fail(out[name] < 0, name, "is negative")
    for name in _POSITIVE:
        fail(out[name] <= 0, name, "must be > 0")
    for sys_name in ("ew_sys_err", "ns_sys_err"):
        both_zero = (out[sys_name] == 0) & (out["error_radius"] == 0)
        fail(both_zero, sys_name, "and error_radius are both 0 (the position would have no uncertainty)")
    if "fit_type" in out:
        fail(out["fit_type"] != np.round(out["fit_type"]), "fit_type", "is not an integer")
    return out, n


def _first_non_numeric(values: Any) -> tuple[int, Any]:
    """The first (row, value) of a column that is not a number (error path only)."""
    for row, value in enumerate(np.atleast_1d(np.asarray(values, dtype=object))):
        try:
            float(value)
        except (TypeError, ValueError):
            return row, value
    return 0, values


_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_PG_TRAILER = struct.pack("!h", -1)
_PG_TYPES = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8"}


def copy_binary(cur: psycopg2.extensions.cursor, table: str,
                columns: list[tuple[str, str, np.ndarray]]) -> None:
    """``COPY table (columns) FROM STDIN (FORMAT binary)`` from numpy arrays without NULLs.

    ``columns`` holds (name, PostgreSQL type among int2/int4/int8/float8, values).
    """
    n = len(columns[0][2])
    fields = [("count", ">i2")]
    for k, (_, pgtype, _) in enumerate(columns):
        fields += [(f"len{k}", ">i4"), (f"val{k}", _PG_TYPES[pgtype])]
    rows = np.empty(n, dtype=np.dtype(fields))
    rows["count"] = len(columns)
    for k, (_, pgtype, values) in enumerate(columns):
        rows[f"len{k}"] = np.dtype(_PG_TYPES[pgtype]).itemsize
        rows[f"val{k}"] = values
    buffer = io.BytesIO(_PG_HEADER + rows.tobytes() + _PG_TRAILER)
    names = ", ".join(name for name, _, _ in columns)
    cur.copy_expert(f"COPY {table} ({names}) FROM STDIN (FORMAT binary)", buffer)


def insert_extracted_sources(
    conn: psycopg2.extensions.connection,
    image_id: int,
    sources: Any,
    extract_type: str = "blind",
    ff_runcat_ids: Sequence[int] | None = None,
    ff_monitor_ids: Sequence[int] | None = None,
    *,
    commit: bool = True,
) -> list[int]:
    """Store the measurements of one image; return their new ids in input order.

    Parameters
    ----------
    sources
        Table-like (see :func:`as_columns`) with the columns of ``SOURCE_COLUMNS`` (units there)
        and optionally ``fit_type``, ``chisq``, ``reduced_chisq``. RA is folded into [0, 360);
        an infinite ``error_radius`` becomes 360 arcsec.
    extract_type
        ``"blind"`` (source finder), ``"ff_nd"`` (forced fit at a null detection: give
        ``ff_runcat_ids``) or ``"ff_ms"`` (forced fit at a monitored position: give
        ``ff_monitor_ids``).
    commit
        Commit at the end (default). With ``False`` the rows join the caller's transaction, e.g.
        to load and associate an image in one transaction.
    """
    if extract_type not in EXTRACT_TYPES:
        raise ValueError(f"extract_type must be one of {', '.join(EXTRACT_TYPES)}, not {extract_type!r}")
    try:
        columns_in = as_columns(sources)
    except SourceValidationError as exc:
        raise SourceValidationError(f"image {image_id}, {exc}") from None
    cols, n = _validate(image_id, columns_in)
    refs: list[tuple[str, str, np.ndarray]] = []
    for name, ids, wanted in (("ff_runcat", ff_runcat_ids, "ff_nd"), ("ff_monitor", ff_monitor_ids, "ff_ms")):
        if (ids is not None) != (extract_type == wanted):
            raise ValueError(f"{name}_ids must be given with extract_type={wanted!r} and only then")
        if ids is not None:
            array = np.asarray(ids, dtype=np.int64)
            if array.shape != (n,):
                raise SourceValidationError(f"image {image_id}: {len(array)} {name}_ids for {n} sources")
            refs.append((name, "int4", array))

    with transaction(conn, commit=commit) as cur:
        cur.execute("SELECT 1 FROM image WHERE id = %s", (image_id,))
        if cur.fetchone() is None:
            raise SourceValidationError(f"image {image_id} does not exist")
        if n == 0:
            return []
        cur.execute(
            "SELECT array_agg(nextval('extractedsource_id_seq')) FROM generate_series(1, %s)", (n,)
        )
        ids = np.asarray(cur.fetchone()[0], dtype=np.int64)
        columns: list[tuple[str, str, np.ndarray]] = [
            ("id", "int8", ids),
            ("image", "int4", np.full(n, image_id)),
            ("extract_type", "int2", np.full(n, EXTRACT_TYPES[extract_type])),
        ]
        for name, values in cols.items():
            pgtype = "int2" if name == "fit_type" else "float8"
            columns.append((name, pgtype, values))
        copy_binary(cur, "extractedsource", columns + refs)
    return ids.tolist()
