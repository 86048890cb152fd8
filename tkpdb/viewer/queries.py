"""What each page shows, read through tkpdb's public API and the SQL views and functions.

Every function takes a :class:`~tkpdb.viewer.db.Reader` (one read-only transaction) and
returns the page's model (:mod:`tkpdb.viewer.models`). Values are always bound parameters;
the only identifiers put into SQL text are sort columns taken from a fixed list. Lists are
paged on the server; plots carry points up to ``point_limit`` and a server-side histogram
above it.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from psycopg2 import sql

from ..heritage import heritage_graph
from ..lightcurves import get_lightcurve
from ..stats import dataset_stats
from . import models as m
from .db import Reader

__all__ = ["NotFound", "Settings", "StatisticsCache", "SORT_COLUMNS", "datasets", "dataset_page",
           "dataset_statistics", "candidates_page", "lightcurve_page", "heritage_dot", "image_page"]

#: Sortable columns of the candidates table.
SORT_COLUMNS = ("runcat", "wm_ra", "wm_decl", "f_datapoints", "avg_f_int", "v_int", "eta_int",
                "lightcurve_max", "sigma_rms_max", "newsource_type")
_EXTRACT_KINDS = {0: "blind", 1: "ff_nd", 2: "ff_ms"}


class NotFound(LookupError):
    """The requested dataset, lightcurve or image does not exist."""


@dataclass(frozen=True)
class Settings:
    """Limits of the viewer.

    point_limit: most points a plot carries before it is binned on the server.
    bins: cells per axis of a binned plot. heritage_limit: most measurements of a heritage
    graph drawn. per_page: default rows per page; max_per_page: the most a client may ask.
    """

    point_limit: int = 3000
    bins: int = 60
    heritage_limit: int = 1500
    per_page: int = 50
    max_per_page: int = 500


@dataclass
class StatisticsCache:
    """Dataset statistics already computed, valid while no measurement or link is added.

    ``dataset_statistics`` counts every measurement and link of a dataset (seconds for
    millions): it is computed once per state of the database, the state being the newest
    extraction and link ids (two index probes). Any association, forced fit or fork adds
    rows with higher ids and so recomputes it. At most ``size`` datasets are kept.
    """

    size: int = 32
    _entries: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: tuple) -> m.DatasetStatistics | None:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        return None

    def put(self, key: tuple, value: m.DatasetStatistics) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def _page(page: int, per_page: int, total: int) -> m.PageInfo:
    return m.PageInfo(page=page, per_page=per_page, total=total,
                      pages=max(1, math.ceil(total / per_page)))


# --- datasets -------------------------------------------------------------------------------

def datasets(r: Reader) -> m.DatasetList:
    """Every dataset."""
    rows = r.rows("""
        SELECT d.id, d.description, d.process_start_ts,
               (SELECT count(*) FROM image i WHERE i.dataset = d.id) AS images
        FROM dataset d ORDER BY d.id""")
    return m.DatasetList(datasets=[m.DatasetInfo(**row) for row in rows])


def _dataset(r: Reader, dataset: int) -> m.DatasetInfo:
    row = r.one("""
        SELECT d.id, d.description, d.process_start_ts,
               (SELECT count(*) FROM image i WHERE i.dataset = d.id) AS images
        FROM dataset d WHERE d.id = %s""", (dataset,))
    if row is None:
        raise NotFound(f"dataset {dataset} does not exist")
    return m.DatasetInfo(**row)


def _bands(r: Reader, dataset: int) -> list[m.Band]:
    rows = r.rows("""
        SELECT b.id, b.freq_central, b.freq_low, b.freq_high,
               (SELECT count(*) FROM image i WHERE i.dataset = b.dataset AND i.band = b.id) AS images
        FROM frequencyband b WHERE b.dataset = %s ORDER BY b.freq_central, b.id""", (dataset,))
    return [m.Band(**row) for row in rows]


def dataset_statistics(r: Reader, dataset: int, cache: StatisticsCache) -> m.DatasetStatistics:
    """The view dataset_statistics of one dataset (tkpdb.dataset_stats), cached."""
    _dataset(r, dataset)
    state = r.one("""SELECT (SELECT max(id) FROM extractedsource) AS xtrsrc,
                            (SELECT max(id) FROM assocxtrsource) AS link""")
    key = (dataset, state["xtrsrc"], state["link"])
    stats = cache.get(key)
    if stats is None:
        stats = m.DatasetStatistics(**dataset_stats(r.conn, dataset)._asdict())
        cache.put(key, stats)
    return stats


def dataset_page(r: Reader, dataset: int, settings: Settings, page: int = 1,
                 per_page: int | None = None, root: str = "") -> m.DatasetPage:
    """The dataset: bands, fields, a page of images, top candidates, sky plot (its statistics,
    which count the whole dataset, are a page of their own: :func:`dataset_statistics`)."""
    info = _dataset(r, dataset)
    per_page = per_page or settings.per_page
    regions = r.rows("""
        SELECT s.id, s.centre_ra, s.centre_decl, s.xtr_radius,
               (SELECT count(*) FROM image i WHERE i.skyrgn = s.id) AS images
        FROM skyregion s WHERE s.dataset = %s ORDER BY s.id""", (dataset,))
    images = r.rows("""
        SELECT i.id, i.taustart_ts, i.band, i.freq_eff, i.stokes, i.skyrgn, i.rms_min, i.rms_max,
               i.detection_thresh,
               EXISTS (SELECT FROM rejection j WHERE j.image = i.id) AS rejected,
               to_jsonb(l) - 'image' AS association
        FROM image i LEFT JOIN association_log l ON l.image = i.id
        WHERE i.dataset = %s ORDER BY i.taustart_ts, i.freq_eff, i.id
        LIMIT %s OFFSET %s""", (dataset, per_page, (page - 1) * per_page))
    top = _lightcurve_rows(r, dataset, m.LightcurveFilters(newsource="any"), "sigma_rms_max",
                           "desc", 10, 0)
    return m.DatasetPage(
        dataset=info, statistics_url=f"{root}/api/datasets/{dataset}/statistics",
        bands=_bands(r, dataset), skyregions=[m.SkyRegion(**row) for row in regions],
        images=[m.ImageRow(**row) for row in images],
        images_page=_page(page, per_page, info.images),
        transient_candidates=top,
        sky=_lightcurve_sky(r, dataset, settings))


# --- lightcurve tables ----------------------------------------------------------------------

_LC_CALL = sql.SQL("""viewer_lightcurves(%(dataset)s, p_band => %(band)s,
    p_stokes => %(stokes)s::smallint, p_min_datapoints => %(min_datapoints)s,
    p_eta_min => %(eta_min)s, p_eta_max => %(eta_max)s, p_v_min => %(v_min)s,
    p_v_max => %(v_max)s, p_newsource => %(newsource)s, p_flux_min => %(flux_min)s,
    p_flux_max => %(flux_max)s, p_ra => %(ra)s, p_decl => %(decl)s, p_radius => %(radius)s)""")


def _lc_params(dataset: int, f: m.LightcurveFilters) -> dict:
    if not f.cone_complete():
        raise ValueError("a cone needs ra, decl and radius")
    params = f.model_dump()
    params["dataset"] = dataset
    params["stokes"] = f.stokes or 1
    return params


def _lightcurve_rows(r: Reader, dataset: int, f: m.LightcurveFilters, sort: str, order: str,
                     limit: int, offset: int) -> list[m.LightcurveRow]:
    if sort not in SORT_COLUMNS or order not in ("asc", "desc"):
        raise ValueError(f"cannot sort by {sort!r} {order!r}")
    query = sql.SQL("SELECT * FROM {call} ORDER BY {col} {order} NULLS LAST, runcat "
                    "LIMIT %(limit)s OFFSET %(offset)s").format(
        call=_LC_CALL, col=sql.Identifier(sort), order=sql.SQL(order.upper()))
    rows = r.rows(query, {**_lc_params(dataset, f), "limit": limit, "offset": offset})
    return [m.LightcurveRow(**row) for row in rows]


def _binned(r: Reader, source: sql.Composable, params: dict, bins: int) -> list[m.Bin]:
    """Histogram of the (x, y) rows of ``source`` (viewer_bins2d, computed in the database)."""
    query = sql.SQL("""
        SELECT b.* FROM (SELECT array_agg(x) AS xs, array_agg(y) AS ys FROM ({source}) s (x, y)) a
        CROSS JOIN LATERAL viewer_bins2d(a.xs, a.ys, %(bins)s) b""").format(source=source)
    return [m.Bin(**row) for row in r.rows(query, {**params, "bins": bins})]


def _lightcurve_sky(r: Reader, dataset: int, settings: Settings) -> m.SkyPlot:
    row = r.one("SELECT * FROM viewer_sky(%s, %s, %s)",
                (dataset, settings.point_limit, settings.bins))
    if row["points"] is not None:
        points = [m.SkyPoint(id=p["runcat"], ra=p["wm_ra"], decl=p["wm_decl"], f_int=p["f_int"])
                  for p in row["points"]]
        return m.SkyPlot(mode="points", total=row["total"], points=points)
    return m.SkyPlot(mode="bins", total=row["total"], bins=[m.Bin(**b) for b in row["bins"]])


_CANDIDATES = sql.SQL("""SELECT * FROM viewer_candidates(%(dataset)s, %(band)s,
    %(stokes)s::smallint, %(min_datapoints)s, %(eta_min)s, %(eta_max)s, %(v_min)s, %(v_max)s,
    %(newsource)s, %(flux_min)s, %(flux_max)s, %(ra)s, %(decl)s, %(radius)s, %(sort)s,
    %(descending)s, %(limit)s, %(offset)s, %(point_limit)s, %(bins)s)""")


def candidates_page(r: Reader, dataset: int, f: m.LightcurveFilters, settings: Settings,
                    sort: str = "eta_int", order: str = "desc", page: int = 1,
                    per_page: int | None = None) -> m.CandidatesPage:
    """A sorted page of the dataset's lightcurves matching ``f``, and their eta-V plane
    (``viewer_candidates``: one read of the filtered lightcurves)."""
    if sort not in SORT_COLUMNS or order not in ("asc", "desc"):
        raise ValueError(f"cannot sort by {sort!r} {order!r}")
    info = _dataset(r, dataset)
    per_page = per_page or settings.per_page
    row = r.one(_CANDIDATES, {**_lc_params(dataset, f), "sort": sort,
                              "descending": order == "desc", "limit": per_page,
                              "offset": (page - 1) * per_page,
                              "point_limit": settings.point_limit, "bins": settings.bins})
    total, plotted = row["total"], row["plotted"]
    if row["points"] is not None:
        plot = m.EtaVPlot(mode="points", total=plotted, not_plotted=total - plotted,
                          points=[m.EtaVPoint(**p) for p in row["points"]])
    else:
        plot = m.EtaVPlot(mode="bins", total=plotted, not_plotted=total - plotted,
                          bins=[m.Bin(**b) for b in row["bins"]])
    return m.CandidatesPage(dataset=info, filters=f, sort=sort, order=order,
                            page=_page(page, per_page, total),
                            rows=[m.LightcurveRow(**x) for x in row["rows"]], plot=plot,
                            bands=_bands(r, dataset))


# --- lightcurve -----------------------------------------------------------------------------

def _runcat(r: Reader, runcat: int) -> m.RuncatInfo:
    row = r.one("""
        SELECT rc.id, rc.dataset, rc.wm_ra, rc.wm_decl, rc.wm_uncertainty_ew, rc.wm_uncertainty_ns,
               rc.datapoints, rc.mon_src, rc.forcedfits_count, ns.newsource_type,
               ns.trigger_xtrsrc AS newsource_trigger_xtrsrc
        FROM runningcatalog rc LEFT JOIN newsource ns ON ns.runcat = rc.id
        WHERE rc.id = %s""", (runcat,))
    if row is None:
        raise NotFound(f"lightcurve {runcat} does not exist "
                       "(a forked lightcurve is replaced by its children)")
    return m.RuncatInfo(**row)


def _metrics(points: list[m.Measurement], bands: dict[int, m.Band]) -> list[m.BandMetrics]:
    """Per band and Stokes: V and eta after the latest measurement, count and mean flux."""
    out = []
    keys = sorted({(p.band, p.stokes) for p in points},
                  key=lambda k: (bands[k[0]].freq_central if k[0] in bands else 0.0, k))
    for band, stokes in keys:
        these = [p for p in points if (p.band, p.stokes) == (band, stokes)]
        fluxes = [p.f_int for p in these if p.f_int is not None]
        last = these[-1]   # points are in time order; V and eta are running values
        out.append(m.BandMetrics(
            band=band, freq_central=bands[band].freq_central if band in bands else None,
            stokes=stokes, measurements=len(these), v_int=last.v_int, eta_int=last.eta_int,
            mean_f_int=sum(fluxes) / len(fluxes) if fluxes else None))
    return out


def heritage_dot(r: Reader, runcat: int, link: str = "/lightcurves/{}") -> tuple[str, int, list[int]]:
    """The heritage graph as DOT with each lightcurve box linked to its page; its size."""
    graph = heritage_graph(r.conn, runcat)
    dot = graph.to_dot().rstrip().removesuffix("}")
    links = [f'    L_{lc} [href="{link.format(lc)}", target="_top", '
             f'tooltip="lightcurve {lc}"];' for lc in graph.lightcurves]
    return dot + "\n".join(links) + "\n}\n", len(graph.measurements), list(graph.lightcurves)


def lightcurve_page(r: Reader, runcat: int, settings: Settings, root: str = "") -> m.LightcurvePage:
    """Measurements, upper limits, V and eta per band, heritage of one lightcurve."""
    info = _runcat(r, runcat)
    bands = {b.id: b for b in _bands(r, info.dataset)}
    points = [m.Measurement(**p._asdict()) for p in get_lightcurve(r.conn, runcat)]
    limits = []
    for row in r.rows("SELECT * FROM viewer_upper_limits(%s)", (runcat,)):
        thresh, rms = row["detection_thresh"], row["rms_max"]
        limits.append(m.UpperLimit(**row, limit=thresh * rms if None not in (thresh, rms) else None))
    dot, size, component = heritage_dot(r, runcat, root + "/lightcurves/{}")
    rendered = size <= settings.heritage_limit
    heritage = m.Heritage(lightcurves=component, measurements=size, rendered=rendered, dot=dot,
                          svg_url=f"{root}/lightcurves/{runcat}/heritage.svg" if rendered else None)
    return m.LightcurvePage(runcat=info, bands=list(bands.values()),
                            metrics=_metrics(points, bands), measurements=points,
                            upper_limits=limits, heritage=heritage)


# --- image ----------------------------------------------------------------------------------

def image_page(r: Reader, image: int, settings: Settings, page: int = 1,
               per_page: int | None = None) -> m.ImagePage:
    """An image: metadata, what its association did, its detections (table and sky)."""
    row = r.one("""
        SELECT i.id, i.dataset, i.taustart_ts, i.tau_time, i.band, i.freq_eff, i.freq_bw, i.stokes,
               i.skyrgn, s.centre_ra, s.centre_decl, s.xtr_radius, i.rb_smaj, i.rb_smin, i.rb_pa,
               i.rms_min, i.rms_max, i.detection_thresh, i.analysis_thresh, i.url,
               ARRAY(SELECT rr.description || coalesce(': ' || j.comment, '')
                     FROM rejection j JOIN rejectreason rr ON rr.id = j.rejectreason
                     WHERE j.image = i.id ORDER BY j.id) AS rejections,
               to_jsonb(l) - 'image' AS association
        FROM image i JOIN skyregion s ON s.id = i.skyrgn
        LEFT JOIN association_log l ON l.image = i.id
        WHERE i.id = %s""", (image,))
    if row is None:
        raise NotFound(f"image {image} does not exist")
    association = row.pop("association")
    per_page = per_page or settings.per_page
    outcome = [m.Outcome(**o) for o in r.rows("SELECT * FROM viewer_image_outcome(%s)", (image,))]
    total = r.value("SELECT count(*) FROM extractedsource WHERE image = %s", (image,))
    detections = [m.Detection(**d) for d in r.rows(
        "SELECT * FROM viewer_image_detections(%s, %s, %s)",
        (image, per_page, (page - 1) * per_page))]
    return m.ImagePage(image=m.ImageInfo(**row),
                       association=m.AssociationLog(**association) if association else None,
                       outcome=outcome, detections=detections,
                       detections_page=_page(page, per_page, total),
                       sky=_image_sky(r, image, total, settings))


def _image_sky(r: Reader, image: int, total: int, settings: Settings) -> m.SkyPlot:
    if total <= settings.point_limit:
        rows = r.rows("SELECT * FROM viewer_image_detections(%s, %s)", (image, total))
        points = [m.SkyPoint(id=d["xtrsrc"], ra=d["ra"], decl=d["decl"], f_int=d["f_int"],
                             runcat=d["runcats"][0] if d["runcats"] else None,
                             kind=_EXTRACT_KINDS.get(d["extract_type"])) for d in rows]
        return m.SkyPlot(mode="points", total=len(points), points=points)
    bins = _binned(r, sql.SQL("SELECT ra, decl FROM extractedsource WHERE image = %(image)s"),
                   {"image": image}, settings.bins)
    return m.SkyPlot(mode="bins", total=sum(b.n for b in bins), bins=bins)
