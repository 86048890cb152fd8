"""The case studies of the association seed, as concrete skies with exact lightcurves.

Geometry shared by all cases (tests/sky.py defaults): restoring beam semi-major axis 36 arcsec,
beamwidths_limit 1, so the search radius is 36 arcsec; every measurement has on-sky
uncertainties of 22.4 arcsec, so the De Ruiter limit 5.68 never bites first: a measurement
matches every lightcurve within 36 arcsec of it. Offsets below are (east, north) in arcsec
from the field centre; fluxes in Jy.
"""

from __future__ import annotations

import pytest

from tests.scenarios import BAND1, BAND2, Scenario


def test_one_to_one(conn):
    sky = Scenario(conn)
    for step, label in enumerate(["f1", "f2", "f3", "f4"]):
        sky.observe(step, BAND1, {label: (0.0, 1.0 * step, 1.0 + step)})
    assert sky.lightcurves() == {frozenset({"f1", "f2", "f3", "f4"})}
    runcat = sky.runcat_of("f1", "f2", "f3", "f4")
    assert sky.types(runcat) == {"f1": 4, "f2": 3, "f3": 3, "f4": 3}
    assert sky.flux_means(runcat) == {BAND1: (4, pytest.approx(2.5))}
    assert [r["one_to_one"] for r in sky.results] == [0, 1, 1, 1]


def test_one_to_many_forks_and_keeps_the_history(conn):
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"f1": (0, 0, 1.0)})
    sky.observe(1, BAND1, {"f2": (0, 0, 2.0)})
    result = sky.observe(2, BAND1, {"f3": (32, 0, 3.0), "f4": (-32, 0, 4.0)})
    assert result["one_to_many"] == 1 and result["new_sources"] == 0
    sky.observe(3, BAND1, {"f5": (32, 0, 5.0), "f6": (-32, 0, 6.0)})

    assert sky.lightcurves() == {frozenset({"f1", "f2", "f3", "f5"}),
                                 frozenset({"f1", "f2", "f4", "f6"})}
    l1, l2 = sky.runcat_of("f1", "f2", "f3", "f5"), sky.runcat_of("f1", "f2", "f4", "f6")
    assert sky.types(l1) == {"f1": 6, "f2": 6, "f3": 2, "f5": 3}
    assert sky.types(l2) == {"f1": 6, "f2": 6, "f4": 2, "f6": 3}
    assert sky.flux_means(l1) == {BAND1: (4, pytest.approx((1 + 2 + 3 + 5) / 4))}
    assert sky.flux_means(l2) == {BAND1: (4, pytest.approx((1 + 2 + 4 + 6) / 4))}


def test_many_to_one_appends_to_both_lightcurves(conn):
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"f1": (-30, 0, 1.0), "f2": (30, 0, 2.0)})
    sky.observe(1, BAND1, {"f3": (-30, 0, 3.0), "f4": (30, 0, 4.0)})
    r3 = sky.observe(2, BAND1, {"f5": (0, 0, 5.0)})
    r4 = sky.observe(3, BAND1, {"f6": (0, 0, 6.0)})
    assert r3["many_to_one"] == 1 and r4["many_to_one"] == 1
    assert sky.lightcurves() == {frozenset({"f1", "f3", "f5", "f6"}),
                                 frozenset({"f2", "f4", "f5", "f6"})}
    l1 = sky.runcat_of("f1", "f3", "f5", "f6")
    assert sky.types(l1) == {"f1": 4, "f3": 3, "f5": 3, "f6": 3}
    assert sky.flux_means(l1) == {BAND1: (4, pytest.approx((1 + 3 + 5 + 6) / 4))}
    assert sky.flux_means(sky.runcat_of("f2", "f4", "f5", "f6")) == {
        BAND1: (4, pytest.approx((2 + 4 + 5 + 6) / 4))}


