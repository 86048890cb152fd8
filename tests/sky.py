"""Small concrete skies for the tests: images and measurements with explicit defaults.

Positions in degrees, fluxes in Jy, systematic errors and error radii in arcsec.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import tkpdb

T0 = dt.datetime(2026, 1, 1, 0, 0, 0)

IMAGE_DEFAULTS: dict[str, Any] = dict(
    tau_time=60.0, freq_eff=150e6, freq_bw=1e6, rb_smaj=0.01, rb_smin=0.008, rb_pa=0.0,
    centre_ra=123.0, centre_decl=10.0, xtr_radius=1.5, rms_min=1e-3, rms_max=2e-3,
    detection_thresh=8.0, analysis_thresh=3.0,
)


def image(conn, dataset: int, step: int = 0, **overrides: Any) -> int:
    """Insert an image taken ``step`` minutes after T0 (other fields from IMAGE_DEFAULTS)."""
    fields = dict(IMAGE_DEFAULTS, taustart_ts=T0 + dt.timedelta(minutes=step))
    fields.update(overrides)
    return tkpdb.insert_image(conn, dataset, **fields)


def source(ra: float, decl: float, flux: float = 1.0, flux_err: float = 0.01,
           error_radius: float = 10.0, sys_err: float = 20.0, **overrides: Any) -> dict[str, float]:
    """One measurement (a mapping with every column insert_extracted_sources needs)."""
    row = dict(
        ra=ra, decl=decl, ra_fit_err=1e-4, decl_fit_err=1e-4,
        f_peak=flux, f_peak_err=flux_err, f_int=flux, f_int_err=flux_err,
        det_sigma=flux / flux_err, semimajor=20.0, semiminor=15.0, pa=0.0,
        ew_sys_err=sys_err, ns_sys_err=sys_err, error_radius=error_radius,
    )
    row.update(overrides)
    return row


def observe(conn, image_id: int, sources: list[dict], **assoc: Any) -> tuple[list[int], dict]:
    """Insert the measurements of an image and associate them; return their ids and the counts."""
    ids = tkpdb.insert_extracted_sources(conn, image_id, sources)
    return ids, tkpdb.associate_extracted_sources(conn, image_id, **assoc)


def query(conn, sql: str, params: tuple = ()) -> list[tuple]:
    """All rows of a query (the connection is left without an open transaction)."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def scratch_rows(conn) -> int:
    """Rows in this session's scratch table temprunningcatalog (0 when it has none yet)."""
    if query(conn, "SELECT to_regclass('pg_temp.temprunningcatalog')") == [(None,)]:
        return 0
    return query(conn, "SELECT count(*) FROM temprunningcatalog")[0][0]


def lightcurves(conn, dataset: int) -> dict[int, list[tuple[int, int]]]:
    """runcat id -> [(xtrsrc, type), ...] ordered by extraction id."""
    rows = query(conn, """
        SELECT a.runcat, a.xtrsrc, a.type FROM assocxtrsource a
        JOIN runningcatalog rc ON rc.id = a.runcat WHERE rc.dataset = %s
        ORDER BY a.runcat, a.xtrsrc""", (dataset,))
    out: dict[int, list[tuple[int, int]]] = {}
    for runcat, xtrsrc, kind in rows:
        out.setdefault(runcat, []).append((xtrsrc, kind))
    return out


# --- Labelled skies and a reference model of association ------------------------------------
#
# The helpers below place measurements by tangent-plane offsets (arcsec) from a field centre,
# give each one a label ("f1", ...) and read the lightcurves back by label, so a test can state
# the expected outcome literally. ReferenceAssociation replays the documented algorithm in
# plain Python (trap-semantics 2.3-2.9, tangent-plane weighted mean of sql/10_candidates.sql).

#: The ten flux running means of runningcatalog_flux (and temprunningcatalog), in table order.
FLUX_MEANS = [f"{prefix}{kind}{suffix}" for kind in ("peak", "int")
              for prefix, suffix in (("avg_f_", ""), ("avg_f_", "_sq"), ("avg_f_", "_weight"),
                                     ("avg_weighted_f_", ""), ("avg_weighted_f_", "_sq"))]
