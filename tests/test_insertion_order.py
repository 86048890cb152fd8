"""Association does not depend on the order in which an image's extractions were inserted.

Property: for any small crowded sky (positions on a 6-arcsec lattice, so that one-to-many,
many-to-one and many-to-many links all occur), inserting each image's extractions in a
shuffled order changes nothing but ids: the same lightcurves (as sets of measurement labels),
with the same types, positions and flux statistics.

Across the images of one timestep the rule is explicit: images are associated one after the
other in frequency order (as TraP does); test_timestep_rule_is_frequency_order pins it down.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scenarios import BAND1, BAND2, Scenario
from tests.sky import query

position = st.tuples(st.integers(-8, 8), st.integers(-8, 8)).map(lambda p: (6.0 * p[0], 6.0 * p[1]))
image_sources = st.lists(position, min_size=1, max_size=6, unique=True)


def canonical(sky: Scenario) -> set[tuple]:
    """Everything about the dataset's lightcurves except ids."""
    out = set()
    for runcat, labels in sky.lightcurve_by_runcat().items():
        (ra, decl, n, unc_ew), = query(sky.conn, """
            SELECT wm_ra, wm_decl, datapoints, wm_uncertainty_ew FROM runningcatalog
            WHERE id = %s""", (runcat,))
        flux = query(sky.conn, """
            SELECT b.freq_central, f.f_datapoints, round(f.avg_f_int::numeric, 9)
            FROM runningcatalog_flux f JOIN frequencyband b ON b.id = f.band
            WHERE f.runcat = %s ORDER BY 1""", (runcat,))
        out.add((frozenset(sky.types(runcat).items()), round(ra, 9), round(decl, 9), n,
                 round(unc_ew, 12), tuple(flux)))
    return out


def run(conn, images: list[list[tuple[float, float]]], orders: list[list[int]]) -> set[tuple]:
    sky = Scenario(conn)
    for step, (sources, order) in enumerate(zip(images, orders)):
        labelled = {f"t{step}s{k}": (*sources[k], 1.0 + k) for k in order}
        sky.observe(step, BAND1, labelled)
    return canonical(sky)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(images=st.lists(image_sources, min_size=2, max_size=4), data=st.data())
def test_shuffling_an_images_extractions_changes_nothing_but_ids(conn, images, data):
    identity = [list(range(len(sources))) for sources in images]
    shuffled = [data.draw(st.permutations(order)) for order in identity]
    assert run(conn, images, identity) == run(conn, images, shuffled)


def test_timestep_rule_is_frequency_order(conn):
    """Within a timestep, the lower-frequency image is associated first: its measurement moves
    the runcat, and the higher-frequency image is matched against the moved position. A
    measurement 40 arcsec east of a runcat is out of reach (36 arcsec), but after the band-1
    measurement 20 arcsec east has moved the runcat by 10 arcsec it is within reach."""
    sky = Scenario(conn)
    sky.observe(0, BAND1, {"a": (0, 0)})
    sky.observe(1, BAND1, {"b": (20, 0)})     # frequency order: band 1 ...
    sky.observe(1, BAND2, {"c": (40, 0)})     # ... then band 2
    assert sky.lightcurves() == {frozenset({"a", "b", "c"})}

    other = Scenario(conn)
    other.observe(0, BAND1, {"a": (0, 0)})
    other.observe(1, BAND2, {"c": (40, 0)})   # the opposite order gives another answer,
    other.observe(1, BAND1, {"b": (20, 0)})   # which is why the order is fixed
    assert other.lightcurves() != sky.lightcurves()
