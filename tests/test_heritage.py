"""Heritage graphs of lightcurves (tkpdb.heritage, sql/93_lightcurves.sql).

The scenarios are the one-to-many and many-to-one figures of the source-association notes,
with measurements f1..f6 at t1..t4.
"""

from __future__ import annotations

import math
import re
import shutil

import pytest

import tkpdb
from tests.sky import image, observe, query, source

RA, DECL = 123.0, 10.0
SIGMA = math.hypot(1.0, 1.0)  # on-sky position error (arcsec) of the measurements below

EDGE = re.compile(r"^\s*(\w+) -> (\w+) \[([^\]]*)\];$", re.M)
NODE = re.compile(r"^\s*([fL]_\d+) \[", re.M)


def tight(east: float, north: float = 0.0, **kw) -> dict:
    """A measurement east/north arcsec from (RA, DECL) with a 1.4 arcsec position error."""
    return source(RA + east / 3600.0 / math.cos(math.radians(DECL)), DECL + north / 3600.0,
                  error_radius=1.0, sys_err=1.0, **kw)


def parse(dot: str) -> tuple[set[str], set[tuple[str, str, str, bool]]]:
    """Measurement/lightcurve nodes and visible edges (tail, head, colour, dashed) of DOT text."""
    edges = set()
    for tail, head, attrs in EDGE.findall(dot):
        colour = re.search(r"color=(\w+)", attrs).group(1)
        edges.add((tail, head, colour, "style=dashed" in attrs))
    return set(NODE.findall(dot)), edges


def chain(names: list[str], runcat: int, colour: str) -> set[tuple[str, str, str, bool]]:
    """Solid edges along the measurements of one lightcurve, dashed edge to its box."""
    edges = {(a, b, colour, False) for a, b in zip(names, names[1:])}
    return edges | {(names[-1], f"L_{runcat}", colour, True)}


def one_to_many(conn) -> tuple[list[int], int, int]:
    """f1, f2 at one position; f3, f4 east and west fork it; f5, f6 continue each child."""
    dataset = tkpdb.insert_dataset(conn, "one-to-many")
    d = 6 * SIGMA
    (f1,), _ = observe(conn, image(conn, dataset, 1), [tight(0)])
    (f2,), _ = observe(conn, image(conn, dataset, 2), [tight(0)])
    (f3, f4), counts = observe(conn, image(conn, dataset, 3), [tight(d), tight(-d)])
    assert counts["one_to_many"] == 1
    (f5, f6), counts = observe(conn, image(conn, dataset, 4), [tight(d), tight(-d)])
    assert counts["one_to_one"] == 2
    ((l1,),) = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s", (f5,))
    ((l2,),) = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s", (f6,))
    return [f1, f2, f3, f4, f5, f6], l1, l2


def many_to_one(conn) -> tuple[list[int], int, int]:
    """f1, f3 south and f2, f4 north (9 sigma apart); f5 and f6 between them join both."""
    dataset = tkpdb.insert_dataset(conn, "many-to-one")
    d = 4.5 * SIGMA
    (f1, f2), _ = observe(conn, image(conn, dataset, 1), [tight(0, -d), tight(0, d)])
    (f3, f4), _ = observe(conn, image(conn, dataset, 2), [tight(0, -d), tight(0, d)])
    (f5,), counts = observe(conn, image(conn, dataset, 3), [tight(0)])
    assert counts["many_to_one"] == 1
    (f6,), counts = observe(conn, image(conn, dataset, 4), [tight(0)])
    assert counts["many_to_one"] == 1
    ((l1,),) = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s", (f1,))
    ((l2,),) = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s", (f2,))
    return [f1, f2, f3, f4, f5, f6], l1, l2


