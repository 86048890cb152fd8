"""Transaction helper shared by the API modules."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg2
import psycopg2.extensions

__all__ = ["transaction", "read_rows"]


@contextlib.contextmanager
def transaction(
    conn: psycopg2.extensions.connection, commit: bool = True
) -> Iterator[psycopg2.extensions.cursor]:
    """A cursor whose work is committed on success (if ``commit``) and rolled back on error."""
    try:
        with conn.cursor() as cur:
            yield cur
    except BaseException:
        # roll back if the connection is still there; a dead connection (server restart,
        # killed backend) has rolled back already, and its error is the one to report
        if not conn.closed:
            with contextlib.suppress(psycopg2.Error):
                conn.rollback()
        raise
    if commit:
        conn.commit()


def read_rows(conn: psycopg2.extensions.connection, sql: str,
              params: tuple[Any, ...]) -> list[tuple]:
    """Run a read-only query; end the transaction only if this call opened it.

    A caller's open transaction (e.g. extractions loaded with ``commit=False``) is left as it
    was, so reads never commit or discard someone else's work.
    """
    idle = conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        if idle:
            conn.rollback()
