"""A small associated survey with known contents, for the viewer's tests and benchmark.

Built with :mod:`tkpdb.simulate` and the public API only: a field of random sources observed
in two bands at ``steps`` timesteps, plus sources placed on purpose, so that every feature the
viewer shows exists and is known:

* ``variable``  -- a bright source whose flux swings by +-60 % (large V and eta);
* ``transient`` -- absent in the first half of the survey, then 0.5 Jy (a ``newsource``);
* ``pair``      -- two 0.2 Jy sources 16 arcsec apart, seen blended as one 0.4 Jy source in the
  first two timesteps and resolved afterwards (a one-to-many fork: shared measurements);
* ``fading``    -- 0.1 Jy for three timesteps, then below detection (null-detection forced fits,
  then upper limits once the forced fits expire);
* ``monitored`` -- a position on the monitoring list at a faint source (monitoring fits).

Positions in degrees, fluxes in Jy. The benchmark uses the same builder at full size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

import tkpdb
from tkpdb.simulate import Sky, field_offsets, observe, random_sky

__all__ = ["Survey", "build_survey", "CENTRE", "BANDS"]

CENTRE = (123.4, 45.6)           # field centre (deg)
BANDS = (150e6, 160e6)           # Hz, imaged in this order at every timestep
RMS = 0.001                      # Jy
DETECTION = 5.0                  # sigma: a source brighter than DETECTION * RMS is detected
T0 = dt.datetime(2026, 1, 1)
EXPIRATION = 3                   # images without a blind detection before forced fits stop


@dataclass
class Survey:
    """What was built: the dataset, its images and the positions (deg) of the placed sources."""

    dataset: int
    images: list[int] = field(default_factory=list)
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    steps: int = 0


def _placed(name: str, rho_arcsec: float, phi: float) -> tuple[float, float]:
    ra, decl = field_offsets(CENTRE[0], CENTRE[1], np.array([rho_arcsec / 3600.0]), np.array([phi]))
    return float(ra[0]), float(decl[0])


def _flux_at(positions: tuple[np.ndarray, np.ndarray], sky: Sky) -> np.ndarray:
    """True flux (Jy) of the nearest sky source within 5 arcsec of each position, else 0."""
    ra, decl = positions
    out = np.zeros(len(ra))
    for k in range(len(ra)):
        dra = (sky.ra - ra[k] + 180.0) % 360.0 - 180.0
        sep = np.hypot(dra * np.cos(np.radians(decl[k])), sky.decl - decl[k]) * 3600.0
        if len(sep) and sep.min() < 5.0:
            out[k] = sky.flux[np.argmin(sep)]
    return out


def build_survey(conn, *, sources: int = 150, steps: int = 6, seed: int = 7,
                 description: str = "viewer test survey") -> Survey:
    """Associate a two-band survey of ``sources`` random sources at ``steps`` timesteps."""
    rng = np.random.default_rng(seed)
    field_sky = random_sky(sources, CENTRE[0], CENTRE[1], 1.5, rng, flux_min=0.003, flux_max=1.0)
    survey = Survey(tkpdb.insert_dataset(conn, description), steps=steps)
    p = survey.positions
    p["variable"] = _placed("variable", 1500.0, 40.0)
    p["transient"] = _placed("transient", 2500.0, 130.0)
    p["fading"] = _placed("fading", 3000.0, 220.0)
    p["monitored"] = _placed("monitored", 2000.0, 300.0)
    p["pair_a"] = _placed("pair_a", 1000.0 - 8.0, 250.0)
    p["pair_b"] = _placed("pair_b", 1000.0 + 8.0, 250.0)
    p["pair_blend"] = _placed("pair_blend", 1000.0, 250.0)
    tkpdb.insert_monitor_positions(conn, survey.dataset, [p["monitored"]], names=["faint"])
    for step in range(steps):
        placed = {
            "variable": 0.3 * (1.0 + 0.6 * np.sin(step * 1.3)),
            "transient": 0.5 if step >= steps // 2 else 0.0,
            "fading": 0.1 if step < 3 else 0.0,
            "monitored": 0.003,
        }
        names = [n for n, f in placed.items() if f > 0] + (
            ["pair_blend"] if step < 2 else ["pair_a", "pair_b"])
        fluxes = [placed.get(n, 0.4 if n == "pair_blend" else 0.2) for n in names]
        sky = Sky(np.concatenate([field_sky.ra, [p[n][0] for n in names]]),
                  np.concatenate([field_sky.decl, [p[n][1] for n in names]]),
                  np.concatenate([field_sky.flux, fluxes]))
        for freq in BANDS:
            scale = (freq / BANDS[0]) ** -0.7
            image = tkpdb.insert_image(
                conn, survey.dataset, taustart_ts=T0 + dt.timedelta(hours=step), tau_time=60.0,
                freq_eff=freq, freq_bw=2e6, rb_smaj=0.01, rb_smin=0.008, rb_pa=0.0,
                centre_ra=CENTRE[0], centre_decl=CENTRE[1], xtr_radius=2.0,
                rms_min=RMS, rms_max=2 * RMS, detection_thresh=DETECTION)
            survey.images.append(image)
            seen = sky.flux * scale > DETECTION * RMS
            blind = observe(Sky(sky.ra[seen], sky.decl[seen], sky.flux[seen] * scale), rng, rms=RMS)
            tkpdb.insert_extracted_sources(conn, image, blind, commit=False)
            tkpdb.associate_extracted_sources(conn, image)
            _forced_fits(conn, image, sky, scale, rng, survey.dataset)
    return survey


def _forced_fits(conn, image: int, sky: Sky, scale: float, rng: np.random.Generator,
                 dataset: int) -> None:
    """Fit the image at its null detections and monitored positions (true flux plus noise)."""
    nulls = tkpdb.get_nulldetections(conn, image, expiration=EXPIRATION)
    if nulls:
        ra = np.array([ra for _, ra, _ in nulls])
        decl = np.array([decl for _, _, decl in nulls])
        flux = _flux_at((ra, decl), sky) * scale
        fits = observe(Sky(ra, decl, flux), rng, pos_error=0.001, rms=RMS)
        tkpdb.insert_extracted_sources(conn, image, fits, extract_type="ff_nd",
                                       ff_runcat_ids=[r for r, _, _ in nulls], commit=False)
        tkpdb.associate_nulldetections(conn, image)
    entries = tkpdb.get_monitor_entries(conn, dataset)
    if entries:
        ra = np.array([e.ra for e in entries])
        decl = np.array([e.decl for e in entries])
        fits = observe(Sky(ra, decl, _flux_at((ra, decl), sky) * scale), rng, pos_error=0.001,
                       rms=RMS)
        tkpdb.insert_extracted_sources(conn, image, fits, extract_type="ff_ms",
                                       ff_monitor_ids=[e.id for e in entries], commit=False)
        tkpdb.associate_monitored(conn, image)