#: The position aggregates of runningcatalog.
POSITION_COLUMNS = ["datapoints", "wm_ra", "wm_decl", "wm_uncertainty_ew", "wm_uncertainty_ns",
                    "avg_ra_err", "avg_decl_err", "avg_wra", "avg_wdecl", "avg_weight_ra",
                    "avg_weight_decl"]


def tangent_offsets(ra0: float, decl0: float, ra: float, decl: float) -> tuple[float, float]:
    """Gnomonic offsets (xi east, eta north; deg) of (ra, decl) at tangent point (ra0, decl0)."""
    a0, d0, a, d = map(math.radians, (ra0, decl0, ra, decl))
    cosc = math.sin(d0) * math.sin(d) + math.cos(d0) * math.cos(d) * math.cos(a - a0)
    xi = math.cos(d) * math.sin(a - a0) / cosc
    eta = (math.cos(d0) * math.sin(d) - math.sin(d0) * math.cos(d) * math.cos(a - a0)) / cosc
    return math.degrees(xi), math.degrees(eta)


def tangent_shift(ra0: float, decl0: float, xi: float, eta: float) -> tuple[float, float]:
    """The position (RA in [0, 360), decl; deg) at gnomonic offsets (xi, eta; deg) from
    (ra0, decl0)."""
    d0, x, y = math.radians(decl0), math.radians(xi), math.radians(eta)
    along = math.cos(d0) - y * math.sin(d0)        # the direction, unnormalised, in the frame
    up = math.sin(d0) + y * math.cos(d0)           # of the tangent point's meridian
    ra = (ra0 + math.degrees(math.atan2(x, along))) % 360.0
    return (0.0 if ra >= 360.0 else ra), math.degrees(math.atan2(up, math.hypot(along, x)))


def offset(ra0: float, decl0: float, east: float, north: float) -> tuple[float, float]:
    """The position (deg) ``east``, ``north`` arcsec from (ra0, decl0) in its tangent plane."""
    return tangent_shift(ra0, decl0, east / 3600.0, north / 3600.0)


def separation_arcsec(ra1: float, decl1: float, ra2: float, decl2: float) -> float:
    """Great-circle separation (arcsec), Vincenty's formula (exact at every distance)."""
    a1, d1, a2, d2 = map(math.radians, (ra1, decl1, ra2, decl2))
    dra = a2 - a1
    num = math.hypot(math.cos(d2) * math.sin(dra),
                     math.cos(d1) * math.sin(d2) - math.sin(d1) * math.cos(d2) * math.cos(dra))
    den = math.sin(d1) * math.sin(d2) + math.cos(d1) * math.cos(d2) * math.cos(dra)
    return math.degrees(math.atan2(num, den)) * 3600.0


def alpha(theta: float, decl: float) -> float:
    """RA half-width (deg) of a circle of radius theta (deg) at decl (deg); TraP's alpha()."""
    if abs(decl) + theta > 89.9:
        return 180.0
    t, d = math.radians(theta), math.radians(decl)
    return math.degrees(abs(math.atan(
        math.sin(t) / math.sqrt(abs(math.cos(d - t) * math.cos(d + t))))))


def measurement(row: dict, xtrsrc: int, band: int, stokes: int = 1) -> dict:
    """A source row (as given to insert_extracted_sources) with the derived columns the
    database computes (trap-semantics 1.5): uncertainty_ew/ns and ra_err/decl_err (deg)."""
    m = dict(row, id=xtrsrc, band=band, stokes=stokes)
    m["uncertainty_ew"] = math.hypot(row["ew_sys_err"], row["error_radius"]) / 3600.0
    m["uncertainty_ns"] = math.hypot(row["ns_sys_err"], row["error_radius"]) / 3600.0
    m["ra_err"] = math.hypot(row["ra_fit_err"], alpha(row["ew_sys_err"] / 3600.0, row["decl"]))
    m["decl_err"] = math.hypot(row["decl_fit_err"], row["ns_sys_err"] / 3600.0)
    return m


def flux_point(m: dict) -> dict[str, float]:
    """The ten flux terms one measurement adds to the running means."""
    out = {}
    for kind in ("peak", "int"):
        f, w = m[f"f_{kind}"], m[f"f_{kind}_err"] ** -2
        out.update({f"avg_f_{kind}": f, f"avg_f_{kind}_sq": f * f, f"avg_f_{kind}_weight": w,
                    f"avg_weighted_f_{kind}": f * w, f"avg_weighted_f_{kind}_sq": f * f * w})
    return out


