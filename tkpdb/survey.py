"""A simulated survey with ground truth: two overlapping fields, two or more bands, epochs.

The sky (seeded, numpy): steady sources with a Euclidean flux distribution
(``N(>S) ~ S^-1.5``) and spectral indices about -0.7, variables (sinusoidal modulation),
transients that appear at an epoch and fade, and close pairs whose separation lies between
the restoring beams of the lowest and highest band, so that only the higher-frequency beam
resolves them (one-to-many and many-to-one associations really occur). Every image has a
noise level of its own that rises towards the edge (a primary-beam-like noise map) and an
astrometric offset of its own (the systematic term).

The simulated source finder reports, per image, the sources inside the extraction circle:
sources closer than the band's beam FWHM are blended into one detection (summed flux,
flux-weighted position, the truth of the brightest member); a detection is reported when its
measured peak is at least ``detection_thresh`` times the local noise; positions scatter by
``FWHM / (2 SNR)`` per axis plus the image's offset; errors are written with Selavy's
precision (so bright sources get Selavy's ``0.00``).

:func:`write_survey` writes the catalogues in Selavy's ``.txt`` layout, FITS images of the sky
(beam-shaped sources plus noise correlated over the beam) and their noise maps, the manifest
and ``truth.json``. Units: degrees, Jy, Hz, arcsec where stated.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

from .selavy_writer import selavy_rows, write_selavy_txt
from .simulate import field_offsets

__all__ = ["SurveySpec", "Survey", "SimImage", "simulate_survey", "write_survey",
           "load_truth", "Truth"]

_FOUR_LN2 = 4.0 * np.log(2.0)


@dataclass(frozen=True)
class SurveySpec:
    """What to simulate (defaults: the demo survey). Positions deg, fluxes Jy, Hz, arcsec."""

    seed: int = 1
    epochs: int = 8
    steady: int = 140
    variables: int = 12
    transients: int = 4
    pairs: int = 3
    centre: tuple[float, float] = (150.0, -30.0)
    field_separation: float = 0.25          # deg between the two field centres (east-west)
    npix: int = 256
    pixel_arcsec: float = 6.0
    freqs: tuple[float, ...] = (700e6, 1400e6)
    bandwidth: float = 50e6
    fwhm_at_1ghz: float = 42.0              # arcsec; FWHM = this * (1 GHz / freq)
    axis_ratio: float = 0.8                 # beam minor / major
    bpa: float = 20.0                       # deg, east of north
    rms_at_1ghz: float = 0.6e-3             # Jy/beam at the field centre
    detection_thresh: float = 5.0
    astrometry_arcsec: float = 1.0          # per-image systematic offset (1 sigma per axis)
    pair_separation_arcsec: float = 40.0
    flux_min: float = 4e-3
    flux_max: float = 0.3
    start: dt.datetime = dt.datetime(2026, 1, 1, 12, 0, 0)
    epoch_days: float = 1.0
    tau_time: float = 900.0

    def fwhm(self, freq: float) -> float:
        """Beam FWHM major axis (arcsec) at ``freq`` (Hz)."""
        return self.fwhm_at_1ghz * 1e9 / freq


@dataclass
class SimImage:
    """One simulated image: its field, epoch, band, metadata and finder catalogue.

    ``rows`` are the finder's detections (positions deg, errors arcsec, fluxes Jy, rms
    Jy/beam); ``truth`` the true source id of each row (the brightest member of a blend),
    ``members`` the true sources each row measured (several for a blend).
    """

    name: str
    field: int
    epoch: int
    band: int
    freq: float
    taustart_ts: dt.datetime
    centre: tuple[float, float]
    rms: float
    offset: tuple[float, float]
    rows: dict[str, np.ndarray]
    truth: np.ndarray
    members: list[list[int]] = field(default_factory=list)


@dataclass
class Survey:
    """The true sky (``flux[source, epoch, band]`` in Jy) and the simulated images."""

    spec: SurveySpec
    ra: np.ndarray
    decl: np.ndarray
    kind: np.ndarray
    flux: np.ndarray
    fields: list[tuple[float, float]]
    images: list[SimImage] = field(default_factory=list)

    @property
    def xtr_radius(self) -> float:
        """Extraction radius of every image (deg): the circle inside the image."""
        return self.spec.npix / 2.0 * self.spec.pixel_arcsec / 3600.0

    def noise(self, image: SimImage, ra: np.ndarray, decl: np.ndarray) -> np.ndarray:
        """The image's noise (Jy/beam) at positions (deg)."""
        r = _separation(image.centre[0], image.centre[1], ra, decl) / self.xtr_radius
        return image.rms * (1.0 + 0.6 * r ** 2)


