"""IVOA Simple Cone Search (SCS 1.1) over a dataset's running catalogue.

``GET /scs/<dataset>?RA=<deg>&DEC=<deg>&SR=<deg>[&MAXREC=<n>]`` returns a VOTable (written with
:mod:`astropy.io.votable`) with one RESOURCE ``type="results"`` holding one TABLE: a row per
lightcurve whose weighted-mean position lies in the cone, nearest first, with the id
(``meta.id;meta.main``), position (``pos.eq.ra;meta.main``, ``pos.eq.dec;meta.main``, deg,
ICRS), positional uncertainties, datapoints, newsource type, and per band and Stokes the mean
integrated flux (Jy), its number of measurements, V and eta. Parameter names are
case-insensitive (DALI). ``SR=0`` or ``MAXREC=0`` return the metadata only. At most ``MAXREC``
rows (default and largest :data:`MAX_RECORDS`); a truncated result says
``QUERY_STATUS=OVERFLOW``. Errors (missing, unparsable or out-of-range parameters, an unknown
dataset, ``SR`` above :data:`MAX_SR`) return HTTP 200 with a VOTable whose root holds
``<INFO ID="Error" name="Error" value="...">``, as the standard prescribes. Values reach SQL only
as bound parameters, after validation.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

from astropy.io.votable.tree import Field, Info, Resource, TableElement, VOTableFile

from .db import Reader

__all__ = ["ConeSearchError", "MAX_SR", "MAX_RECORDS", "parse_cone", "cone_votable",
           "error_votable", "VOTABLE_MEDIA_TYPE"]

MAX_SR = 10.0           # deg: the largest cone accepted
MAX_RECORDS = 100_000   # rows: the most one query returns
VOTABLE_MEDIA_TYPE = "text/xml;content=x-votable"
_STOKES = {1: "I", 2: "Q", 3: "U", 4: "V"}
_FORMAT = "tabledata"   # readable by every VO client (BINARY2 writes ~25 % faster, 3x smaller)


class ConeSearchError(ValueError):
    """A cone search request that cannot be answered (the message goes to the client)."""


def _number(params: Mapping[str, str], name: str, low: float, high: float) -> float:
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        raise ConeSearchError(f"parameter {name} is required (decimal degrees)")
    try:
        value = float(raw)
    except ValueError:
        raise ConeSearchError(f"parameter {name}: {raw!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ConeSearchError(f"parameter {name}: {raw!r} is outside [{low:g}, {high:g}]")
    return value


def parse_cone(query: Mapping[str, str]) -> tuple[float, float, float, int]:
    """``(ra, dec, sr, maxrec)`` from the request's query parameters, validated."""
    params = {key.upper(): value for key, value in query.items()}
    ra = _number(params, "RA", 0.0, 360.0) % 360.0
    dec = _number(params, "DEC", -90.0, 90.0)
    sr = _number(params, "SR", 0.0, MAX_SR)
    maxrec = MAX_RECORDS
    if params.get("MAXREC", "").strip():
        raw = params["MAXREC"]
        if not raw.strip().isdigit():
            raise ConeSearchError(f"parameter MAXREC: {raw!r} is not a non-negative integer")
        maxrec = min(int(raw), MAX_RECORDS)
    return ra, dec, sr, maxrec


def error_votable(message: str) -> bytes:
    """The SCS error document: an INFO named Error at the root of an otherwise empty VOTable."""
    votable = VOTableFile()
    votable.infos.append(Info(ID="Error", name="Error", value=message))
    resource = Resource(type="results")
    resource.infos.append(Info(name="QUERY_STATUS", value="ERROR"))
    votable.resources.append(resource)
    return _serialise(votable)


def _serialise(votable: VOTableFile) -> bytes:
    out = io.BytesIO()
    votable.to_xml(out, tabledata_format=_FORMAT)
    return out.getvalue()


def _band_label(freq_hz: float, stokes: int, used: set[str]) -> str:
    label = f"{freq_hz / 1e6:.6g}MHz".replace(".", "p")
    if stokes != 1:
        label += f"_{_STOKES.get(stokes, stokes)}"
    base, k = label, 2
    while label in used:
        label, k = f"{base}_{k}", k + 1
    used.add(label)
    return label


