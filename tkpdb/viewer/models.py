"""The JSON documents of the viewer (``/api/...``): one model per page, units in every field.

These pydantic models are the documented schema of the JSON twins: FastAPI publishes them in
``/openapi.json`` and the page ``/api`` lists them. Positions and radii in degrees, fluxes in
Jy, frequencies in Hz, times UTC (ISO 8601, no zone), V and eta dimensionless.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, field_validator

__all__ = [
    "PageInfo", "Bin", "SkyPoint", "SkyPlot", "Band", "SkyRegion", "AssociationLog", "ImageRow",
    "DatasetInfo", "DatasetStatistics", "DatasetList", "DatasetPage", "LightcurveRow",
    "LightcurveFilters", "EtaVPoint", "EtaVPlot", "CandidatesPage", "Measurement", "UpperLimit",
    "BandMetrics", "Heritage", "RuncatInfo", "LightcurvePage", "Outcome", "Detection", "ImageInfo",
    "ImagePage",
]


class PageInfo(BaseModel):
    """Server-side pagination: this page of ``total`` rows."""

    page: int = Field(description="Page number, from 1.")
    per_page: int = Field(description="Rows per page.")
    total: int = Field(description="Rows matching, over all pages.")
    pages: int = Field(description="Number of pages.")


class Bin(BaseModel):
    """A cell of a server-side 2-D histogram (used instead of points above the point limit)."""

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    n: int = Field(description="Objects in the cell.")


class SkyPoint(BaseModel):
    """A lightcurve or measurement on the sky."""

    id: int = Field(description="runcat id (lightcurves) or extractedsource id (measurements).")
    ra: float = Field(description="Right ascension (deg).")
    decl: float = Field(description="Declination (deg).")
    f_int: float | None = Field(None, description="Integrated flux (Jy): mean in its band for a "
                                                  "lightcurve, the measurement's own otherwise.")
    runcat: int | None = Field(None, description="A lightcurve it belongs to (measurements).")
    kind: str | None = Field(None, description="blind, ff_nd or ff_ms (measurements).")


class SkyPlot(BaseModel):
    """Objects on the sky: ``points`` up to the point limit, else ``bins`` (RA, Dec in deg)."""

    mode: Literal["points", "bins"]
    total: int = Field(description="Objects plotted (points or summed over bins).")
    points: list[SkyPoint] = []
    bins: list[Bin] = []


class Band(BaseModel):
    """A frequency band of the dataset."""

    id: int
    freq_central: float = Field(description="Hz.")
    freq_low: float = Field(description="Hz.")
    freq_high: float = Field(description="Hz.")
    images: int = Field(description="Images in the band.")


class SkyRegion(BaseModel):
    """A field: the extraction region of its images."""

    id: int
    centre_ra: float = Field(description="deg.")
    centre_decl: float = Field(description="deg.")
    xtr_radius: float = Field(description="Extraction radius (deg).")
    images: int = Field(description="Images of the field.")


class AssociationLog(BaseModel):
    """What ``associate_image`` returned for an image (association_log)."""

    candidates: int = Field(description="Candidate (runcat, extraction) pairs.")
    one_to_one: int
    one_to_many: int = Field(description="Runcats forked.")
    many_to_one: int = Field(description="Extractions appended to several runcats.")
    many_to_many_pruned: int = Field(description="Candidate pairs dropped.")
    new_sources: int
    new_transient_candidates: int


class ImageRow(BaseModel):
    """An image in the dataset's list."""

    id: int
    taustart_ts: dt.datetime = Field(description="Start of the integration (UTC).")
    band: int
    freq_eff: float = Field(description="Hz.")
    stokes: int = Field(description="1 I, 2 Q, 3 U, 4 V.")
    skyrgn: int = Field(description="Field (sky region) id.")
    rms_min: float | None = Field(description="Jy.")
    rms_max: float | None = Field(description="Jy.")
    detection_thresh: float | None = Field(description="sigma.")
    rejected: bool
    association: AssociationLog | None


class DatasetInfo(BaseModel):
    """A dataset."""

    id: int
    description: str
    process_start_ts: dt.datetime = Field(description="UTC.")
    images: int


class DatasetList(BaseModel):
    """Every dataset of the database."""

    datasets: list[DatasetInfo]


class DatasetStatistics(BaseModel):
    """The view ``dataset_statistics`` (see tkpdb.DatasetStats)."""

    measurements_made: int = Field(description="Extractions (blind and forced) of its images.")
    measurements_counted: int = Field(description="Links summed over all lightcurves.")
    overcounting_fraction: float | None = Field(
        description="allotted / made - 1 (0 when no measurement is shared, or every shared one "
                    "is divided by flux division).")
    lightcurves: int
    images_associated: int
    one_to_many_events: int
    many_to_one_events: int
    many_to_many_events: int
    transient_candidates: int
    suspect_transients: int
    measurements_allotted: float = Field(
        description="The links' flux shares summed: a measurement divided among lightcurves "
                    "counts once.")


