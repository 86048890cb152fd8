"""Dataset statistics (over-counting, association events) and suspect transients.

The SQL views ``dataset_statistics`` and ``suspect_transients`` (``sql/93_lightcurves.sql``)
give DBAs the same numbers.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import psycopg2.extensions

from ._db import read_rows

__all__ = ["DatasetStats", "SuspectTransient", "dataset_stats", "suspect_transients"]


class DatasetStats(NamedTuple):
    """Counts of one dataset.

    Attributes
    ----------
    measurements_made : int
        Extractions of the dataset's images (blind and forced fits).
    measurements_counted : int
        Measurements summed over all lightcurves (links in assocxtrsource): a measurement in
        two lightcurves counts twice.
    overcounting_fraction : float or None
        ``measurements_allotted / measurements_made - 1``: 0 when no measurement is shared or
        every shared one is divided (flux division); None for a dataset without measurements.
    lightcurves : int
        Running-catalogue entries.
    images_associated : int
        Images whose blind extractions were associated.
    one_to_many_events : int
        Runcats forked (each one-to-many association counts once, however many children).
    many_to_one_events : int
        Extractions appended to several runcats in one association.
    many_to_many_events : int
        Candidate pairs pruned to reduce many-to-many associations.
    transient_candidates : int
        Lightcurves with a newsource row.
    suspect_transients : int
        Lightcurves listed by :func:`suspect_transients` with the default tolerance.
    measurements_allotted : float
        The links' flux shares summed (``assocxtrsource.flux_fraction``): a measurement
        divided between two lightcurves counts once.
    """

    measurements_made: int
    measurements_counted: int
    overcounting_fraction: float | None
    lightcurves: int
    images_associated: int
    one_to_many_events: int
    many_to_one_events: int
    many_to_many_events: int
    transient_candidates: int
    suspect_transients: int
    measurements_allotted: float


class SuspectTransient(NamedTuple):
    """A lightcurve whose flux steps at a fork that split one source among its children.

    Attributes
    ----------
    runcat : int
        The lightcurve (the fork child, or a later descendant holding its base point).
    fork_image : int
        Image of the fork.
    parent_runcat : int
        The forked runcat (deleted by the fork).
    base_xtrsrc : int
        This child's base-point extraction (type 2 link) in the fork image.
    children : int
        Number of lightcurves the parent forked into.
    parent_avg_f_int : float
        Mean f_int of the parent in the fork image's band and Stokes (Jy).
    base_f_int : float
        f_int of the base point (Jy).
    children_f_int : float
        Sum of the children's base-point f_int (Jy).
    split_ratio : float
        ``children_f_int / parent_avg_f_int`` (about 1 for a flux split).
    step_ratio : float
        ``base_f_int / parent_avg_f_int``: the step of this lightcurve at the fork (about
        1/children).
    newsource : int or None
        The lightcurve's newsource id if it is also a transient candidate.
    """

    runcat: int
    fork_image: int
    parent_runcat: int
    base_xtrsrc: int
    children: int
    parent_avg_f_int: float
    base_f_int: float
    children_f_int: float
    split_ratio: float
    step_ratio: float
    newsource: int | None


def dataset_stats(conn: psycopg2.extensions.connection, dataset_id: int) -> DatasetStats:
    """Measurements made and counted, over-counting fraction and association events.

    Raises ``ValueError`` if the dataset does not exist.
    """
    rows = read_rows(conn, f"""
        SELECT {", ".join(DatasetStats._fields)} FROM dataset_statistics WHERE dataset = %s""",
                     (dataset_id,))
    if not rows:
        raise ValueError(f"dataset {dataset_id} does not exist")
    return DatasetStats(*rows[0])


def suspect_transients(conn: psycopg2.extensions.connection, dataset_id: int,
                       tolerance: float = 0.3) -> list[SuspectTransient]:
    """Lightcurves of the dataset whose flux steps at a fork that split a source's flux.

    A fork is a flux split when the forked runcat had a mean f_int ``m > 0`` in the fork
    image's band and Stokes, forked into ``n >= 2`` lightcurves, and their base-point fluxes
    add up to ``m`` within ``tolerance`` (a fraction): ``|sum(b_i) / m - 1| <= tolerance``.
    Each child then steps from ``m`` to about ``m / n`` (half the parent's flux for a
    two-way fork) and steps back up if the components blend again: changes made by the
    association, not by the sky. Every current lightcurve holding a base point of such a fork
    is listed (once per fork), ordered by runcat; ``newsource`` tells which of them are also
    transient candidates.
    """
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance must be a finite number >= 0, not {tolerance!r}")
    if not read_rows(conn, "SELECT 1 FROM dataset WHERE id = %s", (dataset_id,)):
        raise ValueError(f"dataset {dataset_id} does not exist")
    rows = read_rows(conn, f"""
        SELECT {", ".join(SuspectTransient._fields)} FROM suspect_transients_of(%s, %s)""",
                     (dataset_id, float(tolerance)))
    return [SuspectTransient(*row) for row in rows]
