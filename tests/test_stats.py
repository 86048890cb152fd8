"""Dataset statistics and suspect transients (tkpdb.stats, sql/93_lightcurves.sql)."""

from __future__ import annotations

import math

import psycopg2
import pytest

import tkpdb
from tests.sky import image, observe, query, source

RA, DECL = 123.0, 10.0
SIGMA = math.hypot(1.0, 1.0)  # on-sky position error (arcsec) of the measurements below
D_FORK = 6 * SIGMA            # a fork at t3 whose children then go on separately


def tight(east: float, north: float = 0.0, **kw) -> dict:
    """A measurement east/north arcsec from (RA, DECL) with a 1.4 arcsec position error."""
    return source(RA + east / 3600.0 / math.cos(math.radians(DECL)), DECL + north / 3600.0,
                  error_radius=1.0, sys_err=1.0, **kw)


def runcat_of(conn, xtrsrc: int) -> list[int]:
    rows = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s ORDER BY 1", (xtrsrc,))
    return [r for (r,) in rows]


def seed_one_to_many(conn, split: tuple[float, float] = (1.0, 1.0), empty_first: bool = False):
    """The notes' one-to-many figure: f1, f2 (1 Jy), then f3, f4 fork, f5, f6 continue."""
    dataset = tkpdb.insert_dataset(conn, "one-to-many")
    if empty_first:
        image(conn, dataset, 0)  # an earlier image covering the source: it becomes a newsource
    observe(conn, image(conn, dataset, 1), [tight(0, flux=1.0, f_peak=1.0)])
    observe(conn, image(conn, dataset, 2), [tight(0, flux=1.0)])
    (f3, f4), counts = observe(conn, image(conn, dataset, 3),
                               [tight(D_FORK, flux=split[0]), tight(-D_FORK, flux=split[1])])
    assert counts["one_to_many"] == 1
    (f5, f6), _ = observe(conn, image(conn, dataset, 4),
                          [tight(D_FORK, flux=split[0]), tight(-D_FORK, flux=split[1])])
    (l1,), (l2,) = runcat_of(conn, f5), runcat_of(conn, f6)
    return dataset, (f3, f4), (l1, l2)


def test_overcounting_of_the_one_to_many_example(conn):
    """6 measurements made, 8 counted (f1 and f2 in both lightcurves): 8/6 - 1 = 1/3."""
    dataset, _, _ = seed_one_to_many(conn)
    stats = tkpdb.dataset_stats(conn, dataset)
    assert stats == tkpdb.DatasetStats(
        measurements_made=6, measurements_counted=8, overcounting_fraction=8 / 6 - 1,
        lightcurves=2, images_associated=4, one_to_many_events=1, many_to_one_events=0,
        many_to_many_events=0, transient_candidates=0, suspect_transients=0,
        measurements_allotted=8.0)


def test_overcounting_of_the_many_to_one_example(conn):
    """f5 and f6 are appended to both lightcurves: two many-to-one events, 8 counted for 6."""
    dataset = tkpdb.insert_dataset(conn, "many-to-one")
    d = 4.5 * SIGMA
    for step in (1, 2):
        observe(conn, image(conn, dataset, step), [tight(0, -d), tight(0, d)])
    for step in (3, 4):
        observe(conn, image(conn, dataset, step), [tight(0)])
    stats = tkpdb.dataset_stats(conn, dataset)
    assert stats[:3] == (6, 8, 8 / 6 - 1)  # made, counted, over-counting fraction
    assert (stats.one_to_many_events, stats.many_to_one_events, stats.many_to_many_events) == (
        0, 2, 0)


def test_many_to_many_events_count_pruned_pairs(conn):
    """Two sources 6 sigma apart: at t2 each extraction matches both runcats; the two
    cross links are pruned and each lightcurve goes on alone (no over-counting)."""
    dataset = tkpdb.insert_dataset(conn, "many-to-many")
    d = 3 * SIGMA
    observe(conn, image(conn, dataset, 1), [tight(0, -d), tight(0, d)])
    _, counts = observe(conn, image(conn, dataset, 2), [tight(0, -d), tight(0, d)])
    assert counts["many_to_many_pruned"] == 2 and counts["one_to_one"] == 2
    stats = tkpdb.dataset_stats(conn, dataset)
    assert stats[:3] == (4, 4, 0.0)  # made, counted, over-counting fraction
    assert (stats.one_to_many_events, stats.many_to_one_events, stats.many_to_many_events) == (
        0, 0, 2)