class LightcurveRow(BaseModel):
    """A lightcurve in a table (``viewer_lightcurves``, sql/98_viewer.sql)."""

    runcat: int
    wm_ra: float = Field(description="Weighted-mean RA (deg).")
    wm_decl: float = Field(description="Weighted-mean Dec (deg).")
    wm_uncertainty_ew: float = Field(description="deg.")
    wm_uncertainty_ns: float = Field(description="deg.")
    datapoints: int = Field(description="Positional datapoints.")
    mon_src: bool = Field(description="A monitored position.")
    band: int = Field(description="Band of V, eta and avg_f_int.")
    freq_central: float | None = Field(description="Hz.")
    stokes: int
    f_datapoints: int = Field(description="Flux measurements in the band.")
    avg_f_int: float | None = Field(description="Mean integrated flux in the band (Jy).")
    v_int: float | None = Field(description="Flux coefficient of variation V.")
    eta_int: float | None = Field(description="Reduced chi-square eta of the fluxes.")
    lightcurve_max: float | None = Field(description="Max f_int in varmetric's band (Jy).")
    lightcurve_median: float | None = Field(description="Median f_int in varmetric's band (Jy).")
    newsource: int | None = Field(description="newsource id if a transient candidate.")
    newsource_type: int | None = Field(description="0 possibly, 1 likely transient.")
    sigma_rms_max: float | None = Field(description="Trigger f_peak / rms_max of the limits image.")


class LightcurveFilters(BaseModel):
    """The filters of a candidates query (null or empty: no filter)."""

    band: int | None = Field(None, description="Band id: V, eta and flux of that band.")
    stokes: int | None = Field(None, ge=1, le=4, description="Stokes (default 1, I).")
    min_datapoints: int | None = Field(None, ge=0, description="Least flux measurements.")
    eta_min: float | None = Field(None, ge=0)
    eta_max: float | None = Field(None, ge=0)
    v_min: float | None = Field(None, ge=0)
    v_max: float | None = Field(None, ge=0)
    newsource: Literal["any", "0", "1"] | None = Field(
        None, description="Transient candidates only: any type, or type 0 / 1.")
    flux_min: float | None = Field(None, description="Least mean f_int (Jy).")
    flux_max: float | None = Field(None, description="Largest mean f_int (Jy).")
    ra: float | None = Field(None, ge=0, le=360, description="Cone centre (deg).")
    decl: float | None = Field(None, ge=-90, le=90, description="Cone centre (deg).")
    radius: float | None = Field(None, gt=0, le=10,
                                 description="Cone radius (deg); needs ra and decl.")

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        """An empty form field is no filter."""
        return None if isinstance(value, str) and value.strip() == "" else value

    def cone_complete(self) -> bool:
        """A cone filter is given in full (ra, decl and radius) or not at all."""
        given = [v is not None for v in (self.ra, self.decl, self.radius)]
        return all(given) or not any(given)


class EtaVPoint(BaseModel):
    """A lightcurve in the eta-V plane."""

    runcat: int
    eta_int: float
    v_int: float


class EtaVPlot(BaseModel):
    """The eta-V plane of the filtered lightcurves with eta > 0 and V > 0: each point up to the
    point limit, else a histogram of (log10 eta, log10 V)."""

    mode: Literal["points", "bins"]
    total: int = Field(description="Lightcurves plotted.")
    not_plotted: int = Field(description="Filtered lightcurves with eta or V zero or null.")
    points: list[EtaVPoint] = []
    bins: list[Bin] = Field([], description="x: log10 eta, y: log10 V.")


class CandidatesPage(BaseModel):
    """The candidates and variables page: a sorted page of the filtered lightcurves."""

    dataset: DatasetInfo
    filters: LightcurveFilters
    sort: str
    order: Literal["asc", "desc"]
    page: PageInfo
    rows: list[LightcurveRow]
    plot: EtaVPlot
    bands: list[Band]


class DatasetPage(BaseModel):
    """The dataset page."""

    dataset: DatasetInfo
    statistics_url: str = Field(description="Its DatasetStatistics (they count the whole dataset: "
                                            "slower, so a request of their own).")
    bands: list[Band]
    skyregions: list[SkyRegion]
    images: list[ImageRow]
    images_page: PageInfo
    transient_candidates: list[LightcurveRow] = Field(description="Most significant first.")
    sky: SkyPlot = Field(description="The dataset's lightcurves (weighted-mean positions).")


