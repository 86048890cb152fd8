"""Random and hostile input at every entry point: the only outcomes allowed are success with a
consistent database, or the documented clear error with the database unchanged (row counts,
check_integrity(), check_catalogue()). Examples accumulate in one database, so every test is
also a random sequence of valid calls after which the catalogue must be consistent.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tkpdb
from tests.sky import IMAGE_DEFAULTS, T0, image, query, source

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
COUNTS = """SELECT (SELECT count(*) FROM image), (SELECT count(*) FROM frequencyband),
                   (SELECT count(*) FROM skyregion), (SELECT count(*) FROM extractedsource),
                   (SELECT count(*) FROM runningcatalog), (SELECT count(*) FROM assocxtrsource),
                   (SELECT count(*) FROM assocskyrgn), (SELECT count(*) FROM monitor)"""

hostile = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, -1e-300, 1e-51, 1e-50, 1e15, 1e16, 1e300, 5e-324, 90.0,
                     180.0, 360.0, -90.0, 648000.0, 2.0 ** 31, 2.0 ** 32, 70000]),
    st.integers(min_value=-2 ** 70, max_value=2 ** 70),
    st.booleans(), st.none(), st.text(max_size=3), st.complex_numbers(max_magnitude=10))


def consistent(conn, dataset: int | None = None) -> None:
    assert query(conn, "SELECT reference, dangling FROM check_integrity() WHERE dangling > 0") == []
    broken = [r for r in tkpdb.check_catalogue(conn, dataset) if r.problems]
    assert broken == [], broken


class Clock:
    """Increasing start times across examples (an earlier image would be refused)."""

    def __init__(self) -> None:
        self.minutes = 0

    def next(self) -> dt.datetime:
        self.minutes += 1
        return T0 + dt.timedelta(minutes=self.minutes)


IMAGE_FIELDS = ["tau_time", "freq_eff", "freq_bw", "rb_smaj", "rb_smin", "rb_pa", "centre_ra",
                "centre_decl", "xtr_radius", "rms_min", "rms_max", "detection_thresh",
                "analysis_thresh", "stokes"]


def test_insert_image_accepts_or_refuses_cleanly(conn):
    dataset = tkpdb.insert_dataset(conn, "hostile images")
    clock = Clock()

    @SETTINGS
    @given(st.dictionaries(st.sampled_from(IMAGE_FIELDS), hostile, max_size=3),
           st.lists(st.sampled_from([(123.0, 10.0), (123.01, 10.0), (0.0, 89.99)]), max_size=3))
    def check(changes, positions):
        fields = dict(IMAGE_DEFAULTS, taustart_ts=clock.next(), **changes)
        before = query(conn, COUNTS)
        try:
            img = tkpdb.insert_image(conn, dataset, **fields)
        except tkpdb.ImageValidationError as exc:
            assert str(exc).startswith("image at "), exc
            assert query(conn, COUNTS) == before
            return
        # an accepted image can always take its measurements and be associated
        tkpdb.insert_extracted_sources(conn, img, [source(ra, decl) for ra, decl in set(positions)])
        tkpdb.associate_extracted_sources(conn, img)

    check()
    consistent(conn, dataset)


COLUMNS = ["ra", "decl", "ra_fit_err", "decl_fit_err", "f_peak", "f_peak_err", "f_int",
           "f_int_err", "det_sigma", "semimajor", "semiminor", "pa", "ew_sys_err", "ns_sys_err",
           "error_radius", "fit_type", "chisq"]


@pytest.mark.parametrize("kind", ["blind", "ff_nd", "ff_ms"])
def test_insert_extracted_sources_accepts_or_refuses_cleanly(conn, kind):
    dataset = tkpdb.insert_dataset(conn, f"hostile {kind}")
    clock = Clock()
    known = [(123.0, 10.0), (123.01, 10.0), (123.02, 10.01)]
    first = image(conn, dataset, 0)
    tkpdb.insert_extracted_sources(conn, first, [source(*p) for p in known])
    tkpdb.associate_extracted_sources(conn, first)
    runcats = [r for (r,) in query(conn, "SELECT id FROM runningcatalog ORDER BY id")]
    monitors = tkpdb.insert_monitor_positions(conn, dataset, known)
    clock.minutes = 1

    @SETTINGS
    @given(st.lists(st.tuples(st.sampled_from(range(3)),
                              st.dictionaries(st.sampled_from(COLUMNS), hostile, max_size=2)),
                    min_size=0, max_size=4),
           st.lists(st.one_of(st.sampled_from(range(3)), hostile), max_size=4))
    def check(rows, refs):
        img = image(conn, dataset, 0, taustart_ts=clock.next())
        if kind == "ff_nd":
            tkpdb.associate_extracted_sources(conn, img)        # forced fits come after
        data = [{**source(*known[k]), "fit_type": 0, "chisq": 1.0, **changes} for k, changes in rows]
        ids = {}
        if kind != "blind":
            pool = runcats if kind == "ff_nd" else monitors
            ids = {"ff_runcat_ids" if kind == "ff_nd" else "ff_monitor_ids":
                   [pool[r] if isinstance(r, int) and not isinstance(r, bool) and 0 <= r < 3 else r
                    for r in (refs + [k for k, _ in rows])[:len(rows)]]}
        before = query(conn, COUNTS)
        try:
            tkpdb.insert_extracted_sources(conn, img, data, extract_type=kind, **ids)
        except tkpdb.SourceValidationError as exc:
            assert str(exc).startswith(f"image {img}"), exc
            assert query(conn, COUNTS) == before
        # whatever was loaded can be associated: the association is never impossible
        if kind == "blind":
            tkpdb.associate_extracted_sources(conn, img)
        elif kind == "ff_nd":
            tkpdb.associate_nulldetections(conn, img)
        else:
            tkpdb.associate_monitored(conn, img)
            tkpdb.associate_extracted_sources(conn, img)

    check()
    consistent(conn, dataset)


def test_the_sql_entry_points_accept_or_refuse_cleanly(conn):
    dataset = tkpdb.insert_dataset(conn, "hostile sql")
    clock = Clock()
    floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                       st.sampled_from([0.0, -1.0, 1e-300, 1e300, 5000.0, 90.0, 5.68, 1.0, 3.0]))

    @SETTINGS
    @given(st.tuples(floats, floats, floats), st.lists(st.tuples(floats, floats), max_size=3),
           st.dictionaries(st.sampled_from(IMAGE_FIELDS[:-1]), floats, max_size=2))
    def check(parameters, positions, changes):
        fields = dict(IMAGE_DEFAULTS, **changes)
        args = [clock.next()] + [fields[name] for name in IMAGE_FIELDS[:-1]]
        before = query(conn, COUNTS)
        with conn.cursor() as cur:
            try:
                cur.execute("SELECT insert_image(%s" + ", %s" * 14 + ")", (dataset, *args))
                (img,) = cur.fetchone()
                conn.commit()
            except psycopg2.errors.InvalidParameterValue as exc:
                conn.rollback()
                assert "field '" in exc.diag.message_primary
                assert query(conn, COUNTS) == before
                return
        tkpdb.insert_extracted_sources(conn, img, [source(123.0, 10.0), source(123.001, 10.0)])
        before = query(conn, COUNTS)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT * FROM associate_image(%s, %s, %s, %s)", (img, *parameters))
            conn.commit()
        except psycopg2.errors.RaiseException as exc:
            conn.rollback()
            assert exc.diag.message_primary.startswith("associate_image: "), exc
            assert query(conn, COUNTS) == before
            tkpdb.associate_extracted_sources(conn, img)
        try:
            ids = tkpdb.insert_monitor_positions(conn, dataset, positions)
            assert len(ids) == len(positions)
        except psycopg2.errors.RaiseException as exc:
            assert "insert_monitor_positions" in exc.diag.message_primary

    check()
    consistent(conn, dataset)


def test_a_late_error_in_a_large_table_names_its_row():
    """10,000 rows: a bad value in the last row and a duplicate far down the table are found by
    the (vectorised) checks and named by their row."""
    rows = {name: np.full(10_000, value, dtype=float)
            for name, value in source(123.0, 10.0, fit_type=0).items()}
    rows["ra"] = 123.0 + np.arange(10_000) * 1e-4
    rows["f_int_err"][-1] = 1e-200
    with pytest.raises(tkpdb.SourceValidationError, match="row 9999: field 'f_int_err'"):
        tkpdb.ingest._validate(1, rows)
    rows["f_int_err"][-1] = 0.01
    rows["ra"][7777] = rows["ra"][12]
    with pytest.raises(tkpdb.SourceValidationError, match="row 7777: position .* row 12 too"):
        tkpdb.ingest._validate(1, rows)
