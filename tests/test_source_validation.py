"""Measurements: values that would overflow later, values that do not fit their column, shapes,
loads an image cannot take (associated already, the same batch twice, duplicate positions),
forced fits that would count an image twice or move a monitored source, and the shape rules of
blind detections. Every refusal is a SourceValidationError naming the image, the row and the
field or rule, and writes nothing.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import psycopg2
import pytest
from astropy.table import MaskedColumn, Table

import tkpdb
from tests.sky import image, observe, offset, query, source

ROW_COUNT = "SELECT (SELECT count(*) FROM extractedsource), (SELECT count(*) FROM assocxtrsource)"


@pytest.fixture
def dataset(conn) -> int:
    return tkpdb.insert_dataset(conn, "sources")


def rows(n: int = 4) -> list[dict]:
    return [source(123.0 + 0.01 * k, 10.0, error_radius=1.0, sys_err=1.0) for k in range(n)]


def refused(conn, img: int, data, match: str, **kwargs) -> str:
    before = query(conn, ROW_COUNT)
    with pytest.raises(tkpdb.SourceValidationError, match=match) as err:
        tkpdb.insert_extracted_sources(conn, img, data, **kwargs)
    assert str(err.value).startswith(f"image {img}"), str(err.value)
    assert query(conn, ROW_COUNT) == before
    return str(err.value)


OVERFLOWS = [("f_int_err", 1e-200), ("f_int", 1e200), ("f_peak", -1e-200), ("error_radius", 1e-160),
             ("ra_fit_err", 1e300), ("decl_fit_err", 1e-200), ("ew_sys_err", 1e10),
             ("f_peak_err", 1e16)]


def test_values_that_overflow_later_are_refused_at_load(conn, dataset):
    """The defect: these loaded fine and then every association of the image failed with
    'value out of range: overflow' (or underflow), forever. (All cases in one database.)"""
    img = image(conn, dataset)
    for field, value in OVERFLOWS:
        data = rows()
        data[2].update({field: value, "ew_sys_err": 0.0, "ns_sys_err": 0.0}
                       if field == "error_radius" else {field: value})
        message = refused(conn, img, data, f"row 2: field '{field}'")
        assert "[1e-50" in message or "is negative" in message, message
    tkpdb.insert_extracted_sources(conn, img, rows())
    assert tkpdb.associate_extracted_sources(conn, img)["new_sources"] == 4


def test_the_extremes_of_every_range_associate(conn, dataset):
    """Rows at the edges of the documented ranges load and associate, image after image, with
    forced fits too: the bounds keep every square and inverse square within double precision."""
    extreme = [
        source(123.0, 10.0, flux=1e15, flux_err=1e-50, error_radius=1e-50, sys_err=0.0,
               ra_fit_err=0.0, decl_fit_err=1e-50),
        source(123.0, 10.2, flux=1e-50, flux_err=1e15, error_radius=648000.0, sys_err=648000.0,
               ra_fit_err=180.0, decl_fit_err=180.0),
        source(123.2, 10.0, flux=0.0, flux_err=1e-50, error_radius=1e-50, sys_err=1e-50),
        source(123.2, 1e-60, flux=-1e15, flux_err=1e15, error_radius=1.0, sys_err=1.0),
    ]
    for row in extreme:
        row["det_sigma"] = 1e15
    for step in range(3):
        img = image(conn, dataset, step, rms_min=1e-50, rms_max=1e15, detection_thresh=1e15)
        observe(conn, img, extreme, beamwidths_limit=1.0, new_source_sigma_margin=1e15)
    assert query(conn, "SELECT count(*) FROM runningcatalog") == [(4,)]
    results = tkpdb.check_catalogue(conn, dataset)
    assert [r for r in results if r.problems] == []


BAD_TYPES = [
    ("fit_type 70000 (smallint)", "fit_type", 70000, "fit type"),
    ("fit_type 1.7", "fit_type", 1.7, "fit type"),
    ("fit_type True", "fit_type", True, "not a number"),
    ("string '0.1'", "f_int", "0.1", "not a number"),
    ("boolean", "f_peak", True, "not a number"),
    ("complex", "ra", 1 + 2j, "not a number"),
    ("None", "decl", None, "missing"),
    ("huge Python int", "f_int", 10 ** 400, "too large"),
]


def test_a_value_that_does_not_fit_its_column_exactly_is_refused(conn, dataset):
    """The defects: fit_type 70000 was stored as 4464, 1.7 as 1, and '0.1', True and 1+2j were
    accepted."""
    img = image(conn, dataset)
    for (name, field, value, why), shape in itertools.product(BAD_TYPES,
                                                              ("list of dicts", "dict of lists")):
        data = rows()
        if field == "fit_type":
            for row in data:
                row["fit_type"] = 0
        data[1][field] = value
        if shape == "dict of lists":
            data = {k: [row[k] for row in data] for k in data[0]}
        refused(conn, img, data, f"row 1: field '{field}' = .*{why}")


TYPED = [
    (np.array([True, False, True, True]), 0, "boolean"),
    (np.array([1 + 0j, 2, 3, 4]), 0, "complex"),
    (np.array(["1", "2", "3", "4"]), 0, "text"),
    (np.ones((4, 2)), 0, "not a 1-D column"),
    (MaskedColumn([1.0, 2.0, 3.0, 4.0], mask=[False, False, True, False]), 2, "masked"),
    (pd.array([1.0, None, 2.0, 3.0], dtype="Float64"), 1, "missing|not a finite number"),
]


def test_typed_columns_that_are_not_numbers_are_refused(conn, dataset):
    """The defect: a 2-D column surfaced as a bare numpy error."""
    img = image(conn, dataset)
    for column, row, why in TYPED:
        check_typed_column(conn, img, column, row, why)


def check_typed_column(conn, img: int, column, row: int, why: str) -> None:
    data = {k: [r[k] for r in rows()] for k in rows()[0]}
    data["f_int"] = column
    refused(conn, img, data, f"row {row}: field 'f_int' = .*{why}")
    if getattr(column, "ndim", 1) == 1 and not isinstance(column, pd.api.extensions.ExtensionArray):
        table = Table({k: v for k, v in data.items() if k != "f_int"})
        table["f_int"] = column
        refused(conn, img, table, f"row {row}: field 'f_int' = .*{why}")


def test_forced_fit_ids_must_be_exact_runcat_ids(conn, dataset):
    """The defect: runcat + 2**32 was stored as that runcat (32-bit wraparound), 1.7 as 1."""
    img = image(conn, dataset)
    for ids, why in (([1, 2 ** 32 + 1], "runcat id"), ([1, 1.7], "runcat id"),
                     ([1, "2"], "not a number"), ([1, True], "not a number")):
        refused(conn, img, rows(2), f"row 1: field 'ff_runcat' = .*{why}", extract_type="ff_nd",
                ff_runcat_ids=ids)


def test_a_row_the_database_refuses_is_a_source_validation_error(conn, dataset):
    """A COPY error (here a constraint the test adds) is reported like every other refusal,
    names its row, and leaves the caller's transaction as it was."""
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE extractedsource ADD CONSTRAINT small CHECK (f_int < 5)")
    conn.commit()
    img = image(conn, dataset)
    first = tkpdb.insert_extracted_sources(conn, img, rows(2), commit=False)
    data = [source(124.0, 11.0 + k, flux=k * 3 + 1.0) for k in range(3)]
    with pytest.raises(tkpdb.SourceValidationError, match=f"image {img}, row 2: the database refused"):
        tkpdb.insert_extracted_sources(conn, img, data, commit=False)
    assert tkpdb.associate_extracted_sources(conn, img)["new_sources"] == 2
    assert query(conn, "SELECT count(*) FROM extractedsource") == [(len(first),)]


