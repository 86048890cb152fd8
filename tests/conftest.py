"""Test fixtures: each test gets a fresh database cloned from a migrated template.

pytest-postgresql's no-process fixture talks to the running server (its process fixture needs
initdb, which refuses to run as root). Host, port and user come from the usual libpq
environment variables (PGHOST, PGPORT, PGUSER), defaulting to the local socket and the OS user.

The role needs CREATEDB and CREATEROLE, not superuser: the migrated template is copied from
the database ``tkpdb_template`` (``$TKPDB_TEMPLATE``), in which scripts/setup.sh created the
extensions as the postgres superuser (pgSphere is not a trusted extension). Without that
database the template is copied from template1, which works for a superuser only.
"""

from __future__ import annotations

import getpass
import os
import re

import psycopg2
import pytest
from pytest_postgresql import factories
from pytest_postgresql.executors.noop import NoopExecutor
from pytest_postgresql.janitor import DatabaseJanitor

import tkpdb


def _dsn(host: str, port: int | str, user: str, dbname: str, password: str | None = None) -> str:
    parts = [f"host={host}", f"port={port}", f"user={user}", f"dbname={dbname}"]
    if password:
        parts.append(f"password={password}")
    return " ".join(parts)


def _migrate(host: str, port: int | str, user: str, dbname: str, password: str | None = None,
             **_: object) -> None:
    """Loader of the template database: run every migration."""
    tkpdb.upgrade(_dsn(host, port, user, dbname, password))


_HOST = os.environ.get("PGHOST", "/var/run/postgresql")
_PORT = int(os.environ.get("PGPORT", "5432"))
_USER = os.environ.get("PGUSER", getpass.getuser())
_PASSWORD = os.environ.get("PGPASSWORD")

# Test databases carry the pid of the pytest process that made them, so that concurrent runs
# never collide and a run that was killed (leaving its template behind) is cleaned up later.
_PREFIX = "tkpdb_test_"
_DBNAME = f"{_PREFIX}{os.getpid()}"


def _drop_orphans() -> None:
    """Drop test databases left behind by pytest processes that no longer run."""
    conn = psycopg2.connect(_dsn(_HOST, _PORT, _USER, "postgres", _PASSWORD))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                    (_PREFIX.replace("_", r"\_") + "%",))
        for (name,) in cur.fetchall():
            match = re.match(rf"{_PREFIX}(\d+)", name)
            if match and not os.path.exists(f"/proc/{match.group(1)}"):
                try:
                    cur.execute(f'ALTER DATABASE "{name}" IS_TEMPLATE false')
                    cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                except psycopg2.errors.InsufficientPrivilege:
                    pass   # another role's: not ours to drop
    conn.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    _drop_orphans()


def extension_template() -> str | None:
    """The database with the extensions to copy (None: template1, for a superuser)."""
    name = os.environ.get("TKPDB_TEMPLATE", "tkpdb_template")
    conn = psycopg2.connect(_dsn(_HOST, _PORT, _USER, "postgres", _PASSWORD))
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        found = cur.fetchone() is not None
    conn.close()
    return name if found else None


@pytest.fixture(scope="session")
def postgresql_noproc():
    """The server, with a migrated template database (copied from extension_template())."""
    executor = NoopExecutor(host=_HOST, port=_PORT, user=_USER, password=_PASSWORD, options="",
                            dbname=_DBNAME)
    janitor = DatabaseJanitor(user=_USER, host=_HOST, port=_PORT, password=_PASSWORD,
                              dbname=executor.template_dbname, template_dbname=extension_template(),
                              as_template=True)
    janitor.drop()
    with janitor:
        janitor.load(_migrate)
        yield executor


postgresql = factories.postgresql("postgresql_noproc")


@pytest.fixture
def dsn(postgresql) -> str:
    """DSN of a fresh, migrated database for this test."""
    info = postgresql.info
    return _dsn(info.host, info.port, info.user, info.dbname, info.password)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "handmade_history: the test writes a history with plain SQL that is not a "
        "catalogue association would make (only the references are checked afterwards)")


@pytest.fixture
def conn(dsn, request):
    """A tkpdb (psycopg2) connection to the test's database."""
    connection = tkpdb.connect(dsn)
    yield connection
    connection.close()
    assert_integrity(dsn, catalogue=request.node.get_closest_marker("handmade_history") is None)


def assert_integrity(dsn: str, catalogue: bool = True) -> None:
    """Every engine-kept reference points at a row (sql/02_images.sql, check_integrity), and
    every property of the consistency checker holds (sql/90_check_catalogue.sql)."""
    with tkpdb.connect(dsn) as check, check.cursor() as cur:
        cur.execute("SELECT reference, dangling FROM check_integrity() WHERE dangling > 0")
        dangling = cur.fetchall()
        broken = []
        if catalogue:
            cur.execute("SELECT check_name, problems, example FROM check_catalogue() "
                        "WHERE problems > 0")
            broken = cur.fetchall()
    check.close()
    assert not dangling, f"dangling references: {dangling}"
    assert not broken, f"check_catalogue: {broken}"


@pytest.fixture
def empty_dsn(postgresql_noproc):
    """DSN of a fresh database with no schema at all (for migration tests)."""
    p = postgresql_noproc
    name = f"{_DBNAME}_empty"
    with DatabaseJanitor(user=p.user, host=p.host, port=p.port, dbname=name,
                         password=p.password, template_dbname=extension_template()):
        yield _dsn(p.host, p.port, p.user, name, p.password)


# The viewer tests share one associated survey database and a read-only login on it.
from .viewer_db import reader_dsn, survey_db  # noqa: E402,F401
