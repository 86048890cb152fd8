"""The monitoring list: user positions force-fitted in every image of a dataset.

    ids = tkpdb.insert_monitor_positions(conn, dataset_id, [(ra, decl), ...])
    for entry in tkpdb.get_monitor_entries(conn, dataset_id):
        ...  # fit the image at (entry.ra, entry.decl)
    tkpdb.insert_extracted_sources(conn, image_id, fits, extract_type="ff_ms",
                                   ff_monitor_ids=[entry.id for entry in entries])
    tkpdb.associate_monitored(conn, image_id)

A monitored position gets its own lightcurve (a runcat with ``mon_src`` true) at its first fit
(assoc type 8), extended by every later fit (type 9); blind association never touches it.
The work is done by SQL functions of ``sql/95_monitoring.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import psycopg2.extensions

from ._db import read_rows, transaction
from .validation import real_number

__all__ = ["MonitorEntry", "insert_monitor_positions", "get_monitor_entries", "associate_monitored"]


class MonitorEntry(NamedTuple):
    """A monitored position (deg) and its runcat (None until first fitted)."""

    id: int
    runcat: int | None
    ra: float
    decl: float
    name: str | None


def insert_monitor_positions(conn: psycopg2.extensions.connection, dataset_id: int,
                             positions: Sequence[tuple[float, float]],
                             names: Sequence[str] | None = None) -> list[int]:
    """Add ``positions`` ``[(ra, decl), ...]`` (deg) to the dataset's monitoring list; return
    their monitor ids in input order."""
    ras, decls = [], []
    for k, position in enumerate(positions):
        try:
            ra, decl = position
            ras.append(real_number(ra))
            decls.append(real_number(decl))
        except (TypeError, ValueError):
            raise ValueError(f"insert_monitor_positions: position {k} = {position!r} is not a pair "
                             "of numbers (ra, decl) in deg") from None
    with transaction(conn) as cur:
        cur.execute("SELECT * FROM insert_monitor_positions(%s, %s::float8[], %s::float8[], %s::text[])",
                    (dataset_id, ras, decls, list(names) if names is not None else None))
        return [row[0] for row in cur.fetchall()]


def get_monitor_entries(conn: psycopg2.extensions.connection, dataset_id: int) -> list[MonitorEntry]:
    """The dataset's monitoring list, in insertion order."""
    rows = read_rows(conn, "SELECT id, runcat, ra, decl, name FROM get_monitor_entries(%s)",
                     (dataset_id,))
    return [MonitorEntry(*row) for row in rows]


def associate_monitored(conn: psycopg2.extensions.connection, image_id: int, *,
                        commit: bool = True) -> dict[str, int]:
    """Link the image's ``ff_ms`` fits to their monitored runcats: type 8 (a new mon_src runcat)
    for a position fitted for the first time, type 9 afterwards. Returns
    ``{"first_fits": n8, "later_fits": n9}``; one transaction."""
    with transaction(conn, commit=commit) as cur:
        cur.execute("SELECT first_fits, later_fits FROM associate_monitored(%s)", (image_id,))
        first, later = cur.fetchone()
    return {"first_fits": first, "later_fits": later}
