"""Fixtures of the viewer tests: one associated survey database for the session, and a
read-only login to reach it.

The viewer only reads, so every viewer test shares one survey (built once, ~1 s). The
read-only login is made here with SELECT grants only, and EXECUTE on tkpdb's VOLATILE
(writing) functions revoked from PUBLIC in that database; when the project's group role
``tkpdb_reader`` exists, ``reader_dsn`` should simply ``GRANT tkpdb_reader`` to the login.
"""

from __future__ import annotations

import os
import re

import psycopg2
import pytest
from pytest_postgresql.janitor import DatabaseJanitor

import tkpdb

from .viewer_survey import Survey, build_survey

__all__ = ["survey_db", "reader_dsn", "make_login", "drop_login", "dsn_of"]

_ROLE_PREFIX = "tkpdb_test_"


def dsn_of(p, dbname: str, user: str | None = None) -> str:  # noqa: ANN001 (executor)
    """DSN on the test server for ``dbname`` as ``user`` (default: the test superuser)."""
    parts = [f"host={p.host}", f"port={p.port}", f"user={user or p.user}", f"dbname={dbname}"]
    if p.password and user is None:
        parts.append(f"password={p.password}")
    return " ".join(parts)


def _admin(p):  # noqa: ANN001, ANN202
    conn = psycopg2.connect(dsn_of(p, "postgres"))
    conn.autocommit = True
    return conn


def _drop_orphan_logins(p) -> None:  # noqa: ANN001
    """Drop logins left by test runs that were killed (their pid no longer runs)."""
    with _admin(p) as conn, conn.cursor() as cur:
        cur.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s",
                    (_ROLE_PREFIX.replace("_", r"\_") + "%",))
        for (name,) in cur.fetchall():
            match = re.match(rf"{_ROLE_PREFIX}(\d+)_", name)
            if match and not os.path.exists(f"/proc/{match.group(1)}"):
                cur.execute(f'DROP ROLE IF EXISTS "{name}"')
    conn.close()


def make_login(p, dbname: str, suffix: str, grants: list[str]) -> str:  # noqa: ANN001
    """A new login ``tkpdb_test_<pid>_<suffix>`` with ``grants`` (SQL, ``{role}`` substituted)
    run in ``dbname``; returns its DSN."""
    role = f"{_ROLE_PREFIX}{os.getpid()}_{suffix}"
    with _admin(p) as conn, conn.cursor() as cur:
        cur.execute(f'DROP ROLE IF EXISTS "{role}"')
        cur.execute(f'CREATE ROLE "{role}" LOGIN')
    conn.close()
    with psycopg2.connect(dsn_of(p, dbname)) as conn, conn.cursor() as cur:
        for grant in grants:
            cur.execute(grant.format(role=f'"{role}"'))
    conn.close()
    return dsn_of(p, dbname, role)


def drop_login(p, dsn: str, dbnames: list[str]) -> None:  # noqa: ANN001
    """Drop the login of ``dsn`` after removing its grants in ``dbnames``."""
    role = re.search(r"user=(\S+)", dsn).group(1)
    for dbname in dbnames:
        with psycopg2.connect(dsn_of(p, dbname)) as conn, conn.cursor() as cur:
            cur.execute(f'DROP OWNED BY "{role}"')
        conn.close()
    with _admin(p) as conn, conn.cursor() as cur:
        cur.execute(f'DROP ROLE IF EXISTS "{role}"')
    conn.close()


#: What a read-only login of the viewer gets.
READER_GRANTS = ["GRANT tkpdb_reader TO {role}"]   # the read-only group role (99_privileges.sql)


@pytest.fixture(scope="session")
def survey_db(postgresql_noproc):
    """``(dsn, survey)``: a database holding the survey of :func:`build_survey` (superuser DSN)."""
    p = postgresql_noproc
    name = f"{p.dbname}_viewer"
    with DatabaseJanitor(user=p.user, host=p.host, port=p.port, dbname=name,
                         template_dbname=p.template_dbname, password=p.password):
        dsn = dsn_of(p, name)
        conn = tkpdb.connect(dsn)
        survey: Survey = build_survey(conn)
        with conn.cursor() as cur:
            cur.execute("ANALYZE")
        conn.commit()
        conn.close()
        yield dsn, survey


@pytest.fixture(scope="session")
def reader_dsn(postgresql_noproc, survey_db):
    """DSN of a read-only login on the survey database."""
    p = postgresql_noproc
    _drop_orphan_logins(p)
    dbname = re.search(r"dbname=(\S+)", survey_db[0]).group(1)
    dsn = make_login(p, dbname, "reader", READER_GRANTS)
    yield dsn
    drop_login(p, dsn, [dbname])
