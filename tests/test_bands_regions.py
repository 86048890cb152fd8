"""Images: frequency bands by overlap, sky regions by exact equality, region membership."""

from __future__ import annotations

import tkpdb
from tests.sky import image, observe, query, source


def band_of(conn, image_id: int) -> tuple[int, float, float, float]:
    return query(conn, """
        SELECT b.id, b.freq_central, b.freq_low, b.freq_high FROM image i
        JOIN frequencyband b ON b.id = i.band WHERE i.id = %s""", (image_id,))[0]


def test_overlapping_bandwidths_share_a_band(conn):
    dataset = tkpdb.insert_dataset(conn, "bands")
    first = band_of(conn, image(conn, dataset, freq_eff=150e6, freq_bw=2e6))
    assert first[1:] == (150e6, 149e6, 151e6)
    assert band_of(conn, image(conn, dataset, freq_eff=150.5e6, freq_bw=2e6))[0] == first[0]
    # touching is not overlapping (strict, as TraP): a new band
    touching = band_of(conn, image(conn, dataset, freq_eff=153e6, freq_bw=4e6))
    assert touching[0] != first[0] and touching[1:] == (153e6, 151e6, 155e6)


def test_several_overlapping_bands_pick_the_largest_overlap(conn):
    dataset = tkpdb.insert_dataset(conn, "bands")
    low = band_of(conn, image(conn, dataset, freq_eff=100e6, freq_bw=10e6))     # 95-105
    high = band_of(conn, image(conn, dataset, freq_eff=110.5e6, freq_bw=10e6))  # 105.5-115.5
    # 99-111 overlaps low by 6 MHz and high by 5.5 MHz
    assert band_of(conn, image(conn, dataset, freq_eff=105e6, freq_bw=12e6))[0] == low[0]
    # 104-112 overlaps low by 1 MHz and high by 6.5 MHz
    assert band_of(conn, image(conn, dataset, freq_eff=108e6, freq_bw=8e6))[0] == high[0]


def test_equal_overlaps_pick_the_nearest_centre(conn):
    dataset = tkpdb.insert_dataset(conn, "bands")
    low = band_of(conn, image(conn, dataset, freq_eff=100e6, freq_bw=10e6))     # 95-105
    high = band_of(conn, image(conn, dataset, freq_eff=110e6, freq_bw=10e6))    # 105-115
    # 104-106 overlaps both by 1 MHz; centre 105.2 is nearer 110 than 100? no: |105.2-100| = 5.2,
    # |105.2-110| = 4.8: the high band
    assert band_of(conn, image(conn, dataset, freq_eff=105.2e6, freq_bw=1.6e6))[0] == high[0]
    assert band_of(conn, image(conn, dataset, freq_eff=104.8e6, freq_bw=1.6e6))[0] == low[0]


def test_bands_belong_to_their_dataset(conn):
    one, two = tkpdb.insert_dataset(conn, "one"), tkpdb.insert_dataset(conn, "two")
    assert band_of(conn, image(conn, one))[0] != band_of(conn, image(conn, two))[0]


def test_sky_regions_are_reused_on_exact_equality_only(conn):
    dataset = tkpdb.insert_dataset(conn, "regions")
    region = lambda img: query(conn, "SELECT skyrgn FROM image WHERE id = %s", (img,))[0][0]  # noqa: E731
    a = region(image(conn, dataset, 0, centre_ra=123.0, centre_decl=10.0, xtr_radius=1.5))
    assert region(image(conn, dataset, 1, centre_ra=123.0, centre_decl=10.0, xtr_radius=1.5)) == a
    assert region(image(conn, dataset, 2, centre_ra=123.0, centre_decl=10.0, xtr_radius=1.4)) != a
    assert region(image(conn, dataset, 3, centre_ra=483.0, centre_decl=10.0, xtr_radius=1.5)) == a


def test_a_new_region_links_the_blind_runcats_inside_it(conn):
    dataset = tkpdb.insert_dataset(conn, "membership")
    first = image(conn, dataset, 0, centre_ra=123.0, centre_decl=10.0, xtr_radius=1.5)
    observe(conn, first, [source(123.0, 10.0), source(124.0, 10.0), source(122.0, 10.0)])
    # a monitored runcat (mon_src) at 124.2: never a region member
    (fit,) = tkpdb.insert_extracted_sources(conn, image(conn, dataset, 0), [source(124.2, 10.0)])
    with conn.cursor() as cur:
        cur.execute("""
            INSERT INTO runningcatalog (xtrsrc, dataset, datapoints, wm_ra, wm_decl,
                wm_uncertainty_ew, wm_uncertainty_ns, avg_ra_err, avg_decl_err, avg_wra,
                avg_wdecl, avg_weight_ra, avg_weight_decl, mon_src)
            VALUES (%s, %s, 0, 124.2, 10.0, 0.01, 0.01, 0.01, 0.01, 1, 1, 1, 1, true)""",
                    (fit, dataset))
    conn.commit()
    second = image(conn, dataset, 1, centre_ra=124.0, centre_decl=10.0, xtr_radius=0.5)
    members = query(conn, """
        SELECT rc.wm_ra, round(s.distance_deg::numeric, 6) FROM assocskyrgn s
        JOIN runningcatalog rc ON rc.id = s.runcat
        JOIN image i ON i.skyrgn = s.skyrgn WHERE i.id = %s""", (second,))
    assert members == [(124.0, 0)]
    all_regions = query(conn, """
        SELECT rc.wm_ra, count(*) FROM assocskyrgn s JOIN runningcatalog rc ON rc.id = s.runcat
        GROUP BY rc.wm_ra ORDER BY 1""")
    assert all_regions == [(122.0, 1), (123.0, 1), (124.0, 2)]