def test_many_to_many_is_reduced_to_one_to_many(conn):
    """f5 and f6 both match L1 (f1, f3) and L2 (f2, f4); both are closer to L1, so L1 forks
    and L2 is truncated after t2, as in the seed."""
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"f1": (0, 0), "f2": (0, 50)})
    sky.observe(1, BAND1, {"f3": (0, 0), "f4": (0, 50)})
    result = sky.observe(2, BAND1, {"f5": (-15, 20), "f6": (15, 20)})
    assert result["many_to_many_pruned"] == 2
    assert result["one_to_many"] == 1
    assert sky.lightcurves() == {frozenset({"f1", "f3", "f5"}), frozenset({"f1", "f3", "f6"}),
                                 frozenset({"f2", "f4"})}
    assert sky.types(sky.runcat_of("f1", "f3", "f5")) == {"f1": 6, "f3": 6, "f5": 2}


def test_symmetric_rhombus_tie_is_deterministic(conn):
    """All four De Ruiter radii equal (TraP raised IntegrityError): both extractions join the
    runcat further south, which forks; the northern one keeps its lightcurve unchanged."""
    sky = Scenario(conn, ra0=10.0, decl0=0.0)
    sky.observe(0, BAND1, {"south": (0, -20), "north": (0, 20)})
    result = sky.observe(1, BAND1, {"west": (-20, 0), "east": (20, 0)})
    assert result["many_to_many_pruned"] == 2 and result["one_to_many"] == 1
    assert sky.lightcurves() == {frozenset({"south", "west"}), frozenset({"south", "east"}),
                                 frozenset({"north"})}


def test_multiband_one_to_one_keeps_one_mean_per_band(conn):
    sky = Scenario(conn)
    for step in range(4):
        sky.observe(step, BAND1, {f"f{step + 1}": (0, 0, 1.0 + step)})
        sky.observe(step, BAND2, {f"f{step + 5}": (0, 0, 10.0 + step)})
    runcat = sky.runcat_of(*[f"f{k}" for k in range(1, 9)])
    assert sky.flux_means(runcat) == {BAND1: (4, pytest.approx(2.5)),
                                      BAND2: (4, pytest.approx(11.5))}


def test_multiband_one_to_many_counts_band2_in_both(conn):
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"f1": (0, 0, 1.0)})
    sky.observe(0, BAND2, {"f7": (0, 0, 7.0)})
    sky.observe(1, BAND1, {"f2": (0, 0, 2.0)})
    sky.observe(1, BAND2, {"f8": (0, 0, 8.0)})
    sky.observe(2, BAND1, {"f3": (32, 0, 3.0), "f4": (-32, 0, 4.0)})
    r9 = sky.observe(2, BAND2, {"f9": (0, 0, 9.0)})
    sky.observe(3, BAND1, {"f5": (32, 0, 5.0), "f6": (-32, 0, 6.0)})
    sky.observe(3, BAND2, {"f10": (0, 0, 10.0)})
    assert r9["many_to_one"] == 1

    band2 = {"f7", "f8", "f9", "f10"}
    l1 = sky.runcat_of("f1", "f2", "f3", "f5", *band2)
    l2 = sky.runcat_of("f1", "f2", "f4", "f6", *band2)
    assert sky.flux_means(l1) == {BAND1: (4, pytest.approx((1 + 2 + 3 + 5) / 4)),
                                  BAND2: (4, pytest.approx((7 + 8 + 9 + 10) / 4))}
    assert sky.flux_means(l2) == {BAND1: (4, pytest.approx((1 + 2 + 4 + 6) / 4)),
                                  BAND2: (4, pytest.approx((7 + 8 + 9 + 10) / 4))}
    assert len(sky.lightcurves()) == 2


