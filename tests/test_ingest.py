"""Loading measurements: every accepted input type, normalisation, and refused input.

* An astropy Table, a numpy structured array, a pandas DataFrame, a dict of columns (lists or
  arrays, in any column order), a list of dicts and a list of TraP-order tuples store the same
  rows, and the returned ids follow the input order.
* RA is folded into [0, 360) (-10 -> 350, 360 -> 0); an infinite error_radius is stored as 360
  arcsec (TraP's substitute).
* Bad input raises tkpdb.SourceValidationError whose message names the image, the row and the
  field (or the field, for a whole column), and nothing is written.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table

import tkpdb
from tests.sky import image, query
from tkpdb.ingest import OPTIONAL_COLUMNS, SOURCE_COLUMNS

TUPLE_ORDER = list(SOURCE_COLUMNS) + list(OPTIONAL_COLUMNS)
STORED = TUPLE_ORDER + ["extract_type", "zone", "ra_err", "decl_err", "uncertainty_ew",
                        "uncertainty_ns", "x", "y", "z", "racosdecl"]


def rows(n: int = 5) -> list[dict]:
    """``n`` distinct measurements with every column, optional ones included."""
    return [dict(ra=120.0 + 0.01 * k, decl=-5.0 + 0.02 * k, ra_fit_err=1e-4 * (k + 1),
                 decl_fit_err=2e-4, f_peak=0.1 * (k + 1), f_peak_err=0.01, f_int=0.12 * (k + 1),
                 f_int_err=0.02, det_sigma=10.0 + k, semimajor=20.0, semiminor=15.0 - k,
                 pa=10.0 * k, ew_sys_err=5.0, ns_sys_err=6.0, error_radius=1.0 + k,
                 fit_type=k % 2, chisq=1.5 * k, reduced_chisq=0.5 * k) for k in range(n)]


def as_type(kind: str, data: list[dict]):
    """``data`` in one of the accepted input types."""
    columns = {name: [row[name] for row in data] for name in TUPLE_ORDER}
    if kind == "astropy Table":
        return Table(columns)
    if kind == "numpy structured array":
        dtype = [(name, np.int16 if name == "fit_type" else np.float64) for name in TUPLE_ORDER]
        return np.array([tuple(row[n] for n in TUPLE_ORDER) for row in data], dtype=dtype)
    if kind == "pandas DataFrame":
        return pd.DataFrame(columns)[TUPLE_ORDER[::-1]]           # any column order
    if kind == "dict of lists":
        return dict(reversed(list(columns.items())))
    if kind == "dict of arrays":
        return {name: np.asarray(values) for name, values in columns.items()}
    if kind == "list of dicts":
        return data
    if kind == "list of TraP tuples":
        return [tuple(row[n] for n in TUPLE_ORDER) for row in data]
    if kind == "list of 15-value TraP tuples":                      # without the optional ones
        return [tuple(row[n] for n in SOURCE_COLUMNS) for row in data]
    raise ValueError(kind)


KINDS = ["astropy Table", "numpy structured array", "pandas DataFrame", "dict of lists",
         "dict of arrays", "list of dicts", "list of TraP tuples", "list of 15-value TraP tuples"]


@pytest.fixture
def dataset(conn) -> int:
    return tkpdb.insert_dataset(conn, "ingest")


def stored(conn, ids: list[int]) -> list[tuple]:
    """The stored columns of ``ids``, in the order of ``ids``."""
    by_id = {row[0]: row[1:] for row in query(
        conn, f"SELECT id, {', '.join(STORED)} FROM extractedsource WHERE id = ANY(%s)", (ids,))}
    return [by_id[i] for i in ids]


def test_every_input_type_stores_the_same_rows_in_input_order(conn, dataset):
    data = rows()
    results = {}
    for step, kind in enumerate(KINDS):
        img = image(conn, dataset, step)
        ids = tkpdb.insert_extracted_sources(conn, img, as_type(kind, data))
        assert len(ids) == len(data) and ids == sorted(ids), kind
        results[kind] = stored(conn, ids)
        # row k of the input is the row of ids[k]
        for row, values in zip(data, results[kind]):
            got = dict(zip(STORED, values))
            assert (got["ra"], got["decl"], got["f_int"]) == (row["ra"], row["decl"], row["f_int"])
    reference = results["list of dicts"]
    optional = [STORED.index(name) for name in OPTIONAL_COLUMNS]
    for kind, values in results.items():
        if kind == "list of 15-value TraP tuples":
            assert all(row[k] is None for row in values for k in optional)
            values = [tuple(v if k not in optional else ref[k] for k, v in enumerate(row))
                      for row, ref in zip(values, reference)]
        assert values == reference, kind
    # and the derived columns are the documented ones
    first = dict(zip(STORED, reference[0]))
    assert first["uncertainty_ew"] == pytest.approx(math.hypot(5.0, 1.0) / 3600, rel=1e-15)
    assert first["uncertainty_ns"] == pytest.approx(math.hypot(6.0, 1.0) / 3600, rel=1e-15)
    assert first["decl_err"] == pytest.approx(math.hypot(2e-4, 6.0 / 3600), rel=1e-15)
    assert (first["zone"], first["extract_type"], first["fit_type"]) == (-5, 0, 0)


def test_ids_follow_the_input_order_of_a_large_load(conn, dataset):
    rng = np.random.default_rng(3)
    n = 20000
    base = rows(1)[0]
    table = {name: np.full(n, value, dtype=float) for name, value in base.items()}
    table["ra"] = rng.uniform(0, 360, n)
    table["decl"] = rng.uniform(-90, 90, n)
    img = image(conn, dataset)
    ids = tkpdb.insert_extracted_sources(conn, img, table)
    got = query(conn, "SELECT id, ra, decl FROM extractedsource WHERE image = %s ORDER BY id",
                (img,))
    assert [g[0] for g in got] == ids
    assert np.array_equal([g[1] for g in got], table["ra"])
    assert np.array_equal([g[2] for g in got], table["decl"])


@pytest.mark.parametrize("ra, expected", [(-10.0, 350.0), (360.0, 0.0), (725.0, 5.0),
                                          (-360.0, 0.0), (-1e-300, 0.0), (359.5, 359.5),
                                          (0.0, 0.0)])
def test_ra_is_folded_into_0_360(conn, dataset, ra, expected):
    img = image(conn, dataset)
    data = rows(1)
    data[0]["ra"] = ra
    (xtrsrc,) = tkpdb.insert_extracted_sources(conn, img, data)
    assert query(conn, "SELECT ra FROM extractedsource WHERE id = %s", (xtrsrc,)) == [(expected,)]


def test_an_infinite_error_radius_is_stored_as_360_arcsec(conn, dataset):
    img = image(conn, dataset)
    data = rows(2)
    data[1]["error_radius"] = math.inf
    ids = tkpdb.insert_extracted_sources(conn, img, as_type("astropy Table", data))
    got = query(conn, "SELECT error_radius, uncertainty_ew FROM extractedsource WHERE id = ANY(%s) "
                      "ORDER BY id", (ids,))
    assert got[1] == (360.0, pytest.approx(math.hypot(5.0, 360.0) / 3600, rel=1e-15))
    assert got[0][0] == 1.0


def bad(field: str, value, row: int = 2) -> list[dict]:
    data = rows()
    data[row][field] = value
    return data


BAD_VALUES = [
    ("NaN ra", bad("ra", math.nan), "row 2", "'ra'"),
    ("infinite ra", bad("ra", math.inf, 1), "row 1", "'ra'"),
    ("decl 91", bad("decl", 91.0, 3), "row 3", "'decl'"),
    ("decl -90.5", bad("decl", -90.5, 0), "row 0", "'decl'"),
    ("negative ra_fit_err", bad("ra_fit_err", -1e-4, 4), "row 4", "'ra_fit_err'"),
    ("negative error_radius", bad("error_radius", -1.0), "row 2", "'error_radius'"),
    ("minus infinite error_radius", bad("error_radius", -math.inf), "row 2", "'error_radius'"),
    ("zero f_int_err", bad("f_int_err", 0.0, 1), "row 1", "'f_int_err'"),
    ("zero f_peak_err", bad("f_peak_err", 0.0), "row 2", "'f_peak_err'"),
    ("infinite f_peak_err", bad("f_peak_err", math.inf), "row 2", "'f_peak_err'"),
    ("no position error", [dict(r, ew_sys_err=0.0, error_radius=0.0) if k == 3 else r
                           for k, r in enumerate(rows())], "row 3", "'ew_sys_err'"),
    ("fractional fit_type", bad("fit_type", 0.5), "row 2", "'fit_type'"),
    ("None decl", bad("decl", None, 1), "row 1", "'decl'"),
    ("text flux", bad("f_peak", "bright", 3), "row 3", "'f_peak'"),
]


@pytest.mark.parametrize("kind", ["list of dicts", "pandas DataFrame", "astropy Table"])
@pytest.mark.parametrize("name, data, row, field", BAD_VALUES, ids=[b[0] for b in BAD_VALUES])
def test_a_bad_value_names_its_row_and_field_and_writes_nothing(conn, dataset, kind, name, data,
                                                                 row, field):
    if kind != "list of dicts" and name in ("None decl", "text flux"):
        pytest.skip("typed columns cannot hold this value")
    img = image(conn, dataset)
    before = query(conn, "SELECT count(*) FROM extractedsource")
    with pytest.raises(tkpdb.SourceValidationError) as err:
        tkpdb.insert_extracted_sources(conn, img, as_type(kind, data))
    message = str(err.value)
    assert f"image {img}" in message and row in message and field in message, message
    assert query(conn, "SELECT count(*) FROM extractedsource") == before


def test_the_message_reads_as_documented(conn, dataset):
    """README: ``image 7, row 3: field 'decl' = 91.0 is outside [-90, 90] deg``."""
    img = image(conn, dataset)
    with pytest.raises(tkpdb.SourceValidationError) as err:
        tkpdb.insert_extracted_sources(conn, img, as_type("pandas DataFrame", bad("decl", 91.0, 3)))
    assert str(err.value) == f"image {img}, row 3: field 'decl' = 91.0 is outside [-90, 90] deg"
    with pytest.raises(tkpdb.SourceValidationError) as err:
        tkpdb.insert_extracted_sources(conn, img, bad("ra", -math.inf, 1))
    assert str(err.value) == f"image {img}, row 1: field 'ra' = -inf is not a finite number"


def without(field: str) -> dict:
    columns = {name: [row[name] for row in rows()] for name in TUPLE_ORDER}
    del columns[field]
    return columns


BAD_SHAPES = [
    ("missing column", without("pa"), ["pa", "missing"]),
    ("unknown column", dict(without("fit_type"), flux=[1.0] * 5), ["flux", "unknown"]),
    ("short column", dict(without("chisq"), chisq=[1.0] * 4), ["'chisq'", "4", "5"]),
    ("row without a field", [{k: v for k, v in r.items() if (k, n) != ("decl", 2)}
                             for n, r in enumerate(rows())], ["row 2", "'decl'"]),
    ("row with an unknown field", [dict(r, flux=1.0) if n == 3 else r
                                   for n, r in enumerate(rows())], ["row 3", "'flux'"]),
    ("short tuple", [tuple(r[k] for k in TUPLE_ORDER)[:(14 if n == 1 else 18)]
                     for n, r in enumerate(rows())], ["row 1", "14"]),
    ("long tuple", [tuple(r[k] for k in TUPLE_ORDER) + ((1.0,) if n == 4 else ())
                    for n, r in enumerate(rows())], ["row 4", "19"]),
]


@pytest.mark.parametrize("name, data, words", BAD_SHAPES, ids=[b[0] for b in BAD_SHAPES])
def test_a_bad_shape_is_named_and_writes_nothing(conn, dataset, name, data, words):
    img = image(conn, dataset)
    with pytest.raises(tkpdb.SourceValidationError) as err:
        tkpdb.insert_extracted_sources(conn, img, data)
    message = str(err.value)
    assert all(word in message for word in words), message
    assert query(conn, "SELECT count(*) FROM extractedsource") == [(0,)]


def test_unknown_image_and_mismatched_forced_fit_ids_are_refused(conn, dataset):
    with pytest.raises(tkpdb.SourceValidationError, match="image 4242 does not exist"):
        tkpdb.insert_extracted_sources(conn, 4242, rows())
    img = image(conn, dataset)
    with pytest.raises(tkpdb.SourceValidationError, match="4 ff_runcat_ids for 5 sources"):
        tkpdb.insert_extracted_sources(conn, img, rows(), extract_type="ff_nd",
                                       ff_runcat_ids=[1, 2, 3, 4])
    assert query(conn, "SELECT count(*) FROM extractedsource") == [(0,)]


def test_a_refused_load_leaves_the_callers_transaction_alone(conn, dataset):
    """Loaded with commit=False, good rows then bad rows: the bad call raises before writing,
    the good rows can still be associated and committed in the same transaction."""
    img = image(conn, dataset)
    ids = tkpdb.insert_extracted_sources(conn, img, rows(), commit=False)
    with pytest.raises(tkpdb.SourceValidationError):
        tkpdb.insert_extracted_sources(conn, img, bad("decl", 95.0), commit=False)
    result = tkpdb.associate_extracted_sources(conn, img)
    assert result["new_sources"] == 5
    assert query(conn, "SELECT count(*) FROM extractedsource WHERE id = ANY(%s)", (ids,)) == [(5,)]


@pytest.mark.parametrize("empty", [[], {name: [] for name in TUPLE_ORDER},
                                   Table({name: np.zeros(0) for name in SOURCE_COLUMNS})],
                         ids=["list", "dict", "astropy"])
def test_empty_input_stores_nothing(conn, dataset, empty):
    img = image(conn, dataset)
    assert tkpdb.insert_extracted_sources(conn, img, empty) == []
    assert query(conn, "SELECT count(*) FROM extractedsource") == [(0,)]
