"""The root command group and the options every command shares."""

from __future__ import annotations

import click

__all__ = ["main", "dsn_option"]

dsn_option = click.option(
    "--dsn", default=None, help="libpq DSN (default: $TKPDB_DSN, then dbname=tkpdb).")


@click.group()
def main() -> None:
    """tkpdb: in-database source association for radio transient surveys."""
