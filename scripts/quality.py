#!/usr/bin/env python
"""Association quality: the association modes (``trap``, ``resolved``) against ground truth.

    .venv/bin/python scripts/quality.py            # W1 (100 images of 10,000 sources) + demo survey
    .venv/bin/python scripts/quality.py --quick    # a smoke run (under a minute)

Two workloads, each run in every mode, each mode in a database of its own on one server
(``<dbname>_quality_trap``, ``<dbname>_quality_resolved``, dropped and re-created at the start):

* **W1**, the benchmark's sky (``benchmark.w1_images``): the same sources observed in every
  image, two bands alternating; the i-th row of each observation measures true source i.
  Injected transients (bright sources of the field that appear at an image of their own and
  stay) follow those rows, so that the W1 rows are unchanged. The modes take turns image by
  image, who goes first alternating, so that machine noise hits both alike; each image is one
  transaction (load + associate + commit) timed from the driver.
* **demo survey**, the one ``tkpdb demo`` runs (its SurveySpec and association settings): two
  fields, two bands whose beams differ, close pairs resolved only at the higher frequency,
  injected transients; run through the manifest runner (``[association] mode``), scored with
  its truth, and the two-resolution check of every close pair.

Scores come from the public API only: ``tkpdb.score_truth`` (``tkpdb.survey_truth``),
``tkpdb.dataset_stats``, ``tkpdb.suspect_transients``, ``tkpdb.lightcurve_table``,
``tkpdb.transient_candidates``, ``tkpdb.check_catalogue``. The Markdown report (``--out``,
default ``docs/quality.md``) compares each mode with the targets; ``scripts/benchmark.py``
appends it to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import astropy.units as u
import numpy as np
import psycopg2.extensions
from astropy.coordinates import SkyCoord, match_coordinates_sky
from astropy.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tkpdb  # noqa: E402
from benchmark import (BANDS, BEAM, FIELD, VACUUM_EVERY, Config, machine,  # noqa: E402
                       maintenance, new_image, p95, recreate, sibling_dsn, stage_medians,
                       w1_images)
from tkpdb.cli.demo import DEMO_ASSOCIATION  # noqa: E402
from tkpdb.simulate import Sky, observe, random_sky  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODES = ("trap", "resolved")
W1_RADIUS = 3.0                  # deg: the W1 field's radius (benchmark.w1_images)
W1_FLUX_SCALE = (1.0, 0.8)       # flux scale of each band in W1 (benchmark.w1_images)
W1_SEARCH_ARCSEC = BEAM * 3600   # W1's search radius (beamwidths_limit 1 x rb_smaj), arcsec
TRANSIENT_SEED = 11
TRANSIENT_FLUX_MIN = 0.05        # Jy: above (8 + 3) x rms_max = 0.022 Jy of every earlier image
EXAMPLES = 16                    # described broken sources, lost detections, false candidates


@dataclass
class Setup:
    """What to run: W1 images and sources, injected transients, demo epochs."""

    images: int = 100
    sources: int = 10_000
    transients: int = 20
    demo_epochs: int = 8


QUICK = Setup(images=8, sources=400, transients=4, demo_epochs=4)


# --- modes ------------------------------------------------------------------------------------

def mode_dsn(dsn: str, mode: str) -> str:
    """The database of ``mode``: the one named in ``dsn`` plus ``_quality_<mode>``."""
    return sibling_dsn(dsn, f"_quality_{mode}")


# --- scores -----------------------------------------------------------------------------------

@dataclass
class Quality:
    """One mode's scores on one workload.

    ``lost``: scored detections in no lightcurve (``score_truth`` does not see them);
    ``flux_counted_twice``: scored detections whose flux the lightcurves count more than once;
    ``shown_whole_twice``: blind detections whose whole flux the lightcurve points of several
    lightcurves show;
    ``problems``: the properties ``tkpdb.check_catalogue`` finds broken; ``broken_profile``:
    broken true sources by the distance to their nearest other true source, in units of the
    search radius; ``examples``: a few broken true sources, lost detections and false
    candidates, described; ``seconds``: end-to-end cost of each image after the first (s),
    W1 only."""

    score: tkpdb.TruthScore
    stats: tkpdb.DatasetStats
    suspects: int
    suspect_candidates: int
    lost: int
    flux_counted_twice: int
    shown_whole_twice: int
    problems: list[tkpdb.CheckResult]
    broken_profile: dict[str, int]
    examples: dict[str, list[str]]
    seconds: list[float] = field(default_factory=list)
    stages: list[dict] = field(default_factory=list)


Holders = dict[int, dict[int, float]]
"""Blind extraction id -> {lightcurve (runcat id): the share of its flux that lightcurve holds}."""

def blind_points(conn: psycopg2.extensions.connection, dataset: int) -> Table:
    """The blind points of the dataset's lightcurves (``tkpdb.lightcurve_table``: what
    ``get_lightcurve`` and the exports show), one row per link."""
    table = tkpdb.lightcurve_table(conn, dataset)
    return table[table["extract_type"] == 0]


def blind_lightcurves(points: Table) -> Holders:
    """Which lightcurves hold each blind extraction, and the share of its flux each holds
    (``flux_fraction``; 1 in a schema before flux division: every lightcurve holding a
    measurement counts all of its flux)."""
    shares = (points["flux_fraction"].tolist() if "flux_fraction" in points.colnames
              else [1.0] * len(points))
    holders: Holders = defaultdict(dict)
    for runcat, xtrsrc, share in zip(points["runcat"].tolist(), points["xtrsrc"].tolist(), shares,
                                     strict=True):
        holders[xtrsrc][runcat] = share
    return holders


def shown_whole_twice(blind: Table) -> int:
    """Blind detections whose points (``blind_points``) in several lightcurves all show the
    same ``f_int``: the whole measurement in each, whatever share flux division allotted."""
    order = np.argsort(np.asarray(blind["xtrsrc"]), kind="stable")
    xtrsrc, f_int = np.asarray(blind["xtrsrc"])[order], np.asarray(blind["f_int"])[order]
    starts = np.flatnonzero(np.r_[True, xtrsrc[1:] != xtrsrc[:-1]])
    counts = np.diff(np.r_[starts, len(xtrsrc)])
    spread = np.maximum.reduceat(f_int, starts) - np.minimum.reduceat(f_int, starts) if len(starts) else []
    return int(((counts > 1) & (np.asarray(spread) == 0)).sum())


def flux_counted_twice(xtrsrcs: list[int], holders: Holders) -> int:
    """How many of the extractions have more than their flux counted over all lightcurves
    (shares adding up to more than 1)."""
    return sum(1 for x in xtrsrcs if sum(holders.get(x, {}).values()) > 1 + 1e-9)


@dataclass(frozen=True)
class Neighbours:
    """Each true source's nearest other true source: its index and distance (arcsec)."""

    index: np.ndarray
    arcsec: np.ndarray