def test_blind_rows_of_an_associated_image_are_refused_and_reported(conn, dataset):
    """The defect: rows loaded after the association belonged to no lightcurve and
    check_integrity() did not notice."""
    img = image(conn, dataset)
    observe(conn, img, rows())
    refused(conn, img, [source(124.0, 11.0)], "is already associated")
    with conn.cursor() as cur:      # a DBA's plain INSERT bypasses the API: the check reports it
        cur.execute("""INSERT INTO extractedsource (image, ra, decl, ra_fit_err, decl_fit_err,
                           ew_sys_err, ns_sys_err, error_radius, det_sigma, f_peak, f_peak_err,
                           f_int, f_int_err)
                       VALUES (%s, 124, 11, 0, 0, 1, 1, 1, 10, 1, 0.1, 1, 0.1)""", (img,))
    integrity = dict(query(conn, "SELECT * FROM check_integrity()"))
    conn.rollback()
    assert integrity["extractedsource (blind, of an associated image, in no lightcurve)"] == 1


def test_the_same_batch_twice_and_duplicate_rows_are_refused(conn, dataset):
    """The defects: a retried commit loaded the batch twice and forked every runcat into twins;
    two identical rows in one image did the same."""
    img = image(conn, dataset)
    ids = tkpdb.insert_extracted_sources(conn, img, rows())
    refused(conn, img, rows(), f"all 4 rows are stored in the image already .*{ids[0]} to {ids[-1]}")
    refused(conn, img, [source(125.0, 12.0), rows()[1]], f"row 1: position .* extraction {ids[1]}")
    data = rows() + [rows()[2]]
    other = image(conn, dataset, 1, centre_ra=124.0)
    refused(conn, other, data, "row 4: position .* is the position of row 2 too")
    assert tkpdb.associate_extracted_sources(conn, img)["new_sources"] == 4
    assert query(conn, "SELECT count(*) FROM runningcatalog") == [(4,)]


