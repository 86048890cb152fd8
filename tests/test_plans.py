"""No association statement reads a whole big table, whatever the statistics say.

The database gets a long history that the planner has never been told about (no ANALYZE; the
test server runs without autovacuum): another dataset with 10,000 lightcurves of six
measurements each (60,000 links and extractions) and one more image of that field,
then a small crowded field whose
association forks runcats, appends an extraction to several runcats, prunes many-to-many
pairs, starts new sources and flags a transient candidate, and a forced-fit image; once with
no statistics at all, once with statistics taken when the database was young. Every
statement the stage functions run is planned with auto_explain (JSON plans, nested statements
included); no plan may hold a sequential scan of a big table, nor an index scan of one
without an index condition (a whole index read in disguise). EXPLAIN only, no timing.
"""

from __future__ import annotations

import collections
import json
import re

import numpy as np
import pytest

import tkpdb
from tests.sky import image, offset, query, source
from tkpdb.simulate import observe, random_sky

BIG = {"extractedsource", "runningcatalog", "runningcatalog_flux", "assocxtrsource",
       "assocskyrgn", "newsource", "fork_log", "association_log"}
CENTRE = (150.0, 20.0)
ERRORS = dict(error_radius=1.2, sys_err=1.6)   # on-sky sigma 2 arcsec per axis


def at(east: float, north: float, flux: float = 1.0) -> dict:
    return source(*offset(*CENTRE, east, north), flux=flux, **ERRORS)


def long_history(conn) -> tuple[int, object]:
    """10,000 runcats of another dataset with six measurements each (the last five written in
    bulk); returns the dataset and its sky."""
    other = tkpdb.insert_dataset(conn, "history")
    rng = np.random.default_rng(5)
    sky = random_sky(10_000, *CENTRE, 3.0, rng)
    first = image(conn, other, 0, centre_ra=CENTRE[0], centre_decl=CENTRE[1], xtr_radius=3.0)
    tkpdb.insert_extracted_sources(conn, first, observe(sky, rng))
    tkpdb.associate_extracted_sources(conn, first)
    with conn.cursor() as cur:
        for step in range(1, 6):
            later = image(conn, other, step, centre_ra=CENTRE[0], centre_decl=CENTRE[1],
                          xtr_radius=3.0)
            cur.execute("""
                WITH copied AS (
                    INSERT INTO extractedsource (image, ra, decl, ra_fit_err, decl_fit_err,
                        ew_sys_err, ns_sys_err, error_radius, det_sigma, f_peak, f_peak_err,
                        f_int, f_int_err)
                    SELECT %s, ra, decl, ra_fit_err, decl_fit_err, ew_sys_err, ns_sys_err,
                           error_radius, det_sigma, f_peak, f_peak_err, f_int * 1.01, f_int_err
                    FROM extractedsource WHERE image = %s
                    RETURNING id, ra, decl, f_int)
                INSERT INTO assocxtrsource (runcat, xtrsrc, type, distance_arcsec, r, v_int,
                                            eta_int, f_datapoints, band, stokes, f_int)
                SELECT rc.id, c.id, 3, 0, 0, 0, 0, 1, i.band, i.stokes, c.f_int
                FROM copied c
                JOIN runningcatalog rc ON rc.wm_ra = c.ra AND rc.wm_decl = c.decl
                JOIN image i ON i.id = %s""", (later, first, later))
    conn.commit()
    return other, sky


def plans_of(conn, sql: str, params: tuple) -> list[dict]:
    """The JSON plans of every statement run by ``sql`` (auto_explain, nested statements)."""
    with conn.cursor() as cur:
        for setting in ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                        "SET auto_explain.log_nested_statements = on",
                        "SET auto_explain.log_format = json",
                        "SET auto_explain.log_level = notice", "SET client_min_messages = notice"):
            cur.execute(setting)
        conn.notices = collections.deque()   # a list would keep only the last 50
        cur.execute(sql, params)
        cur.execute("RESET client_min_messages; RESET auto_explain.log_min_duration")
    conn.commit()
    plans = []
    for notice in conn.notices:
        match = re.search(r"plan:\s*(\{.*\})\s*$", notice, re.S)
        if match:
            plans.append(json.loads(match[1]))
    return plans


