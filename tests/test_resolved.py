"""The resolved association mode (sql/25_resolved.sql) and flux division (sql/35_flux_division.sql).

The seed's case studies under the new mode with their expected lightcurves written out, the
optimality of the per-component assignment against a brute-force enumeration (hypothesis), and
order independence within an image. Measurements have on-sky 1-sigma uncertainties of 2 arcsec
per axis (as in test_case_studies.py); the beam of an image is rb_smaj 0.01 deg unless a test
changes it (FWHM 2 rb_smaj = 72 arcsec).
"""

from __future__ import annotations

import itertools
import random
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tkpdb
from tests.sky import LabelledSky, image, query, source
from tests.test_order import an_image, canonical
from tests.scenarios import offset

ERRORS = dict(error_radius=1.2, sys_err=1.6)   # arcsec: on-sky sigma 2 arcsec per axis
BAND1, BAND2 = 150e6, 300e6
LOW = dict(rb_smaj=0.01, rb_smin=0.008)        # FWHM 72": blends a pair 36" apart
HIGH = dict(rb_smaj=0.004, rb_smin=0.003)      # FWHM 28.8": resolves it


def new_sky(conn, mode: str = "resolved") -> LabelledSky:
    return LabelledSky(conn, ra0=123.0, decl0=10.0, description=f"{mode} case", mode=mode, **ERRORS)


def links(sky: LabelledSky) -> dict[str, dict[str, tuple[int, float]]]:
    """Every lightcurve, named by its first measurement's label: {label: (type, flux_fraction)}."""
    rows = query(sky.conn, """
        SELECT a.runcat, a.xtrsrc, a.type, a.flux_fraction FROM assocxtrsource a
        JOIN runningcatalog rc ON rc.id = a.runcat WHERE rc.dataset = %s""", (sky.dataset,))
    out: dict[int, dict[str, tuple[int, float]]] = {}
    for runcat, xtrsrc, kind, fraction in rows:
        out.setdefault(runcat, {})[sky.labels[xtrsrc]] = (kind, round(fraction, 12))
    return {min(lc): lc for lc in out.values()}


def stats(sky: LabelledSky) -> tuple:
    """(measurements made, counted, allotted, over-counting fraction, transient candidates)."""
    return query(sky.conn, """
        SELECT measurements_made, measurements_counted, measurements_allotted,
               overcounting_fraction, transient_candidates
        FROM dataset_statistics WHERE dataset = %s""", (sky.dataset,))[0]


# ------------------------------------------------------------------------------------------
# Case studies


def resolution_change(conn, mode: str) -> LabelledSky:
    """A 3 Jy source L at 150 MHz (beam FWHM 72") is two sources A (1 Jy, 18" west) and B
    (2 Jy, 18" east) at 300 MHz (FWHM 28.8"): the pair is blended, then resolved, three epochs.
    A and B lie 18" from L's position, r = 6.4 against it: beyond the De Ruiter radius."""
    sky = new_sky(conn, mode)
    for epoch in range(3):
        sky.observe(2 * epoch, BAND1, {f"L{epoch}": (0, 0, 3.0)}, **LOW)
        sky.observe(2 * epoch + 1, BAND2, {f"A{epoch}": (-18, 0, 1.0), f"B{epoch}": (18, 0, 2.0)},
                    **HIGH)
    return sky