def _separation(ra0, dec0, ra, dec):
    """Great-circle distance (deg)."""
    a0, d0, a, d = (np.radians(np.asarray(v, float)) for v in (ra0, dec0, ra, dec))
    c = np.sin(d0) * np.sin(d) + np.cos(d0) * np.cos(d) * np.cos(a - a0)
    return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))


def _place(rng, n, fields, radius, keep_away, min_sep):
    """``n`` positions uniform over the union of the field circles, at least ``min_sep`` (deg)
    from each other and from every ``keep_away`` position (ra, decl, distance in deg)."""
    away = [tuple(p) for p in keep_away]
    out_ra, out_dec = [], []
    centre = (np.mean([f[0] for f in fields]), np.mean([f[1] for f in fields]))
    cap = radius + max(_separation(centre[0], centre[1], f[0], f[1]) for f in fields)
    while len(out_ra) < n:
        rho = np.degrees(np.arccos(1.0 - rng.random() * (1.0 - np.cos(np.radians(cap)))))
        r, d = field_offsets(centre[0], centre[1], rho, rng.random() * 360.0)
        r, d = float(r), float(d)
        if min(_separation(f[0], f[1], r, d) for f in fields) > radius * 0.97:
            continue
        if away:
            a = np.array(away)
            if (_separation(r, d, a[:, 0], a[:, 1]) < a[:, 2]).any():
                continue
        away.append((r, d, min_sep))
        out_ra.append(r), out_dec.append(d)
    return out_ra, out_dec


def simulate_survey(spec: SurveySpec = SurveySpec()) -> Survey:
    """The true sky and every image's finder catalogue (see the module docstring)."""
    rng = np.random.default_rng(spec.seed)
    half = spec.field_separation / 2.0
    fields = [tuple(float(v) for v in field_offsets(spec.centre[0], spec.centre[1], half, phi))
              for phi in (270.0, 90.0)]
    radius = spec.npix / 2.0 * spec.pixel_arcsec / 3600.0
    fwhm_low = spec.fwhm(min(spec.freqs)) / 3600.0
    isolation = 2.5 * fwhm_low
    ra, dec, kind = [], [], []
    # transients and pair centres first, isolated from everything
    t_ra, t_dec = _place(rng, spec.transients + spec.pairs, fields, radius * 0.9, [], isolation)
    for k in range(spec.transients):
        ra.append(t_ra[k]), dec.append(t_dec[k]), kind.append("transient")
    sep = spec.pair_separation_arcsec / 3600.0
    for k in range(spec.pairs):
        phi = rng.random() * 180.0
        for side in (0.0, 180.0):
            r, d = field_offsets(t_ra[spec.transients + k], t_dec[spec.transients + k], sep / 2, phi + side)
            ra.append(float(r)), dec.append(float(d)), kind.append("pair")
    s_ra, s_dec = _place(rng, spec.steady + spec.variables, fields, radius,
                         [(r, d, isolation) for r, d in zip(t_ra, t_dec)], 0.3 * fwhm_low)
    ra += s_ra
    dec += s_dec
    kind += ["steady"] * spec.steady + ["variable"] * spec.variables
    ra, dec, kind = np.array(ra), np.array(dec), np.array(kind)

    n = len(ra)
    s_ref = spec.flux_min * rng.random(n) ** (-1.0 / 1.5)
    s_ref = np.minimum(s_ref, spec.flux_max)
    s_ref[kind == "pair"] = rng.uniform(0.02, 0.05, (kind == "pair").sum())
    alpha = rng.normal(-0.7, 0.2, n)
    freqs = np.asarray(spec.freqs)
    flux = s_ref[:, None, None] * (freqs[None, None, :] / 1e9) ** alpha[:, None, None]
    flux = np.repeat(flux, spec.epochs, axis=1)
    t = np.arange(spec.epochs)
    var = kind == "variable"
    s_ref[var] = np.maximum(s_ref[var], 10 * spec.flux_min)
    amp, period, phase = rng.uniform(0.3, 0.5, n), rng.uniform(3, 6, n), rng.uniform(0, 2 * np.pi, n)
    modulation = 1.0 + amp[:, None] * np.sin(2 * np.pi * t[None, :] / period[:, None] + phase[:, None])
    base = s_ref[:, None, None] * (freqs[None, None, :] / 1e9) ** alpha[:, None, None]
    flux[var] = (base[var] * modulation[var][:, :, None])
    for k in np.flatnonzero(kind == "transient"):
        start = 2 + int(rng.integers(0, max(1, spec.epochs - 4)))
        peak = rng.uniform(0.03, 0.06)
        light = np.where(t >= start, peak * 0.6 ** (t - start), 0.0)
        flux[k] = light[:, None] * (freqs[None, :] / 1e9) ** -0.5
    survey = Survey(spec, ra, dec, kind, flux, fields)

    for epoch in range(spec.epochs):
        for f, centre in enumerate(fields):
            when = spec.start + dt.timedelta(days=epoch * spec.epoch_days, minutes=20 * f)
            for b, freq in enumerate(spec.freqs):
                rms = spec.rms_at_1ghz * (freq / 1e9) ** -0.5 * rng.uniform(0.8, 1.25)
                offset = tuple(rng.normal(0.0, spec.astrometry_arcsec, 2) / 3600.0)
                image = SimImage(f"e{epoch + 1:02d}_f{f + 1}_{freq / 1e6:.0f}MHz", f, epoch, b,
                                 float(freq), when, centre, float(rms), offset, {}, np.empty(0, int))
                _observe(survey, image, rng)
                survey.images.append(image)
    return survey