@dataclass
class RefRuncat:
    """A runcat of the reference model: position aggregates, links and flux means per band."""

    key: int
    datapoints: int
    wm_ra: float
    wm_decl: float
    sum_w_ra: float
    sum_w_decl: float
    sum_ra_err: float
    sum_decl_err: float
    links: dict[int, dict] = field(default_factory=dict)      # xtrsrc -> type, r, distance
    flux: dict[tuple[int, int], dict] = field(default_factory=dict)  # (band, stokes) -> means

    def columns(self) -> dict[str, float]:
        """The runningcatalog position columns this runcat must have."""
        n = self.datapoints
        return dict(datapoints=n, wm_ra=self.wm_ra, wm_decl=self.wm_decl,
                    wm_uncertainty_ew=self.sum_w_ra ** -0.5,
                    wm_uncertainty_ns=self.sum_w_decl ** -0.5,
                    avg_ra_err=self.sum_ra_err / n, avg_decl_err=self.sum_decl_err / n,
                    avg_wra=self.sum_w_ra / n * self.wm_ra,
                    avg_wdecl=self.sum_w_decl / n * self.wm_decl,
                    avg_weight_ra=self.sum_w_ra / n, avg_weight_decl=self.sum_w_decl / n)


class ReferenceAssociation:
    """The documented association, replayed in Python, one image at a time.

    Candidates: separation <= beamwidths_limit * rb_smaj and De Ruiter radius (in the tangent
    plane of the runcat, with the runcat's and the extraction's on-sky uncertainties) below the
    limit. Many-to-many: an extraction with several candidates among runcats with several
    candidates keeps the smallest (r to 1e-6, separation to 1 milli-arcsec, wm_decl and wm_ra to
    1e-9 deg) of those. A runcat left with
    several pairs forks (type 6 history, type 2 base point, every band's flux means kept);
    the other pairs are type 3; extractions without any candidate start runcats (type 4).
    """

    def __init__(self, deruiter_radius: float = 5.68, beamwidths_limit: float = 1.0) -> None:
        self.deruiter_radius = deruiter_radius
        self.beamwidths_limit = beamwidths_limit
        self.runcats: dict[int, RefRuncat] = {}
        self._next = 0
        self.counts: dict[str, int] = defaultdict(int)

    def _new(self, **kwargs) -> RefRuncat:
        self._next += 1
        rc = RefRuncat(key=self._next, **kwargs)
        self.runcats[rc.key] = rc
        return rc

    def _pair(self, rc: RefRuncat, m: dict, limit_arcsec: float) -> dict | None:
        distance = separation_arcsec(rc.wm_ra, rc.wm_decl, m["ra"], m["decl"])
        if distance > limit_arcsec:
            return None
        xi, eta = tangent_offsets(rc.wm_ra, rc.wm_decl, m["ra"], m["decl"])
        r = math.sqrt(xi ** 2 / (1.0 / rc.sum_w_ra + m["uncertainty_ew"] ** 2)
                      + eta ** 2 / (1.0 / rc.sum_w_decl + m["uncertainty_ns"] ** 2))
        if not r < self.deruiter_radius:
            return None
        w_ra, w_decl = m["uncertainty_ew"] ** -2, m["uncertainty_ns"] ** -2
        ra, decl = tangent_shift(rc.wm_ra, rc.wm_decl, xi * w_ra / (rc.sum_w_ra + w_ra),
                                 eta * w_decl / (rc.sum_w_decl + w_decl))
        key = (m["band"], m["stokes"])
        old = rc.flux.get(key)
        point = flux_point(m)
        if old is None:
            flux = dict(point, f_datapoints=1)
        else:
            n = old["f_datapoints"]
            flux = {name: (n * old[name] + point[name]) / (n + 1) for name in FLUX_MEANS}
            flux["f_datapoints"] = n + 1
        return dict(rc=rc, m=m, r=r, distance=distance, wm_ra=ra, wm_decl=decl,
                    sum_w_ra=rc.sum_w_ra + w_ra, sum_w_decl=rc.sum_w_decl + w_decl, flux=flux,
                    active=True)

    def _apply(self, target: RefRuncat, pair: dict, kind: int) -> None:
        m = pair["m"]
        target.datapoints = pair["rc"].datapoints + 1
        target.wm_ra, target.wm_decl = pair["wm_ra"], pair["wm_decl"]
        target.sum_w_ra, target.sum_w_decl = pair["sum_w_ra"], pair["sum_w_decl"]
        target.sum_ra_err = pair["rc"].sum_ra_err + m["ra_err"]
        target.sum_decl_err = pair["rc"].sum_decl_err + m["decl_err"]
        target.flux[(m["band"], m["stokes"])] = pair["flux"]
        target.links[m["id"]] = dict(type=kind, r=pair["r"], distance=pair["distance"],
                                     f_datapoints=pair["flux"]["f_datapoints"])

    def associate(self, measurements: list[dict], rb_smaj: float) -> dict[str, int]:
        """Associate one image's measurements (see :func:`measurement`); return its counts."""
        limit = self.beamwidths_limit * rb_smaj * 3600.0
        pairs = [p for m in measurements for rc in list(self.runcats.values())
                 if (p := self._pair(rc, m, limit)) is not None]
        per_x: dict[int, list[dict]] = defaultdict(list)
        per_rc: dict[int, list[dict]] = defaultdict(list)
        for p in pairs:
            per_x[p["m"]["id"]].append(p)
            per_rc[p["rc"].key].append(p)
        pruned = 0
        for group in per_x.values():
            multi = [p for p in group if len(group) > 1 and len(per_rc[p["rc"].key]) > 1]
            multi.sort(key=lambda p: (round(p["r"] * 1e6), round(p["distance"] * 1e3),
                                      round(p["rc"].wm_decl * 1e9), round(p["rc"].wm_ra * 1e9)))
            for p in multi[1:]:
                p["active"] = False
                pruned += 1
        active: dict[int, list[dict]] = defaultdict(list)
        for p in pairs:
            if p["active"]:
                active[p["rc"].key].append(p)
        forked = 0
        for key, group in active.items():
            if len(group) < 2:
                continue
            forked += 1
            old = self.runcats.pop(key)
            for p in group:
                child = self._new(datapoints=0, wm_ra=0.0, wm_decl=0.0, sum_w_ra=0.0,
                                  sum_w_decl=0.0, sum_ra_err=0.0, sum_decl_err=0.0)
                child.links = {x: dict(link, type=7 if link["type"] == 7 else 6)
                               for x, link in old.links.items()}
                child.flux = dict(old.flux)
                self._apply(child, p, 2)
        links_per_x: dict[int, int] = defaultdict(int)
        for key, group in active.items():
            if len(group) == 1:
                self._apply(group[0]["rc"], group[0], 3)
                links_per_x[group[0]["m"]["id"]] += 1
        new = 0
        for m in measurements:
            if m["id"] in per_x:
                continue
            new += 1
            w_ra, w_decl = m["uncertainty_ew"] ** -2, m["uncertainty_ns"] ** -2
            rc = self._new(datapoints=1, wm_ra=m["ra"], wm_decl=m["decl"], sum_w_ra=w_ra,
                           sum_w_decl=w_decl, sum_ra_err=m["ra_err"], sum_decl_err=m["decl_err"])
            rc.flux[(m["band"], m["stokes"])] = dict(flux_point(m), f_datapoints=1)
            rc.links[m["id"]] = dict(type=4, r=0.0, distance=0.0, f_datapoints=1)
        counts = dict(candidates=len(pairs), many_to_many_pruned=pruned, one_to_many=forked,
                      one_to_one=sum(1 for n in links_per_x.values() if n == 1),
                      many_to_one=sum(1 for n in links_per_x.values() if n > 1), new_sources=new)
        for name, value in counts.items():
            self.counts[name] += value
        return counts

    def by_members(self) -> dict[frozenset[int], RefRuncat]:
        """The runcats keyed by the set of their extraction ids."""
        out = {frozenset(rc.links): rc for rc in self.runcats.values()}
        assert len(out) == len(self.runcats), "two reference runcats with the same lightcurve"
        return out


