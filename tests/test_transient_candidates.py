"""Transient candidates (newsource rows): sql/60_transient_candidates.sql, trap-semantics 2.12.

Limits of an earlier image p (Jy), with the default sigma margin 3:
low = p.rms_min * (p.detection_thresh + 3), high = p.rms_max * (p.detection_thresh + 3).
With the test defaults (rms_min 1 mJy, rms_max 2 mJy, threshold 8): low = 11 mJy, high = 22 mJy.
"""

from __future__ import annotations

import tkpdb
from tests.sky import image, observe, query, source

RA, DECL = 123.0, 10.0
FAR = (123.5, 10.5)  # a steady source far from the new one, so that earlier images are not empty


def _newsource(conn, dataset: int) -> list[tuple]:
    """(runcat, trigger_xtrsrc, previous_limits_image, newsource_type) of the dataset."""
    return query(conn, """
        SELECT ns.runcat, ns.trigger_xtrsrc, ns.previous_limits_image, ns.newsource_type
        FROM newsource ns JOIN runningcatalog rc ON rc.id = ns.runcat
        WHERE rc.dataset = %s ORDER BY ns.runcat""", (dataset,))


def _runcat_of(conn, xtrsrc: int) -> int:
    (runcat,), = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s", (xtrsrc,))
    return runcat


def _appears_after_one_image(conn, f_peak: float, **first_image) -> tuple[int, int, list[tuple]]:
    """An image with only the far source, then one where a source of peak flux f_peak appears."""
    dataset = tkpdb.insert_dataset(conn, "newsource")
    first = image(conn, dataset, 0, **first_image)
    observe(conn, first, [source(*FAR)])
    second = image(conn, dataset, 1)
    (_, new), counts = observe(conn, second,
                               [source(*FAR), source(RA, DECL, flux=1.0, f_peak=f_peak)])
    assert counts["new_sources"] == 1
    return first, new, _newsource(conn, dataset)


def test_above_the_high_limit_is_type_1(conn):
    first, new, rows = _appears_after_one_image(conn, 0.023)
    assert rows == [(_runcat_of(conn, new), new, first, 1)]


def test_between_the_limits_is_type_0(conn):
    first, new, rows = _appears_after_one_image(conn, 0.015)
    assert rows == [(_runcat_of(conn, new), new, first, 0)]


def test_below_the_low_limit_is_not_a_candidate(conn):
    _, _, rows = _appears_after_one_image(conn, 0.010)
    assert rows == []


def test_peak_flux_decides_not_integrated_flux(conn):
    """f_int is 1 Jy (far above both limits) but the peak flux is below the low limit."""
    _, _, rows = _appears_after_one_image(conn, 0.005)
    assert rows == []


def test_the_sigma_margin_is_added_to_the_detection_threshold(conn):
    """Margin 0: low = 8 mJy, high = 16 mJy; 15 mJy is then type 0 and 17 mJy type 1."""
    dataset = tkpdb.insert_dataset(conn, "margin")
    first = image(conn, dataset, 0)
    observe(conn, first, [source(*FAR)])
    second = image(conn, dataset, 1)
    (_, a, b), _ = observe(conn, second, [source(*FAR), source(RA, DECL, f_peak=0.015),
                                          source(RA + 0.2, DECL, f_peak=0.017)],
                           new_source_sigma_margin=0.0)
    assert [(x, kind) for _, x, _, kind in _newsource(conn, dataset)] == [(a, 0), (b, 1)]


def test_no_previous_image_no_candidate(conn):
    dataset = tkpdb.insert_dataset(conn, "first look")
    _, counts = observe(conn, image(conn, dataset, 0), [source(RA, DECL, f_peak=10.0)])
    assert counts["new_sources"] == 1 and counts["new_transient_candidates"] == 0
    assert _newsource(conn, dataset) == []


def test_previous_image_in_another_band_only(conn):
    dataset = tkpdb.insert_dataset(conn, "other band")
    observe(conn, image(conn, dataset, 0, freq_eff=180e6), [source(*FAR)])
    observe(conn, image(conn, dataset, 1), [source(*FAR), source(RA, DECL, f_peak=10.0)])
    assert _newsource(conn, dataset) == []


def test_previous_image_in_another_stokes_only(conn):
    dataset = tkpdb.insert_dataset(conn, "other stokes")
    observe(conn, image(conn, dataset, 0, stokes=4), [source(*FAR)])
    observe(conn, image(conn, dataset, 1), [source(*FAR), source(RA, DECL, f_peak=10.0)])
    assert _newsource(conn, dataset) == []


def test_image_at_the_same_time_is_not_previous(conn):
    """An image of the same band at the same timestamp (another field covering the source)."""
    dataset = tkpdb.insert_dataset(conn, "same time")
    observe(conn, image(conn, dataset, 0, centre_ra=123.4), [source(*FAR)])
    observe(conn, image(conn, dataset, 0), [source(RA, DECL, f_peak=10.0)])
    assert _newsource(conn, dataset) == []


def test_rejected_previous_image_is_skipped(conn):
    dataset = tkpdb.insert_dataset(conn, "rejected")
    rejected = image(conn, dataset, 0)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO rejection (image, rejectreason) VALUES (%s, 0)", (rejected,))
    observe(conn, image(conn, dataset, 1), [source(RA, DECL, f_peak=10.0)])
    assert _newsource(conn, dataset) == []