def cone_votable(r: Reader, dataset: int, ra: float, dec: float, sr: float, maxrec: int) -> bytes:
    """The VOTable answering a cone search (raises :class:`ConeSearchError`)."""
    info = r.one("SELECT id, description FROM dataset WHERE id = %s", (dataset,))
    if info is None:
        raise ConeSearchError(f"dataset {dataset} does not exist")
    bands = r.rows("""
        SELECT DISTINCT i.band, i.stokes, b.freq_central FROM image i
        JOIN frequencyband b ON b.id = i.band WHERE i.dataset = %s
        ORDER BY b.freq_central, i.band, i.stokes""", (dataset,))
    rows = []
    if sr > 0 and maxrec > 0:
        rows = r.rows("SELECT * FROM viewer_scs(%s, %s, %s, %s, %s)",
                      (dataset, ra, dec, sr, maxrec + 1))
    by_runcat: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_runcat.setdefault(row["runcat"], []).append(row)
    overflow = len(by_runcat) > maxrec
    runcats = list(by_runcat)[:maxrec]

    votable = VOTableFile()
    resource = Resource(type="results", name=f"tkpdb_dataset_{dataset}")
    votable.resources.append(resource)
    resource.description = (f"tkpdb running catalogue of dataset {dataset} ({info['description']}): "
                            "one row per lightcurve within the cone, nearest first.")
    resource.infos.append(Info(name="QUERY_STATUS", value="OVERFLOW" if overflow else "OK"))
    resource.infos.append(Info(name="request", value=f"RA={ra:.8g}&DEC={dec:.8g}&SR={sr:.8g}"
                                                     f"&MAXREC={maxrec}"))
    table = TableElement(votable, name="runningcatalog")
    resource.tables.append(table)
    fields = [
        ("runcat", "char", "*", None, "meta.id;meta.main", "Lightcurve (runningcatalog) id."),
        ("ra", "double", None, "deg", "pos.eq.ra;meta.main", "Weighted-mean right ascension (ICRS)."),
        ("dec", "double", None, "deg", "pos.eq.dec;meta.main", "Weighted-mean declination (ICRS)."),
        ("ra_err", "double", None, "arcsec", "stat.error;pos.eq.ra",
         "1-sigma uncertainty of the weighted mean, east-west."),
        ("dec_err", "double", None, "arcsec", "stat.error;pos.eq.dec",
         "1-sigma uncertainty of the weighted mean, north-south."),
        ("distance", "double", None, "deg", "pos.angDistance", "Distance from the cone centre."),
        ("datapoints", "int", None, None, "meta.number", "Positional datapoints."),
        ("monitored", "boolean", None, None, "meta.code", "A position of the monitoring list."),
        ("newsource_type", "short", None, None, "meta.code.class;src.var",
         "Transient candidate: 0 possibly, 1 likely transient; null if not a candidate."),
    ]
    used: set[str] = set()
    band_keys = []
    for b in bands:
        label = _band_label(b["freq_central"], b["stokes"], used)
        stokes = _STOKES.get(b["stokes"], str(b["stokes"]))
        where = f"at {b['freq_central'] / 1e6:.6g} MHz (band {b['band']}), Stokes {stokes}"
        band_keys.append((b["band"], b["stokes"]))
        fields += [
            (f"f_int_{label}", "double", None, "Jy", "phot.flux.density;stat.mean;em.radio",
             f"Mean integrated flux {where}."),
            (f"n_{label}", "int", None, None, "meta.number", f"Flux measurements {where}."),
            (f"v_{label}", "double", None, None, "src.var.index",
             f"Flux coefficient of variation V {where}."),
            (f"eta_{label}", "double", None, None, "stat.fit.chi2;src.var",
             f"Reduced chi-square eta of the fluxes {where}."),
        ]
    for name, datatype, arraysize, unit, ucd, description in fields:
        field = Field(votable, name=name, ID=name, datatype=datatype, arraysize=arraysize,
                      unit=unit, ucd=ucd)
        field.description = description
        table.fields.append(field)
    table.create_arrays(len(runcats))
    # fill column by column (vectorised): the runcat's own values, then each band's
    firsts = [by_runcat[runcat][0] for runcat in runcats]
    columns: dict[str, list[Any]] = {
        "runcat": [str(runcat) for runcat in runcats],
        "ra": [x["wm_ra"] for x in firsts], "dec": [x["wm_decl"] for x in firsts],
        "ra_err": [x["wm_uncertainty_ew"] * 3600.0 for x in firsts],
        "dec_err": [x["wm_uncertainty_ns"] * 3600.0 for x in firsts],
        "distance": [x["distance_deg"] for x in firsts],
        "datapoints": [x["datapoints"] for x in firsts],
        "monitored": [x["mon_src"] for x in firsts],
        "newsource_type": [x["newsource_type"] for x in firsts],
    }
    names = [f.name for f in table.fields]
    per_band = [{(x["band"], x["stokes"]): x for x in by_runcat[runcat] if x["band"] is not None}
                for runcat in runcats]
    for k, key in enumerate(band_keys):
        for j, column in enumerate(("avg_f_int", "f_datapoints", "v_int", "eta_int")):
            columns[names[9 + 4 * k + j]] = [b[key][column] if key in b else None
                                             for b in per_band]
    for name, values in columns.items():
        missing = [v is None for v in values]
        table.array[name] = [0 if v is None else v for v in values]
        table.array.mask[name] = missing
    return _serialise(votable)

