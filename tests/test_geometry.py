"""Geometry where TraP failed: exact ties, RA wrap-around and the poles.

* Ties never crash. An exactly symmetric many-to-many (two runcats, two extractions, all four
  De Ruiter radii equal; TraP raised an IntegrityError) gives the result documented in
  sql/20_many_to_many.sql: ties break by r, then separation, then the smaller wm_decl, then the
  smaller wm_ra, so both extractions join the runcat further south (or, at equal
  declinations, the one with the smaller RA), which forks; the other runcat is untouched.
* RA wrap-around: offsets, De Ruiter radii and weighted means are computed in the tangent
  plane of the runcat, so measurements at RA 359.9999 and 0.0001 make one lightcurve whose
  mean lies near RA 0 (never 180), wherever the image is centred; wm_ra is always in [0, 360).
* Poles: a field at the pole, with sources over all RA, associates as anywhere else, with no
  special case for images centred at RA 180 (TraP's cross-meridian switch missed pairs there).

Every multi-source sky below is also replayed by tests.sky.ReferenceAssociation, and the
engine's lightcurves, positions (within 1 micro-arcsec), r and distances must equal it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tkpdb
from tests.sky import (LabelledSky, Survey, offset, query, separation_arcsec, source,
                       tangent_offsets)

BAND1 = 150e6
ERRORS = dict(error_radius=1.2, sys_err=1.6)   # on-sky sigma 2 arcsec per axis
STEP = 2.0 ** -11                             # deg (1.76 arcsec): exact in binary


def candidate_pairs(conn, img: int) -> list[tuple[int, int, float, float]]:
    """Stage 1 alone, rolled back: the image's (runcat, xtrsrc, r, distance_arcsec) pairs (a
    stage runs only under its dataset's lock: 07_stage_guards.sql)."""
    with conn.cursor() as cur:
        cur.execute("SELECT dataset_lock(dataset) FROM image WHERE id = %s", (img,))
        cur.execute("SELECT assoc_candidates(%s, 5.68, 1.0)", (img,))
        cur.execute("SELECT runcat, xtrsrc, r, distance_arcsec FROM temprunningcatalog "
                    "WHERE image = %s ORDER BY runcat, xtrsrc", (img,))
        rows = cur.fetchall()
    conn.rollback()
    return rows


def rhombus(conn, runcats: dict[str, tuple[float, float]],
            extractions: dict[str, tuple[float, float]],
            runcat_order: list[str], extraction_order: list[str]) -> LabelledSky:
    """Runcats from one image, then the extractions in a second; positions in degrees."""
    sky = LabelledSky(conn, ra0=10.0, decl0=0.0, description="rhombus", **ERRORS)
    sky.observe_at(0, BAND1, runcats, order=runcat_order)
    img = sky.add_image(1, BAND1)
    sky.load(img, extractions, order=extraction_order)
    pairs = candidate_pairs(conn, img)
    assert len(pairs) == 4
    assert len({r for _, _, r, _ in pairs}) == 1, f"the four De Ruiter radii differ: {pairs}"
    # pgSphere's separations may differ in the last bits (1e-12 arcsec): equal to 1 micro-arcsec
    distances = [d for _, _, _, d in pairs]
    assert max(distances) - min(distances) < 1e-6
    sky.results.append(tkpdb.associate_extracted_sources(conn, img))
    return sky


@pytest.mark.parametrize("runcat_order", [["south", "north"], ["north", "south"]])
@pytest.mark.parametrize("extraction_order", [["west", "east"], ["east", "west"]])
def test_symmetric_rhombus_joins_the_southern_runcat(conn, runcat_order, extraction_order):
    """Runcats 2 STEP apart north-south, extractions 2 STEP apart east-west, on the equator
    (exactly symmetric in floating point). Whatever the ids, both extractions join 'south'."""
    d = STEP
    sky = rhombus(conn, {"south": (10.0, -d), "north": (10.0, d)},
                  {"west": (10.0 - d, 0.0), "east": (10.0 + d, 0.0)},
                  runcat_order, extraction_order)
    result = sky.results[-1]
    assert (result["many_to_many_pruned"], result["one_to_many"], result["one_to_one"],
            result["new_sources"]) == (2, 1, 0, 0)
    assert sky.lightcurves() == {frozenset({"south", "west"}): {"south": 6, "west": 2},
                                 frozenset({"south", "east"}): {"south": 6, "east": 2},
                                 frozenset({"north"}): {"north": 4}}
    north = sky.runcat(sky.runcat_of("north"))
    assert (north["datapoints"], north["wm_ra"], north["wm_decl"]) == (1, 10.0, d)


