"""Scoring an associated dataset against its ground truth (simulations, benchmarks).

The caller says which true source each blind extraction measured (a mapping extraction id ->
true source id; an extraction left out is not scored), which extractions measured several true
sources at once (blends: extraction id -> the true sources; optional) and which true sources
are injected transients. :func:`score_truth` reads the lightcurves of the dataset and returns
:class:`TruthScore`. A blend is a detection of each of its sources: it may be held by each of
their lightcurves (with a share of its flux, in the resolved mode) without making them impure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import psycopg2.extensions

from ._db import read_rows
from .run import catalogue_extractions
from .stats import dataset_stats
from .survey import Truth

__all__ = ["TruthScore", "score_truth", "survey_truth"]


@dataclass(frozen=True)
class TruthScore:
    """How well the lightcurves of a dataset follow the true sources.

    Attributes
    ----------
    true_sources : int
        True sources with at least one scored blind detection that measured them alone or as
        the brightest member of a blend.
    lightcurves : int
        Lightcurves holding at least one scored blind detection.
    lightcurves_per_source : float
        Mean number of lightcurves a true source's detections are spread over (1 is ideal;
        a shared detection counts in every lightcurve holding it, but a blend only in the
        lightcurves of its own sources and in impure ones).
    whole_fraction : float
        Fraction of true sources all of whose detections (blends included) are in one
        lightcurve.
    purity : float
        Fraction of lightcurves in which one true source is measured by every scored
        detection (alone, or as a member of a blend).
    shared_detections : int
        Blind detections counted in more lightcurves than they measured true sources.
    overcounting_fraction : float or None
        The dataset's over-counting fraction (:func:`tkpdb.dataset_stats`).
    candidates_true, candidates_false : int
        Transient candidates (newsource) whose trigger measures an injected transient, and the
        others.
    transients_recovered, transients_missed : tuple of int
        Injected transients with (without) a candidate.
    broken : tuple of int
        True sources whose detections are not all in one lightcurve.
    false_candidates : tuple of int
        Runcats of the false candidates.
    """

    true_sources: int
    lightcurves: int
    lightcurves_per_source: float
    whole_fraction: float
    purity: float
    shared_detections: int
    overcounting_fraction: float | None
    candidates_true: int
    candidates_false: int
    transients_recovered: tuple[int, ...]
    transients_missed: tuple[int, ...]
    broken: tuple[int, ...]
    false_candidates: tuple[int, ...]


def score_truth(conn: psycopg2.extensions.connection, dataset_id: int,
                true_source_of: Mapping[int, int], transients: Collection[int] = (),
                blends: Mapping[int, Collection[int]] | None = None) -> TruthScore:
    """Score the dataset's lightcurves against the truth (see :class:`TruthScore`)."""
    links = read_rows(conn, "SELECT runcat, xtrsrc FROM dataset_lightcurves(%s) "
                            "WHERE extract_type = 0", (dataset_id,))
    blends = blends or {}
    runcats_of: dict[int, set[int]] = defaultdict(set)        # extraction -> lightcurves
    members: dict[int, set[int]] = defaultdict(set)           # lightcurve -> extractions
    for runcat, xtrsrc in links:
        if xtrsrc in true_source_of:
            runcats_of[xtrsrc].add(runcat)
            members[runcat].add(xtrsrc)

    def sources(xtrsrc: int) -> set[int]:
        return set(blends.get(xtrsrc, ())) or {true_source_of[xtrsrc]}

    common = {rc: set.intersection(*(sources(x) for x in xs)) for rc, xs in members.items()}
    # the true sources scored: those a detection measured alone or as the brightest member of
    # a blend (a source only ever seen as the fainter member of a blend cannot be followed)
    scored = {true_source_of[x] for x in runcats_of}
    detections: dict[int, list[int]] = defaultdict(list)      # true source -> extractions
    for xtrsrc in runcats_of:
        for source in sources(xtrsrc) & scored:
            detections[source].append(xtrsrc)
    spread, broken = [], []
    for source, xs in detections.items():
        holders = {rc for x in xs for rc in runcats_of[x] if source in common[rc] or not common[rc]}
        spread.append(len(holders))
        if not set.intersection(*(runcats_of[x] for x in xs)):
            broken.append(source)
    pure = sum(1 for c in common.values() if c)
    shared = sum(1 for x, rs in runcats_of.items() if len(rs) > len(sources(x)))
    injected = set(transients)
    candidates = read_rows(conn, "SELECT runcat, trigger_xtrsrc FROM dataset_transient_candidates(%s)",
                           (dataset_id,))
    recovered, false = set(), []
    for runcat, trigger in candidates:
        found = sources(trigger) & injected if trigger in true_source_of else set()
        if found:
            recovered |= found
        else:
            false.append(runcat)
    n = len(detections)
    return TruthScore(
        true_sources=n, lightcurves=len(members),
        lightcurves_per_source=sum(spread) / n if n else 0.0,
        whole_fraction=(n - len(broken)) / n if n else 0.0,
        purity=pure / len(members) if members else 0.0,
        shared_detections=shared,
        overcounting_fraction=dataset_stats(conn, dataset_id).overcounting_fraction,
        candidates_true=len(candidates) - len(false), candidates_false=len(false),
        transients_recovered=tuple(sorted(recovered)),
        transients_missed=tuple(sorted(injected - recovered)),
        broken=tuple(sorted(broken)), false_candidates=tuple(sorted(false)),
    )


def survey_truth(conn: psycopg2.extensions.connection, dataset_id: int, truth: Truth
                 ) -> tuple[dict[int, int], dict[int, list[int]]]:
    """The truth of a simulated survey's dataset as :func:`score_truth` takes it: the true
    source of each blind extraction and the members of each blend (extraction ids)."""
    ids = catalogue_extractions(conn, dataset_id)
    true_source_of = {x: t for name, xs in ids.items() for x, t in zip(xs, truth.catalogue_rows[name])}
    blends = {ids[name][row]: m for name, rows in truth.catalogue_blends.items() if name in ids
              for row, m in rows.items()}
    return true_source_of, blends
