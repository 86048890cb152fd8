"""Alembic environment for tkpdb.

The database comes from ``-x dsn=...`` on the alembic command line, else from the
``dsn`` attribute set by :func:`tkpdb.migrations.alembic_config`, else from
:func:`tkpdb.config.resolve_dsn` (``$TKPDB_DSN``, then ``dbname=tkpdb``).
Migrations are plain SQL (files in ``sql/``); there is no SQLAlchemy model.
"""

from __future__ import annotations

import psycopg2
from alembic import context
from sqlalchemy import create_engine, pool

from tkpdb.config import resolve_dsn

config = context.config
dsn = context.get_x_argument(as_dictionary=True).get("dsn") or config.attributes.get("dsn")
dsn = resolve_dsn(dsn)


def run_migrations_offline() -> None:
    raise SystemExit("tkpdb migrations need a live database (offline --sql mode is not supported)")


def run_migrations_online() -> None:
    engine = create_engine(
        "postgresql+psycopg2://", creator=lambda: psycopg2.connect(dsn), poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=False)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
