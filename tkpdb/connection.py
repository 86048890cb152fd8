"""Connections to a tkpdb database."""

from __future__ import annotations

import psycopg2
import psycopg2.extensions

from .config import resolve_dsn
from .migrations import head_revision

__all__ = ["connect", "SchemaVersionError", "check_schema"]


class SchemaVersionError(RuntimeError):
    """The database schema is not the one this version of tkpdb expects."""


def check_schema(conn: psycopg2.extensions.connection) -> None:
    """Raise :class:`SchemaVersionError` unless the database is migrated to the newest revision."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
        (has_table,) = cur.fetchone()
        current = None
        if has_table:
            cur.execute("SELECT version_num FROM alembic_version")
            row = cur.fetchone()
            current = row[0] if row else None
    conn.rollback()
    head = head_revision()
    if current != head:
        raise SchemaVersionError(
            f"database schema is at revision {current or 'none'}, tkpdb needs {head}: "
            "run `tkpdb db upgrade` (or tkpdb.upgrade(dsn))"
        )


def connect(dsn: str | None = None, *, check: bool = True) -> psycopg2.extensions.connection:
    """Open a psycopg2 connection to the tkpdb database.

    Parameters
    ----------
    dsn
        libpq connection string or URI; ``None`` resolves it as :func:`tkpdb.config.resolve_dsn`
        does (``$TKPDB_DSN``, then ``dbname=tkpdb``).
    check
        Verify that the schema is migrated to the newest revision.
    """
    conn = psycopg2.connect(resolve_dsn(dsn))
    if check:
        try:
            check_schema(conn)
        except Exception:
            conn.close()
            raise
    return conn
