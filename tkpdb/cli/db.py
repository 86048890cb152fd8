"""``tkpdb db``: schema migrations."""

from __future__ import annotations

import click

from .. import migrations
from ..config import mask_dsn, resolve_dsn
from ..connection import connect
from ._common import dsn_option, main


@main.group()
def db() -> None:
    """Schema migrations."""


@db.command("upgrade")
@dsn_option
@click.option("--revision", default="head", show_default=True)
def db_upgrade(dsn: str | None, revision: str) -> None:
    """Migrate the database to REVISION (default: newest)."""
    migrations.upgrade(dsn, revision)
    click.echo(f"{mask_dsn(resolve_dsn(dsn))}: at revision {revision}")


@db.command("downgrade")
@dsn_option
@click.option("--revision", default="base", show_default=True)
@click.confirmation_option(prompt="This drops tkpdb tables and their data. Continue?")
def db_downgrade(dsn: str | None, revision: str) -> None:
    """Migrate the database down to REVISION (default: base, an empty schema)."""
    migrations.downgrade(dsn, revision)
    click.echo(f"{mask_dsn(resolve_dsn(dsn))}: at revision {revision}")


@db.command("current")
@dsn_option
def db_current(dsn: str | None) -> None:
    """Print the database's schema revision and the newest one."""
    conn = connect(dsn, check=False)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
        current = None
        if cur.fetchone()[0]:
            cur.execute("SELECT version_num FROM alembic_version")
            row = cur.fetchone()
            current = row[0] if row else None
    conn.close()
    click.echo(f"database: {current or 'none'}  newest: {migrations.head_revision()}")
