"""The consistency checker: what a DBA relies on, verified, never changed.

    for result in tkpdb.check_catalogue(conn, dataset_id):   # dataset None: every dataset
        print(result.problems, result.check, result.example)

The SQL function ``check_catalogue`` (``sql/90_check_catalogue.sql``) does the work: every
blind extraction of an associated image in a lightcurve, runcat positions, weights and flux
statistics equal to a recomputation from their measurements, datapoint counts equal to the
links, no scratch rows left, sky-region links complete, no duplicate positions in an image,
and the engine-kept references of ``check_integrity()``.
"""

from __future__ import annotations

from typing import NamedTuple

import psycopg2.extensions

from ._db import read_rows

__all__ = ["CheckResult", "check_catalogue"]


class CheckResult(NamedTuple):
    """One property: its description, the number of rows that break it (0: it holds) and an
    example of one."""

    check: str
    problems: int
    example: str | None


def check_catalogue(conn: psycopg2.extensions.connection,
                    dataset_id: int | None = None) -> list[CheckResult]:
    """Check one dataset (``None``: all); return one :class:`CheckResult` per property.

    Raises ``ValueError`` for a dataset that does not exist. Reads only; a transaction the
    caller has open is left as it was.
    """
    if dataset_id is not None:
        if not read_rows(conn, "SELECT 1 FROM dataset WHERE id = %s", (dataset_id,)):
            raise ValueError(f"dataset {dataset_id} does not exist")
    rows = read_rows(conn, "SELECT check_name, problems, example FROM check_catalogue(%s)",
                     (dataset_id,))
    return [CheckResult(check, int(problems), example if problems else None)
            for check, problems, example in rows]