def known_source(conn, dataset: int) -> tuple[int, int]:
    """A runcat detected in image 0, and image 1 that detects it again; (runcat, image 1)."""
    observe(conn, image(conn, dataset, 0), [source(123.0, 10.0)])
    img = image(conn, dataset, 1)
    observe(conn, img, [source(123.0, 10.0)])
    (runcat,) = query(conn, "SELECT id FROM runningcatalog")[0]
    return runcat, img


def test_a_forced_fit_of_a_source_the_image_detected_is_refused(conn, dataset):
    """The defect: the image was counted twice in the lightcurve (blind and forced)."""
    runcat, img = known_source(conn, dataset)
    refused(conn, img, [source(123.0, 10.0)], "detected blindly in image", extract_type="ff_nd",
            ff_runcat_ids=[runcat])
    with conn.cursor() as cur:      # stored by plain SQL: refused by the association
        cur.execute("""INSERT INTO extractedsource (image, extract_type, ff_runcat, ra, decl,
                           ra_fit_err, decl_fit_err, ew_sys_err, ns_sys_err, error_radius,
                           det_sigma, f_peak, f_peak_err, f_int, f_int_err)
                       VALUES (%s, 1, %s, 123, 10, 0, 0, 1, 1, 1, 10, 1, 0.1, 1, 0.1)""",
                    (img, runcat))
    conn.commit()
    with pytest.raises(psycopg2.errors.RaiseException, match="detected blindly"):
        tkpdb.associate_nulldetections(conn, img)
    assert query(conn, "SELECT f_datapoints FROM runningcatalog_flux") == [(2,)]
    with conn.cursor() as cur:
        cur.execute("DELETE FROM extractedsource WHERE extract_type = 1")
    conn.commit()