def test_a_resolution_change_forks_with_divided_flux(conn):
    """The 300 MHz image resolves L (its beam is smaller than L's, A and B are 36" apart:
    between the two FWHMs, within L's old beam): L forks into A and B, whose histories hold
    L0 in the shares of their fluxes (1/3, 2/3). Each later 150 MHz blend is appended to both
    (its beam is larger than theirs, they are closer than its FWHM, 1 + 2 = 3 Jy) with the same
    shares: two lightcurves, each with its own flux history, and no flux counted twice."""
    sky = resolution_change(conn, "resolved")
    third, two_thirds = round(1 / 3, 12), round(2 / 3, 12)
    assert links(sky) == {
        "A0": {"L0": (6, third), "A0": (2, 1.0), "L1": (3, third), "A1": (3, 1.0),
               "L2": (3, third), "A2": (3, 1.0)},
        "B0": {"L0": (6, two_thirds), "B0": (2, 1.0), "L1": (3, two_thirds), "B1": (3, 1.0),
               "L2": (3, two_thirds), "B2": (3, 1.0)},
    }
    assert [r["one_to_many"] for r in sky.results] == [0, 1, 0, 0, 0, 0]
    assert [r["many_to_one"] for r in sky.results] == [0, 0, 1, 0, 1, 0]
    made, counted, allotted, overcounting, candidates = stats(sky)
    assert (made, counted, allotted, candidates) == (9, 12, 9.0, 0)
    assert overcounting == pytest.approx(0.0, abs=1e-12)
    # each band's mean is the source's own: A 1 Jy and B 2 Jy at both frequencies
    for label, flux in (("A0", 1.0), ("B0", 2.0)):
        means = sky.flux(sky.runcat_of(*links(sky)[label]))
        assert {freq: round(values["avg_f_int"], 9) for (freq, _), values in means.items()} == \
            {BAND1: flux, BAND2: flux}


def test_the_trap_mode_keeps_a_blend_and_its_components_apart(conn):
    """The same sky in the TraP mode: A and B are beyond L's De Ruiter radius, so they start
    lightcurves of their own and L stays a third one (the pair's history is split by band)."""
    sky = resolution_change(conn, "trap")
    assert {frozenset(lc) for lc in links(sky).values()} == {
        frozenset({"L0", "L1", "L2"}), frozenset({"A0", "A1", "A2"}), frozenset({"B0", "B1", "B2"})}


def test_a_one_to_many_from_positional_noise_does_not_fork(conn):
    """R (1 Jy) at the centre; the next image, of the same beam, has R again 3" east and a new
    3 Jy source 9" east, both De Ruiter candidates of R (TraP forks R). The resolved mode links
    the better one (the nearer, with R's flux) and starts a lightcurve for the other."""
    sky = new_sky(conn)
    sky.observe(0, BAND1, {"r0": (0, 0, 1.0)})
    result = sky.observe(1, BAND1, {"r1": (3, 0, 1.0), "n1": (9, 0, 3.0)})
    assert (result["one_to_many"], result["one_to_one"], result["new_sources"]) == (0, 1, 1)
    assert {frozenset(lc) for lc in links(sky).values()} == {frozenset({"r0", "r1"}), frozenset({"n1"})}
    trap = new_sky(conn, "trap")
    trap.observe(0, BAND1, {"r0": (0, 0, 1.0)})
    assert trap.observe(1, BAND1, {"r1": (3, 0, 1.0), "n1": (9, 0, 3.0)})["one_to_many"] == 1


def test_many_to_many_resolves_to_a_one_to_one_assignment(conn):
    """A (0") and B (8" east); then a at 3" and b at 3.9" east are both nearer A: TraP links
    both to A (A forks) and leaves B without a datapoint. The optimal assignment is a->A,
    b->B (3^2 + 4.1^2 < 3.9^2 + 5^2, in units of the uncertainty)."""
    sky = new_sky(conn)
    sky.observe(0, BAND1, {"a0": (0, 0, 1.0), "b0": (8, 0, 1.0)})
    result = sky.observe(1, BAND1, {"a1": (3, 0, 1.0), "b1": (3.9, 0, 1.0)})
    assert (result["one_to_one"], result["one_to_many"], result["new_sources"]) == (2, 0, 0)
    assert {frozenset(lc) for lc in links(sky).values()} == {frozenset({"a0", "a1"}),
                                                             frozenset({"b0", "b1"})}
    trap = new_sky(conn, "trap")
    trap.observe(0, BAND1, {"a0": (0, 0, 1.0), "b0": (8, 0, 1.0)})
    assert trap.observe(1, BAND1, {"a1": (3, 0, 1.0), "b1": (3.9, 0, 1.0)})["one_to_many"] == 1


