"""Transaction helper shared by the API modules."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg2
import psycopg2.extensions

__all__ = ["transaction", "read_rows", "ConnectionLostError"]


class ConnectionLostError(psycopg2.OperationalError):
    """The connection to the server is gone (the server restarted, or the session was ended).

    Nothing of the transaction that was open is committed; open a new connection
    (:func:`tkpdb.connect`). A subclass of :class:`psycopg2.OperationalError`.
    """


_LOST = ("the connection to the database server was lost (the server restarted or the session "
         "was terminated): nothing of the open transaction was committed; open a new connection "
         "with tkpdb.connect()")


def _lost(conn: psycopg2.extensions.connection, exc: BaseException | None = None) -> None:
    """Raise ConnectionLostError when the connection is closed (after ``exc``, if given)."""
    if conn.closed:
        detail = f" [{str(exc).strip().splitlines()[0]}]" if exc is not None and str(exc).strip() else ""
        raise ConnectionLostError(_LOST + detail) from exc


@contextlib.contextmanager
def transaction(
    conn: psycopg2.extensions.connection, commit: bool = True,
    keep: tuple[type[BaseException], ...] = (),
) -> Iterator[psycopg2.extensions.cursor]:
    """A cursor whose work is committed on success (if ``commit``) and rolled back on error.

    An exception of a type in ``keep`` (a refusal raised before anything was written, or after
    rolling back to a savepoint) leaves a transaction the caller had opened as it is; one this
    call opened is rolled back. A lost connection raises :class:`ConnectionLostError`.
    """
    _lost(conn)
    opened = conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    try:
        with conn.cursor() as cur:
            yield cur
        if commit:
            conn.commit()
    except keep:
        if opened and not conn.closed:
            conn.rollback()
        raise
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        _lost(conn, exc)
        with contextlib.suppress(psycopg2.Error):
            conn.rollback()
        raise
    except BaseException:
        # roll back if the connection is still there; a dead connection (server restart,
        # killed backend) has rolled back already, and its error is the one to report
        if not conn.closed:
            with contextlib.suppress(psycopg2.Error):
                conn.rollback()
        raise


def read_rows(conn: psycopg2.extensions.connection, sql: str,
              params: tuple[Any, ...]) -> list[tuple]:
    """Run a read-only query; end the transaction only if this call opened it.

    A caller's open transaction (e.g. extractions loaded with ``commit=False``) is left as it
    was, so reads never commit or discard someone else's work.
    """
    _lost(conn)
    idle = conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        _lost(conn, exc)
        raise
    finally:
        if idle and not conn.closed:
            conn.rollback()