def engine_runcats(conn, dataset: int) -> dict[frozenset[int], dict]:
    """The dataset's runcats keyed by the set of their extraction ids: their position columns,
    ``links`` {xtrsrc: {type, r, distance, f_datapoints}} and ``flux`` {(band, stokes): means}."""
    cols = ", ".join(f"rc.{c}" for c in POSITION_COLUMNS)
    runcats = {row[0]: dict(zip(["id"] + POSITION_COLUMNS, row), links={}, flux={})
               for row in query(conn, f"SELECT rc.id, {cols} FROM runningcatalog rc "
                                      "WHERE rc.dataset = %s AND NOT rc.mon_src", (dataset,))}
    for runcat, xtrsrc, kind, r, distance, n in query(conn, """
            SELECT a.runcat, a.xtrsrc, a.type, a.r, a.distance_arcsec, a.f_datapoints
            FROM assocxtrsource a JOIN runningcatalog rc ON rc.id = a.runcat
            WHERE rc.dataset = %s AND NOT rc.mon_src""", (dataset,)):
        runcats[runcat]["links"][xtrsrc] = dict(type=kind, r=r, distance=distance, f_datapoints=n)
    flux_cols = ", ".join(f"f.{c}" for c in ["f_datapoints"] + FLUX_MEANS)
    for runcat, band, stokes, *values in query(conn, f"""
            SELECT f.runcat, f.band, f.stokes, {flux_cols} FROM runningcatalog_flux f
            JOIN runningcatalog rc ON rc.id = f.runcat
            WHERE rc.dataset = %s AND NOT rc.mon_src""", (dataset,)):
        runcats[runcat]["flux"][(band, stokes)] = dict(zip(["f_datapoints"] + FLUX_MEANS, values))
    out = {frozenset(rc["links"]): rc for rc in runcats.values()}
    assert len(out) == len(runcats), "two runcats with the same lightcurve"
    return out