class Measurement(BaseModel):
    """A measurement of a lightcurve (tkpdb.LightcurvePoint)."""

    taustart_ts: dt.datetime
    band: int
    freq_eff: float = Field(description="Hz.")
    stokes: int
    f_peak: float | None = Field(description="Jy, the share this lightcurve holds.")
    f_peak_err: float | None = Field(description="Jy, the share this lightcurve holds.")
    f_int: float | None = Field(description="Jy, the share this lightcurve holds.")
    f_int_err: float | None = Field(description="Jy, the share this lightcurve holds.")
    extract_type: int = Field(description="0 blind, 1 null-detection forced fit, 2 monitoring fit.")
    assoc_type: int = Field(description="2 fork base, 3 one-to-one/many-to-one, 4 new, 6 fork "
                                         "copy, 7 null detection, 8/9 monitoring.")
    r: float | None = Field(description="De Ruiter radius.")
    distance_arcsec: float | None = Field(description="arcsec.")
    v_int: float | None
    eta_int: float | None
    xtrsrc: int
    image: int
    flux_fraction: float = Field(description="Share of the measurement's fluxes this lightcurve "
                                             "holds (flux division; 1 = all).")


class UpperLimit(BaseModel):
    """An image that covered the position without a measurement of the lightcurve."""

    image: int
    taustart_ts: dt.datetime
    band: int
    freq_eff: float = Field(description="Hz.")
    stokes: int
    rms_min: float | None = Field(description="Jy.")
    rms_max: float | None = Field(description="Jy.")
    detection_thresh: float | None = Field(description="sigma.")
    limit: float | None = Field(description="detection_thresh * rms_max (Jy): anything brighter, "
                                            "anywhere in the image, would have been detected.")


class BandMetrics(BaseModel):
    """V and eta of a lightcurve in one band (after its latest measurement there)."""

    band: int
    freq_central: float | None = Field(description="Hz.")
    stokes: int
    measurements: int
    v_int: float | None
    eta_int: float | None
    mean_f_int: float | None = Field(description="Jy.")


class Heritage(BaseModel):
    """Provenance: the lightcurves sharing measurements with this one (tkpdb.heritage_graph)."""

    lightcurves: list[int] = Field(description="Connected lightcurves, this one included.")
    measurements: int
    rendered: bool = Field(description="False when the graph is too large to draw.")
    svg_url: str | None
    dot: str = Field(description="GraphViz DOT text.")


class RuncatInfo(BaseModel):
    """A running-catalogue entry."""

    id: int
    dataset: int
    wm_ra: float = Field(description="deg.")
    wm_decl: float = Field(description="deg.")
    wm_uncertainty_ew: float = Field(description="deg.")
    wm_uncertainty_ns: float = Field(description="deg.")
    datapoints: int
    mon_src: bool
    forcedfits_count: int
    newsource_type: int | None
    newsource_trigger_xtrsrc: int | None


class LightcurvePage(BaseModel):
    """The lightcurve page."""

    runcat: RuncatInfo
    bands: list[Band]
    metrics: list[BandMetrics]
    measurements: list[Measurement]
    upper_limits: list[UpperLimit]
    heritage: Heritage


class Outcome(BaseModel):
    """Measurements of an image per extraction type and link type."""

    extract_type: int
    assoc_type: int | None = Field(description="None: in no lightcurve.")
    n: int


class Detection(BaseModel):
    """A measurement of an image."""

    xtrsrc: int
    ra: float = Field(description="deg.")
    decl: float = Field(description="deg.")
    f_peak: float | None = Field(description="Jy.")
    f_int: float | None = Field(description="Jy.")
    f_int_err: float | None = Field(description="Jy.")
    det_sigma: float
    extract_type: int
    runcats: list[int] = Field(description="Lightcurves it belongs to.")


class ImageInfo(BaseModel):
    """An image's metadata."""

    id: int
    dataset: int
    taustart_ts: dt.datetime
    tau_time: float | None = Field(description="s.")
    band: int
    freq_eff: float = Field(description="Hz.")
    freq_bw: float | None = Field(description="Hz.")
    stokes: int
    skyrgn: int
    centre_ra: float = Field(description="deg.")
    centre_decl: float = Field(description="deg.")
    xtr_radius: float = Field(description="deg.")
    rb_smaj: float = Field(description="deg.")
    rb_smin: float = Field(description="deg.")
    rb_pa: float = Field(description="deg.")
    rms_min: float | None = Field(description="Jy.")
    rms_max: float | None = Field(description="Jy.")
    detection_thresh: float | None
    analysis_thresh: float | None
    url: str | None
    rejections: list[str]


class ImagePage(BaseModel):
    """The image page."""

    image: ImageInfo
    association: AssociationLog | None
    outcome: list[Outcome]
    detections: list[Detection]
    detections_page: PageInfo
    sky: SkyPlot
