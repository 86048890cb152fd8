"""Read-only database sessions of the viewer: the role check and a small connection pool.

The viewer must run with a role that cannot write. :func:`write_privileges` asks the database
(``write_privileges()``, ``sql/98_write_privileges.sql``) for every privilege through which the
connected role could change it -- superuser, INSERT/UPDATE/DELETE/TRUNCATE on a tkpdb table,
EXECUTE on a VOLATILE tkpdb function (association and the other writers) -- held by the role
itself or by any role it can ``SET ROLE`` to. :class:`ReadOnlyPool` refuses to open when that
list is not empty, unless ``allow_writer`` (development mode) is set, which logs a warning on
every start. Whatever the role, every session is ``default_transaction_read_only`` and every
request runs in one read-only REPEATABLE READ transaction (one snapshot per page, even while
association writes), with a statement timeout.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras

from ..connection import connect

__all__ = ["WritableRoleError", "write_privileges", "ReadOnlyPool", "Reader"]

log = logging.getLogger("tkpdb.viewer")


class WritableRoleError(RuntimeError):
    """The viewer's database role could change the database."""


def write_privileges(conn: psycopg2.extensions.connection) -> list[tuple[str, str, str | None]]:
    """``[(via_role, privilege, object), ...]``: every way the connected role could write."""
    with conn.cursor() as cur:
        cur.execute("SELECT via_role, privilege, object FROM write_privileges()")
        rows = cur.fetchall()
    conn.rollback()
    return rows


def describe_privileges(rows: list[tuple[str, str, str | None]], limit: int = 5) -> str:
    """A short, readable summary of :func:`write_privileges` rows."""
    shown = [f"{priv} on {obj} (as {role})" if obj else f"{priv} (as {role})"
             for role, priv, obj in rows[:limit]]
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return "; ".join(shown) + more


class Reader:
    """One request's read-only transaction: tiny parameterised queries, always bound."""

    def __init__(self, conn: psycopg2.extensions.connection) -> None:
        self.conn = conn

    def rows(self, sql: Any, params: tuple | dict = ()) -> list[dict[str, Any]]:
        """All rows as dicts (column name -> value)."""
        with self.conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(sql, params)
            return [dict(row) for row in cur.fetchall()]

    def one(self, sql: Any, params: tuple | dict = ()) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def value(self, sql: Any, params: tuple | dict = ()) -> Any:
        """The first column of the first row."""
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
        return None if row is None else row[0]


class ReadOnlyPool:
    """A fixed-size pool of read-only tkpdb connections (see the module docstring).

    Parameters
    ----------
    dsn
        libpq DSN (``None``: ``$TKPDB_DSN``, then ``dbname=tkpdb``).
    size
        Connections kept open.
    allow_writer
        Development mode: start even when the role can write (a warning is logged).
    statement_timeout_ms
        Longest a single statement may run (ms).
    """

    def __init__(self, dsn: str | None, size: int = 4, *, allow_writer: bool = False,
                 statement_timeout_ms: int = 20000) -> None:
        self.dsn = dsn
        self._free: queue.LifoQueue[psycopg2.extensions.connection] = queue.LifoQueue()
        self._all: list[psycopg2.extensions.connection] = []
        self._lock = threading.Lock()
        self.statement_timeout_ms = int(statement_timeout_ms)
        first = self._open()
        rows = write_privileges(first)
        if rows:
            message = (f"the database role can write ({describe_privileges(rows)}); the viewer "
                       "needs a read-only role (see the README: the tkpdb_reader role)")
            if not allow_writer:
                first.close()
                raise WritableRoleError(message)
            log.warning("DEVELOPMENT MODE: %s. Sessions are read-only, but do not expose this "
                        "server to anyone else.", message)
        self.writable = bool(rows)
        self._free.put(first)
        for _ in range(size - 1):
            self._free.put(self._open())

    def _open(self) -> psycopg2.extensions.connection:
        conn = connect(self.dsn)   # refuses a schema that is not at the newest revision
        conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ,
                         readonly=True)
        with conn.cursor() as cur:
            cur.execute("SET statement_timeout = %s", (self.statement_timeout_ms,))
            cur.execute("SET jit = off")   # short queries: compiling would cost more
        conn.commit()
        with self._lock:
            self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def reader(self) -> Iterator[Reader]:
        """A :class:`Reader` on a pooled connection; its transaction ends with the block.

        A connection found closed (server restart, killed backend) is replaced.
        """
        conn = self._free.get()
        try:
            if conn.closed:
                with self._lock:
                    self._all.remove(conn)
                conn = self._open()
            yield Reader(conn)
        finally:
            if not conn.closed:
                try:
                    conn.rollback()
                except psycopg2.Error:
                    conn.close()
            self._free.put(conn)

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