def test_heritage_of_a_fork(conn):
    f, l1, l2 = one_to_many(conn)
    graph = tkpdb.heritage_graph(conn, l1)
    assert graph.lightcurves == tuple(sorted((l1, l2)))
    assert graph.colours == dict(zip(sorted((l1, l2)), ("blue", "green")))
    names = [f"f_{x}" for x in f]
    assert graph.nodes == set(names) | {f"L_{l1}", f"L_{l2}"}
    c1, c2 = graph.colours[l1], graph.colours[l2]
    expected = chain([names[0], names[1], names[2], names[4]], l1, c1) \
        | chain([names[0], names[1], names[3], names[5]], l2, c2)
    assert {(e.tail, e.head, graph.colours[e.runcat], e.dashed) for e in graph.edges} == expected
    assert len(graph.edges) == 8
    # the DOT text says the same, and both lightcurves give the same graph
    dot = tkpdb.lightcurve_heritage(conn, l1)
    assert parse(dot) == (graph.nodes, expected)
    assert parse(tkpdb.lightcurve_heritage(conn, l2)) == (graph.nodes, expected)
    assert "rankdir=LR;" in dot and f"L_{l1} [label=<L<SUB>{l1}</SUB>>, penwidth=2];" in dot
    assert "subgraph" not in dot  # one band: no clusters
    assert dot.count("node [shape=box, color=red];") == 1
    assert re.search(r"t_1 -> t_2 -> t_3 -> t_4;", dot)


def test_heritage_of_a_many_to_one(conn):
    f, l1, l2 = many_to_one(conn)
    graph = tkpdb.heritage_graph(conn, l2)
    names = [f"f_{x}" for x in f]
    assert graph.nodes == set(names) | {f"L_{l1}", f"L_{l2}"}
    c1, c2 = graph.colours[l1], graph.colours[l2]
    expected = chain([names[0], names[2], names[4], names[5]], l1, c1) \
        | chain([names[1], names[3], names[4], names[5]], l2, c2)
    assert {(e.tail, e.head, graph.colours[e.runcat], e.dashed) for e in graph.edges} == expected
    assert parse(tkpdb.lightcurve_heritage(conn, l1)) == (graph.nodes, expected)


def test_unrelated_lightcurves_are_not_in_the_graph(conn):
    dataset = tkpdb.insert_dataset(conn, "separate")
    for step in range(2):
        (a, b), _ = observe(conn, image(conn, dataset, step), [tight(0), tight(0, 600)])
    ((la,),) = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s", (a,))
    graph = tkpdb.heritage_graph(conn, la)
    assert graph.lightcurves == (la,)
    assert f"f_{b}" not in graph.nodes and len(graph.edges) == 2


def test_heritage_in_two_bands(conn):
    """One cluster per band; a dashed edge from the last measurement of each band."""
    dataset = tkpdb.insert_dataset(conn, "two bands")
    ids = {}
    for step in range(2):
        for freq in (150e6, 180e6):
            img = image(conn, dataset, step, freq_eff=freq)
            (ids[step, freq],), _ = observe(conn, img, [tight(0)])
    ((lc,),) = query(conn, "SELECT runcat FROM assocxtrsource WHERE xtrsrc = %s", (ids[0, 150e6],))
    dot = tkpdb.lightcurve_heritage(conn, lc)
    n = {key: f"f_{x}" for key, x in ids.items()}
    assert parse(dot)[1] == chain([n[0, 150e6], n[1, 150e6]], lc, "blue") \
        | chain([n[0, 180e6], n[1, 180e6]], lc, "blue")
    assert dot.count("subgraph cluster_") == 2
    assert 'label="150 MHz, Stokes I";' in dot and 'label="180 MHz, Stokes I";' in dot


def test_unknown_runcat(conn):
    with pytest.raises(ValueError, match="runcat 777 does not exist"):
        tkpdb.lightcurve_heritage(conn, 777)


def test_component_in_plain_sql(conn):
    f, l1, l2 = one_to_many(conn)
    assert query(conn, "SELECT runcat FROM lightcurve_component(%s) ORDER BY 1", (l2,)) == [
        (r,) for r in sorted((l1, l2))]
    assert query(conn, "SELECT count(*) FROM lightcurve_heritage_points(%s)", (l1,)) == [(8,)]


@pytest.mark.skipif(shutil.which("dot") is None, reason="the GraphViz dot program is not installed")
def test_render(conn, tmp_path):
    _, l1, _ = one_to_many(conn)
    dot = tkpdb.lightcurve_heritage(conn, l1)
    svg = tkpdb.render_heritage(dot, tmp_path / "heritage.svg")
    assert svg == tmp_path / "heritage.svg"
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text
    assert text.count("class=\"node\"") == 8 + 4  # 6 measurements, 2 lightcurves, 4 times
    png = tkpdb.render_heritage(dot, tmp_path / "heritage.png", format="png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="unknown GraphViz format"):
        tkpdb.render_heritage(dot, tmp_path / "x", format="nope")