def whole_table_reads(plan: dict) -> list[str]:
    """Nodes of a plan that read a big table whole: sequential scans, unconditioned index scans."""
    found = []

    def walk(node: dict) -> None:
        relation = node.get("Relation Name")
        kind = node["Node Type"]
        if relation in BIG and kind == "Seq Scan":
            found.append(f"Seq Scan on {relation}")
        if relation in BIG and kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
            found.append(f"{kind} on {relation} without an index condition")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return found


def unanalysed_history(conn, statistics: str) -> tuple[int, object]:
    """The long history, with ``statistics`` ``none`` (never analysed) or ``stale`` (analysed
    once when the database held one small image: a few distinct runcats per table, so every
    per-runcat estimate is then thousands of rows, and not since)."""
    if statistics == "stale":
        young = tkpdb.insert_dataset(conn, "young")
        for step in range(2):
            img = image(conn, young, step, centre_ra=CENTRE[0] + 1, centre_decl=CENTRE[1])
            tkpdb.insert_extracted_sources(conn, img, [at(3600 + 40 * k, 0) for k in range(5)])
            tkpdb.associate_extracted_sources(conn, img)
        with conn.cursor() as cur:
            cur.execute("ANALYZE")
        conn.commit()
    history, sky = long_history(conn)
    analysed = query(conn, """SELECT count(*) FROM pg_stat_user_tables
                              WHERE last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL""")[0][0]
    assert (analysed > 0) == (statistics == "stale")
    return history, sky


def assert_no_whole_table_reads(plans: list[dict]) -> None:
    bad = {(plan.get("Query Text", "")[:80], node) for plan in plans for node in whole_table_reads(plan)}
    assert not bad, bad


@pytest.mark.handmade_history     # the five bulk images bypass the runcat updates
@pytest.mark.parametrize("statistics", ["none", "stale"])
def test_no_stage_reads_a_whole_table_without_statistics(conn, statistics):
    """The TraP mode on a 10,000-source image and a crowded field, and forced fits."""
    history, sky = unanalysed_history(conn, statistics)
    # a whole image of that field: 10,000 extractions, many pairs, some forks
    img = image(conn, history, 6, centre_ra=CENTRE[0], centre_decl=CENTRE[1], xtr_radius=3.0)
    tkpdb.insert_extracted_sources(conn, img, observe(sky, np.random.default_rng(6)))
    plans = plans_of(conn, "SELECT * FROM associate_image(%s)", (img,))
    assert query(conn, "SELECT candidates > 9000 FROM association_log WHERE image = %s", (img,)) == [(True,)]
    assert_no_whole_table_reads(plans)

    dataset = tkpdb.insert_dataset(conn, "field")
    pair = [at(100, -10), at(100, 10)]          # two sources one extraction will blend
    field = [[at(0, 0), at(9, 0), at(0, 18), at(60, 60), *pair],
             [at(0, 0), at(9, 0), at(0, 18), at(60, 60), *pair],
             [at(-8, 8), at(8, 8), at(4.5, 0), at(60, 0), at(60, 60), *pair],
             [at(-12, 8), at(12, 8), at(4.5, 0), at(60, 0), at(-200, 100, 5.0), at(100, 0)]]
    plans = []
    for step, rows in enumerate(field):
        img = image(conn, dataset, step, centre_ra=CENTRE[0], centre_decl=CENTRE[1])
        tkpdb.insert_extracted_sources(conn, img, rows)
        plans += plans_of(conn, "SELECT * FROM associate_image(%s)", (img,))
    (counts,) = query(conn, """SELECT sum(one_to_many), sum(many_to_one), sum(many_to_many_pruned),
                                      sum(new_sources), sum(new_transient_candidates)
                               FROM association_log l JOIN image i ON i.id = l.image
                               WHERE i.dataset = %s""", (dataset,))
    assert all(counts), counts          # every kind of association happened in the planned calls
    assert len(plans) > 50
    assert_no_whole_table_reads(plans)

    # forced fits at the null detections of the next image
    fits = image(conn, dataset, 4, centre_ra=CENTRE[0], centre_decl=CENTRE[1])
    tkpdb.associate_extracted_sources(conn, fits)
    positions = tkpdb.get_nulldetections(conn, fits)
    assert positions
    tkpdb.insert_extracted_sources(conn, fits, [source(ra, decl, **ERRORS) for _, ra, decl in positions],
                                   extract_type="ff_nd", ff_runcat_ids=[r for r, _, _ in positions])
    plans = plans_of(conn, "SELECT * FROM associate_nulldetections(%s)", (fits,))
    assert_no_whole_table_reads(plans)