def _observe(survey: Survey, image: SimImage, rng: np.random.Generator) -> None:
    """The finder's catalogue of one image (blends, threshold, scatter)."""
    spec = survey.spec
    fwhm = spec.fwhm(image.freq)
    inside = _separation(image.centre[0], image.centre[1], survey.ra, survey.decl) <= survey.xtr_radius
    idx = np.flatnonzero(inside & (survey.flux[:, image.epoch, image.band] > 0))
    s = survey.flux[idx, image.epoch, image.band]
    # blends: friends of friends closer than the beam FWHM
    group = np.arange(len(idx))
    if len(idx) > 1:
        d = _separation(survey.ra[idx, None], survey.decl[idx, None], survey.ra[None, idx],
                        survey.decl[None, idx]) * 3600.0
        for a, b in zip(*np.nonzero(np.triu(d < fwhm, 1))):
            ga, gb = group[a], group[b]
            group[group == gb] = ga
    rows = {k: [] for k in ("ra", "decl", "ra_err", "decl_err", "f_peak", "f_peak_err",
                            "f_int", "f_int_err", "maj", "min", "rms")}
    truth, blended = [], []
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        total = s[members].sum()
        w = s[members] / total
        # flux-weighted position in the tangent plane of the brightest member
        top = members[np.argmax(s[members])]
        r0, d0 = survey.ra[idx[top]], survey.decl[idx[top]]
        dra = ((survey.ra[idx[members]] - r0 + 180.0) % 360.0 - 180.0) * np.cos(np.radians(d0))
        ddec = survey.decl[idx[members]] - d0
        x, y = (w * dra).sum(), (w * ddec).sum()
        spread = np.hypot(dra - x, ddec - y).max() * 3600.0 if len(members) > 1 else 0.0
        ra_true = r0 + x / np.cos(np.radians(d0))
        dec_true = d0 + y
        sigma = float(survey.noise(image, np.array([ra_true]), np.array([dec_true]))[0])
        peak = total * fwhm / (fwhm + spread) + rng.normal(0.0, sigma)
        if peak < spec.detection_thresh * sigma:
            continue
        snr = peak / sigma
        pos_err = fwhm / (2.0 * snr)                       # arcsec per axis
        e_ra, e_dec = rng.normal(0.0, pos_err, 2) / 3600.0
        rows["ra"].append((ra_true + (e_ra + image.offset[0]) / np.cos(np.radians(dec_true))) % 360.0)
        rows["decl"].append(dec_true + e_dec + image.offset[1])
        rows["ra_err"].append(pos_err), rows["decl_err"].append(pos_err)
        rows["f_peak"].append(peak), rows["f_peak_err"].append(sigma)
        rows["f_int"].append(total + rng.normal(0.0, sigma)), rows["f_int_err"].append(sigma * 1.2)
        rows["maj"].append(fwhm + spread), rows["min"].append(fwhm * spec.axis_ratio)
        rows["rms"].append(sigma)
        truth.append(int(idx[top]))
        blended.append(sorted(int(idx[m]) for m in members))
    image.rows = {k: np.asarray(v, float) for k, v in rows.items()}
    image.truth = np.asarray(truth, int)
    image.members = blended


