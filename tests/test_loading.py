"""Loading measurements: every table-like input, normalisation, and bad input refused whole."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table

import tkpdb
from tkpdb.ingest import SOURCE_COLUMNS
from tests.sky import image, query, source

ROWS = [source(123.0, 10.0, flux=1.0), source(123.01, 10.02, flux=2.0), source(122.99, 9.98, flux=3.0)]
STORED = "SELECT ra, decl, f_int, error_radius, extract_type FROM extractedsource WHERE id = ANY(%s) ORDER BY id"


def as_inputs():
    columns = {name: [row[name] for row in ROWS] for name in ROWS[0]}
    structured = np.array([tuple(row[n] for n in ROWS[0]) for row in ROWS],
                          dtype=[(n, "f8") for n in ROWS[0]])
    return {
        "astropy": Table(columns),
        "numpy": structured,
        "pandas": pd.DataFrame(columns),
        "dict": columns,
        "mappings": ROWS,
        "trap tuples": [tuple(row[n] for n in SOURCE_COLUMNS) for row in ROWS],
    }


@pytest.mark.parametrize("kind", list(as_inputs()))
def test_every_table_like_input_stores_the_same_rows_in_order(conn, kind):
    dataset = tkpdb.insert_dataset(conn, kind)
    ids = tkpdb.insert_extracted_sources(conn, image(conn, dataset), as_inputs()[kind])
    assert ids == sorted(ids) and len(ids) == 3
    assert query(conn, STORED, (ids,)) == [(123.0, 10.0, 1.0, 10.0, 0), (123.01, 10.02, 2.0, 10.0, 0),
                                          (122.99, 9.98, 3.0, 10.0, 0)]


def test_ra_is_folded_and_an_infinite_error_radius_becomes_360_arcsec(conn):
    dataset = tkpdb.insert_dataset(conn, "normalise")
    rows = [source(-10.0, 0.0), source(360.0, 0.0), source(725.0, 0.0, error_radius=math.inf)]
    ids = tkpdb.insert_extracted_sources(conn, image(conn, dataset), rows)
    assert [(ra, radius) for ra, _, _, radius, _ in query(conn, STORED, (ids,))] == [
        (350.0, 10.0), (0.0, 10.0), (5.0, 360.0)]


@pytest.mark.parametrize("row, field, message", [
    (dict(ra=math.nan), "ra", "is not a finite number"),
    (dict(decl=91.0), "decl", "is outside [-90, 90] deg"),
    (dict(error_radius=-1.0), "error_radius", "is negative"),
    (dict(f_int_err=0.0), "f_int_err", "must be > 0"),
    (dict(f_peak=math.inf), "f_peak", "is not a finite number"),
    (dict(ew_sys_err=0.0, error_radius=0.0), "ew_sys_err", "both 0"),
])
def test_bad_input_names_row_and_field_and_writes_nothing(conn, row, field, message):
    dataset = tkpdb.insert_dataset(conn, "bad")
    img = image(conn, dataset)
    rows = [source(123.0, 10.0), dict(source(123.1, 10.0), **row)]
    with pytest.raises(tkpdb.SourceValidationError) as error:
        tkpdb.insert_extracted_sources(conn, img, rows)
    assert f"image {img}, row 1: field '{field}'" in str(error.value)
    assert message in str(error.value)
    assert query(conn, "SELECT count(*) FROM extractedsource") == [(0,)]


def test_missing_unknown_and_ragged_columns_are_refused(conn):
    dataset = tkpdb.insert_dataset(conn, "columns")
    img = image(conn, dataset)
    columns = {name: [row[name] for row in ROWS] for name in ROWS[0]}
    with pytest.raises(tkpdb.SourceValidationError, match="missing column.*f_peak_err"):
        tkpdb.insert_extracted_sources(conn, img, {k: v for k, v in columns.items() if k != "f_peak_err"})
    with pytest.raises(tkpdb.SourceValidationError, match="unknown column.*flux"):
        tkpdb.insert_extracted_sources(conn, img, dict(columns, flux=[1, 2, 3]))
    with pytest.raises(tkpdb.SourceValidationError, match="different lengths"):
        tkpdb.insert_extracted_sources(conn, img, dict(columns, ra=[1.0, 2.0]))
    with pytest.raises(tkpdb.SourceValidationError, match="image 999999 does not exist"):
        tkpdb.insert_extracted_sources(conn, 999999, ROWS)
    assert query(conn, "SELECT count(*) FROM extractedsource") == [(0,)]


def test_optional_columns_are_stored(conn):
    dataset = tkpdb.insert_dataset(conn, "optional")
    rows = [dict(source(123.0, 10.0), fit_type=1, chisq=2.5, reduced_chisq=1.25)]
    ids = tkpdb.insert_extracted_sources(conn, image(conn, dataset), rows)
    assert query(conn, "SELECT fit_type, chisq, reduced_chisq FROM extractedsource WHERE id = %s",
                 (ids[0],)) == [(1, 2.5, 1.25)]