@pytest.mark.handmade_history     # the five bulk images bypass the runcat updates
@pytest.mark.parametrize("statistics", ["none", "stale"])
def test_the_resolved_mode_reads_no_whole_table_without_statistics(conn, statistics):
    """The resolved mode on a 10,000-source image of the long history (components and their
    assignment), then on a field whose beam changes: a blend, its resolution (a fork found
    beyond the De Ruiter radius), the blend again (a many-to-one on evidence), and a crowded
    many-to-many."""
    history, sky = unanalysed_history(conn, statistics)
    img = image(conn, history, 6, centre_ra=CENTRE[0], centre_decl=CENTRE[1], xtr_radius=3.0)
    tkpdb.insert_extracted_sources(conn, img, observe(sky, np.random.default_rng(6)))
    plans = plans_of(conn, "SELECT * FROM associate_image(%s, mode => 'resolved')", (img,))
    assert query(conn, "SELECT candidates > 9000, many_to_many_pruned > 0 FROM association_log "
                       "WHERE image = %s", (img,)) == [(True, True)]
    assert_no_whole_table_reads(plans)

    dataset = tkpdb.insert_dataset(conn, "two beams")
    low, high = dict(rb_smaj=0.01, rb_smin=0.008), dict(rb_smaj=0.004, rb_smin=0.003)
    field = [(low, [at(0, 0, 3.0), at(300, 0)]),
             (high, [at(-18, 0, 1.0), at(18, 0, 2.0), at(300, 0)]),
             (low, [at(0, 0, 3.0), at(301, 0)]),
             (high, [at(-18, 0, 1.0), at(18, 0, 2.0), at(300.5, 0), at(303.5, 0)])]
    plans = []
    for step, (beam, rows) in enumerate(field):
        img = image(conn, dataset, step, centre_ra=CENTRE[0], centre_decl=CENTRE[1], **beam)
        tkpdb.insert_extracted_sources(conn, img, rows)
        plans += plans_of(conn, "SELECT * FROM associate_image(%s, mode => 'resolved')", (img,))
    (counts,) = query(conn, """SELECT sum(one_to_many), sum(many_to_one), sum(many_to_many_pruned)
                               FROM association_log l JOIN image i ON i.id = l.image
                               WHERE i.dataset = %s""", (dataset,))
    assert all(counts), counts
    assert_no_whole_table_reads(plans)


def test_the_check_sees_a_whole_table_read(conn):
    """The detector itself: a join without a usable index condition is reported."""
    tkpdb.insert_dataset(conn, "nothing")
    plans = plans_of(conn, "SELECT count(*) FROM assocxtrsource WHERE eta_int > %s", (0.0,))
    assert any("Seq Scan on assocxtrsource" in node for plan in plans for node in whole_table_reads(plan))