def _wcs(survey: Survey, centre: tuple[float, float]) -> WCS:
    spec = survey.spec
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---SIN", "DEC--SIN"]
    w.wcs.crval = list(centre)
    w.wcs.crpix = [(spec.npix + 1) / 2.0, (spec.npix + 1) / 2.0]
    w.wcs.cdelt = [-spec.pixel_arcsec / 3600.0, spec.pixel_arcsec / 3600.0]
    w.wcs.cunit = ["deg", "deg"]
    return w


def _beam(xi, eta, fwhm_deg, ratio, bpa):
    pa = np.radians(bpa)
    along = xi * np.sin(pa) + eta * np.cos(pa)
    across = xi * np.cos(pa) - eta * np.sin(pa)
    return np.exp(-_FOUR_LN2 * ((along / fwhm_deg) ** 2 + (across / (fwhm_deg * ratio)) ** 2))


def render(survey: Survey, image: SimImage, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray, WCS]:
    """Pixels (Jy/beam) and noise map of an image: every true source as a beam-shaped
    Gaussian plus noise correlated over the beam, scaled to the noise map."""
    spec = survey.spec
    w = _wcs(survey, image.centre)
    n = spec.npix
    yy, xx = np.mgrid[0:n, 0:n]
    ra_pix, dec_pix = w.pixel_to_world_values(xx.astype(float), yy.astype(float))
    noise_map = survey.noise(image, ra_pix, dec_pix)
    fwhm = spec.fwhm(image.freq) / 3600.0
    sky = np.zeros((n, n))
    s = survey.flux[:, image.epoch, image.band]
    px, py = w.world_to_pixel_values(survey.ra, survey.decl)
    h = int(np.ceil(2.5 * fwhm * 3600.0 / spec.pixel_arcsec))
    from .forcedfit import _tangent
    for k in np.flatnonzero(s > 0):
        cx, cy = int(round(float(px[k]))), int(round(float(py[k])))
        x0, x1, y0, y1 = max(cx - h, 0), min(cx + h + 1, n), max(cy - h, 0), min(cy + h + 1, n)
        if x0 >= x1 or y0 >= y1:
            continue
        xi, eta = _tangent(survey.ra[k], survey.decl[k], ra_pix[y0:y1, x0:x1], dec_pix[y0:y1, x0:x1])
        sky[y0:y1, x0:x1] += s[k] * _beam(xi, eta, fwhm, spec.axis_ratio, spec.bpa)
    # noise correlated over the beam: white noise convolved with the beam, unit variance
    c = (n - 1) / 2.0
    kx = (xx - c) * -spec.pixel_arcsec / 3600.0
    ky = (yy - c) * spec.pixel_arcsec / 3600.0
    kernel = _beam(kx, ky, fwhm, spec.axis_ratio, spec.bpa)
    white = rng.normal(0.0, 1.0, (n, n))
    smooth = np.real(np.fft.ifft2(np.fft.fft2(white) * np.fft.fft2(np.fft.ifftshift(kernel))))
    smooth /= np.sqrt((kernel ** 2).sum())
    return sky + smooth * noise_map, noise_map, w


def _header(survey: Survey, image: SimImage, w: WCS) -> fits.Header:
    spec = survey.spec
    header = w.to_header()
    fwhm = spec.fwhm(image.freq) / 3600.0
    header["BUNIT"] = "JY/BEAM"
    header["BMAJ"], header["BMIN"], header["BPA"] = fwhm, fwhm * spec.axis_ratio, spec.bpa
    header["DATE-OBS"] = image.taustart_ts.isoformat(timespec="seconds")
    header["TIMESYS"] = "UTC"
    header["EXPTIME"] = spec.tau_time
    header["RESTFRQ"] = image.freq
    header["RESTBW"] = spec.bandwidth
    header["TELESCOP"] = "SIMULATED"
    header["OBJECT"] = f"field {image.field + 1}"
    return header


