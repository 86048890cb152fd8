"""Labelled skies: place measurements by offsets (arcsec) and read lightcurves back by label.

A scenario is a dataset in which every measurement has a label (``"f1"``, ``"f2"``, ...), so
tests can state the seed's expected lightcurves literally: ``{"f1", "f2", "f3", "f5"}``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

import tkpdb
from tests.sky import image, query, source
from tkpdb.simulate import field_offsets

BAND1, BAND2 = 150e6, 160e6  # Hz; freq_bw 1 MHz in tests/sky.py: two distinct bands


def offset(ra0: float, decl0: float, east: float, north: float) -> tuple[float, float]:
    """The position ``east``, ``north`` arcsec away from (ra0, decl0) on the sky (deg)."""
    rho = np.hypot(east, north) / 3600.0
    phi = np.degrees(np.arctan2(east, north))
    ra, decl = field_offsets(ra0, decl0, np.array([rho]), np.array([phi]))
    return float(ra[0]), float(decl[0])


@dataclass
class Scenario:
    """A dataset whose measurements carry labels."""

    conn: object
    ra0: float = 123.0
    decl0: float = 10.0
    dataset: int = 0
    labels: dict[int, str] = field(default_factory=dict)   # xtrsrc id -> label
    results: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dataset = tkpdb.insert_dataset(self.conn, "scenario")

    def observe(self, step: int, freq: float, measurements: dict[str, tuple], **image_fields) -> dict:
        """One image at ``step`` (minutes) and ``freq`` (Hz) with labelled measurements
        ``{label: (east_arcsec, north_arcsec[, flux_Jy])}`` relative to the field centre;
        associates it and returns the counts."""
        positions = {}
        for label, (east, north, *rest) in measurements.items():
            positions[label] = (*offset(self.ra0, self.decl0, east, north), *rest)
        return self.observe_at(step, freq, positions, **image_fields)

    def observe_at(self, step: int, freq: float, measurements: dict[str, tuple],
                   **image_fields) -> dict:
        """As :meth:`observe`, with positions ``{label: (ra_deg, decl_deg[, flux_Jy])}``."""
        fields = dict(freq_eff=freq, centre_ra=self.ra0, centre_decl=self.decl0)
        fields.update(image_fields)
        img = image(self.conn, self.dataset, step, **fields)
        rows, names = [], []
        for label, (ra, decl, *rest) in measurements.items():
            rows.append(source(ra, decl, flux=rest[0] if rest else 1.0))
            names.append(label)
        ids = tkpdb.insert_extracted_sources(self.conn, img, rows) if rows else []
        self.labels.update(zip(ids, names))
        result = tkpdb.associate_extracted_sources(self.conn, img)
        self.results.append(result)
        return result

    def lightcurves(self) -> set[frozenset[str]]:
        """Every lightcurve of the dataset as the set of its measurement labels."""
        return {frozenset(labels) for labels in self.lightcurve_by_runcat().values()}

    def lightcurve_by_runcat(self) -> dict[int, set[str]]:
        rows = query(self.conn, """
            SELECT a.runcat, a.xtrsrc FROM assocxtrsource a
            JOIN runningcatalog rc ON rc.id = a.runcat WHERE rc.dataset = %s""", (self.dataset,))
        out: dict[int, set[str]] = defaultdict(set)
        for runcat, xtrsrc in rows:
            out[runcat].add(self.labels[xtrsrc])
        return dict(out)

    def position(self, runcat: int) -> tuple[float, float]:
        """(wm_ra, wm_decl) of ``runcat`` (deg)."""
        return query(self.conn, "SELECT wm_ra, wm_decl FROM runningcatalog WHERE id = %s", (runcat,))[0]

    def runcat_of(self, *labels: str) -> int:
        """The runcat whose lightcurve is exactly ``labels``."""
        wanted = set(labels)
        matches = [rc for rc, got in self.lightcurve_by_runcat().items() if got == wanted]
        assert len(matches) == 1, f"no single lightcurve {sorted(wanted)}: {self.lightcurves()}"
        return matches[0]

    def types(self, runcat: int) -> dict[str, int]:
        """label -> assoc type of the lightcurve of ``runcat``."""
        rows = query(self.conn, "SELECT xtrsrc, type FROM assocxtrsource WHERE runcat = %s", (runcat,))
        return {self.labels[x]: t for x, t in rows}

    def flux_means(self, runcat: int) -> dict[float, tuple[int, float]]:
        """freq_central of band -> (f_datapoints, avg_f_int) of ``runcat``."""
        rows = query(self.conn, """
            SELECT b.freq_central, f.f_datapoints, f.avg_f_int FROM runningcatalog_flux f
            JOIN frequencyband b ON b.id = f.band WHERE f.runcat = %s""", (runcat,))
        return {freq: (n, avg) for freq, n, avg in rows}

    def flux_of(self, *labels: str) -> float:
        """Mean f_int of the labelled measurements (Jy)."""
        ids = [x for x, label in self.labels.items() if label in labels]
        rows = query(self.conn, "SELECT avg(f_int) FROM extractedsource WHERE id = ANY(%s)", (ids,))
        return rows[0][0]
