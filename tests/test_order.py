"""Association does not depend on the order in which an image's extractions were inserted;
across the images of one timestep the rule is explicit: frequency order.

Within an image: for any small crowded sky (positions on a 3-arcsec lattice, on-sky sigma
2 arcsec, so one-to-one, one-to-many, many-to-one and many-to-many associations all occur),
inserting each image's extractions in a shuffled order changes nothing but ids: the same
lightcurves (as sets of (image, position) keys), with the same assoc types, the same
positions and aggregates, the same flux statistics and the same r and distance_arcsec, bit for
bit. Both runs also equal the reference replay (tests.sky.ReferenceAssociation).

Across images: the images of one timestep are associated one after the other in increasing
frequency (TraP's rule, README "Order independence"). An image of a higher band is matched
against the running catalogue already updated by the lower bands of its timestep. What
decides is the order of association, not the order in which the images were registered.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tkpdb
from tests.sky import (FLUX_MEANS, POSITION_COLUMNS, LabelledSky, Survey, engine_runcats, offset,
                       query, source)

ERRORS = dict(error_radius=1.2, sys_err=1.6)   # on-sky sigma 2 arcsec per axis
BAND1, BAND2 = 150e6, 160e6
CENTRE = (210.0, -30.0)

lattice = st.tuples(st.integers(-4, 4), st.integers(-4, 4)).map(
    lambda p: (3.0 * p[0], 3.0 * p[1]))
an_image = st.tuples(st.lists(lattice, min_size=1, max_size=7, unique=True),
                     st.sampled_from([BAND1, BAND2]))


def run(conn, images: list[tuple[list[tuple[float, float]], float]],
        orders: list[list[int]]) -> tuple[Survey, dict[int, tuple[int, int]]]:
    """Associate ``images`` (offsets in arcsec, band), each inserted in its ``order``; return the
    survey and the key (image number, position number) of every extraction id."""
    survey = Survey(conn, "order")
    keys: dict[int, tuple[int, int]] = {}
    for step, ((points, freq), order) in enumerate(zip(images, orders)):
        rows = [source(*offset(*CENTRE, *points[k]), flux=1.0 + k + 0.1 * step, **ERRORS)
                for k in order]
        ids = survey.observe(step, rows, freq_eff=freq, centre_ra=CENTRE[0],
                             centre_decl=CENTRE[1])
        keys.update({xtrsrc: (step, k) for xtrsrc, k in zip(ids, order)})
    return survey, keys


def canonical(survey: Survey, keys: dict[int, tuple[int, int]]) -> set[tuple]:
    """Everything about the dataset's lightcurves except ids."""
    out = set()
    for rc in engine_runcats(survey.conn, survey.dataset).values():
        links = frozenset((keys[x], link["type"], link["r"], link["distance"],
                           link["f_datapoints"]) for x, link in rc["links"].items())
        flux = frozenset((band_key(survey, band), stokes,
                          *(values[n] for n in ["f_datapoints"] + FLUX_MEANS))
                         for (band, stokes), values in rc["flux"].items())
        out.add((links, tuple(rc[name] for name in POSITION_COLUMNS), flux))
    return out


def band_key(survey: Survey, band: int) -> float:
    """The central frequency of a band (band ids differ between datasets)."""
    return query(survey.conn, "SELECT freq_central FROM frequencyband WHERE id = %s", (band,))[0][0]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(images=st.lists(an_image, min_size=2, max_size=4), data=st.data())
def test_shuffling_an_images_extractions_changes_nothing_but_ids(conn, images, data):
    identity = [list(range(len(points))) for points, _ in images]
    shuffled = [data.draw(st.permutations(order), label=f"order of image {k}")
                for k, order in enumerate(identity)]
    first, first_keys = run(conn, images, identity)
    second, second_keys = run(conn, images, shuffled)
    assert [{k: v for k, v in r.items() if k != "stage_ms"} for r in first.results] == \
        [{k: v for k, v in r.items() if k != "stage_ms"} for r in second.results]
    assert canonical(first, first_keys) == canonical(second, second_keys)
    first.check()
    second.check()


def test_close_pairs_shuffled(conn):
    """A fixed crowded sky with every kind of association, in opposite insertion orders."""
    pair = [(-30, -10), (-48, -10)]
    images = [([(0, 0), (9, 0), (0, 18), *pair], BAND1),
              ([(0, 0), (9, 0), (0, 18), *pair], BAND2),
              ([(-8, 8), (8, 8), (4, 0), (30, 30)], BAND1),     # many-to-many, fork
              ([(-12, 8), (12, 8), (0, 0), (30, 30), (-30, -30), (-39, -10)], BAND1)]
    identity = [list(range(len(points))) for points, _ in images]
    first, first_keys = run(conn, images, identity)
    second, second_keys = run(conn, images, [order[::-1] for order in identity])
    totals = {name: sum(r[name] for r in first.results)
              for name in ("one_to_many", "many_to_one", "many_to_many_pruned", "new_sources")}
    assert all(totals.values()), totals
    assert canonical(first, first_keys) == canonical(second, second_keys)
    first.check()


def timestep(conn, register: list[float], associate: list[float]) -> set[frozenset[str]]:
    """t0: R at the centre (band 1). t1: 'a' at 12" east in band 1 and 'b' at 18" east in
    band 2, images registered in the order ``register`` and associated in ``associate``."""
    sky = LabelledSky(conn, ra0=CENTRE[0], decl0=CENTRE[1], description="timestep", **ERRORS)
    sky.observe(0, BAND1, {"R": (0, 0)})
    points = {BAND1: {"a": (12, 0)}, BAND2: {"b": (18, 0)}}
    images = {freq: sky.add_image(1, freq) for freq in register}
    for freq in associate:
        img = images[freq]
        label, (east, north) = next(iter(points[freq].items()))
        sky.load(img, {label: (*offset(*CENTRE, east, north), 1.0)})
        tkpdb.associate_extracted_sources(conn, img)
    return set(sky.lightcurves())


def test_a_timestep_is_associated_in_frequency_order(conn):
    """In frequency order, 'a' (band 1, r = 4.24 against R) moves R to 6" east; 'b' (band 2) is
    then 12" from R (r = 4.90 against its two datapoints) and joins it: one lightcurve. 'b' alone
    would be 18" from R (r = 6.36: no match). Registering the band-2 image first changes
    nothing: the association order decides."""
    expected = {frozenset({"R", "a", "b"})}
    assert timestep(conn, [BAND1, BAND2], [BAND1, BAND2]) == expected
    assert timestep(conn, [BAND2, BAND1], [BAND1, BAND2]) == expected


def test_the_other_order_gives_another_answer(conn):
    """Why the rule is needed: associated band 2 first, 'b' starts a lightcurve of its own, and
    'a' then matches both R and 'b' (many-to-one)."""
    assert timestep(conn, [BAND1, BAND2], [BAND2, BAND1]) == {frozenset({"R", "a"}),
                                                              frozenset({"b", "a"})}
