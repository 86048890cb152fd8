"""Forced fits at the positions of known sources an image did not detect (null detections).

    positions = tkpdb.get_nulldetections(conn, image_id, expiration=10)
    # ... fit the image at each (ra, decl), then:
    tkpdb.insert_extracted_sources(conn, image_id, fits, extract_type="ff_nd",
                                   ff_runcat_ids=[runcat for runcat, _, _ in positions])
    tkpdb.associate_nulldetections(conn, image_id)

The work is done by SQL functions of ``sql/94_nulldetections.sql``.
"""

from __future__ import annotations

import psycopg2.extensions

from ._db import read_rows, transaction

__all__ = ["get_nulldetections", "associate_nulldetections", "DEFAULT_EXPIRATION"]

#: Consecutive images without a blind detection after which a source is no longer force-fitted.
DEFAULT_EXPIRATION = 10


def get_nulldetections(conn: psycopg2.extensions.connection, image_id: int,
                       expiration: int = DEFAULT_EXPIRATION) -> list[tuple[int, float, float]]:
    """Known sources to force-fit in ``image_id``: ``[(runcat_id, ra, decl), ...]`` (deg).

    Blind runcats of the image's sky region, first seen in an earlier image, not detected in this
    one, and force-fitted fewer than ``expiration`` times in a row.
    """
    rows = read_rows(conn, "SELECT runcat, ra, decl FROM get_nulldetections(%s, %s)",
                     (image_id, expiration))
    return [tuple(row) for row in rows]


def associate_nulldetections(conn: psycopg2.extensions.connection, image_id: int, *,
                             commit: bool = True) -> dict[str, int]:
    """Link the image's ``ff_nd`` forced fits to their runcats (assoc type 7).

    Flux statistics are updated; positions and positional datapoints are not; each runcat's
    ``forcedfits_count`` grows by one. Returns ``{"forced_fits": n}``. One transaction: an error
    (a fit of an unknown, foreign or monitored runcat, a second call) changes nothing.
    """
    with transaction(conn, commit=commit) as cur:
        cur.execute("SELECT forced_fits FROM associate_nulldetections(%s)", (image_id,))
        (count,) = cur.fetchone()
    return {"forced_fits": count}
