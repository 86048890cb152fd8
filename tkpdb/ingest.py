"""Bulk loading of source-finder measurements into ``extractedsource``.

Loading is one binary ``COPY`` per call, built with numpy: no per-row INSERT and no per-row
Python loop. Bad input raises :class:`SourceValidationError` naming the image, the row and the
field, and nothing is written (the rules: :func:`_validate` for the values,
``sql/03_load_checks.sql`` for what an image may take, e.g. no blind rows once associated).
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import psycopg2
import psycopg2.extensions

from ._db import read_rows, transaction
from .validation import HUGE_FLUX, TINY, ColumnError, integer_column, numeric_column

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
_SIGNED = ("f_peak", "f_int")
#: Quantities squared or inverted by the association: 0 or magnitude in [TINY, high] (unit).
_MAGNITUDES = [("ra_fit_err", 180.0, "deg"), ("decl_fit_err", 180.0, "deg"),
               ("ew_sys_err", 648000.0, "arcsec"), ("ns_sys_err", 648000.0, "arcsec"),
               ("error_radius", 648000.0, "arcsec"),
               ("f_peak", HUGE_FLUX, "Jy"), ("f_int", HUGE_FLUX, "Jy"),
               ("f_peak_err", HUGE_FLUX, "Jy"), ("f_int_err", HUGE_FLUX, "Jy")]


class SourceValidationError(ValueError):
    """A measurement cannot be stored; the message names the image, row and field."""


def as_columns(sources: Any) -> dict[str, Any]:
    """Turn table-like input into a dict of columns (checked and converted by :func:`_validate`).

    Accepts an astropy Table, a numpy structured array, a pandas DataFrame, a mapping of
    equal-length columns, a sequence of mappings, or a sequence of tuples in TraP's
    source-finder order (``SOURCE_COLUMNS`` then ``OPTIONAL_COLUMNS``).
    """
    if hasattr(sources, "colnames"):  # astropy Table
        return {name: sources[name] for name in sources.colnames}     # masks kept
    if isinstance(sources, np.ndarray) and sources.dtype.names:
        return {name: np.asarray(sources[name]) for name in sources.dtype.names}
    if hasattr(sources, "columns") and hasattr(sources, "to_numpy"):  # pandas DataFrame
        return {str(name): sources[name].to_numpy() for name in sources.columns}
    if isinstance(sources, Mapping):
        return {str(name): values for name, values in sources.items()}
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
            return {name: [row[name] for row in rows] for name in names}
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


def _validate(image_id: int, cols: dict[str, Any],
              extract_type: str = "blind") -> tuple[dict[str, np.ndarray], int]:
    """Check and normalise the columns (float64 arrays); return them and the row count.

    The rules (units as in SOURCE_COLUMNS; every value a real number, see
    :mod:`tkpdb.validation`, and finite):

    * ``decl`` in [-90, 90]; ``ra`` any finite value, folded into [0, 360); a position
      coordinate below 1e-50 deg in magnitude is stored as 0;
    * ``ra_fit_err``, ``decl_fit_err`` 0 or in [1e-50, 180] deg; ``ew_sys_err``,
      ``ns_sys_err``, ``error_radius`` 0 or in [1e-50, 648000] arcsec (an infinite
      ``error_radius`` becomes 360 arcsec), a systematic error and ``error_radius`` not both 0;
    * ``f_peak``, ``f_int`` 0 or 1e-50 <= |f| <= 1e15 Jy (forced fits may be negative);
      ``f_peak_err``, ``f_int_err`` in [1e-50, 1e15] Jy;
    * ``chisq``, ``reduced_chisq`` >= 0; ``fit_type`` an integer in [-32768, 32767] (smallint);
    * blind rows only: ``det_sigma`` > 0, 0 <= ``semiminor`` <= ``semimajor`` <= 648000 arcsec,
      ``pa`` in [-360, 360] deg, and no two rows at the same position.
    """
    missing = [name for name in SOURCE_COLUMNS if name not in cols]
    if missing:
        raise SourceValidationError(f"image {image_id}: missing column(s) {', '.join(missing)}")
    unknown = sorted(set(cols) - set(SOURCE_COLUMNS) - set(OPTIONAL_COLUMNS))
    if unknown:
        raise SourceValidationError(f"image {image_id}: unknown column(s) {', '.join(unknown)}")

    out: dict[str, np.ndarray] = {}
    for name in [c for c in _TUPLE_ORDER if c in cols]:
        try:
            if name == "fit_type":
                values = integer_column(cols[name], -32768, 32767, "a fit type").astype(np.float64)
            else:
                values = numeric_column(cols[name])
        except ColumnError as exc:
            raise SourceValidationError(
                f"image {image_id}, row {exc.row}: field {name!r} = {exc.value!r} {exc.why}") from None
        out[name] = values
    lengths = {name: len(v) for name, v in out.items()}
    counts = list(lengths.values())
    n = max(set(counts), key=counts.count)   # the length of most columns
    odd = [f"{name!r} has {length}" for name, length in lengths.items() if length != n]
    if odd:
        raise SourceValidationError(f"image {image_id}: columns have different lengths: "
                                    f"{', '.join(odd)} values, the others {n}")

    def fail(mask: np.ndarray, name: str, why: str) -> None:
        if mask.any():
            row = int(np.flatnonzero(mask)[0])
            raise SourceValidationError(
                f"image {image_id}, row {row}: field {name!r} = {float(out[name][row])!r} {why}"
                + (f" ({int(mask.sum())} rows in all)" if mask.sum() > 1 else "")
            )

    out["error_radius"][np.isposinf(out["error_radius"])] = INFINITE_ERROR_RADIUS
    for name in out:
        fail(~np.isfinite(out[name]), name, "is not a finite number")
    fail(np.abs(out["decl"]) > 90.0, "decl", "is outside [-90, 90] deg")
    for name in ("ra", "decl"):
        out[name][np.abs(out[name]) < TINY] = 0.0
    out["ra"] = np.mod(out["ra"], 360.0)
    out["ra"][out["ra"] >= 360.0] = 0.0
    for name, high, unit in _MAGNITUDES:
        values = np.abs(out[name])
        if name in _NON_NEGATIVE:
            fail(out[name] < 0, name, "is negative")
        if name in _POSITIVE:
            fail(out[name] <= 0, name, "must be > 0")
        zero_ok = name not in _POSITIVE
        fail(((values < TINY) & ~((values == 0) & zero_ok)) | (values > high), name,
             f"must be {'0 or ' if zero_ok else ''}{'in' if name not in _SIGNED else 'of magnitude in'} "
             f"[{TINY:g}, {high:g}] {unit}")
    for sys_name in ("ew_sys_err", "ns_sys_err"):
        both_zero = (out[sys_name] == 0) & (out["error_radius"] == 0)
        fail(both_zero, sys_name, "and error_radius are both 0 (the position would have no uncertainty)")
    for name in ("chisq", "reduced_chisq"):
        if name in out:
            fail(out[name] < 0, name, "is negative")
    if extract_type == "blind":
        fail(out["det_sigma"] <= 0, "det_sigma", "must be > 0 for a blind detection")
        fail(out["semimajor"] < 0, "semimajor", "is negative")
        fail(out["semiminor"] < 0, "semiminor", "is negative")
        fail(out["semimajor"] > 648000.0, "semimajor", "is larger than 648000 arcsec (180 deg)")
        fail(out["semiminor"] > out["semimajor"], "semiminor", "is larger than semimajor")
        fail(np.abs(out["pa"]) > 360.0, "pa", "is outside [-360, 360] deg")
        first, later = duplicate_positions(out["ra"], out["decl"])
        if len(later):
            raise SourceValidationError(
                f"image {image_id}, row {later[0]}: position ({out['ra'][later[0]]!r}, "
                f"{out['decl'][later[0]]!r}) is the position of row {first[0]} too (two blind "
                "rows at one position would fork every runcat they match)")
    return out, n


def duplicate_positions(ra: np.ndarray, decl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows at a position an earlier row has (``later``) and that earlier row (``first``)."""
    none = np.empty(0, dtype=int), np.empty(0, dtype=int)
    by_ra = np.sort(ra)
    if not (by_ra[1:] == by_ra[:-1]).any():      # the usual case: no RA twice, one fast sort
        return none
    order = np.lexsort((np.arange(len(ra)), decl, ra))
    same = (ra[order][1:] == ra[order][:-1]) & (decl[order][1:] == decl[order][:-1])
    if not same.any():
        return none
    # the first row of each run of equal positions, for every later row of that run
    starts = np.maximum.accumulate(np.where(np.r_[True, ~same], np.arange(len(order)), 0))
    later = order[1:][same]
    first = order[starts[1:][same]]
    pick = np.argsort(later, kind="stable")
    return first[pick], later[pick]


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

    Raises
    ------
    SourceValidationError
        For a value outside its rule (:func:`_validate`), for rows the image cannot take now
        (``sql/03_load_checks.sql``: blind rows of an associated image, a position already
        stored in the image, a forced fit of an unknown, foreign, monitored or blindly detected
        runcat, a second fit of one runcat or monitor, a monitoring fit farther than ``rb_smaj``
        from its position) and for a row the database refuses. Nothing is written, and a
        transaction the caller has open is left as it was.
    """
    if extract_type not in EXTRACT_TYPES:
        raise ValueError(f"extract_type must be one of {', '.join(EXTRACT_TYPES)}, not {extract_type!r}")
    try:
        columns_in = as_columns(sources)
    except SourceValidationError as exc:
        raise SourceValidationError(f"image {image_id}, {exc}") from None
    cols, n = _validate(image_id, columns_in, extract_type)
    refs: list[tuple[str, str, np.ndarray]] = []
    for name, ids, wanted, what in (("ff_runcat", ff_runcat_ids, "ff_nd", "a runcat id"),
                                    ("ff_monitor", ff_monitor_ids, "ff_ms", "a monitor id")):
        if (ids is not None) != (extract_type == wanted):
            raise ValueError(f"{name}_ids must be given with extract_type={wanted!r} and only then")
        if ids is not None:
            try:
                array = integer_column(ids, 1, 2**31 - 1, what)
            except ColumnError as exc:
                raise SourceValidationError(f"image {image_id}, row {exc.row}: field {name!r} = "
                                            f"{exc.value!r} {exc.why}") from None
            if array.shape != (n,):
                raise SourceValidationError(f"image {image_id}: {len(array)} {name}_ids for {n} sources")
            refs.append((name, "int4", array))

    code = EXTRACT_TYPES[extract_type]
    _check_against_database(conn, image_id, code, cols, refs[0][2] if refs else None)
    if n == 0:
        return []
    with transaction(conn, commit=commit, keep=(SourceValidationError,)) as cur:
        cur.execute(
            "SELECT array_agg(nextval('extractedsource_id_seq')) FROM generate_series(1, %s)", (n,)
        )
        ids = np.asarray(cur.fetchone()[0], dtype=np.int64)
        columns: list[tuple[str, str, np.ndarray]] = [
            ("id", "int8", ids),
            ("image", "int4", np.full(n, image_id)),
            ("extract_type", "int2", np.full(n, code)),
        ]
        for name, values in cols.items():
            pgtype = "int2" if name == "fit_type" else "float8"
            columns.append((name, pgtype, values))
        # in a savepoint: a row the database refuses (not expected after the checks above) is
        # reported like every other refusal and leaves the caller's transaction as it was
        cur.execute("SAVEPOINT tkpdb_load")
        try:
            copy_binary(cur, "extractedsource", columns + refs)
        except psycopg2.DataError as exc:
            cur.execute("ROLLBACK TO SAVEPOINT tkpdb_load")
            raise SourceValidationError(f"image {image_id}, {_copy_row(exc)}: the database refused "
                                        f"the row: {exc.diag.message_primary}") from None
        except psycopg2.IntegrityError as exc:
            cur.execute("ROLLBACK TO SAVEPOINT tkpdb_load")
            raise SourceValidationError(f"image {image_id}, {_copy_row(exc)}: the database refused "
                                        f"the row: {exc.diag.message_primary} "
                                        f"({exc.diag.message_detail or ''})") from None
        cur.execute("RELEASE SAVEPOINT tkpdb_load")
    return ids.tolist()


def _copy_row(exc: psycopg2.Error) -> str:
    """'row k' of the COPY line named in the error's context ('COPY extractedsource, line 3')."""
    match = re.search(r"line (\d+)", exc.diag.context or "")
    return f"row {int(match.group(1)) - 1}" if match else "a row"