def test_association_log_holds_the_returned_counts(conn):
    dataset = tkpdb.insert_dataset(conn, "log")
    returned = []
    for step in range(3):
        img = image(conn, dataset, step)
        _, counts = observe(conn, img, [tight(0), tight(0, 600)][: step + 1])
        returned.append((img, *(counts[k] for k in (
            "candidates", "one_to_one", "one_to_many", "many_to_one", "many_to_many_pruned",
            "new_sources", "new_transient_candidates"))))
    assert query(conn, """
        SELECT image, candidates, one_to_one, one_to_many, many_to_one, many_to_many_pruned,
               new_sources, new_transient_candidates
        FROM association_log ORDER BY image""") == returned
    assert [r[6] for r in returned] == [1, 1, 0] and [r[2] for r in returned] == [0, 1, 2]


def test_fork_log(conn):
    dataset, (f3, f4), (l1, l2) = seed_one_to_many(conn, split=(0.75, 0.5))
    (parent,) = {r for (r,) in query(conn, "SELECT parent_runcat FROM fork_log")}
    assert parent not in (l1, l2)
    img3 = query(conn, "SELECT image FROM extractedsource WHERE id = %s", (f3,))[0][0]
    assert query(conn, """
        SELECT runcat, parent_runcat, image, xtrsrc, parent_f_datapoints, parent_avg_f_int
        FROM fork_log ORDER BY xtrsrc""") == [
        (l1, parent, img3, f3, 2, 1.0), (l2, parent, img3, f4, 2, 1.0)]


def test_an_empty_dataset(conn):
    dataset = tkpdb.insert_dataset(conn, "empty")
    assert tkpdb.dataset_stats(conn, dataset) == tkpdb.DatasetStats(0, 0, None, 0, 0, 0, 0, 0, 0, 0, 0.0)


def test_the_view_gives_the_same_numbers(conn):
    dataset, _, _ = seed_one_to_many(conn, split=(0.5, 0.5), empty_first=True)
    other, _, _ = seed_one_to_many(conn)
    fields = ", ".join(tkpdb.DatasetStats._fields)
    rows = query(conn, f"SELECT dataset, {fields} FROM dataset_statistics ORDER BY dataset")
    assert [(d, tkpdb.DatasetStats(*r)) for d, *r in rows] == [
        (d, tkpdb.dataset_stats(conn, d)) for d in (dataset, other)]
    # the fork kept the parent's newsource row in both children
    assert tkpdb.dataset_stats(conn, dataset).transient_candidates == 2
    assert tkpdb.dataset_stats(conn, dataset).suspect_transients == 2


def test_unknown_dataset(conn):
    with pytest.raises(ValueError, match="dataset 999 does not exist"):
        tkpdb.dataset_stats(conn, 999)
    with pytest.raises(ValueError, match="dataset 999 does not exist"):
        tkpdb.suspect_transients(conn, 999)


# --- suspect transients --------------------------------------------------------------------

def test_children_with_half_the_flux_are_suspect(conn):
    """1 Jy resolved into two 0.5 Jy components: each child steps to half its parent."""
    dataset, (f3, f4), (l1, l2) = seed_one_to_many(conn, split=(0.5, 0.5), empty_first=True)
    (parent,) = {r for (r,) in query(conn, "SELECT parent_runcat FROM fork_log")}
    img3 = query(conn, "SELECT image FROM extractedsource WHERE id = %s", (f3,))[0][0]
    newsource = dict(query(conn, "SELECT runcat, id FROM newsource"))
    assert set(newsource) == {l1, l2}  # the parent was a new source; both children keep it
    suspects = tkpdb.suspect_transients(conn, dataset)
    assert suspects == sorted([
        tkpdb.SuspectTransient(l1, img3, parent, f3, 2, 1.0, 0.5, 1.0, 1.0, 0.5, newsource[l1]),
        tkpdb.SuspectTransient(l2, img3, parent, f4, 2, 1.0, 0.5, 1.0, 1.0, 0.5, newsource[l2]),
    ])
    view = query(conn,
                 "SELECT dataset, runcat, split_ratio FROM suspect_transients ORDER BY runcat")
    assert view == [(dataset, s.runcat, 1.0) for s in suspects]