def nearest_neighbours(ra: np.ndarray, decl: np.ndarray) -> Neighbours:
    """The nearest other position of each position (deg)."""
    coords = SkyCoord(ra * u.deg, decl * u.deg)
    index, distance, _ = match_coordinates_sky(coords, coords, nthneighbor=2)
    return Neighbours(index, distance.arcsec)


def broken_profile(broken: tuple[int, ...], nearest: Neighbours, radius: float) -> dict[str, int]:
    """Broken true sources counted by their nearest neighbour's distance in units of the
    search radius ``radius`` (arcsec)."""
    d = nearest.arcsec[list(broken)] / radius if broken else np.empty(0)
    edges = (0.0, 0.1, 1.0, 2.0, np.inf)
    labels = ("neighbour within 0.1 search radius", "neighbour within 0.1-1 search radius",
              "neighbour within 1-2 search radii", "no neighbour within 2 search radii")
    return {label: int(((d >= lo) & (d < hi)).sum())
            for label, lo, hi in zip(labels, edges[:-1], edges[1:], strict=True)}


@dataclass(frozen=True)
class Truths:
    """What a dataset's scoring knows: the true source of each scored extraction (a blend's:
    its brightest member), the members of each blend, the sources' kinds (None: all alike)
    and neighbours."""

    true_source_of: dict[int, int]
    blends: dict[int, list[int]]
    kinds: np.ndarray | None
    nearest: Neighbours

    @functools.cached_property
    def detections(self) -> dict[int, list[int]]:
        """True source -> its scored extractions (a blend is one of each member)."""
        out: dict[int, list[int]] = defaultdict(list)
        for xtrsrc, source in self.true_source_of.items():
            for member in self.blends.get(xtrsrc, (source,)):
                out[member].append(xtrsrc)
        return out

    def kind(self, k: int) -> str:
        """``"<kind of true source k>, "``, or nothing when the sources are all alike."""
        return "" if self.kinds is None else f"{self.kinds[k]}, "

    def source(self, k: int) -> str:
        """``true source k (kind, its nearest other true source and the distance)``."""
        other = int(self.nearest.index[k])
        return (f"true source {k} ({self.kind(k)}nearest other: {self.kind(other)}{other} at "
                f"{self.nearest.arcsec[k]:.1f}\")")

    def spread(self, k: int, holders: Holders) -> dict[int, int]:
        """Lightcurve -> how many of true source ``k``'s detections it holds."""
        held: dict[int, int] = defaultdict(int)
        for x in self.detections[k]:
            for runcat in holders.get(x, {}):
                held[runcat] += 1
        return held