def _check_against_database(conn: psycopg2.extensions.connection, image_id: int, code: int,
                            cols: dict[str, np.ndarray], refs: np.ndarray | None) -> None:
    """The rules that need the database (sql/03_load_checks.sql): whether the image may take
    rows of this kind now, each forced fit's runcat or monitor, and, for blind rows, no
    position already stored in the image. Reads only: a refusal leaves the caller's
    transaction as it was."""
    (refusal,) = read_rows(conn, "SELECT load_refusal(%s, %s::smallint)", (image_id, code))[0]
    if refusal:
        raise SourceValidationError(refusal)
    if refs is not None:
        rows = read_rows(conn, "SELECT k, reason FROM forced_fit_refusals(%s, %s::smallint, "
                               "%s::integer[], %s::float8[], %s::float8[]) LIMIT 1",
                         (image_id, code, refs.tolist(), cols["ra"].tolist(), cols["decl"].tolist()))
        if rows:
            raise SourceValidationError(f"image {image_id}, row {rows[0][0]}: {rows[0][1]}")
    if code == EXTRACT_TYPES["blind"] and len(cols["ra"]):
        stored = read_rows(conn, "SELECT id, ra, decl FROM extractedsource "
                                 "WHERE image = %s AND extract_type = 0 ORDER BY id", (image_id,))
        if stored:
            old = np.asarray(stored, dtype=np.float64).reshape(-1, 3)
            ra = np.concatenate([old[:, 1], cols["ra"]])
            decl = np.concatenate([old[:, 2], cols["decl"]])
            first, later = duplicate_positions(ra, decl)
            keep = (first < len(old)) & (later >= len(old))
            if keep.any():
                rows_hit = later[keep] - len(old)
                stored_ids = old[first[keep], 0].astype(np.int64)
                if len(np.unique(rows_hit)) == len(cols["ra"]):
                    raise SourceValidationError(
                        f"image {image_id}: all {len(cols['ra'])} rows are stored in the image "
                        f"already (extractions {stored_ids.min()} to {stored_ids.max()}): the same "
                        "batch loaded twice?")
                raise SourceValidationError(
                    f"image {image_id}, row {rows_hit[0]}: position ({cols['ra'][rows_hit[0]]!r}, "
                    f"{cols['decl'][rows_hit[0]]!r}) is the position of extraction "
                    f"{stored_ids[0]} of the image (loaded before)")