def test_symmetric_rhombus_at_equal_declinations_joins_the_smaller_ra(conn):
    d = STEP
    sky = rhombus(conn, {"west": (10.0 - d, 0.0), "east": (10.0 + d, 0.0)},
                  {"south": (10.0, -d), "north": (10.0, d)}, ["east", "west"], ["north", "south"])
    assert set(sky.lightcurves()) == {frozenset({"west", "south"}), frozenset({"west", "north"}),
                                      frozenset({"east"})}


def test_a_tie_broken_south_can_leave_two_one_to_one_links(conn):
    """x lies exactly halfway between runcats A (south) and B (north); y is nearer B. Both
    extractions match both runcats (many-to-many). x's tie goes to A (smaller wm_decl), y keeps
    B (smaller r): two one-to-one links, no fork."""
    d = STEP
    sky = LabelledSky(conn, ra0=10.0, decl0=0.0, description="tie", **ERRORS)
    sky.observe_at(0, BAND1, {"A": (10.0, -d), "B": (10.0, d)})
    img = sky.add_image(1, BAND1)
    sky.load(img, {"x": (10.0, 0.0), "y": (10.0, 3 * d)})
    pairs = {(sky.labels[x], r) for _, x, r, _ in candidate_pairs(conn, img)}
    assert len(pairs) == 3 and len({r for label, r in pairs if label == "x"}) == 1
    result = tkpdb.associate_extracted_sources(conn, img)
    assert (result["many_to_many_pruned"], result["one_to_many"], result["one_to_one"]) == (2, 0, 2)
    assert sky.lightcurves() == {frozenset({"A", "x"}): {"A": 4, "x": 3},
                                 frozenset({"B", "y"}): {"B": 4, "y": 3}}


@pytest.mark.parametrize("decl", [45.0, -60.0, 89.99])
@pytest.mark.parametrize("angle", [0.0, 30.0, 45.0])
def test_a_rhombus_anywhere_joins_the_southern_runcat(conn, decl, angle):
    """A rhombus rotated by ``angle`` at ``decl``: symmetric on the sphere, but its radii differ
    in the last bits. They still count as a tie (r to 1e-9, separation to 1 micro-arcsec), so
    the documented rule decides, whatever the order of the runcats' or extractions' ids:
    both extractions join the southern runcat 's'."""
    def corner(k: int) -> tuple[float, float]:
        pa = math.radians(angle) + k * math.pi / 2
        return offset(50.0, decl, 2.0 * math.sin(pa), 2.0 * math.cos(pa))

    points = {name: corner(k) for k, name in enumerate(("n", "e", "s", "w"))}
    for runcat_order, extraction_order in ((["n", "s"], ["e", "w"]), (["s", "n"], ["w", "e"])):
        sky = LabelledSky(conn, ra0=50.0, decl0=decl, description="rhombus", **ERRORS)
        sky.observe_at(0, BAND1, {k: points[k] for k in ("n", "s")}, order=runcat_order)
        result = sky.observe_at(1, BAND1, {k: points[k] for k in ("e", "w")},
                                order=extraction_order)
        assert (result["many_to_many_pruned"], result["one_to_many"]) == (2, 1)
        assert set(sky.lightcurves()) == {frozenset({"s", "e"}), frozenset({"s", "w"}),
                                          frozenset({"n"})}


# --- RA wrap-around -------------------------------------------------------------------------

def wrap_rows(decl: float) -> list[tuple[float, float]]:
    """Measurements alternating across RA 0 within 0.5 arcsec of (0, decl)."""
    k = 1.0 / math.cos(math.radians(decl))
    return [((360.0 - 1e-4 * k) % 360.0, decl),
            (1e-4 * k, decl),
            ((360.0 - 0.5e-4 * k) % 360.0, decl + 0.2 / 3600),
            (0.5e-4 * k, decl - 0.2 / 3600),
            (0.0, decl),
            ((360.0 - 1.2e-4 * k) % 360.0, decl + 0.1 / 3600)]