def write_survey(survey: Survey, directory: str | Path, *, pixels: bool = True,
                 description: str | None = None, association: dict | None = None,
                 monitor: list[dict] | None = None) -> Path:
    """Write catalogues (Selavy ``.txt``), FITS images and noise maps (if ``pixels``), the
    manifest ``survey.toml`` and ``truth.json`` into ``directory``; return the manifest path."""
    spec = survey.spec
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(spec.seed + 1)
    lines = ["# A simulated survey (tkpdb.survey): Selavy catalogues with their FITS images.",
             "[dataset]", f'description = "{description or f"simulated survey (seed {spec.seed})"}"',
             "", "[association]"]
    for key, value in (association or {}).items():
        lines.append(f"{key} = {json.dumps(value) if isinstance(value, str) else value}")
    lines.append("")
    truth_rows = {}
    for k, image in enumerate(survey.images):
        r = image.rows
        catalogue = f"{image.name}.selavy.components.txt"
        write_selavy_txt(out / catalogue, selavy_rows(
            sbid=1000 + k, ra=r["ra"], decl=r["decl"], ra_err=r["ra_err"], decl_err=r["decl_err"],
            freq_hz=image.freq, f_peak=r["f_peak"], f_peak_err=r["f_peak_err"], f_int=r["f_int"],
            f_int_err=r["f_int_err"], maj=r["maj"], min_=r["min"], pa=np.full(len(r["ra"]), spec.bpa),
            rms=r["rms"]))
        truth_rows[catalogue] = image.truth.tolist()
        lines += ["[[image]]", f'catalogue = "{catalogue}"', 'format = "selavy"']
        if pixels:
            data, noise, w = render(survey, image, rng)
            header = _header(survey, image, w)
            fits.writeto(out / f"{image.name}.fits", data.astype(np.float32), header, overwrite=True)
            fits.writeto(out / f"{image.name}.noiseMap.fits", noise.astype(np.float32), header,
                         overwrite=True)
            lines += [f'fits = "{image.name}.fits"', f'noise = "{image.name}.noiseMap.fits"']
        else:
            fwhm = spec.fwhm(image.freq) / 3600.0
            sigma = survey.noise(image, np.array([image.centre[0]]), np.array([image.centre[1]]))[0]
            lines += [f'taustart_ts = "{image.taustart_ts.isoformat()}"', f"tau_time = {spec.tau_time}",
                      f"freq_eff = {image.freq}", f"freq_bw = {spec.bandwidth}",
                      f"rb_smaj = {fwhm / 2}", f"rb_smin = {fwhm * spec.axis_ratio / 2}",
                      f"rb_pa = {spec.bpa}", f"centre_ra = {image.centre[0]}",
                      f"centre_decl = {image.centre[1]}", f"xtr_radius = {survey.xtr_radius}",
                      f"rms_min = {sigma}", f"rms_max = {sigma * 2.5}"]
        lines += [f"detection_thresh = {spec.detection_thresh}", ""]
    for entry in monitor or []:
        lines += ["[[monitor]]", f"ra = {entry['ra']}", f"decl = {entry['decl']}",
                  f'name = "{entry["name"]}"', ""]
    manifest = out / "survey.toml"
    manifest.write_text("\n".join(lines))
    truth = {
        "spec": {k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                 for k, v in asdict(spec).items()},
        "sources": {"ra": survey.ra.tolist(), "decl": survey.decl.tolist(),
                    "kind": survey.kind.tolist(), "flux": survey.flux.tolist()},
        "catalogue_rows": truth_rows,
        # the rows that measured several true sources (blends): {catalogue: {row: members}}
        "catalogue_blends": {f"{image.name}.selavy.components.txt":
                             {str(row): m for row, m in enumerate(image.members) if len(m) > 1}
                             for image in survey.images},
    }
    (out / "truth.json").write_text(json.dumps(truth))
    return manifest


@dataclass(frozen=True)
class Truth:
    """What ``truth.json`` holds: true positions (deg), kinds, fluxes ``[source, epoch, band]``
    (Jy) and, per catalogue file, the true source of each row (the brightest member of a
    blend) and the members of each blended row (``{row: [sources]}``)."""

    ra: np.ndarray
    decl: np.ndarray
    kind: np.ndarray
    flux: np.ndarray
    catalogue_rows: dict[str, list[int]]
    catalogue_blends: dict[str, dict[int, list[int]]] = field(default_factory=dict)

    @property
    def transients(self) -> list[int]:
        return [int(k) for k in np.flatnonzero(self.kind == "transient")]


def load_truth(directory: str | Path) -> Truth:
    """Read ``truth.json`` written by :func:`write_survey`."""
    data = json.loads((Path(directory) / "truth.json").read_text())
    s = data["sources"]
    blends = {name: {int(row): list(m) for row, m in rows.items()}
              for name, rows in data.get("catalogue_blends", {}).items()}
    return Truth(np.array(s["ra"]), np.array(s["decl"]), np.array(s["kind"]),
                 np.array(s["flux"]), {k: list(v) for k, v in data["catalogue_rows"].items()},
                 blends)
