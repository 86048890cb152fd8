"""Schema migrations (Alembic) and the SQL files they install.

The schema and every SQL function live in ``sql/``; the migrations in ``alembic/versions``
install those files in order. ``upgrade`` / ``downgrade`` are what ``tkpdb db upgrade`` and
``tkpdb db downgrade`` call.

How the schema evolves (the files in ``sql/`` always describe the *newest* schema):

* ``00_sky.sql`` (pure helpers) and ``01_schema.sql`` (every table, index and constraint) are
  installed by revision 0001; on a new database they create the newest tables at once.
* Every later file holds functions and views only (no tables), so it can be run again at
  any time: :func:`reinstall_functions` drops the functions and views it defines and runs it.
  The last one, ``99_privileges.sql``, holds the roles and grants: re-created functions get
  their privileges back whenever they are installed.
* A revision that changes a table changes ``01_schema.sql`` *and* applies the same change in
  its ``upgrade()`` as idempotent DDL (``ADD COLUMN IF NOT EXISTS``, ``DROP INDEX IF EXISTS``,
  a ``DO`` block that looks at the catalogue first...), so that it does nothing on a new
  database and brings an older one to the newest form. It then calls
  ``reinstall_functions(op, revision)``, which installs the files only when that revision is
  the newest one: the files describe the newest tables (a view of them may replace a table
  that an older revision still has), so they are installed once, after every table change.
  A function or view that disappears from the files is dropped by name in the revision
  that removes it.
* ``tests/test_migrations.py`` proves it: a database restored from the schema of revision
  0003 (``tests/data/schema_0003.sql``) and upgraded has exactly the catalogue (tables,
  columns, indexes, constraints, functions, views, comments, grants) of a new database.
* Downgrades are supported to ``base`` (drops everything); intermediate downgrades drop what
  a revision created but cannot restore older function bodies.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import os

import psycopg2
import psycopg2.extensions
from psycopg2 import sql as pgsql

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from .config import alembic_dir, resolve_dsn, sql_dir

__all__ = [
    "alembic_config",
    "upgrade",
    "downgrade",
    "head_revision",
    "run_sql_files",
    "reinstall_functions",
    "function_files",
    "drop_functions",
    "set_version",
    "execute_sql",
    "create_database",
    "EXTENSION_TEMPLATE",
]


def alembic_config(dsn: str | None = None) -> Config:
    """An Alembic configuration for the database ``dsn`` (resolved as in :mod:`tkpdb.config`)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(alembic_dir()))
    cfg.attributes["dsn"] = resolve_dsn(dsn)
    return cfg


def upgrade(dsn: str | None = None, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest schema)."""
    command.upgrade(alembic_config(dsn), revision)


def downgrade(dsn: str | None = None, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (default: ``base``, an empty schema)."""
    command.downgrade(alembic_config(dsn), revision)


#: The database with the extensions (pg_sphere, btree_gist) that scripts/setup.sh creates as the
#: postgres superuser; new databases are copied from it, so their owner need not be a superuser.
EXTENSION_TEMPLATE = os.environ.get("TKPDB_TEMPLATE", "tkpdb_template")


def create_database(dsn: str | None = None, *, drop: bool = False) -> None:
    """Create the database named in ``dsn`` (copied from :data:`EXTENSION_TEMPLATE` when the
    server has it, else from template1, which needs a superuser for the extensions); ``drop``
    drops it first. Nothing happens if it exists (and ``drop`` is false)."""
    params = psycopg2.extensions.parse_dsn(resolve_dsn(dsn))
    name = params.get("dbname")
    if not name:
        raise ValueError("create_database: the DSN names no database")
    admin = psycopg2.connect(**{**params, "dbname": "postgres"})
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            if drop:
                cur.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    pgsql.Identifier(name)))
            cur.execute("SELECT datname FROM pg_database WHERE datname IN (%s, %s)",
                        (name, EXTENSION_TEMPLATE))
            found = {row[0] for row in cur.fetchall()}
            if name not in found:
                statement = pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name))
                if EXTENSION_TEMPLATE in found:
                    statement += pgsql.SQL(" TEMPLATE {}").format(pgsql.Identifier(EXTENSION_TEMPLATE))
                cur.execute(statement)
    finally:
        admin.close()


@functools.cache
def head_revision() -> str:
    """The newest schema revision this version of tkpdb knows."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert head is not None
    return head


# --- helpers used by the migration scripts ------------------------------------------------

def _execute_raw(op, sql: str) -> None:  # noqa: ANN001
    """Run SQL text on the migration's DBAPI connection with no parameter parsing at all."""
    with op.get_bind().connection.dbapi_connection.cursor() as cur:
        cur.execute(sql)


execute_sql = _execute_raw  # for migration scripts: DDL with '%' and '::' passed untouched


def run_sql_files(op, names: Iterable[str]) -> None:  # noqa: ANN001 (alembic.op proxy)
    """Execute SQL files from ``sql/`` in the migration's transaction.

    The text goes to the driver untouched (no bind-parameter parsing), so the files are
    exactly what a DBA would feed to ``psql -f``. Function bodies are not checked at creation
    (``check_function_bodies = off``, as ``pg_dump`` restores do): a function may refer to
    another one installed by a later file.
    """
    _execute_raw(op, "SET LOCAL check_function_bodies = off")
    for name in names:
        _execute_raw(op, (sql_dir() / name).read_text())


_SCHEMA_FILES = ("00_sky.sql", "01_schema.sql")
_DEFINES = re.compile(r"^CREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|VIEW)\s+(\w+)",
                      re.IGNORECASE | re.MULTILINE)


def function_files() -> list[str]:
    """The files of ``sql/`` after the schema (functions and views only), in install order."""
    return sorted(p.name for p in sql_dir().glob("*.sql") if p.name not in _SCHEMA_FILES)


def reinstall_functions(op, revision: str) -> None:  # noqa: ANN001
    """Install the newest version of every function and view of ``sql/`` if ``revision`` (the
    calling migration's) is the newest revision; otherwise do nothing.

    Drops the views and functions that the files after the schema define (by name, with
    whatever signature the database has), then runs ``00_sky.sql`` (``CREATE OR REPLACE``)
    and those files in order. Called at the end of every revision after 0003.
    """
    if revision != head_revision():
        return
    files = function_files()
    defined = {(kind.upper(), name) for file in files
               for kind, name in _DEFINES.findall((sql_dir() / file).read_text())}
    for view in sorted(name for kind, name in defined if kind == "VIEW"):
        _execute_raw(op, f"DROP VIEW IF EXISTS {view} CASCADE")  # tables: see the docstring
    drop_functions(op, sorted(name for kind, name in defined if kind == "FUNCTION"))
    run_sql_files(op, ["00_sky.sql", *files])


def drop_functions(op, names: Iterable[str]) -> None:  # noqa: ANN001
    """Drop SQL functions by name, every overload of each (``DROP ROUTINE ... CASCADE``)."""
    for name in names:
        _execute_raw(op, f"""
            DO $drop$ DECLARE f regprocedure; BEGIN
                FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                         WHERE p.proname = '{name}' AND p.pronamespace = current_schema()::regnamespace
                LOOP EXECUTE format('DROP ROUTINE %s CASCADE', f); END LOOP;
            END $drop$""")


def set_version(op, value: int) -> None:  # noqa: ANN001
    """Record the schema version (the migration number) in the ``version`` table."""
    _execute_raw(
        op,
        "INSERT INTO version (name, value) VALUES ('tkpdb', %d) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value" % int(value),
    )