def test_children_with_the_full_flux_are_not_suspect(conn):
    """Two sources of 1 Jy each where one was seen: the flux doubled, it was not split."""
    dataset, _, _ = seed_one_to_many(conn, split=(1.0, 1.0))
    assert tkpdb.suspect_transients(conn, dataset) == []
    assert query(conn, "SELECT count(*) FROM suspect_transients WHERE dataset = %s",
                 (dataset,)) == [(0,)]


def test_tolerance(conn):
    """Children of 0.75 and 0.5 Jy add up to 1.25 times the parent's 1 Jy."""
    dataset, _, (l1, l2) = seed_one_to_many(conn, split=(0.75, 0.5))
    assert [(s.runcat, s.step_ratio) for s in tkpdb.suspect_transients(conn, dataset)] == sorted(
        [(l1, 0.75), (l2, 0.5)])
    assert tkpdb.suspect_transients(conn, dataset, tolerance=0.2) == []
    assert len(tkpdb.suspect_transients(conn, dataset, tolerance=0.25)) == 2
    for bad in (-0.1, float("nan"), "0.3"):
        with pytest.raises(ValueError, match="tolerance"):
            tkpdb.suspect_transients(conn, dataset, tolerance=bad)


def test_descendants_of_a_split_stay_suspect(conn):
    """A child of the split forks again, without splitting its flux (mean 0.75 Jy, children
    0.5 + 0.5 Jy): its children still carry the step of the first fork."""
    dataset, (f3, f4), (l1, l2) = seed_one_to_many(conn, split=(0.5, 0.5))
    # l1 now sits 3 sigma east, l2 3 sigma west; two extractions near l1 fork it, one continues l2
    (g1, g2, h), counts = observe(conn, image(conn, dataset, 5),
                                  [tight(4 * SIGMA, 3 * SIGMA, flux=0.5),
                                   tight(4 * SIGMA, -3 * SIGMA, flux=0.5),
                                   tight(-D_FORK, flux=0.5)])
    assert counts["one_to_many"] == 1 and counts["one_to_one"] == 1
    grandchildren = runcat_of(conn, g1) + runcat_of(conn, g2)
    assert l1 not in grandchildren and len(set(grandchildren)) == 2 and runcat_of(conn, h) == [l2]
    suspects = tkpdb.suspect_transients(conn, dataset)
    assert [(s.runcat, s.base_xtrsrc, s.step_ratio) for s in suspects] == sorted(
        [(g, f3, 0.5) for g in grandchildren] + [(l2, f4, 0.5)])


def test_deleting_a_dataset_deletes_its_statistics_and_state(conn):
    dataset, _, _ = seed_one_to_many(conn, split=(0.5, 0.5))
    other, _, (k1, k2) = seed_one_to_many(conn)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT delete_dataset(%s)", (dataset,))
    assert query(conn, "SELECT count(*) FROM association_log") == [(4,)]
    assert query(conn, "SELECT DISTINCT runcat FROM fork_log ORDER BY 1") == [(k1,), (k2,)]
    assert query(conn, "SELECT DISTINCT runcat FROM varmetric ORDER BY 1") == [(k1,), (k2,)]
    assert query(conn, "SELECT dataset FROM dataset_statistics") == [(other,)]


def test_an_image_without_extractions_is_associated_once(conn):
    dataset = tkpdb.insert_dataset(conn, "empty image")
    img = image(conn, dataset, 0)
    assert tkpdb.associate_extracted_sources(conn, img)["candidates"] == 0
    with pytest.raises(psycopg2.errors.RaiseException, match="already associated"):
        tkpdb.associate_extracted_sources(conn, img)
    assert query(conn, "SELECT image, candidates, new_sources FROM association_log") == [(img, 0, 0)]
    assert tkpdb.dataset_stats(conn, dataset).images_associated == 1