def test_forced_fits_wait_for_the_blind_association_and_come_once(conn, dataset):
    runcat, _ = known_source(conn, dataset)
    img = image(conn, dataset, 2)
    refused(conn, img, [source(123.0, 10.0)], "not associated yet", extract_type="ff_nd",
            ff_runcat_ids=[runcat])
    observe(conn, img, [])
    refused(conn, img, [source(123.0, 10.0)] * 2, "several forced fits of runcat",
            extract_type="ff_nd", ff_runcat_ids=[runcat, runcat])
    tkpdb.insert_extracted_sources(conn, img, [source(123.0, 10.0, flux=-0.5, det_sigma=-5.0)],
                                   extract_type="ff_nd", ff_runcat_ids=[runcat])
    refused(conn, img, [source(123.0, 10.0)], "already has a forced fit of runcat",
            extract_type="ff_nd", ff_runcat_ids=[runcat])
    assert tkpdb.associate_nulldetections(conn, img) == {"forced_fits": 1}
    refused(conn, img, [source(123.0, 10.0)], "already associated", extract_type="ff_nd",
            ff_runcat_ids=[runcat])


def test_a_monitoring_fit_far_from_its_position_is_refused(conn, dataset):
    """The defect: a fit 120 deg away from the monitored position placed the monitored runcat
    there."""
    (monitor,) = tkpdb.insert_monitor_positions(conn, dataset, [(123.0, 10.0)])
    img = image(conn, dataset)
    far = (243.0, 10.0)                                       # 117 deg away
    refused(conn, img, [source(*far)], r"is 117\.\d+ deg from monitor", extract_type="ff_ms",
            ff_monitor_ids=[monitor])
    with conn.cursor() as cur:
        cur.execute("""INSERT INTO extractedsource (image, extract_type, ff_monitor, ra, decl,
                           ra_fit_err, decl_fit_err, ew_sys_err, ns_sys_err, error_radius,
                           det_sigma, f_peak, f_peak_err, f_int, f_int_err)
                       VALUES (%s, 2, %s, 300, -40, 0, 0, 1, 1, 1, 10, 1, 0.1, 1, 0.1)""",
                    (img, monitor))
    conn.commit()
    with pytest.raises(psycopg2.errors.RaiseException, match="deg from monitor"):
        tkpdb.associate_monitored(conn, img)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM extractedsource")
    conn.commit()
    near = offset(123.0, 10.0, 3.0, 0.0)                      # 3 arcsec: within the beam
    tkpdb.insert_extracted_sources(conn, img, [source(*near)], extract_type="ff_ms",
                                   ff_monitor_ids=[monitor])
    assert tkpdb.associate_monitored(conn, img) == {"first_fits": 1, "later_fits": 0}


SHAPES = [("det_sigma", 0.0, "must be > 0"), ("det_sigma", -3.0, "must be > 0"),
          ("semimajor", -1.0, "is negative"), ("semiminor", -1.0, "is negative"),
          ("semiminor", 30.0, "is larger than semimajor"), ("pa", 400.0, "outside"),
          ("semimajor", 1e7, "larger than 648000")]


def test_blind_detections_must_have_a_shape(conn, dataset):
    img = image(conn, dataset)
    for field, value, why in SHAPES:
        data = rows()
        data[3][field] = value
        refused(conn, img, data, f"row 3: field '{field}' = .*{why}")


def test_forced_fits_may_be_negative(conn, dataset):
    runcat, _ = known_source(conn, dataset)
    img = image(conn, dataset, 2)
    observe(conn, img, [])
    fit = source(123.0, 10.0, flux=-0.02, det_sigma=-2.0, semimajor=20.0, semiminor=20.0)
    tkpdb.insert_extracted_sources(conn, img, [fit], extract_type="ff_nd", ff_runcat_ids=[runcat])
    assert tkpdb.associate_nulldetections(conn, img) == {"forced_fits": 1}


def test_a_negative_zero_and_tiny_positions_are_stored_as_zero(conn, dataset):
    img = image(conn, dataset, centre_ra=0.0, centre_decl=0.0)
    tkpdb.insert_extracted_sources(conn, img, [source(1e-300, 0.5), source(-0.0, 1e-51)])
    stored = query(conn, "SELECT ra, decl FROM extractedsource ORDER BY id")
    assert stored == [(0.0, 0.5), (0.0, 0.0)]
    assert [math.copysign(1.0, ra) for ra, _ in stored] == [1.0, 1.0]
    assert tkpdb.associate_extracted_sources(conn, img)["new_sources"] == 2