def test_multiband_many_to_one(conn):
    sky = Scenario(conn)
    a, b, mid = (-30, 0), (30, 0), (0, 0)
    sky.observe(0, BAND1, {"f1": (*a, 1.0), "f2": (*b, 2.0)})
    sky.observe(0, BAND2, {"f7": (*a, 7.0), "f8": (*b, 8.0)})
    sky.observe(1, BAND1, {"f3": (*a, 3.0), "f4": (*b, 4.0)})
    sky.observe(1, BAND2, {"f9": (*a, 9.0), "f10": (*b, 10.0)})
    sky.observe(2, BAND1, {"f5": (*mid, 5.0)})
    sky.observe(2, BAND2, {"f11": (*a, 11.0), "f12": (*b, 12.0)})
    sky.observe(3, BAND1, {"f6": (*mid, 6.0)})
    sky.observe(3, BAND2, {"f13": (*a, 13.0), "f14": (*b, 14.0)})

    l1 = sky.runcat_of("f1", "f3", "f5", "f6", "f7", "f9", "f11", "f13")
    l2 = sky.runcat_of("f2", "f4", "f5", "f6", "f8", "f10", "f12", "f14")
    assert sky.flux_means(l1) == {BAND1: (4, pytest.approx((1 + 3 + 5 + 6) / 4)),
                                  BAND2: (4, pytest.approx((7 + 9 + 11 + 13) / 4))}
    assert sky.flux_means(l2) == {BAND1: (4, pytest.approx((2 + 4 + 5 + 6) / 4)),
                                  BAND2: (4, pytest.approx((8 + 10 + 12 + 14) / 4))}
    assert len(sky.lightcurves()) == 2


def test_multiband_many_to_one_with_a_new_source(conn):
    """Seed case 'Multi-Band Many-to-One Association (2)': f13 and f15 join both lightcurves in
    band 2, f14 matches neither and starts L3, continued by f16."""
    sky = Scenario(conn)
    a, b, mid, lone = (-30, 0), (30, 0), (0, 0), (-30, 45)
    sky.observe(0, BAND1, {"f1": a, "f2": b})
    sky.observe(0, BAND2, {"f9": a, "f10": b})
    sky.observe(1, BAND1, {"f3": a, "f4": b})
    sky.observe(1, BAND2, {"f11": a, "f12": b})
    sky.observe(2, BAND1, {"f5": a, "f6": b})
    r = sky.observe(2, BAND2, {"f13": mid, "f14": lone})
    assert r["many_to_one"] == 1 and r["new_sources"] == 1
    sky.observe(3, BAND1, {"f7": a, "f8": b})
    sky.observe(3, BAND2, {"f15": mid, "f16": lone})
    assert sky.lightcurves() == {
        frozenset({"f1", "f3", "f5", "f7", "f9", "f11", "f13", "f15"}),
        frozenset({"f2", "f4", "f6", "f8", "f10", "f12", "f13", "f15"}),
        frozenset({"f14", "f16"}),
    }


def test_fork_keeps_flux_statistics_of_every_band(conn):
    """TraP deleted the other bands' statistics on a fork; here both children keep them."""
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"f1": (0, 0, 1.0)})
    sky.observe(0, BAND2, {"g1": (0, 0, 10.0)})
    sky.observe(1, BAND2, {"g2": (0, 0, 20.0)})
    sky.observe(2, BAND1, {"f2": (32, 0, 2.0), "f3": (-32, 0, 3.0)})
    for child in (sky.runcat_of("f1", "g1", "g2", "f2"), sky.runcat_of("f1", "g1", "g2", "f3")):
        assert sky.flux_means(child)[BAND2] == (2, pytest.approx(15.0))
        assert sky.flux_means(child)[BAND1][0] == 2


def test_a_second_association_of_an_image_is_refused(conn):
    import psycopg2
    import tkpdb
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"f1": (0, 0)})
    with conn.cursor() as cur:
        cur.execute("SELECT max(id) FROM image")
        (image_id,) = cur.fetchone()
    conn.rollback()
    with pytest.raises(psycopg2.errors.RaiseException, match="already associated"):
        tkpdb.associate_extracted_sources(conn, image_id)