def test_flux_breaks_a_positional_near_tie(conn):
    """Two runcats 4" apart, 0.1 and 1 Jy; the next image measures them swapped in position
    (each 0.2" nearer the other's place) but with their own fluxes: the flux term of the cost
    keeps each lightcurve on its source."""
    sky = new_sky(conn)
    sky.observe(0, BAND1, {"faint0": (0, 0, 0.1), "bright0": (4, 0, 1.0)})
    sky.observe(1, BAND1, {"faint1": (2.2, 0, 0.1), "bright1": (1.8, 0, 1.0)})
    assert {frozenset(lc) for lc in links(sky).values()} == {
        frozenset({"faint0", "faint1"}), frozenset({"bright0", "bright1"})}


@pytest.mark.parametrize("order", [["s", "n"], ["n", "s"]])
def test_the_rhombus_tie_is_deterministic(conn, order):
    """Runcats W (5" west) and E (5" east), extractions S (5" south) and N (5" north), equal
    fluxes: both assignments cost the same. The tie goes to the smallest vector of runcat ranks
    with extractions and runcats ranked by (declination, RA): S->W, N->E, whatever the order
    of insertion."""
    sky = new_sky(conn)
    sky.observe(0, BAND1, {"w": (-5, 0), "e": (5, 0)})
    sky.observe(1, BAND1, {"s": (0, -5), "n": (0, 5)}, order=order)
    assert {frozenset(lc) for lc in links(sky).values()} == {frozenset({"w", "s"}),
                                                             frozenset({"e", "n"})}


def test_flux_division_in_the_trap_mode(conn):
    """Flux division is its own choice: the TraP mode's many-to-one (an extraction between two
    runcats, the many-to-one case of the seed) with flux_division 'equal' shares it 1/2 and
    1/2, and with 'flux' by the runcats' mean fluxes (1 and 3 Jy: 1/4 and 3/4)."""
    for division, shares in (("equal", (0.5, 0.5)), ("flux", (0.25, 0.75))):
        sky = new_sky(conn, "trap")
        sky.observe(0, BAND1, {"a0": (-5, 0, 1.0), "b0": (5, 0, 3.0)})
        img = sky.add_image(1, BAND1)
        sky.load(img, {"m": (*offset(sky.ra0, sky.decl0, 0, 0), 4.0)})
        result = tkpdb.associate_extracted_sources(conn, img, flux_division=division)
        assert result["many_to_one"] == 1
        lcs = links(sky)
        assert (lcs["a0"]["m"][1], lcs["b0"]["m"][1]) == shares
        assert stats(sky)[3] == pytest.approx(0.0, abs=1e-12)
        assert query(conn, "SELECT mode, flux_division FROM association_log WHERE image = %s",
                     (img,)) == [("trap", division)]


def test_the_mode_and_division_are_checked(conn):
    sky = new_sky(conn)
    img = sky.add_image(0, BAND1)
    sky.load(img, {"x": (*offset(sky.ra0, sky.decl0, 0, 0), 1.0)})
    with pytest.raises(ValueError, match="mode must be one of trap, resolved"):
        tkpdb.associate_extracted_sources(conn, img, mode="greedy")
    with pytest.raises(ValueError, match="flux_division must be one of"):
        tkpdb.associate_extracted_sources(conn, img, flux_division="half")
    with conn.cursor() as cur, pytest.raises(Exception, match="mode must be 'trap' or 'resolved'"):
        cur.execute("SELECT * FROM associate_image(%s, mode => 'greedy')", (img,))
    conn.rollback()
    tkpdb.associate_extracted_sources(conn, img, mode="resolved")
    assert query(conn, "SELECT mode, flux_division FROM association_log WHERE image = %s",
                 (img,)) == [("resolved", "flux")]


# ------------------------------------------------------------------------------------------
# The per-component assignment against brute force


