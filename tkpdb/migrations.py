"""Schema migrations (Alembic) and the SQL files they install.

The schema and every SQL function live in ``sql/``; the migrations in ``alembic/versions``
install those files in order. ``upgrade`` / ``downgrade`` are what ``tkpdb db upgrade`` and
``tkpdb db downgrade`` call.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

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
    "drop_functions",
    "set_version",
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


def run_sql_files(op, names: Iterable[str]) -> None:  # noqa: ANN001 (alembic.op proxy)
    """Execute SQL files from ``sql/`` in the migration's transaction.

    The text goes to the driver untouched (no bind-parameter parsing), so the files are
    exactly what a DBA would feed to ``psql -f``.
    """
    for name in names:
        _execute_raw(op, (sql_dir() / name).read_text())


def drop_functions(op, names: Iterable[str]) -> None:  # noqa: ANN001
    """Drop SQL functions by name (each name must be unique, as all of ours are)."""
    for name in names:
        _execute_raw(op, f"DROP FUNCTION IF EXISTS {name} CASCADE")


def set_version(op, value: int) -> None:  # noqa: ANN001
    """Record the schema version (the migration number) in the ``version`` table."""
    _execute_raw(
        op,
        "INSERT INTO version (name, value) VALUES ('tkpdb', %d) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value" % int(value),
    )
