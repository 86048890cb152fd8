"""Scoring an associated dataset against its ground truth (simulations, benchmarks).

The caller says which true source each blind extraction measured (a mapping extraction id ->
true source id; a blend maps to one source, an extraction left out is not scored) and which
true sources are injected transients. :func:`score_truth` reads the lightcurves of the
dataset and returns :class:`TruthScore`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import psycopg2.extensions

from ._db import read_rows
from .stats import dataset_stats

__all__ = ["TruthScore", "score_truth"]


@dataclass(frozen=True)
class TruthScore:
    """How well the lightcurves of a dataset follow the true sources.

    Attributes
    ----------
    true_sources : int
        True sources with at least one scored blind detection.
    lightcurves : int
        Lightcurves holding at least one scored blind detection.
    lightcurves_per_source : float
        Mean number of lightcurves a true source's detections are spread over (1 is ideal;
        a shared detection counts in every lightcurve holding it).
    whole_fraction : float
        Fraction of true sources all of whose detections are in one lightcurve.
    purity : float
        Fraction of lightcurves whose scored detections all measure one true source.
    shared_detections : int
        Blind detections counted in more than one lightcurve.
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
                true_source_of: Mapping[int, int], transients: Collection[int] = ()
                ) -> TruthScore:
    """Score the dataset's lightcurves against the truth (see :class:`TruthScore`)."""
    links = read_rows(conn, "SELECT runcat, xtrsrc FROM dataset_lightcurves(%s) "
                            "WHERE extract_type = 0", (dataset_id,))
    runcats_of: dict[int, set[int]] = defaultdict(set)        # extraction -> lightcurves
    members: dict[int, set[int]] = defaultdict(set)           # lightcurve -> extractions
    for runcat, xtrsrc in links:
        if xtrsrc in true_source_of:
            runcats_of[xtrsrc].add(runcat)
            members[runcat].add(xtrsrc)
    detections: dict[int, list[int]] = defaultdict(list)      # true source -> extractions
    for xtrsrc in runcats_of:
        detections[true_source_of[xtrsrc]].append(xtrsrc)
    spread, broken = [], []
    for source, xs in detections.items():
        holders = set.union(*(runcats_of[x] for x in xs))
        spread.append(len(holders))
        if not set.intersection(*(runcats_of[x] for x in xs)):
            broken.append(source)
    pure = sum(1 for xs in members.values() if len({true_source_of[x] for x in xs}) == 1)
    shared = sum(1 for rs in runcats_of.values() if len(rs) > 1)
    injected = set(transients)
    candidates = read_rows(conn, "SELECT runcat, trigger_xtrsrc FROM dataset_transient_candidates(%s)",
                           (dataset_id,))
    recovered, false = set(), []
    for runcat, trigger in candidates:
        source = true_source_of.get(trigger)
        if source is not None and source in injected:
            recovered.add(source)
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
