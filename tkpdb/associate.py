"""Association of an image's blind extractions with the running catalogue.

The work is done by the SQL function ``associate_image`` (``sql/80_associate_image.sql``) and
its stages; this module calls it in one transaction.
"""

from __future__ import annotations

from typing import Any

import psycopg2.extensions
import psycopg2.extras

from ._db import transaction

__all__ = ["associate_extracted_sources", "DEFAULT_DERUITER_RADIUS", "MODES", "FLUX_DIVISIONS"]

#: TraP's default De Ruiter radius (dimensionless).
DEFAULT_DERUITER_RADIUS = 5.68

#: Association modes: TraP's rules, lightcurve for lightcurve, or the resolved mode.
MODES = ("trap", "resolved")

#: Flux division of the one-to-many and many-to-one links that remain.
FLUX_DIVISIONS = ("none", "equal", "flux")


def associate_extracted_sources(
    conn: psycopg2.extensions.connection,
    image_id: int,
    deruiter_radius: float = DEFAULT_DERUITER_RADIUS,
    beamwidths_limit: float = 1.0,
    new_source_sigma_margin: float = 3.0,
    *,
    mode: str = "trap",
    flux_division: str | None = None,
    commit: bool = True,
) -> dict[str, Any]:
    """Associate the blind extractions of ``image_id``; return what happened.

    Parameters
    ----------
    deruiter_radius
        Largest De Ruiter radius (dimensionless) of a match.
    beamwidths_limit
        Search radius in units of the image's restoring-beam semi-major axis.
    new_source_sigma_margin
        Sigma margin added to the detection threshold of earlier images when deciding whether a
        new source is a transient candidate.
    mode
        ``"trap"`` (TraP's rules, lightcurve for lightcurve) or ``"resolved"``: each connected
        group of candidate pairs gets its optimal one-to-one assignment, with forks and blends
        only where the image's beam genuinely resolves or blends known sources
        (``sql/25_resolved.sql``).
    flux_division
        ``"none"``, ``"equal"`` or ``"flux"``: how a measurement shared by several lightcurves
        (many-to-one) or a forked history (one-to-many) is divided among them
        (``sql/35_flux_division.sql``); ``None`` means ``"none"`` in the trap mode and
        ``"flux"`` in the resolved mode.
    commit
        Commit at the end (default). On any error everything done in the transaction, including
        uncommitted extractions loaded with ``commit=False``, is rolled back.

    Returns
    -------
    dict
        ``one_to_one``, ``one_to_many`` (runcats forked), ``many_to_one`` (extractions appended
        to several runcats), ``many_to_many_pruned`` (candidate pairs dropped), ``new_sources``,
        ``new_transient_candidates``, ``candidates`` (pairs considered) and ``stage_ms``
        (milliseconds spent in each stage).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if flux_division is not None and flux_division not in FLUX_DIVISIONS:
        raise ValueError(f"flux_division must be one of {', '.join(FLUX_DIVISIONS)}, "
                         f"not {flux_division!r}")
    with transaction(conn, commit=commit) as cur:
        cur.execute(
            "SELECT * FROM associate_image(%s, %s, %s, %s, %s, %s)",
            (image_id, deruiter_radius, beamwidths_limit, new_source_sigma_margin, mode,
             flux_division),
        )
        names = [d.name for d in cur.description]
        return dict(zip(names, cur.fetchone()))