def brute_force(pairs: list[tuple[int, int, int]]) -> tuple[int, int, tuple[int, ...]]:
    """The best assignment of a component given as (extraction rank, runcat rank, cost):
    (links, total cost, runcat rank per extraction, 0 = none), most links, then least cost,
    then the smallest vector."""
    nx = max(k for k, _, _ in pairs)
    options = {k: [(0, 0)] + [(r, c) for kk, r, c in pairs if kk == k] for k in range(1, nx + 1)}
    best = None
    for choice in itertools.product(*options.values()):
        used = [r for r, _ in choice if r]
        if len(used) != len(set(used)):
            continue
        key = (-len(used), sum(c for _, c in choice), tuple(r for r, _ in choice))
        best = key if best is None or key < best else best
    return -best[0], best[1], best[2]


components = st.integers(1, 4).flatmap(lambda nx: st.integers(1, 4).flatmap(
    lambda nr: st.lists(st.tuples(st.integers(1, nx), st.integers(1, nr), st.integers(0, 30)),
                        min_size=1, max_size=nx * nr, unique_by=lambda p: (p[0], p[1]))))


def renumber(pairs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Ranks 1..n without gaps (as dense_rank gives them)."""
    xs = {k: i + 1 for i, k in enumerate(sorted({k for k, _, _ in pairs}))}
    rs = {r: i + 1 for i, r in enumerate(sorted({r for _, r, _ in pairs}))}
    return [(xs[k], rs[r], c) for k, r, c in pairs]


def solve_in_sql(conn, comps: list[list[tuple[int, int, int]]], limit: int
                 ) -> list[tuple[int, ...]]:
    """Run resolve_enumerate (limit: enumeration) or assignment_hungarian (limit 0) on the
    components; return each one's runcat rank per extraction."""
    with conn.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE assoc_component (row_id tid, comp bigint, runcat integer, "
                    "xtrsrc bigint, k bigint, rrank bigint, cost bigint) ON COMMIT DROP")
        rows = [(f"(0,{i + 1})", c, k, r, cost)
                for c, pairs in enumerate(comps) for i, (k, r, cost) in
                enumerate(pairs, start=100 * c)]
        cur.executemany("INSERT INTO assoc_component VALUES (%s::tid, %s, 0, 0, %s, %s, %s)", rows)
        out = []
        for c, pairs in enumerate(comps):
            nx = max(k for k, _, _ in pairs)
            if limit:
                cur.execute("""
                    SELECT a.k, a.rrank FROM resolve_enumerate(%s) e
                    JOIN assoc_component a ON a.row_id = e.row_id WHERE a.comp = %s""", (limit, c))
                chosen = dict(cur.fetchall())
                out.append(tuple(chosen.get(k, 0) for k in range(1, nx + 1)))
            else:
                cur.execute("SELECT assignment_hungarian(%s, %s, %s)",
                            ([k for k, _, _ in pairs], [r for _, r, _ in pairs],
                             [cost for _, _, cost in pairs]))
                out.append(tuple(cur.fetchone()[0]))
    conn.rollback()
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(comps=st.lists(components.map(renumber), min_size=1, max_size=5))
def test_the_assignment_is_optimal(conn, comps):
    """Enumeration gives exactly the brute-force answer (ties included); the Hungarian method
    gives an assignment with the same number of links and the same total cost."""
    costs = {c: {(k, r): cost for k, r, cost in pairs} for c, pairs in enumerate(comps)}
    expected = [brute_force(pairs) for pairs in comps]
    assert solve_in_sql(conn, comps, limit=10 ** 6) == [choice for _, _, choice in expected]
    for c, choice in enumerate(solve_in_sql(conn, comps, limit=0)):
        used = [r for r in choice if r]
        assert len(used) == len(set(used))
        assert all(r == 0 or (k, r) in costs[c] for k, r in enumerate(choice, start=1))
        total = sum(costs[c][(k, r)] for k, r in enumerate(choice, start=1) if r)
        assert (len(used), total) == expected[c][:2]


def test_a_large_component_goes_to_the_hungarian_method(conn):
    """A crowded cluster: 7 runcats on a 4" grid, each seen again 1.5" north-east. With the
    enumeration limit lowered to 1 the Hungarian method solves it: the same lightcurves as by
    enumeration."""
    grid = [(4.0 * i, 4.0 * (i % 2)) for i in range(7)]
    results = []
    for limit in ("4096", "1"):
        sky = new_sky(conn)
        sky.observe(0, BAND1, {f"p{i}": (e, n, 1.0 + i) for i, (e, n) in enumerate(grid)})
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('tkpdb.resolve_enumeration_limit', %s, false)", (limit,))
        sky.observe(1, BAND1, {f"q{i}": (e + 1.5, n + 1.5, 1.0 + i) for i, (e, n) in enumerate(grid)})
        with conn.cursor() as cur:
            cur.execute("RESET tkpdb.resolve_enumeration_limit")
        conn.commit()
        results.append({frozenset(lc) for lc in links(sky).values()})
    assert results[0] == results[1] == {frozenset({f"p{i}", f"q{i}"}) for i in range(7)}


# ------------------------------------------------------------------------------------------
# Order independence


def run_resolved(conn, images, orders):
    """As tests/test_order.py's run, in the resolved mode (no reference model: it is TraP's)."""
    dataset = tkpdb.insert_dataset(conn, "resolved order")
    keys, results = {}, []
    centre = (210.0, -30.0)
    for step, ((points, freq), order) in enumerate(zip(images, orders)):
        rows = [source(*offset(*centre, *points[k]), flux=1.0 + k + 0.1 * step, **ERRORS)
                for k in order]
        img = image(conn, dataset, step, freq_eff=freq, centre_ra=centre[0], centre_decl=centre[1])
        ids = tkpdb.insert_extracted_sources(conn, img, rows)
        result = tkpdb.associate_extracted_sources(conn, img, mode="resolved")
        results.append({k: v for k, v in result.items() if k != "stage_ms"})
        keys.update({xtrsrc: (step, k) for xtrsrc, k in zip(ids, order)})
    return SimpleNamespace(conn=conn, dataset=dataset), keys, results


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(images=st.lists(an_image, min_size=2, max_size=4), data=st.data())
def test_the_resolved_mode_does_not_depend_on_insertion_order(conn, images, data):
    identity = [list(range(len(points))) for points, _ in images]
    shuffled = [data.draw(st.permutations(order), label=f"order of image {k}")
                for k, order in enumerate(identity)]
    first, first_keys, first_results = run_resolved(conn, images, identity)
    second, second_keys, second_results = run_resolved(conn, images, shuffled)
    assert first_results == second_results
    assert canonical(first, first_keys) == canonical(second, second_keys)


def test_no_extraction_or_runcat_is_linked_twice_without_evidence(conn):
    """On a crowded random sky of one beam (no fork or blend can have evidence) every image's
    resolution links each extraction to at most one runcat and each runcat to at most one
    extraction."""
    rng = random.Random(7)
    sky = new_sky(conn)
    points = [(rng.uniform(-40, 40), rng.uniform(-40, 40)) for _ in range(25)]
    for step in range(4):
        sky.observe(step, BAND1, {f"s{i}e{step}": (e + rng.gauss(0, 2), n + rng.gauss(0, 2), 1.0)
                                  for i, (e, n) in enumerate(points)})
    assert sum(r["one_to_many"] + r["many_to_one"] for r in sky.results) == 0
    per_image = query(conn, """
        SELECT x.image, a.runcat, count(*) FROM assocxtrsource a JOIN extractedsource x ON x.id = a.xtrsrc
        JOIN runningcatalog rc ON rc.id = a.runcat WHERE rc.dataset = %s
        GROUP BY x.image, a.runcat HAVING count(*) > 1""", (sky.dataset,))
    assert per_image == []
