"""Strict numbers: what a numeric field of tkpdb accepts, and the bounds of the association's
arithmetic.

A value fits a numeric field only if it *is* a real number: a Python or numpy int or float
(``decimal.Decimal`` and ``fractions.Fraction`` too), never a bool, a string such as ``'0.1'``,
a complex number, ``None`` or a masked entry. Columns are checked with numpy, without a Python
loop over the rows (the loop in :func:`_first_bad` runs only to name the row of an error).

The bounds: every square and inverse square the association computes (weights ``1/sigma^2``,
``f^2 / err^2``, De Ruiter radii) must stay within double precision, where PostgreSQL raises
``value out of range`` on overflow *and* underflow. Magnitudes that enter them are therefore
0 or in [:data:`TINY`, ...], fluxes and flux errors at most :data:`HUGE_FLUX` Jy.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["ImageValidationError", "ColumnError", "TINY", "HUGE_FLUX", "real_number",
           "numeric_column", "integer_column"]

#: Smallest non-zero magnitude of a quantity that is squared or inverted (its unit).
TINY = 1e-50
#: Largest flux or flux error (Jy).
HUGE_FLUX = 1e15


class ImageValidationError(ValueError):
    """An image cannot be registered; the message names the image (url or start time), the
    field, its value and the rule. Nothing was written."""


class ColumnError(ValueError):
    """A value of a column that is not a number of the column's kind (row 0-based)."""

    def __init__(self, row: int, value: Any, why: str) -> None:
        super().__init__(f"row {row}: {value!r} {why}")
        self.row, self.value, self.why = row, value, why


def _is_real(value: Any) -> bool:
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _all_real(types: set[type]) -> bool:
    return all(issubclass(t, (numbers.Real, np.integer, np.floating))
               and not issubclass(t, (bool, np.bool_)) for t in types)


def real_number(value: Any) -> float:
    """``value`` as a float if it is a real number (not a bool, string, complex or None)."""
    if not _is_real(value):
        raise ValueError("is not a number" if value is not None else "is missing")
    try:
        return float(value)
    except OverflowError:
        raise ValueError("is too large for a double precision number") from None


def _first_bad(values: np.ndarray) -> tuple[int, Any, str]:
    """The first row of an object column that is not a real number (error path only)."""
    for row, value in enumerate(values):
        if not _is_real(value):
            missing = value is None or type(value).__name__ in ("NAType", "NaTType")
            return row, value, "is missing" if missing else "is not a number"
        try:
            float(value)
        except OverflowError:
            return row, value, "is too large for a double precision number"
    raise AssertionError("no bad value")


def numeric_column(values: Any) -> np.ndarray:
    """A 1-D float64 copy of a column of real numbers; raises :class:`ColumnError`.

    Accepts anything numpy reads as a 1-D array of integers or floats (a list, a numpy array, a
    pandas Series, an astropy Column); a scalar is one row. Refused: booleans, strings, complex
    numbers, datetimes, missing values (None, masked entries, pandas NA) and 2-D arrays.
    """
    if isinstance(values, np.ma.MaskedArray):            # astropy MaskedColumn too
        masked = np.atleast_1d(np.ma.getmaskarray(values))
        if masked.any():
            raise ColumnError(int(np.flatnonzero(masked)[0]), None, "is missing (masked)")
        values = np.ma.getdata(values)
    if isinstance(values, (list, tuple)):
        # a bool among floats would become 1.0 in np.asarray: look at the types first
        if _all_real(set(map(type, values))):           # C-level pass over the list
            try:
                return np.asarray(values, dtype=np.float64)
            except OverflowError:
                pass
        values = np.array(values, dtype=object)
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        values = values.to_numpy()                       # pandas: nullable dtypes become object
    array = np.asarray(values)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ColumnError(0, f"array of shape {array.shape}", "is not a 1-D column")
    kind = array.dtype.kind
    if kind in "iuf":
        return array.astype(np.float64)
    if kind == "O":
        if _all_real(set(map(type, array))):            # C-level pass over the column
            try:
                return np.array(array, dtype=np.float64)
            except OverflowError:
                pass
        raise ColumnError(*_first_bad(array))
    why = {"b": "is a boolean, not a number", "c": "is a complex number",
           "U": "is text, not a number", "S": "is text, not a number",
           "M": "is a date, not a number", "m": "is a time interval, not a number"}
    raise ColumnError(0, array[0] if len(array) else None, why.get(kind, "is not a number"))


def integer_column(values: Any, low: int, high: int, what: str) -> np.ndarray:
    """A 1-D int64 copy of a column of integers in [low, high] (integral floats such as 2.0
    accepted); raises :class:`ColumnError` naming ``what`` the integers are."""
    raw = values if isinstance(values, np.ndarray) else None
    if raw is not None and raw.dtype.kind in "iu" and not isinstance(raw, np.ma.MaskedArray):
        array = np.atleast_1d(raw)
        if array.ndim != 1:
            raise ColumnError(0, f"array of shape {array.shape}", "is not a 1-D column")
        bad = (array < low) | (array > high)
        as_int = array.astype(np.int64, copy=False) if not bad.any() else None
    else:                                               # lists: type-checked by numeric_column
        floats = numeric_column(values)
        bad = ~np.isfinite(floats) | (floats != np.round(floats)) | (floats < low) | (floats > high)
        array, as_int = floats, None if bad.any() else floats.astype(np.int64)
    if as_int is None:
        row = int(np.flatnonzero(bad)[0])
        value = array[row].item()
        raise ColumnError(row, value, f"is not {what} (an integer in [{low}, {high}])")
    return as_int