class LabelledSky:
    """A dataset whose measurements carry labels; images are placed by tangent-plane offsets,
    and associated in ``mode`` (``"trap"`` or ``"resolved"``).

    ``source_defaults`` override :func:`source`'s defaults for every measurement (e.g. the
    error radius and systematic error that set the De Ruiter radii of a test).
    """

    def __init__(self, conn, ra0: float = 123.0, decl0: float = 10.0, description: str = "sky",
                 mode: str = "trap", **source_defaults: Any) -> None:
        self.conn, self.ra0, self.decl0 = conn, ra0, decl0
        self.mode = mode                     # association mode of every image
        self.source_defaults = source_defaults
        self.dataset = tkpdb.insert_dataset(conn, description)
        self.ids: dict[str, int] = {}        # label -> xtrsrc
        self.labels: dict[int, str] = {}     # xtrsrc -> label
        self.images: list[int] = []
        self.results: list[dict] = []

    def observe(self, step: int, freq: float, measurements: dict[str, tuple],
                order: list[str] | None = None, **image_fields: Any) -> dict:
        """One image at ``step`` minutes and ``freq`` Hz with ``{label: (east, north[, flux])}``
        (arcsec from the field centre; Jy), inserted in ``order`` (default: as given), then
        associated. Returns the association counts."""
        at = {label: (*offset(self.ra0, self.decl0, east, north), *rest)
              for label, (east, north, *rest) in measurements.items()}
        return self.observe_at(step, freq, at, order, **image_fields)

    def observe_at(self, step: int, freq: float, measurements: dict[str, tuple],
                   order: list[str] | None = None, **image_fields: Any) -> dict:
        """As :meth:`observe` with ``{label: (ra, decl[, flux])}`` in degrees."""
        img = self.add_image(step, freq, **image_fields)
        self.load(img, measurements, order)
        result = tkpdb.associate_extracted_sources(self.conn, img, mode=self.mode)
        self.results.append(result)
        return result

    def add_image(self, step: int, freq: float, **image_fields: Any) -> int:
        """Register an image centred on the field (unless told otherwise); return its id."""
        fields = dict(freq_eff=freq, centre_ra=self.ra0, centre_decl=self.decl0)
        fields.update(image_fields)
        img = image(self.conn, self.dataset, step, **fields)
        self.images.append(img)
        return img

    def rows(self, measurements: dict[str, tuple]) -> dict[str, dict]:
        """The source rows of ``{label: (ra, decl[, flux])}``."""
        out = {}
        for label, (ra, decl, *rest) in measurements.items():
            kwargs = dict(self.source_defaults)
            if rest:
                kwargs["flux"] = rest[0]
            out[label] = source(ra, decl, **kwargs)
        return out

    def load(self, img: int, measurements: dict[str, tuple], order: list[str] | None = None,
             commit: bool = True) -> list[int]:
        """Insert the labelled measurements into ``img`` in ``order``; return their ids."""
        rows = self.rows(measurements)
        order = list(measurements) if order is None else order
        ids = tkpdb.insert_extracted_sources(self.conn, img, [rows[k] for k in order],
                                             commit=commit) if order else []
        for label, xtrsrc in zip(order, ids):
            self.ids[label], self.labels[xtrsrc] = xtrsrc, label
        return ids

    def by_runcat(self) -> dict[int, dict[str, int]]:
        """runcat id -> {label: assoc type} of every blind lightcurve of the dataset."""
        out: dict[int, dict[str, int]] = defaultdict(dict)
        for runcat, xtrsrc, kind in query(self.conn, """
                SELECT a.runcat, a.xtrsrc, a.type FROM assocxtrsource a
                JOIN runningcatalog rc ON rc.id = a.runcat
                WHERE rc.dataset = %s AND NOT rc.mon_src""", (self.dataset,)):
            out[runcat][self.labels[xtrsrc]] = kind
        return dict(out)

    def lightcurves(self) -> dict[frozenset[str], dict[str, int]]:
        """{frozenset of labels: {label: assoc type}} of every lightcurve."""
        return {frozenset(types): types for types in self.by_runcat().values()}

    def runcat_of(self, *labels: str) -> int:
        """The id of the runcat whose lightcurve is exactly ``labels``."""
        wanted = set(labels)
        found = [rc for rc, types in self.by_runcat().items() if set(types) == wanted]
        assert len(found) == 1, f"no single lightcurve {sorted(wanted)}: {self.lightcurves()}"
        return found[0]

    def runcat(self, runcat: int) -> dict[str, Any]:
        """The position columns of ``runcat``."""
        (row,) = query(self.conn, f"SELECT {', '.join(POSITION_COLUMNS)} FROM runningcatalog "
                                  "WHERE id = %s", (runcat,))
        return dict(zip(POSITION_COLUMNS, row))

    def links(self, runcat: int) -> dict[str, tuple[int, float, float]]:
        """label -> (type, r, distance_arcsec) of the links of ``runcat``."""
        return {self.labels[x]: (t, r, d) for x, t, r, d in query(self.conn, """
            SELECT xtrsrc, type, r, distance_arcsec FROM assocxtrsource WHERE runcat = %s""",
            (runcat,))}

    def flux(self, runcat: int) -> dict[tuple[float, int], dict[str, float]]:
        """(freq_central, stokes) -> {f_datapoints and the ten means} of ``runcat``."""
        names = ["f_datapoints"] + FLUX_MEANS
        return {(freq, stokes): dict(zip(names, values)) for freq, stokes, *values in query(
            self.conn, f"""SELECT b.freq_central, f.stokes, {', '.join('f.' + n for n in names)}
                FROM runningcatalog_flux f JOIN frequencyband b ON b.id = f.band
                WHERE f.runcat = %s""", (runcat,))}

    def expected_flux(self, *labels: str) -> dict[str, float]:
        """f_datapoints and the ten means of the labelled measurements (plain numpy means)."""
        rows = query(self.conn, """SELECT f_peak, f_peak_err, f_int, f_int_err
                                   FROM extractedsource WHERE id = ANY(%s)""",
                     ([self.ids[label] for label in labels],))
        assert len(rows) == len(labels)
        out: dict[str, float] = {"f_datapoints": len(rows)}
        for k, kind in ((0, "peak"), (2, "int")):
            f = np.array([row[k] for row in rows])
            w = np.array([row[k + 1] for row in rows]) ** -2.0
            out.update({f"avg_f_{kind}": f.mean(), f"avg_f_{kind}_sq": (f * f).mean(),
                        f"avg_f_{kind}_weight": w.mean(), f"avg_weighted_f_{kind}": (f * w).mean(),
                        f"avg_weighted_f_{kind}_sq": (f * f * w).mean()})
        return out