@pytest.mark.parametrize("decl", [0.0, 45.0, -70.0])
@pytest.mark.parametrize("centre_ra", [0.0, 180.0, 359.9, 90.0, 270.0])
def test_measurements_across_ra_zero_make_one_lightcurve_near_zero(conn, centre_ra, decl):
    survey = Survey(conn, "wrap")
    rows = wrap_rows(decl)
    for step, (ra, dec) in enumerate(rows):
        survey.observe(step, [source(ra, dec, flux=1.0 + step, **ERRORS)],
                       centre_ra=centre_ra, centre_decl=decl, xtr_radius=1.0)
    runcats = survey.check()
    assert len(runcats) == 1
    (rc,) = runcats.values()
    assert rc["datapoints"] == len(rows)
    assert 0.0 <= rc["wm_ra"] < 360.0
    # near 0 (the measurements' weighted mean), never near 180
    assert separation_arcsec(rc["wm_ra"], rc["wm_decl"], 0.0, decl) < 0.5
    xi = [tangent_offsets(0.0, decl, ra, dec) for ra, dec in rows]
    mean = offset(0.0, decl, 3600 * np.mean([x for x, _ in xi]), 3600 * np.mean([e for _, e in xi]))
    assert separation_arcsec(rc["wm_ra"], rc["wm_decl"], *mean) < 1e-3   # 1 mas
    assert rc["avg_wra"] == pytest.approx(rc["avg_weight_ra"] * rc["wm_ra"], rel=1e-12)
    # every link was within 1 arcsec of the runcat before it
    assert all(link["distance"] < 1.0 and link["r"] < 0.5 for link in rc["links"].values())


def test_a_fork_and_a_many_to_one_across_ra_zero(conn):
    """A runcat at RA 0 forks into two children 8 arcsec either side of RA 0 (one at RA ~359.998,
    one at ~0.002); then a measurement at RA 0 joins both (many-to-one across the wrap)."""
    survey = Survey(conn, "wrap fork")
    east = 8.0 / 3600.0
    survey.observe(0, [source(0.0, 0.0, **ERRORS)], centre_ra=0.0, centre_decl=0.0)
    survey.observe(1, [source(0.0, 0.0, **ERRORS)], centre_ra=0.0, centre_decl=0.0)
    survey.observe(2, [source(360.0 - east, 0.0, **ERRORS), source(east, 0.0, **ERRORS)],
                   centre_ra=359.9, centre_decl=0.0)
    survey.observe(3, [source(0.0, 0.0, **ERRORS)], centre_ra=180.0, centre_decl=0.0)
    assert [(r["one_to_many"], r["many_to_one"]) for r in survey.results] == [
        (0, 0), (0, 0), (1, 0), (0, 1)]
    runcats = survey.check()
    ras = sorted(rc["wm_ra"] for rc in runcats.values())
    assert len(ras) == 2
    assert 0.0 < ras[0] < 0.001 and 359.999 < ras[1] < 360.0


def test_the_weighted_mean_of_a_tight_pair_across_ra_zero(conn):
    """359.9999 and 0.0001 with equal weights average to RA 0 within rounding."""
    sky = LabelledSky(conn, ra0=0.0, decl0=0.0, description="pair", **ERRORS)
    sky.observe_at(0, BAND1, {"a": (359.9999, 0.0)}, centre_ra=0.0)
    sky.observe_at(1, BAND1, {"b": (0.0001, 0.0)}, centre_ra=180.0)
    rc = sky.runcat(sky.runcat_of("a", "b"))
    assert 0.0 <= rc["wm_ra"] < 360.0
    assert min(rc["wm_ra"], 360.0 - rc["wm_ra"]) < 1e-9 and abs(rc["wm_decl"]) < 1e-12


# --- Poles ----------------------------------------------------------------------------------

