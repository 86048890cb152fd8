"""``tkpdb check [DATASET]``: verify the catalogue (reads only) and report."""

from __future__ import annotations

import click

from ..check import check_catalogue
from ..connection import connect
from ._common import dsn_option, main


@main.command("check")
@dsn_option
@click.argument("dataset", required=False, type=click.IntRange(min=1))
def check(dsn: str | None, dataset: int | None) -> None:
    """Verify DATASET (default: every dataset) and print each property checked.

    Exit status 0 when everything holds, 1 when a property is broken. Runs in a read-only
    transaction: it never changes anything, and a login granted only tkpdb_reader may run it.
    """
    conn = connect(dsn)
    try:
        conn.set_session(readonly=True)
        results = check_catalogue(conn, dataset)
    finally:
        conn.close()
    scope = f"dataset {dataset}" if dataset is not None else "every dataset"
    broken = [r for r in results if r.problems]
    for r in results:
        mark = "ok" if not r.problems else f"{r.problems} problem{'s' if r.problems > 1 else ''}"
        click.echo(f"  {mark:>12}  {r.check}" + (f" (e.g. {r.example})" if r.example else ""))
    click.echo(f"{scope}: {len(results) - len(broken)} of {len(results)} checks hold")
    if broken:
        raise SystemExit(1)
