"""The association's entry point refuses bad parameters, and every stage refuses to run outside
its contract (the dataset lock held by this transaction, scratch rows of this call only, an
image not associated yet): 07_stage_guards.sql.
"""

from __future__ import annotations

import math

import psycopg2
import pytest

import tkpdb
from tests.sky import image, observe, query, source
from tests.test_transactions import snapshot

# 7.2 arcsec apart with on-sky sigmas of 0.7 arcsec: r = 7.2, a match only for a radius > 7.2
FAR = [source(123.0, dec, error_radius=0.5, sys_err=0.5) for dec in (10.0, 10.002)]


def two_images(conn) -> tuple[int, int]:
    """A dataset with one associated image and a second image loaded, not associated."""
    dataset = tkpdb.insert_dataset(conn, "guards")
    observe(conn, image(conn, dataset, 0), [source(123.0, 10.0, error_radius=1.2, sys_err=1.6)])
    second = image(conn, dataset, 1)
    tkpdb.insert_extracted_sources(conn, second, [source(123.0, 10.002, error_radius=1.2,
                                                         sys_err=1.6)])
    return dataset, second


BAD_PARAMETERS = [
    ((math.nan, 1.0, 3.0), "deruiter_radius must be > 0 and finite"),
    ((math.inf, 1.0, 3.0), "deruiter_radius must be > 0 and finite"),
    ((5.68, math.nan, 3.0), "beamwidths_limit must be > 0 and finite"),
    ((5.68, 1e300, 3.0), "beamwidths_limit must be > 0 and finite"),
    ((5.68, 10000.0, 3.0), "too large a search radius"),
    ((5.68, 1.0, math.nan), "new_source_sigma_margin must be finite"),
    ((5.68, 1.0, -math.inf), "new_source_sigma_margin must be finite"),
]


def test_nan_infinite_and_huge_parameters_are_refused(conn):
    """The defects: deruiter_radius NaN matched every pair, beamwidths_limit NaN matched none
    (false transients), a huge beamwidths_limit raised a pgSphere error."""
    _, second = two_images(conn)
    before = snapshot(conn)
    for args, message in BAD_PARAMETERS:
        with pytest.raises(psycopg2.errors.RaiseException, match=message):
            tkpdb.associate_extracted_sources(conn, second, *args)
        assert snapshot(conn) == before, args
    assert tkpdb.associate_extracted_sources(conn, second)["one_to_one"] == 1


def test_a_stage_called_alone_is_refused_and_writes_nothing(conn):
    """The defect: assoc_new_sources(image) alone created runcats and then locked the image
    out of its association."""
    _, second = two_images(conn)
    before = snapshot(conn)
    for call in ("assoc_new_sources(%s)", "assoc_candidates(%s, 5.68, 1.0)",
                 "assoc_one_to_one(%s)", "assoc_cleanup(%s)", "assoc_prune_many_to_many(%s)",
                 "assoc_transient_candidates(%s, 3.0)", "assoc_store_flux(%s, 3)"):
        with pytest.raises(psycopg2.errors.RaiseException,
                           match="does not hold the lock|internal stage"):
            query(conn, f"SELECT {call}", (second,))
        conn.rollback()
    # under the lock, a later stage without stage 1 of this call is refused too
    with conn.cursor() as cur:
        cur.execute("SELECT dataset_lock(dataset) FROM image WHERE id = %s", (second,))
        with pytest.raises(psycopg2.errors.RaiseException, match="internal stage"):
            cur.execute("SELECT assoc_new_sources(%s)", (second,))
    conn.rollback()
    assert snapshot(conn) == before
    assert tkpdb.associate_extracted_sources(conn, second)["one_to_one"] == 1


def test_scratch_rows_of_another_call_are_never_used(conn):
    """The defect: assoc_candidates(image, 1000, 1) in autocommit left scratch rows that a later
    associate_image(image, 5.68) used (a link with r = 150 under a 5.68 limit)."""
    dataset = tkpdb.insert_dataset(conn, "scratch")
    observe(conn, image(conn, dataset, 0), [FAR[0]])
    second = image(conn, dataset, 1)
    tkpdb.insert_extracted_sources(conn, second, [FAR[1]])
    conn.autocommit = True
    with pytest.raises(psycopg2.errors.RaiseException, match="does not hold the lock"):
        query(conn, "SELECT assoc_candidates(%s, 1000, 1)", (second,))
    conn.rollback()
    conn.autocommit = False
    # a DBA holding the lock runs stage 1 and stops there: within that transaction no other
    # call may use its rows, and the commit takes them away (a temporary table, ON COMMIT DELETE ROWS)
    with conn.cursor() as cur:
        cur.execute("SELECT dataset_lock(%s)", (dataset,))
        cur.execute("SELECT assoc_candidates(%s, 1000, 1)", (second,))
        cur.execute("SELECT count(*), max(r) > 5.68 FROM temprunningcatalog")
        assert cur.fetchone() == (1, True)
        with pytest.raises(psycopg2.errors.RaiseException,
                           match="still in progress in this transaction"):
            cur.execute("SELECT * FROM associate_image(%s)", (second,))
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT dataset_lock(%s)", (dataset,))
        cur.execute("SELECT assoc_candidates(%s, 1000, 1)", (second,))
    conn.commit()
    assert query(conn, "SELECT count(*) FROM temprunningcatalog") == [(0,)]
    result = tkpdb.associate_extracted_sources(conn, second)
    assert (result["one_to_one"], result["new_sources"]) == (0, 1)
    assert query(conn, "SELECT max(r) FROM assocxtrsource") == [(0.0,)]


def test_an_image_is_associated_once_even_without_blind_rows(conn):
    dataset = tkpdb.insert_dataset(conn, "once")
    empty = image(conn, dataset, 0)
    assert tkpdb.associate_extracted_sources(conn, empty)["new_sources"] == 0
    with pytest.raises(psycopg2.errors.RaiseException, match="already associated"):
        tkpdb.associate_extracted_sources(conn, empty)