def test_rejected_image_does_not_hide_a_good_one(conn):
    """The rejected image has the strongest limits; the good image's limits are used."""
    dataset = tkpdb.insert_dataset(conn, "rejected and good")
    good = image(conn, dataset, 0)
    rejected = image(conn, dataset, 1, rms_min=1e-5, rms_max=1e-5)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO rejection (image, rejectreason) VALUES (%s, 2)", (rejected,))
    (new,), _ = observe(conn, image(conn, dataset, 2), [source(RA, DECL, f_peak=0.015)])
    assert _newsource(conn, dataset) == [(_runcat_of(conn, new), new, good, 0)]


def test_previous_image_with_null_rms_is_skipped(conn):
    for missing in ("rms_min", "rms_max", "detection_thresh"):
        dataset = tkpdb.insert_dataset(conn, f"null {missing}")
        observe(conn, image(conn, dataset, 0, **{missing: None}), [source(*FAR)])
        _, counts = observe(conn, image(conn, dataset, 1),
                            [source(*FAR), source(RA, DECL, f_peak=10.0)])
        assert counts["new_transient_candidates"] == 0, missing
        assert _newsource(conn, dataset) == [], missing


def test_null_rms_image_does_not_hide_a_good_one(conn):
    dataset = tkpdb.insert_dataset(conn, "null and good")
    good = image(conn, dataset, 0)
    image(conn, dataset, 1, rms_min=None)
    (new,), _ = observe(conn, image(conn, dataset, 2), [source(RA, DECL, f_peak=0.023)])
    assert _newsource(conn, dataset) == [(_runcat_of(conn, new), new, good, 1)]


def test_strongest_constraint_for_each_limit(conn):
    """Image A has the lowest low limit, image B the lowest high limit.

    A: rms 0.5 / 5 mJy -> low 5.5 mJy, high 55 mJy.  B: rms 1 / 1.5 mJy -> low 11, high 16.5 mJy.
    20 mJy: above B's high limit -> type 1 against B (TraP, ranking on the low limit only,
    would have compared with A's high limit and said type 0). 10 mJy: above A's low limit only
    -> type 0 against A. 5 mJy: below every low limit -> none.
    """
    dataset = tkpdb.insert_dataset(conn, "strongest")
    a = image(conn, dataset, 0, rms_min=0.5e-3, rms_max=5e-3)
    b = image(conn, dataset, 1, rms_min=1e-3, rms_max=1.5e-3)
    sources = [source(RA, DECL, f_peak=0.020), source(RA + 0.2, DECL, f_peak=0.010),
               source(RA + 0.4, DECL, f_peak=0.005)]
    (likely, possible, _), counts = observe(conn, image(conn, dataset, 2), sources)
    assert counts["new_transient_candidates"] == 2
    assert _newsource(conn, dataset) == [
        (_runcat_of(conn, likely), likely, b, 1),
        (_runcat_of(conn, possible), possible, a, 0),
    ]


def test_limits_of_another_sky_region_covering_the_source(conn):
    """An earlier image of another field whose region contains the source counts too."""
    dataset = tkpdb.insert_dataset(conn, "other region")
    other = image(conn, dataset, 0, centre_ra=123.5)
    (new,), _ = observe(conn, image(conn, dataset, 1), [source(RA, DECL, f_peak=0.023)])
    assert _newsource(conn, dataset) == [(_runcat_of(conn, new), new, other, 1)]


def test_equal_limits_prefer_the_latest_image(conn):
    dataset = tkpdb.insert_dataset(conn, "tie")
    image(conn, dataset, 0)
    later = image(conn, dataset, 1)
    (new,), _ = observe(conn, image(conn, dataset, 2), [source(RA, DECL, f_peak=0.015)])
    assert _newsource(conn, dataset) == [(_runcat_of(conn, new), new, later, 0)]


def test_a_fork_carries_the_newsource_row(conn):
    """A type 1 candidate forks into two lightcurves; both keep its newsource row."""
    dataset = tkpdb.insert_dataset(conn, "fork")
    first = image(conn, dataset, 0)
    observe(conn, first, [source(*FAR)])
    (trigger,), _ = observe(conn, image(conn, dataset, 1), [source(RA, DECL, f_peak=0.5)])
    parent = _runcat_of(conn, trigger)
    assert _newsource(conn, dataset) == [(parent, trigger, first, 1)]
    # two extractions 5 arcsec east and west: both match the parent, which forks
    d = 5.0 / 3600.0
    (east, west), counts = observe(conn, image(conn, dataset, 2),
                                   [source(RA + d, DECL), source(RA - d, DECL)])
    assert counts["one_to_many"] == 1
    children = sorted(r for (r,) in query(conn, """
        SELECT runcat FROM assocxtrsource WHERE xtrsrc IN (%s, %s) AND type = 2""", (east, west)))
    assert len(children) == 2 and parent not in children
    assert _newsource(conn, dataset) == [(child, trigger, first, 1) for child in children]
    assert query(conn, "SELECT count(*) FROM newsource WHERE runcat = %s", (parent,)) == [(0,)]