class Survey:
    """A dataset associated by the engine and by :class:`ReferenceAssociation` side by side.

    :meth:`observe` checks the counts of every image against the model; :meth:`check`
    compares every runcat: its lightcurve (extraction ids and types), position aggregates,
    flux means per band and Stokes, and r / distance_arcsec of every link.
    """

    def __init__(self, conn, description: str = "survey", deruiter_radius: float = 5.68,
                 beamwidths_limit: float = 1.0) -> None:
        self.conn = conn
        self.dataset = tkpdb.insert_dataset(conn, description)
        self.deruiter_radius, self.beamwidths_limit = deruiter_radius, beamwidths_limit
        self.model = ReferenceAssociation(deruiter_radius, beamwidths_limit)
        self.measurements: dict[int, dict] = {}   # xtrsrc -> measurement (see measurement())
        self.image_of: dict[int, int] = {}        # xtrsrc -> image
        self.results: list[dict] = []

    def observe(self, step: int, rows: list[dict], **image_fields: Any) -> list[int]:
        """Insert and associate one image of ``rows`` (source rows, RA in [0, 360)); return the
        extraction ids in the order of ``rows``."""
        img = image(self.conn, self.dataset, step, **image_fields)
        ((band, stokes, rb_smaj),) = query(self.conn, "SELECT band, stokes, rb_smaj FROM image "
                                                      "WHERE id = %s", (img,))
        ids = tkpdb.insert_extracted_sources(self.conn, img, rows) if rows else []
        result = tkpdb.associate_extracted_sources(self.conn, img, self.deruiter_radius,
                                                   self.beamwidths_limit)
        self.results.append(result)
        ms = [measurement(row, xtrsrc, band, stokes) for row, xtrsrc in zip(rows, ids)]
        for m in ms:
            self.measurements[m["id"]] = m
            self.image_of[m["id"]] = img
        expected = self.model.associate(ms, rb_smaj)
        assert {k: result[k] for k in expected} == expected, f"image {img} (step {step})"
        return ids

    def check(self, position_arcsec: float = 1e-6, rel: float = 1e-9) -> dict[frozenset[int], dict]:
        """Compare the engine with the model; return the engine's runcats by members.

        Tolerances: positions ``position_arcsec`` (angular distance between the engine's and the
        model's weighted means), ``rel`` relative for every other number, distance_arcsec
        within ``position_arcsec``, r also within 1e-6 absolute (a micro-arcsecond at a 1 arcsec
        sigma: near the poles and for nearly equal positions the rounding error of an offset
        is absolute, not relative); lightcurves, types and counts exactly.
        """
        engine = engine_runcats(self.conn, self.dataset)
        model = self.model.by_members()
        assert set(engine) == set(model), "the lightcurves differ"
        for members, rc in engine.items():
            ref = model[members]
            want = ref.columns()
            assert 0.0 <= rc["wm_ra"] < 360.0
            assert rc["datapoints"] == want["datapoints"]
            assert separation_arcsec(rc["wm_ra"], rc["wm_decl"], want["wm_ra"],
                                     want["wm_decl"]) <= position_arcsec, sorted(members)
            for name in POSITION_COLUMNS[3:]:
                if name == "avg_wra":  # a product with wm_ra, whose last digits are the position's
                    continue
                assert rc[name] == approx(want[name], rel), (sorted(members), name)
            assert rc["avg_wra"] == approx(rc["avg_weight_ra"] * rc["wm_ra"], 1e-12)
            assert {x: link["type"] for x, link in rc["links"].items()} == \
                {x: link["type"] for x, link in ref.links.items()}
            for x, link in rc["links"].items():
                assert link["f_datapoints"] == ref.links[x]["f_datapoints"]
                assert link["r"] == approx(ref.links[x]["r"], rel, 1e-6), (x, "r")
                assert abs(link["distance"] - ref.links[x]["distance"]) <= position_arcsec, x
            assert set(rc["flux"]) == set(ref.flux)
            for key, flux in rc["flux"].items():
                assert flux["f_datapoints"] == ref.flux[key]["f_datapoints"]
                for name in FLUX_MEANS:
                    assert flux[name] == approx(ref.flux[key][name], rel), (key, name)
        return engine


def approx(value: float, rel: float, abs_: float = 0.0):
    """pytest.approx with a relative and an absolute tolerance."""
    return pytest.approx(value, rel=rel, abs=abs_)
