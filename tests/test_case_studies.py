"""The case studies of the association seed (source-association-logic), as concrete small skies.

Every measurement has on-sky 1-sigma uncertainties of 2 arcsec on both axes (error radius
1.2 arcsec, systematic error 1.6 arcsec), the restoring beam semi-major axis is 0.01 deg, so
with beamwidths_limit 1 the cone is 36 arcsec wide and the De Ruiter radius (limit 5.68) is
what decides. Against a runcat of N such datapoints an extraction at separation d has
r = d / (2 arcsec * sqrt(1 + 1/N)), i.e. it matches when d is below

    N = 1: 16.07"   N = 2: 13.91"   N = 3: 13.12"   N = 4: 12.70"   N = 5: 12.45"
    N = 6: 12.27"   N = 7: 12.14"

Positions are (east, north) offsets in arcsec from the field centre, chosen with these radii;
each docstring gives the decisive radii. The measurement f<k> has flux k Jy (peak and
integrated, error 0.01 Jy), so the seed's "average flux of L1 is mean(f1, f2, f3, f5)" reads
literally. Band 1 is 150 MHz, band 2 160 MHz; within a timestep band 1 is associated first.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tkpdb
from tests.sky import FLUX_MEANS, LabelledSky, offset, query, separation_arcsec

BAND1, BAND2 = 150e6, 160e6
ERRORS = dict(error_radius=1.2, sys_err=1.6)   # arcsec: on-sky sigma 2.0 arcsec per axis


def new_sky(conn) -> LabelledSky:
    return LabelledSky(conn, ra0=123.0, decl0=10.0, description="case study", **ERRORS)


def observe(sky: LabelledSky, step: int, freq: float,
            points: dict[str, tuple[float, float]]) -> dict:
    """Observe ``{label: (east, north)}``; the flux of ``f<k>`` is k Jy."""
    return sky.observe(step, freq, {label: (*p, float(label[1:])) for label, p in points.items()})


def counts(result: dict) -> dict[str, int]:
    """The outcome counts of an association (without the stage timings)."""
    names = ("one_to_one", "one_to_many", "many_to_one", "many_to_many_pruned", "new_sources")
    return {name: result[name] for name in names}


def outcome(**nonzero: int) -> dict[str, int]:
    return dict(dict.fromkeys(("one_to_one", "one_to_many", "many_to_one",
                               "many_to_many_pruned", "new_sources"), 0), **nonzero)


def assert_flux(sky: LabelledSky, runcat: int, expected: dict[float, list[str]],
                other_stokes: tuple[tuple[float, int], ...] = ()) -> None:
    """``runcat`` has exactly one runningcatalog_flux row per band of ``expected`` (Stokes I),
    whose f_datapoints and ten means are those of the listed measurements, and a row for each
    (band, Stokes) of ``other_stokes``."""
    got = sky.flux(runcat)
    assert set(got) == {(freq, 1) for freq in expected} | set(other_stokes)
    for freq, labels in expected.items():
        want = sky.expected_flux(*labels)
        row = got[(freq, 1)]
        assert row["f_datapoints"] == len(labels)
        # the seed's statement, literally: the mean of the listed fluxes
        assert row["avg_f_int"] == pytest.approx(np.mean([float(k[1:]) for k in labels]), rel=1e-12)
        for name in FLUX_MEANS:
            assert row[name] == pytest.approx(want[name], rel=1e-12), (freq, name)


def n_runcats(sky: LabelledSky) -> int:
    return query(sky.conn, "SELECT count(*) FROM runningcatalog WHERE dataset = %s",
                 (sky.dataset,))[0][0]


def test_one_to_one(conn):
    """f1..f4 within 1.5 arcsec of each other (r < 0.6): one lightcurve, mean(f1..f4)."""
    sky = new_sky(conn)
    for step, (label, p) in enumerate({"f1": (0, 0), "f2": (1, 0), "f3": (0, 1),
                                       "f4": (-1, -1)}.items()):
        result = observe(sky, step, BAND1, {label: p})
        assert counts(result) == (outcome(new_sources=1) if step == 0 else outcome(one_to_one=1))
    assert sky.lightcurves() == {frozenset("f1 f2 f3 f4".split()):
                                 {"f1": 4, "f2": 3, "f3": 3, "f4": 3}}
    runcat = sky.runcat_of("f1", "f2", "f3", "f4")
    assert sky.runcat(runcat)["datapoints"] == 4
    assert_flux(sky, runcat, {BAND1: ["f1", "f2", "f3", "f4"]})
    # equal weights: the position is the plain mean of the offsets (0, 0), within 1 mas
    rc = sky.runcat(runcat)
    assert separation_arcsec(rc["wm_ra"], rc["wm_decl"], *offset(123.0, 10.0, 0, 0)) < 1e-3


def test_one_to_many(conn):
    """L = (f1, f2) at (0, 0.5"), N = 2. f3 and f4, 12" east and west, both match it
    (r = 4.90): L forks into L1 = f1, f2, f3 (at 4" east) and L2 = f1, f2, f4. At t4 f5 is 8"
    from L1 (r = 3.47) but 16" from L2 (r = 6.93): each child continues on its own side.
    Seed: L1 has mean(f1, f2, f3, f5), L2 mean(f1, f2, f4, f6)."""
    sky = new_sky(conn)
    observe(sky, 0, BAND1, {"f1": (0, 0)})
    observe(sky, 1, BAND1, {"f2": (0, 1)})
    parent = sky.runcat_of("f1", "f2")
    history = sky.links(parent)
    fork = observe(sky, 2, BAND1, {"f3": (12, 0), "f4": (-12, 0)})
    assert counts(fork) == outcome(one_to_many=1)
    assert query(conn, "SELECT count(*) FROM runningcatalog WHERE id = %s", (parent,)) == [(0,)]
    last = observe(sky, 3, BAND1, {"f5": (12, 0), "f6": (-12, 0)})
    assert counts(last) == outcome(one_to_one=2)

    assert sky.lightcurves() == {
        frozenset({"f1", "f2", "f3", "f5"}): {"f1": 6, "f2": 6, "f3": 2, "f5": 3},
        frozenset({"f1", "f2", "f4", "f6"}): {"f1": 6, "f2": 6, "f4": 2, "f6": 3},
    }
    assert n_runcats(sky) == 2
    l1, l2 = sky.runcat_of("f1", "f2", "f3", "f5"), sky.runcat_of("f1", "f2", "f4", "f6")
    assert_flux(sky, l1, {BAND1: ["f1", "f2", "f3", "f5"]})
    assert_flux(sky, l2, {BAND1: ["f1", "f2", "f4", "f6"]})
    for child, side in ((l1, 1), (l2, -1)):
        links = sky.links(child)
        # the copied history keeps its type-3/4 values; the base point is against the parent
        assert links["f1"] == (6, *history["f1"][1:]) and links["f2"] == (6, *history["f2"][1:])
        label = "f3" if side > 0 else "f4"
        assert links[label][1] == pytest.approx(math.hypot(12, 0.5) / math.sqrt(6), rel=1e-6)
        assert links[label][2] == pytest.approx(math.hypot(12, 0.5), rel=1e-6)
        rc = sky.runcat(child)
        assert rc["datapoints"] == 4
        assert separation_arcsec(rc["wm_ra"], rc["wm_decl"],
                                 *offset(123.0, 10.0, side * 6.0, 0.25)) < 1e-3


def test_many_to_one(conn):
    """L1 at 9" west, L2 at 9" east (18" apart: r = 6.36 > 5.68 at t2, so they stay apart).
    f5 at the centre is 9" from both (r = 3.67): appended to both; so is f6 (r = 2.60).
    Seed: L1 mean(f1, f3, f5, f6), L2 mean(f2, f4, f5, f6); f5 and f6 counted twice."""
    sky = new_sky(conn)
    assert counts(observe(sky, 0, BAND1, {"f1": (-9, 0), "f2": (9, 0)})) == outcome(new_sources=2)
    assert counts(observe(sky, 1, BAND1, {"f3": (-9, 0), "f4": (9, 0)})) == outcome(one_to_one=2)
    assert counts(observe(sky, 2, BAND1, {"f5": (0, 0)})) == outcome(many_to_one=1)
    assert counts(observe(sky, 3, BAND1, {"f6": (0, 0)})) == outcome(many_to_one=1)
    assert sky.lightcurves() == {
        frozenset({"f1", "f3", "f5", "f6"}): {"f1": 4, "f3": 3, "f5": 3, "f6": 3},
        frozenset({"f2", "f4", "f5", "f6"}): {"f2": 4, "f4": 3, "f5": 3, "f6": 3},
    }
    assert n_runcats(sky) == 2
    l1, l2 = sky.runcat_of("f1", "f3", "f5", "f6"), sky.runcat_of("f2", "f4", "f5", "f6")
    assert_flux(sky, l1, {BAND1: ["f1", "f3", "f5", "f6"]})
    assert_flux(sky, l2, {BAND1: ["f2", "f4", "f5", "f6"]})
    counted = query(conn, "SELECT sum(f_datapoints) FROM runningcatalog_flux "
                          "WHERE runcat IN (%s, %s)",
                    (l1, l2))[0][0]
    assert counted == 8   # 6 measurements, f5 and f6 twice
    for runcat, side in ((l1, -1), (l2, 1)):
        rc = sky.runcat(runcat)
        assert separation_arcsec(rc["wm_ra"], rc["wm_decl"],
                                 *offset(123.0, 10.0, side * 4.5, 0.0)) < 1e-3


def test_many_to_many_is_reduced(conn):
    """L1 = f1, f3 at (0, 0); L2 = f2, f4 at (0, 18") (r = 6.36 between them at t2: apart).
    At t3 f5 (-8, 8) and f6 (8, 8) each match L1 (r = 4.62) and L2 (r = 5.23): many-to-many.
    Each keeps its smallest-r link, to L1, which forks; L2 is untouched and truncated after t2.
    At t4 f7 (-12, 8) matches only L1a (r = 4.65; L1b 6.76, L2 6.38), f8 only L1b.
    Seed: lightcurves f1 f3 f5 f7, f1 f3 f6 f8 and f2 f4."""
    sky = new_sky(conn)
    observe(sky, 0, BAND1, {"f1": (0, 0), "f2": (0, 18)})
    observe(sky, 1, BAND1, {"f3": (0, 0), "f4": (0, 18)})
    l2 = sky.runcat_of("f2", "f4")
    before = sky.runcat(l2)
    result = observe(sky, 2, BAND1, {"f5": (-8, 8), "f6": (8, 8)})
    assert counts(result) == outcome(many_to_many_pruned=2, one_to_many=1)
    assert result["candidates"] == 4
    result = observe(sky, 3, BAND1, {"f7": (-12, 8), "f8": (12, 8)})
    assert counts(result) == outcome(one_to_one=2)

    assert sky.lightcurves() == {
        frozenset({"f1", "f3", "f5", "f7"}): {"f1": 6, "f3": 6, "f5": 2, "f7": 3},
        frozenset({"f1", "f3", "f6", "f8"}): {"f1": 6, "f3": 6, "f6": 2, "f8": 3},
        frozenset({"f2", "f4"}): {"f2": 4, "f4": 3},
    }
    assert n_runcats(sky) == 3
    assert sky.runcat_of("f2", "f4") == l2 and sky.runcat(l2) == before
    assert_flux(sky, sky.runcat_of("f1", "f3", "f5", "f7"), {BAND1: ["f1", "f3", "f5", "f7"]})
    assert_flux(sky, sky.runcat_of("f1", "f3", "f6", "f8"), {BAND1: ["f1", "f3", "f6", "f8"]})
    assert_flux(sky, l2, {BAND1: ["f2", "f4"]})
    # the kept links are the smaller De Ruiter radii: 11.31" / sqrt(6 arcsec^2)
    l1a = sky.links(sky.runcat_of("f1", "f3", "f5", "f7"))
    assert l1a["f5"][1] == pytest.approx(math.hypot(8, 8) / math.sqrt(6), rel=1e-6)


def test_multiband_one_to_one(conn):
    """The same source in both bands at every timestep: one lightcurve, one mean per band,
    mean(f1..f4) in band 1 and mean(f5..f8) in band 2."""
    sky = new_sky(conn)
    jitter = [(0, 0), (0.5, 0), (0, -0.5), (-0.5, 0.5)]
    for step in range(4):
        observe(sky, step, BAND1, {f"f{step + 1}": jitter[step]})
        observe(sky, step, BAND2, {f"f{step + 5}": jitter[3 - step]})
    labels = [f"f{k}" for k in range(1, 9)]
    assert sky.lightcurves() == {frozenset(labels): dict({"f1": 4}, **{k: 3 for k in labels[1:]})}
    runcat = sky.runcat_of(*labels)
    assert sky.runcat(runcat)["datapoints"] == 8
    assert_flux(sky, runcat, {BAND1: labels[:4], BAND2: labels[4:]})


def test_multiband_one_to_many(conn):
    """t1, t2: f1, f2 (band 1) and f7, f8 (band 2) at the centre: L with N = 4. t3: f3 and f4,
    12" east and west (r = 5.37), fork L in band 1; f9 (band 2, centre) is 2.4" from both
    children (r = 1.10): many-to-one. t4: f5 (r = 4.63 to L1, 6.48 to L2) and f6 continue each
    side; f10 joins both. Seed: L1 has mean(f1, f2, f3, f5) in band 1 and mean(f7..f10) in
    band 2; L2 mean(f1, f2, f4, f6) and mean(f7..f10). The band-2 statistics of f7 and f8 are
    kept through the band-1 fork (TraP lost them)."""
    sky = new_sky(conn)
    observe(sky, 0, BAND1, {"f1": (0, 0)})
    observe(sky, 0, BAND2, {"f7": (0, 0)})
    observe(sky, 1, BAND1, {"f2": (0, 0)})
    observe(sky, 1, BAND2, {"f8": (0, 0)})
    assert counts(observe(sky, 2, BAND1, {"f3": (12, 0), "f4": (-12, 0)})) == outcome(one_to_many=1)
    assert counts(observe(sky, 2, BAND2, {"f9": (0, 0)})) == outcome(many_to_one=1)
    assert counts(observe(sky, 3, BAND1, {"f5": (12, 0), "f6": (-12, 0)})) == outcome(one_to_one=2)
    assert counts(observe(sky, 3, BAND2, {"f10": (0, 0)})) == outcome(many_to_one=1)

    history = {"f1": 6, "f2": 6, "f7": 6, "f8": 6}
    assert sky.lightcurves() == {
        frozenset({"f1", "f2", "f3", "f5", "f7", "f8", "f9", "f10"}):
            dict(history, f3=2, f5=3, f9=3, f10=3),
        frozenset({"f1", "f2", "f4", "f6", "f7", "f8", "f9", "f10"}):
            dict(history, f4=2, f6=3, f9=3, f10=3),
    }
    assert n_runcats(sky) == 2
    band2 = ["f7", "f8", "f9", "f10"]
    assert_flux(sky, sky.runcat_of("f1", "f2", "f3", "f5", *band2),
                {BAND1: ["f1", "f2", "f3", "f5"], BAND2: band2})
    assert_flux(sky, sky.runcat_of("f1", "f2", "f4", "f6", *band2),
                {BAND1: ["f1", "f2", "f4", "f6"], BAND2: band2})


def test_multiband_many_to_one(conn):
    """L1 at 9" west, L2 at 9" east, seen in both bands. At t3 and t4 the band-1 measurements
    f5, f6 lie at the centre and join both (r = 4.02, 3.47); in band 2 the lightcurves stay
    apart (f11 is 16.2" from L2: r = 7.39). Seed: L1 mean(f1, f3, f5, f6) and
    mean(f7, f9, f11, f13); L2 mean(f2, f4, f5, f6) and mean(f8, f10, f12, f14)."""
    sky = new_sky(conn)
    a, b, mid = (-9, 0), (9, 0), (0, 0)
    observe(sky, 0, BAND1, {"f1": a, "f2": b})
    observe(sky, 0, BAND2, {"f7": a, "f8": b})
    observe(sky, 1, BAND1, {"f3": a, "f4": b})
    observe(sky, 1, BAND2, {"f9": a, "f10": b})
    assert counts(observe(sky, 2, BAND1, {"f5": mid})) == outcome(many_to_one=1)
    assert counts(observe(sky, 2, BAND2, {"f11": a, "f12": b})) == outcome(one_to_one=2)
    assert counts(observe(sky, 3, BAND1, {"f6": mid})) == outcome(many_to_one=1)
    assert counts(observe(sky, 3, BAND2, {"f13": a, "f14": b})) == outcome(one_to_one=2)

    l1 = ["f1", "f3", "f5", "f6", "f7", "f9", "f11", "f13"]
    l2 = ["f2", "f4", "f5", "f6", "f8", "f10", "f12", "f14"]
    assert sky.lightcurves() == {frozenset(l1): dict({k: 3 for k in l1}, f1=4),
                                 frozenset(l2): dict({k: 3 for k in l2}, f2=4)}
    assert n_runcats(sky) == 2
    assert_flux(sky, sky.runcat_of(*l1), {BAND1: l1[:4], BAND2: l1[4:]})
    assert_flux(sky, sky.runcat_of(*l2), {BAND1: l2[:4], BAND2: l2[4:]})


def test_multiband_many_to_one_with_a_new_source(conn):
    """Seed case 'Multi-Band Many-to-One Association (2)'. Band 1 keeps L1 (9" west) and L2
    (9" east) apart throughout. In band 2, f13 at the centre joins both (r = 4.11) while f14,
    25" north (26.6" from L1: inside the 36" cone, but r = 11.9), matches neither and starts
    L3; at t4 f15 joins both again (r = 3.61) and f16 continues L3. Three lightcurves."""
    sky = new_sky(conn)
    a, b, mid, lone = (-9, 0), (9, 0), (0, 0), (0, 25)
    observe(sky, 0, BAND1, {"f1": a, "f2": b})
    observe(sky, 0, BAND2, {"f9": a, "f10": b})
    observe(sky, 1, BAND1, {"f3": a, "f4": b})
    observe(sky, 1, BAND2, {"f11": a, "f12": b})
    observe(sky, 2, BAND1, {"f5": a, "f6": b})
    result = observe(sky, 2, BAND2, {"f13": mid, "f14": lone})
    assert counts(result) == outcome(many_to_one=1, new_sources=1)
    assert result["candidates"] == 2
    observe(sky, 3, BAND1, {"f7": a, "f8": b})
    assert counts(observe(sky, 3, BAND2, {"f15": mid, "f16": lone})) == outcome(
        many_to_one=1, one_to_one=1)

    l1 = ["f1", "f3", "f5", "f7", "f9", "f11", "f13", "f15"]
    l2 = ["f2", "f4", "f6", "f8", "f10", "f12", "f13", "f15"]
    assert sky.lightcurves() == {frozenset(l1): dict({k: 3 for k in l1}, f1=4),
                                 frozenset(l2): dict({k: 3 for k in l2}, f2=4),
                                 frozenset({"f14", "f16"}): {"f14": 4, "f16": 3}}
    assert n_runcats(sky) == 3
    assert_flux(sky, sky.runcat_of(*l1), {BAND1: l1[:4], BAND2: l1[4:]})
    assert_flux(sky, sky.runcat_of(*l2), {BAND1: l2[:4], BAND2: l2[4:]})
    assert_flux(sky, sky.runcat_of("f14", "f16"), {BAND2: ["f14", "f16"]})


def test_cone_limits_a_match_the_de_ruiter_radius_would_allow(conn):
    """With large position errors (on-sky sigma 22.4") the De Ruiter radius would accept
    180"; the cone of beamwidths_limit * rb_smaj = 36" decides: 35" matches, 37" does not."""
    sky = LabelledSky(conn, description="cone", error_radius=10.0, sys_err=20.0)
    sky.observe(0, BAND1, {"a": (0, 0), "b": (0, 200)})
    sky.observe(1, BAND1, {"a2": (35, 0), "b2": (0, 237)})
    assert set(sky.lightcurves()) == {frozenset({"a", "a2"}), frozenset({"b"}), frozenset({"b2"})}
    # and beamwidths_limit scales the cone
    img = sky.add_image(2, BAND1)
    sky.load(img, {"b3": (*offset(123.0, 10.0, 0, 237), 1.0)})
    result = tkpdb.associate_extracted_sources(conn, img, beamwidths_limit=2.0)
    assert counts(result) == outcome(many_to_one=1)
    assert set(sky.lightcurves()) == {frozenset({"a", "a2"}), frozenset({"b", "b3"}),
                                      frozenset({"b2", "b3"})}


def test_a_fork_keeps_the_flux_statistics_of_every_band(conn):
    """L is seen in band 1 (Stokes I and Q) and band 2, then forked by a band-1 Stokes I image
    (f2 and f3 8" either side: r = 3.58 against L's 4 datapoints). Both children keep L's band-2
    and band-1 Stokes Q rows unchanged (TraP deleted them); their band-1 Stokes I rows are L's
    plus the new measurement. A later band-2 measurement then continues those statistics
    (3 datapoints, not 1) in both children."""
    sky = new_sky(conn)
    observe(sky, 0, BAND1, {"f1": (0, 0)})
    observe(sky, 0, BAND2, {"g1": (0, 0)})
    sky.observe(0, BAND1, {"q1": (0, 0.5, 0.25)}, stokes=2)
    observe(sky, 1, BAND2, {"g2": (0, 0)})
    parent = sky.runcat_of("f1", "g1", "q1", "g2")
    before = sky.flux(parent)
    assert set(before) == {(BAND1, 1), (BAND2, 1), (BAND1, 2)}
    assert counts(observe(sky, 2, BAND1, {"f2": (8, 0), "f3": (-8, 0)})) == outcome(one_to_many=1)

    history = ["f1", "g1", "q1", "g2"]
    children = [sky.runcat_of(*history, "f2"), sky.runcat_of(*history, "f3")]
    for child, new in zip(children, ("f2", "f3")):
        flux = sky.flux(child)
        assert set(flux) == set(before)
        assert flux[(BAND2, 1)] == before[(BAND2, 1)]        # exactly the parent's values
        assert flux[(BAND1, 2)] == before[(BAND1, 2)]
        assert_flux(sky, child, {BAND1: ["f1", new], BAND2: ["g1", "g2"]}, ((BAND1, 2),))

    assert counts(observe(sky, 3, BAND2, {"g3": (0, 0)})) == outcome(many_to_one=1)
    for child, new in zip(children, ("f2", "f3")):
        assert_flux(sky, child, {BAND1: ["f1", new], BAND2: ["g1", "g2", "g3"]}, ((BAND1, 2),))
        assert sky.flux(child)[(BAND1, 2)] == before[(BAND1, 2)]