def describe_broken(truths: Truths, broken: tuple[int, ...], holders: Holders,
                    band_of: dict[int, float]) -> list[str]:
    """A line per broken true source: its detections, the lightcurves holding them (the
    fullest), and per band (``band_of``: extraction -> MHz) the lightcurves holding its
    detections there (how many)."""
    lines = []
    for k in broken:
        held = truths.spread(k, holders)
        per_band: dict[float, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for x in truths.detections[k]:
            for runcat in holders.get(x, {}):
                per_band[band_of[x]][runcat] += 1
        bands = "; ".join(
            f"{band:g} MHz: " + ", ".join(f"{rc} ({n})" for rc, n in sorted(
                per_band[band].items(), key=lambda item: -item[1])[:3])
            for band in sorted(per_band))
        lines.append(f"{truths.source(k)}: {len(truths.detections[k])} detections over {len(held)} "
                     f"lightcurves (the fullest holds {max(held.values(), default=0)}); {bands}")
    return lines


def describe_lost(truths: Truths, lost: list[int]) -> list[str]:
    """A line per true source with detections in no lightcurve."""
    per_source: dict[int, int] = defaultdict(int)
    for x in lost:
        for member in truths.blends.get(x, (truths.true_source_of[x],)):
            per_source[member] += 1
    return [f"{truths.source(k)}: {n} of {len(truths.detections[k])} detections in no lightcurve"
            for k, n in sorted(per_source.items())]


def describe_false(conn: psycopg2.extensions.connection, dataset: int, truths: Truths,
                   false: tuple[int, ...], holders: Holders) -> list[str]:
    """A line per false transient candidate: its trigger and what the trigger measures."""
    lines = []
    for c in tkpdb.transient_candidates(conn, dataset):
        if c.runcat not in false:
            continue
        k = truths.true_source_of.get(c.trigger_xtrsrc)
        what = ("a measurement without truth" if k is None else
                f"{truths.source(k)}, whose detections lie in {len(truths.spread(k, holders))} "
                "lightcurve(s)")
        lines.append(f"lightcurve {c.runcat} (type {c.newsource_type}, {c.freq_eff / 1e6:g} MHz, "
                     f"{c.f_peak * 1e3:.1f} mJy at {c.taustart_ts:%Y-%m-%d %H:%M}): its trigger "
                     f"measures {what}")
    return lines


def score_dataset(conn: psycopg2.extensions.connection, dataset: int, truths: Truths,
                  transients: list[int], radius: float) -> Quality:
    """Every score of one dataset against its truth (``radius``: search radius, arcsec)."""
    score = tkpdb.score_truth(conn, dataset, truths.true_source_of, transients, truths.blends)
    suspects = tkpdb.suspect_transients(conn, dataset)
    points = blind_points(conn, dataset)
    holders = blind_lightcurves(points)
    band_of = dict(zip(points["xtrsrc"].tolist(), (points["freq_eff"] / 1e6).tolist(), strict=True))
    lost = [x for x in truths.true_source_of if x not in holders]
    return Quality(
        score=score, stats=tkpdb.dataset_stats(conn, dataset), suspects=len(suspects),
        suspect_candidates=sum(1 for s in suspects if s.newsource is not None), lost=len(lost),
        flux_counted_twice=flux_counted_twice(list(truths.true_source_of), holders),
        shown_whole_twice=shown_whole_twice(points),
        problems=[c for c in tkpdb.check_catalogue(conn, dataset) if c.problems],
        broken_profile=broken_profile(score.broken, truths.nearest, radius),
        examples={"broken true sources": describe_broken(truths, score.broken[:EXAMPLES], holders,
                                                         band_of),
                  "true sources with lost detections": describe_lost(truths, lost)[:EXAMPLES],
                  "false transient candidates": describe_false(
                      conn, dataset, truths, score.false_candidates[:EXAMPLES], holders)})


# --- W1 ---------------------------------------------------------------------------------------

@dataclass
class ModeRun:
    """One mode's W1 dataset and what its images cost."""

    mode: str
    conn: psycopg2.extensions.connection
    dataset: int
    true_source_of: dict[int, int] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    stages: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Injected:
    """Injected transients: positions (deg) and fluxes (Jy), and the first W1 image of each."""

    sky: Sky
    first_step: np.ndarray


def injected_transients(setup: Setup) -> Injected:
    """``setup.transients`` sources uniform over the W1 field, fluxes log-uniform from
    TRANSIENT_FLUX_MIN to 1 Jy (flagged at any earlier image's limit), each appearing at an
    image from the third on (an earlier image of its band exists) and staying."""
    rng = np.random.default_rng(TRANSIENT_SEED)
    sky = random_sky(setup.transients, *FIELD, W1_RADIUS, rng, flux_min=TRANSIENT_FLUX_MIN)
    return Injected(sky, rng.integers(2, max(setup.images, 3), setup.transients))


def with_transients(obs: dict[str, np.ndarray], step: int, band: int, steady: int,
                    injected: Injected, rng: np.random.Generator
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The rows of W1 image ``step``: its observation, then the injected transients that are
    on; and the true source of each row (W1 source i, then ``steady + j`` for transient j)."""
    on = np.flatnonzero(injected.first_step <= step)
    sky = Sky(injected.sky.ra[on], injected.sky.decl[on], injected.sky.flux[on])
    extra = observe(sky, rng, flux_scale=W1_FLUX_SCALE[band])
    rows = {k: np.concatenate([obs[k], extra[k]]) for k in obs}
    return rows, np.concatenate([np.arange(steady), steady + on])


def timed_image(conn: psycopg2.extensions.connection, image: int, rows: dict[str, np.ndarray],
                mode: str) -> tuple[float, list[int], dict]:
    """Load and associate one image in one transaction, committed: (seconds end to end, the
    extraction ids in row order, the stage times in ms)."""
    t0 = time.perf_counter()
    ids = tkpdb.insert_extracted_sources(conn, image, rows, commit=False)
    result = tkpdb.associate_extracted_sources(conn, image, mode=mode)
    return time.perf_counter() - t0, ids, result["stage_ms"]


def run_w1(runs: list[ModeRun], setup: Setup) -> tuple[Sky, Injected]:
    """Every W1 image in every mode, the modes taking turns (who goes first alternates);
    returns the W1 sky and the injected transients."""
    injected = injected_transients(setup)
    rng = np.random.default_rng(TRANSIENT_SEED + 1)    # the transients' measurement noise
    cfg = Config(w1_sources=setup.sources, w1_images=setup.images)
    sky = None
    for step, band, sky, obs in w1_images(cfg):
        rows, truth = with_transients(obs, step, band, len(sky), injected, rng)
        for run in runs if step % 2 == 0 else runs[::-1]:
            image, _ = new_image(run.conn, run.dataset, step // 2, BANDS[band])
            seconds, ids, stages = timed_image(run.conn, image, rows, run.mode)
            run.true_source_of.update(zip(ids, truth.tolist(), strict=True))
            if step > 0:                                 # the first image only starts the catalogue
                run.seconds.append(seconds)
                run.stages.append(stages)
        if (step + 1) % VACUUM_EVERY == 0:
            for run in runs:
                maintenance(run.conn.dsn)
        if step > 0 and ((step + 1) % 10 == 0 or step + 1 == setup.images):
            print(f"W1 image {step + 1}/{setup.images}: " + ", ".join(
                f"{r.mode} {r.seconds[-1] * 1000:.0f} ms" for r in runs), flush=True)
    return sky, injected


def score_w1(runs: list[ModeRun], sky: Sky, injected: Injected) -> dict[str, Quality]:
    """Each mode's W1 scores."""
    ra = np.concatenate([sky.ra, injected.sky.ra])
    decl = np.concatenate([sky.decl, injected.sky.decl])
    nearest = nearest_neighbours(ra, decl)
    transients = list(range(len(sky), len(ra)))
    out = {}
    for run in runs:
        truths = Truths(run.true_source_of, {}, None, nearest)   # W1 observations blend nothing
        quality = score_dataset(run.conn, run.dataset, truths, transients, W1_SEARCH_ARCSEC)
        quality.seconds, quality.stages = run.seconds, run.stages
        out[run.mode] = quality
    return out


# --- demo survey ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PairCheck:
    """The two-resolution check of one close pair after a run.

    ``resolved``: detections of each member where the beam resolves the pair; ``blends``:
    detections of the pair where it does not; ``split``: each member's resolved detections
    are all in a lightcurve holding none of the other's (two lightcurves, each with its own
    flux history); ``shared``: detections of the pair in more than one lightcurve
    (``blends_shared``: the blends among them); ``flux_counted_twice``: detections of the pair
    whose flux the lightcurves count more than once (shares adding up to more than 1)."""

    members: tuple[int, int]
    separation_arcsec: float
    resolved: tuple[int, int]
    blends: int
    split: bool
    shared: int
    blends_shared: int
    flux_counted_twice: int


@dataclass
class DemoRun:
    """One mode's demo-survey run: its scores and pair checks."""

    quality: Quality
    pairs: list[PairCheck] = field(default_factory=list)
    seconds: float = 0.0


def demo_association(mode: str) -> dict[str, str | float]:
    """The demo's ``[association]`` table for ``mode``, as ``tkpdb demo --mode`` writes it."""
    return dict(DEMO_ASSOCIATION, mode=mode)


def demo_search_arcsec(spec: tkpdb.SurveySpec) -> float:
    """The demo's widest search radius (arcsec): beamwidths_limit x rb_smaj at the lowest band."""
    return DEMO_ASSOCIATION["beamwidths_limit"] * spec.fwhm(min(spec.freqs)) / 2


def own_lightcurve(mine: list[int], theirs: list[int], holders: Holders) -> bool:
    """Whether one lightcurve holds every detection in ``mine`` and none in ``theirs``."""
    if not mine:
        return False
    common = set.intersection(*(set(holders.get(x, {})) for x in mine))
    return bool(common - set().union(*(holders.get(x, {}) for x in theirs)))


def pair_checks(truth: tkpdb.Truth, truths: Truths, holders: Holders) -> list[PairCheck]:
    """The two-resolution check of every close pair of the survey (see :class:`PairCheck`).

    Pairs are consecutive sources of kind ``pair`` (``tkpdb.survey.simulate_survey``); the
    truth records which detections blend them (``truths.blends``)."""
    checks = []
    for a, b in np.flatnonzero(truth.kind == "pair").reshape(-1, 2).tolist():
        sep = SkyCoord(truth.ra[a] * u.deg, truth.decl[a] * u.deg).separation(
            SkyCoord(truth.ra[b] * u.deg, truth.decl[b] * u.deg)).arcsec
        resolved = {m: [x for x in truths.detections[m] if x not in truths.blends] for m in (a, b)}
        blends = sorted({x for m in (a, b) for x in truths.detections[m] if x in truths.blends})
        mine = resolved[a] + resolved[b] + blends
        checks.append(PairCheck(
            members=(a, b), separation_arcsec=float(sep),
            resolved=(len(resolved[a]), len(resolved[b])), blends=len(blends),
            split=own_lightcurve(resolved[a], resolved[b], holders)
            and own_lightcurve(resolved[b], resolved[a], holders),
            shared=sum(1 for x in mine if len(holders.get(x, {})) > 1),
            blends_shared=sum(1 for x in blends if len(holders.get(x, {})) > 1),
            flux_counted_twice=flux_counted_twice(mine, holders)))
    return checks


def run_demo(conn: psycopg2.extensions.connection, mode: str, survey: tkpdb.Survey,
             directory: Path) -> DemoRun:
    """The demo survey written for ``mode`` into ``directory``, run through the manifest
    runner, scored with its truth."""
    path = tkpdb.write_survey(survey, directory, description=f"quality: demo survey ({mode})",
                              association=demo_association(mode))
    summary = tkpdb.run_manifest(conn, tkpdb.load_manifest(path))
    truth = tkpdb.load_truth(directory)
    true_source_of, blends = tkpdb.survey_truth(conn, summary.dataset, truth)
    truths = Truths(true_source_of, blends, truth.kind, nearest_neighbours(truth.ra, truth.decl))
    quality = score_dataset(conn, summary.dataset, truths, truth.transients,
                            demo_search_arcsec(survey.spec))
    pairs = pair_checks(truth, truths, blind_lightcurves(blind_points(conn, summary.dataset)))
    return DemoRun(quality, pairs, summary.seconds)


# --- report -----------------------------------------------------------------------------------

@dataclass
class Report:
    """Everything measured: per workload, per mode (a missing mode: not available)."""

    setup: Setup
    spec: tkpdb.SurveySpec
    w1: dict[str, Quality]
    demo: dict[str, DemoRun]
    seconds: float = 0.0
    provenance: str = ""


NA = "not available"


def percent(x: float | None) -> str:
    return NA if x is None else f"{100 * x:.2f} %"


def fraction(x: float | None) -> str:
    """A fraction to 4 decimals (None: 0; never "-0.0000")."""
    return f"{round(x or 0.0, 4) + 0.0:.4f}"


def median_s(q: Quality) -> float | None:
    """Median end-to-end cost per image (s), or None without timings."""
    return statistics.median(q.seconds) if q.seconds else None


def cost_ratio(w1: dict[str, Quality]) -> float | None:
    """Median cost per image of resolved over trap, measured in turns in one run."""
    if "resolved" not in w1 or not w1["trap"].seconds:
        return None
    return median_s(w1["resolved"]) / median_s(w1["trap"])


def metric_rows(q: Quality) -> list[tuple[str, str]]:
    """The report's per-mode measures of one workload: (name, value)."""
    s, st = q.score, q.stats
    rows = [
        ("true sources detected", f"{s.true_sources:,}"),
        ("lightcurves holding a scored detection", f"{s.lightcurves:,}"),
        ("lightcurves per true source", f"{s.lightcurves_per_source:.4f}"),
        ("true sources whole (every detection in one lightcurve)", percent(s.whole_fraction)),
        ("pure lightcurves (one true source)", percent(s.purity)),
        ("detections in more lightcurves than the true sources they measured",
         f"{s.shared_detections:,}"),
        ("detections whose flux is counted more than once (link shares add up to more than 1)",
         f"{q.flux_counted_twice:,}"),
        ("detections whose points (`f_int` of `get_lightcurve`, `lightcurve_table`) show their "
         "whole flux in 2+ lightcurves", f"{q.shown_whole_twice:,}"),
        ("detections in no lightcurve (lost)", f"{q.lost:,}"),
        ("measurements counted (links) / allotted (flux shares) / made",
         f"{st.measurements_counted:,} / {st.measurements_allotted:,.0f} / {st.measurements_made:,}"),
        ("over-counting fraction (`tkpdb.dataset_stats`)", fraction(st.overcounting_fraction)),
        ("transient candidates true / false", f"{s.candidates_true} / {s.candidates_false}"),
        ("injected transients recovered / missed",
         f"{len(s.transients_recovered)} / {len(s.transients_missed)}"),
        ("false flux steps after forks (suspect transients; of them candidates)",
         f"{q.suspects} ({q.suspect_candidates})"),
        ("events: one-to-many / many-to-one / many-to-many pruned",
         f"{st.one_to_many_events:,} / {st.many_to_one_events:,} / {st.many_to_many_events:,}"),
        *[(f"broken true sources, {label}", f"{n:,}") for label, n in q.broken_profile.items()],
        ("`tkpdb.check_catalogue`: properties broken (rows)",
         "; ".join(f"{c.check} ({c.problems:,})" for c in q.problems) or "none"),
    ]
    if q.seconds:
        rows += [("cost per image, median s (p95)", f"{median_s(q):.3f} ({p95(q.seconds):.3f})")]
    return rows


def mode_table(qualities: dict[str, Quality | None]) -> list[str]:
    """A Markdown table of the measures, one column per mode."""
    names = [name for name, _ in metric_rows(next(q for q in qualities.values() if q))]
    columns = {m: dict(metric_rows(q)) if q else {} for m, q in qualities.items()}
    return ["| measure | " + " | ".join(MODES) + " |", "|---|" + "---:|" * len(MODES),
            *[f"| {n} | " + " | ".join(columns.get(m, {}).get(n, NA) for m in MODES) + " |"
              for n in names]]


ABSOLUTE_TARGETS = (
    ("true sources whole", ">= 99 %", lambda s: percent(s.whole_fraction), lambda s: s.whole_fraction >= 0.99),
    ("lightcurves per true source", "<= 1.05", lambda s: f"{s.lightcurves_per_source:.4f}",
     lambda s: s.lightcurves_per_source <= 1.05),
    ("pure lightcurves", ">= 99 %", lambda s: percent(s.purity), lambda s: s.purity >= 0.99),
    ("injected transients lost", "0", lambda s: str(len(s.transients_missed)),
     lambda s: not s.transients_missed),
)


def met(ok: bool | None) -> str:
    return NA if ok is None else ("yes" if ok else "**no**")


def target_rows(workload: str, q: dict[str, Quality]) -> list[str]:
    """Rows of the targets table for one workload: | workload | measure | target | trap | met |
    resolved | met |."""
    rows = []
    for name, target, value, test in ABSOLUTE_TARGETS:
        cells = [(value(q[m].score), met(test(q[m].score))) if m in q else (NA, NA) for m in MODES]
        rows.append(f"| {workload} | {name} | {target} | " + " | ".join(f"{v} | {ok}" for v, ok in cells) + " |")
    false = {m: q[m].score.candidates_false for m in q}
    ok = false["resolved"] * 10 <= false["trap"] if "resolved" in false else None
    vacuous = " (none in either mode)" if ok and not false["trap"] else ""
    rows.append(f"| {workload} | false transient candidates | resolved x 10 <= trap | {false['trap']} | - | "
                f"{false.get('resolved', NA)} | {met(ok)}{vacuous} |")
    return rows


def targets_table(report: Report) -> list[str]:
    rows = ["| workload | measure | target | trap | met | resolved | met |",
            "|---|---|---|---:|---|---:|---|"]
    for workload, qualities in (("W1", report.w1), ("demo survey", demo_qualities(report))):
        if qualities:
            rows += target_rows(workload, qualities)
    ratio = cost_ratio(report.w1)
    rows.append(f"| W1 | cost per image, resolved / trap (medians, in turns) | <= 1.3 | "
                f"{median_s(report.w1['trap']):.3f} s | - | "
                f"{NA if ratio is None else f'{ratio:.2f}'} | {met(None if ratio is None else ratio <= 1.3)} |")
    return rows


def demo_qualities(report: Report) -> dict[str, Quality]:
    return {m: run.quality for m, run in report.demo.items()}


def pair_table(report: Report) -> list[str]:
    """Per close pair and mode: split into two lightcurves, detections counted twice."""
    runs = report.demo
    if not runs:
        return ["No demo run."]
    first = next(iter(runs.values()))
    head = "| pair (true sources) | separation | resolved detections | blends | " + " | ".join(
        f"{m}: split | {m}: in 2+ lightcurves (blends) | {m}: flux counted twice" for m in MODES) + " |"
    lines = [head, "|---|---:|---:|---:|" + "---|---:|---:|" * len(MODES)]
    for k, pair in enumerate(first.pairs):
        cells = []
        for m in MODES:
            if m in runs:
                p = runs[m].pairs[k]
                cells.append(f"{'yes' if p.split else '**no**'} | {p.shared} ({p.blends_shared}) | "
                             f"{p.flux_counted_twice}")
            else:
                cells.append(f"{NA} | {NA} | {NA}")
        lines.append(f"| {pair.members[0]}, {pair.members[1]} | {pair.separation_arcsec:.1f}\" | "
                     f"{pair.resolved[0]} + {pair.resolved[1]} | {pair.blends} | " + " | ".join(cells) + " |")
    return lines


def examples(qualities: dict[str, Quality]) -> list[str]:
    """Each mode's described broken true sources, lost detections and false candidates (at
    most EXAMPLES of each)."""
    lines = []
    for m, q in qualities.items():
        for what, described in q.examples.items():
            lines += ([f"{m}, {what} (up to {EXAMPLES}):", "", *[f"- {e}" for e in described], ""]
                      if described else [f"{m}: no {what}.", ""])
    return lines


def provenance() -> str:
    """The commit, and the files changed since it (read-only git)."""
    git = ["git", "--no-optional-locks", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            check=False).stdout.strip()
    changed = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True, check=False).stdout.split("\n")
    files = sorted(line[3:] for line in changed if line.strip())
    return f"commit {commit}" + (f" with uncommitted changes to {', '.join(files)}" if files else "")


def markdown(report: Report, machine_lines: list[str], argv: list[str], quick: bool) -> str:
    """The report (see the module docstring)."""
    setup, spec, demo = report.setup, report.spec, demo_qualities(report)
    low, high = min(spec.freqs), max(spec.freqs)
    lines = [
        "# Association quality", "",
        f"Run of {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {report.provenance}, "
        f"{'quick' if quick else 'full'} mode, {report.seconds / 60:.0f} minutes. Command: "
        "`.venv/bin/python scripts/quality.py" + "".join(" " + a for a in argv) + "`. "
        f"Modes run: {', '.join(report.w1)}.", "",
        "## Machine", "", *machine_lines, "",
        "## Targets", "",
        "A true source is *whole* when all its detections are in one lightcurve; a lightcurve "
        "is *pure* when one true source is measured by all its detections (alone or as a member "
        "of a blend).", "",
        *targets_table(report), "",
        f"## W1: {setup.images} images of {setup.sources:,} sources and {setup.transients} "
        "injected transients", "",
        "The benchmark's W1 sky (one field, two bands alternating, the same sources in every "
        f"image); the injected transients (log-uniform {TRANSIENT_FLUX_MIN:g}-1 Jy, uniform over "
        "the field) appear at an image of their own from the third on and stay. Each mode in a "
        "database of its own, the modes taking turns image by image (who goes first alternates); "
        "costs are end to end (load + associate + commit) after the first image.", "",
        *mode_table(report.w1), "",
        f"### What went wrong (search radius {W1_SEARCH_ARCSEC:.0f}\")", "", *examples(report.w1),
        *[f"Injected transients missed in {m}: "
          + ", ".join(str(t) for t in q.score.transients_missed) + "." for m, q in report.w1.items()
          if q.score.transients_missed], "",
        "### Cost per stage", "",
        *[f"Median stage times of {m} (ms):\n\n{stage_medians(q.stages)}" for m, q in report.w1.items()],
        f"## Demo survey: `tkpdb demo`'s survey, {setup.demo_epochs} epochs", "",
        f"Two overlapping fields, {low / 1e6:g} and {high / 1e6:g} MHz (beam FWHM "
        f"{spec.fwhm(low):.0f}\" and {spec.fwhm(high):.0f}\"), {spec.pairs} close pairs "
        f"{spec.pair_separation_arcsec:g}\" apart (resolved at {high / 1e6:g} MHz only), "
        f"{spec.steady} steady sources, {spec.variables} variables and {spec.transients} injected "
        "transients; Selavy catalogues and FITS images with forced fits, run through "
        "`tkpdb.run_manifest` with the demo's association settings ("
        + ", ".join(f"{k} {v:g}" for k, v in DEMO_ASSOCIATION.items())
        + ") and `[association] mode`.", "",
        *(mode_table({m: demo.get(m) for m in MODES}) if demo else ["No mode ran."]), "",
        "Run time of the manifest (s, forced fits included): " + ", ".join(
            f"{m} {r.seconds:.1f}" for m, r in report.demo.items() if r.quality) + ".", "",
        f"### What went wrong (search radius {demo_search_arcsec(spec):.0f}\" at {low / 1e6:g} MHz, "
        f"{demo_search_arcsec(spec) * low / high:.0f}\" at {high / 1e6:g} MHz)", "", *examples(demo),
        "### Two resolutions: the close pairs", "",
        f"Per close pair: its detections where {high / 1e6:g} MHz resolves it (per member) and "
        f"the blends at {low / 1e6:g} MHz (the truth records each blend's members). *split*: each "
        "member's resolved "
        "detections all lie in one lightcurve holding none of the other's (two lightcurves, each "
        "with its own flux history); *in 2+ lightcurves*: detections of the pair held by more than "
        "one lightcurve (in brackets: the blends among them); *flux counted twice*: detections "
        "of the pair whose flux those lightcurves count more than once (without flux division "
        "every lightcurve holding a measurement counts all of its flux).", "",
        *pair_table(report), "",
        "## Methods", "",
        "- Truth: W1 row i of every image is true source i (`insert_extracted_sources` returns "
        "the ids in row order); the demo's `truth.json` gives the true source of each catalogue "
        "row (`tkpdb.catalogue_extractions`). Only blind detections are scored.",
        "- Scores: `tkpdb.score_truth` with the demo's blends (`tkpdb.survey_truth`: a blend is a "
        "detection of each of its members) for whole, lightcurves per source, purity, shared "
        "detections and candidates against the injected transients; `tkpdb.dataset_stats` "
        "(measurements made and counted, over-counting, events); `tkpdb.suspect_transients` (a "
        "lightcurve whose flux steps at a fork that split one source's flux; default tolerance "
        "0.3; it leaves out forks whose history flux division scaled, so it counts none in the "
        "resolved mode with flux division); `tkpdb.check_catalogue` (consistency).",
        "- Flux counted twice: the share of each blind detection's flux every lightcurve holds "
        "(`flux_fraction` of `tkpdb.lightcurve_table`), summed over the lightcurves holding it; "
        "whole flux shown twice: the points of one detection in several lightcurves whose `f_int` "
        "(as `get_lightcurve` returns it) is the whole measurement in each.",
        f"- W1 as in the benchmark: `VACUUM (ANALYZE)` every {VACUUM_EVERY} images outside the "
        "timed sections; both modes use the default association parameters.",
    ]
    return "\n".join(lines) + "\n"


def summary_lines(report: Report) -> list[str]:
    """The short summary printed at the end."""
    lines = []
    for workload, qualities in (("W1", report.w1), ("demo", demo_qualities(report))):
        for m, q in qualities.items():
            s = q.score
            lines.append(f"{workload} {m}: whole {percent(s.whole_fraction)}, "
                         f"{s.lightcurves_per_source:.3f} lightcurves/source, pure {percent(s.purity)}, "
                         f"candidates {s.candidates_true} true / {s.candidates_false} false, transients "
                         f"missed {len(s.transients_missed)}, over-counting "
                         f"{fraction(s.overcounting_fraction)}"
                         + (f", {median_s(q):.3f} s/image" if q.seconds else ""))
    ratio = cost_ratio(report.w1)
    lines.append("W1 cost resolved / trap: " + (NA if ratio is None else f"{ratio:.2f}"))
    return lines


# --- main -------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", default=None, help="names the server and the base database "
                        "name (default: $TKPDB_DSN, else dbname=tkpdb)")
    parser.add_argument("--images", type=int, default=None, help="W1 images (default 100)")
    parser.add_argument("--sources", type=int, default=None, help="W1 sources (default 10,000)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "quality.md")
    parser.add_argument("--quick", action="store_true", help="few images and sources")
    args = parser.parse_args(argv)
    setup = Setup(**vars(QUICK)) if args.quick else Setup()
    setup.images = args.images or setup.images
    setup.sources = args.sources or setup.sources
    t0 = time.perf_counter()
    code = provenance()   # the code the databases get: read before they are migrated
    dsn = tkpdb.resolve_dsn(args.dsn)
    conns = {}
    for mode in MODES:
        recreate(mode_dsn(dsn, mode))
        conns[mode] = tkpdb.connect(mode_dsn(dsn, mode))
    try:
        runs = [ModeRun(m, c, tkpdb.insert_dataset(c, f"quality: W1 ({m})")) for m, c in conns.items()]
        w1 = score_w1(runs, *run_w1(runs, setup))
        spec = tkpdb.SurveySpec(epochs=setup.demo_epochs)
        survey = tkpdb.simulate_survey(spec)
        with tempfile.TemporaryDirectory() as tmp:
            demo = {m: run_demo(c, m, survey, Path(tmp) / m) for m, c in conns.items()}
        report = Report(setup, spec, w1, demo, time.perf_counter() - t0, code)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(markdown(report, machine(conns["trap"]),
                                     sys.argv[1:] if argv is None else argv, args.quick))
    finally:
        for c in conns.values():
            c.close()
    print("\n".join(summary_lines(report)))
    print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main()