def polar_sky(pole: float) -> list[tuple[float, float]]:
    """True positions around a pole (sign of ``pole``): rings over all RA, a pair straddling
    RA 0, and sources within 20 arcsec of the pole."""
    s = 1.0 if pole > 0 else -1.0
    out = [(ra, s * 89.9) for ra in range(0, 360, 30)]            # 6' from the pole, 33" apart
    out += [(ra + 15.0, s * 89.5) for ra in range(0, 360, 30)]     # 30' from the pole
    out += [(359.9, s * 89.8), (0.1, s * 89.8)]                    # 25" apart across RA 0
    out += [(ra, s * (90.0 - 15.0 / 3600)) for ra in (0.0, 120.0, 240.0)]  # 15" from the pole
    return out


@pytest.mark.parametrize("centre_ra", [0.0, 180.0, 359.9])
@pytest.mark.parametrize("pole", [90.0, -89.99])
def test_a_field_at_the_pole(conn, centre_ra, pole):
    """Each true source is measured in 4 images with 0.7 arcsec of scatter: every source gives
    one lightcurve of 4 measurements, exactly as the reference replay says, for fields
    centred at the pole (or 36" from it) at RA 0, 180 and 359.9."""
    rng = np.random.default_rng(7)
    truth = polar_sky(pole)
    survey = Survey(conn, "pole")
    members: list[list[int]] = [[] for _ in truth]
    for step in range(4):
        rows = []
        for ra, decl in truth:
            east, north = rng.normal(0.0, 0.5, 2)
            rows.append(source(*offset(ra, decl, east, north), flux=1.0 + step, **ERRORS))
        ids = survey.observe(step, rows, centre_ra=centre_ra, centre_decl=pole, xtr_radius=2.0)
        for k, xtrsrc in enumerate(ids):
            members[k].append(xtrsrc)
    runcats = survey.check()
    assert set(runcats) == {frozenset(m) for m in members}
    for k, (ra, decl) in enumerate(truth):
        rc = runcats[frozenset(members[k])]
        assert 0.0 <= rc["wm_ra"] < 360.0 and abs(rc["wm_decl"]) <= 90.0
        assert separation_arcsec(rc["wm_ra"], rc["wm_decl"], ra, decl) < 1.5


@pytest.mark.parametrize("centre_ra", [0.0, 180.0])
def test_a_source_at_the_pole_measured_at_every_ra(conn, centre_ra):
    """A source within 0.5 arcsec of the north pole is measured at RA 0, 137, 274, 51, 188 and
    325 (and once exactly at the pole): one lightcurve, its mean within 0.5 arcsec of the pole."""
    survey = Survey(conn, "at the pole")
    rows = [(ra, 90.0 - 0.4 / 3600) for ra in (0.0, 137.0, 274.0, 51.0, 188.0, 325.0)]
    rows.append((0.0, 90.0))
    for step, (ra, decl) in enumerate(rows):
        survey.observe(step, [source(ra, decl, **ERRORS)], centre_ra=centre_ra, centre_decl=90.0)
    runcats = survey.check()
    (rc,) = runcats.values()
    assert rc["datapoints"] == len(rows)
    assert separation_arcsec(rc["wm_ra"], rc["wm_decl"], 0.0, 90.0) < 0.5
    assert query(conn, "SELECT count(*) FROM runningcatalog") == [(1,)]


@pytest.mark.parametrize("mas", [0.5, 2.0, 5.0])
def test_a_position_milliarcseconds_from_the_pole_does_not_move(conn, mas):
    """Measurements repeated exactly at ``mas`` milli-arcsec from the pole keep the weighted
    mean there (to a micro-arcsecond): the tangent-plane shift keeps full precision at the pole
    (an arcsine there would snap it onto the pole)."""
    decl = 90.0 - mas / 3.6e6
    sky = LabelledSky(conn, ra0=0.0, decl0=90.0, description="pole", **ERRORS)
    for step in range(3):
        sky.observe_at(step, BAND1, {f"f{step}": (30.0, decl)}, centre_decl=90.0)
    rc = sky.runcat(sky.runcat_of("f0", "f1", "f2"))
    assert separation_arcsec(rc["wm_ra"], rc["wm_decl"], 30.0, decl) < 1e-6
