"""Heritage of a lightcurve: which measurements it is made of, shared with which others.

A lightcurve shares measurements with others through forks (a one-to-many association copies
the history into each new lightcurve, types 2 and 6) and many-to-one links (one extraction
appended to several lightcurves). The heritage graph shows the connected component of a runcat
in the runcat-measurement graph, drawn like the figures of the source-association notes:
left to right in time, one node per measurement (``f_<xtrsrc>``), grouped per band, one box
per lightcurve (``L_<runcat>``), each lightcurve's measurements chained by edges of its own
colour and a dashed edge from its last measurement in each band to its box.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import graphviz
import psycopg2.extensions

from ._db import read_rows

__all__ = [
    "HeritageMeasurement",
    "HeritageEdge",
    "Heritage",
    "PALETTE",
    "heritage_graph",
    "lightcurve_heritage",
    "render_heritage",
]

#: Edge colours, one per lightcurve in increasing runcat id (cycled), as in the notes' figures.
PALETTE = ("blue", "green", "coral", "gold", "aquamarine", "blueviolet", "darkslateblue",
           "lawngreen", "darkorange", "deeppink", "teal", "sienna")

_STOKES = {1: "I", 2: "Q", 3: "U", 4: "V"}


@dataclass(frozen=True)
class HeritageMeasurement:
    """A measurement node: extraction id, band id, band centre (Hz), Stokes, time, f_int (Jy)."""

    xtrsrc: int
    band: int
    freq_central: float
    stokes: int
    taustart_ts: dt.datetime
    f_int: float | None

    @property
    def node(self) -> str:
        """DOT node name."""
        return f"f_{self.xtrsrc}"


@dataclass(frozen=True)
class HeritageEdge:
    """An edge of lightcurve ``runcat``: ``f_a -> f_b`` (solid) or ``f_a -> L_runcat`` (dashed)."""

    tail: str
    head: str
    runcat: int
    dashed: bool = False


@dataclass(frozen=True)
class Heritage:
    """The heritage graph of ``runcat``: its component's lightcurves, measurements and edges."""

    runcat: int
    lightcurves: tuple[int, ...]
    measurements: tuple[HeritageMeasurement, ...]
    edges: tuple[HeritageEdge, ...]
    colours: dict[int, str] = field(default_factory=dict)

    @property
    def nodes(self) -> set[str]:
        """Names of the measurement (``f_<xtrsrc>``) and lightcurve (``L_<runcat>``) nodes."""
        return {m.node for m in self.measurements} | {f"L_{r}" for r in self.lightcurves}

    def to_dot(self) -> str:
        """The graph as GraphViz DOT text."""
        lines = [f"digraph heritage_{self.runcat} {{", "    rankdir=LR;"]
        bands = sorted({(m.freq_central, m.band, m.stokes) for m in self.measurements})
        for freq, band, stokes in bands:
            members = [m for m in self.measurements if (m.band, m.stokes) == (band, stokes)]
            indent = "    "
            if len(bands) > 1:
                lines.append(f"    subgraph cluster_band_{band}_{stokes} {{")
                stokes_name = _STOKES.get(stokes, stokes)
                lines.append(f'        label="{freq / 1e6:g} MHz, Stokes {stokes_name}";')
                indent = "        "
            for m in members:
                flux = "" if m.f_int is None else f", {m.f_int:g} Jy"
                tooltip = f"{m.taustart_ts.isoformat(sep=' ')}, {freq / 1e6:g} MHz{flux}"
                label = f"<f<SUB>{m.xtrsrc}</SUB>>"
                lines.append(f'{indent}{m.node} [label={label}, tooltip="{tooltip}"];')
            if len(bands) > 1:
                lines.append("    }")
        for e in self.edges:
            if not e.dashed:
                lines.append(f"    {e.tail} -> {e.head} [color={self.colours[e.runcat]}];")
        lines.append("    node [shape=box, color=red];")
        for r in self.lightcurves:
            bold = ", penwidth=2" if r == self.runcat else ""
            lines.append(f"    L_{r} [label=<L<SUB>{r}</SUB>>{bold}];")
        for e in self.edges:
            if e.dashed:
                colour = self.colours[e.runcat]
                lines.append(f"    {e.tail} -> {e.head} [style=dashed, color={colour}];")
        times = sorted({m.taustart_ts for m in self.measurements})
        if times:
            lines.append("    node [shape=none, color=black];")
            lines.append("    edge [style=invis];")
            for k, t in enumerate(times, 1):
                lines.append(f'    t_{k} [label="{t.isoformat(sep=" ")}"];')
            if len(times) > 1:
                lines.append("    " + " -> ".join(f"t_{k}" for k in range(1, len(times) + 1)) + ";")
        lines.append("}")
        return "\n".join(lines) + "\n"


def heritage_graph(conn: psycopg2.extensions.connection, runcat_id: int) -> Heritage:
    """The heritage of ``runcat_id`` as a structured graph (see :class:`Heritage`).

    Raises ``ValueError`` if the runcat does not exist.
    """
    rows = read_rows(conn, """
        SELECT runcat, xtrsrc, band, freq_central, stokes, taustart_ts, f_int, freq_eff
        FROM lightcurve_heritage_points(%s)""", (runcat_id,))
    if not rows:
        raise ValueError(f"runcat {runcat_id} does not exist "
                         "(forked lightcurves are replaced by their children)")
    measurements: dict[int, HeritageMeasurement] = {}
    edges: list[HeritageEdge] = []
    # rows come ordered by runcat, band, Stokes, time, frequency, extraction id
    for (runcat, _band, _stokes), points in groupby(rows, key=lambda r: (r[0], r[2], r[4])):
        chain = []
        for _, xtrsrc, band, freq_central, stokes, ts, f_int, _freq in points:
            measurements.setdefault(xtrsrc, HeritageMeasurement(xtrsrc, band, freq_central,
                                                                stokes, ts, f_int))
            chain.append(f"f_{xtrsrc}")
        edges += [HeritageEdge(a, b, runcat) for a, b in zip(chain, chain[1:])]
        edges.append(HeritageEdge(chain[-1], f"L_{runcat}", runcat, dashed=True))
    lightcurves = tuple(sorted({r[0] for r in rows}))
    ordered = sorted(measurements.values(),
                     key=lambda m: (m.freq_central, m.band, m.stokes, m.taustart_ts, m.xtrsrc))
    colours = {r: PALETTE[k % len(PALETTE)] for k, r in enumerate(lightcurves)}
    return Heritage(runcat_id, lightcurves, tuple(ordered), tuple(edges), colours)


def lightcurve_heritage(conn: psycopg2.extensions.connection, runcat_id: int) -> str:
    """GraphViz DOT text of the heritage of ``runcat_id`` (see the module docstring)."""
    return heritage_graph(conn, runcat_id).to_dot()


def render_heritage(dot: str, path: str | Path, format: str = "svg") -> Path:
    """Render DOT text with the GraphViz ``dot`` program into ``path``; return the path.

    ``format`` is any GraphViz output format (``"svg"``, ``"png"``, ``"pdf"``, ...). Raises
    ``graphviz.ExecutableNotFound`` when the ``dot`` program is not installed.
    """
    if format not in graphviz.FORMATS:
        raise ValueError(f"unknown GraphViz format {format!r}")
    path = Path(path)
    path.write_bytes(graphviz.pipe("dot", format, dot.encode()))
    return path
