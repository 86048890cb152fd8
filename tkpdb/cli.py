"""The ``tkpdb`` command line: schema migrations and a demonstration run."""

from __future__ import annotations

import datetime as dt
import time

import click
import numpy as np

from . import migrations
from .associate import associate_extracted_sources
from .config import resolve_dsn
from .connection import connect
from .images import insert_dataset, insert_image
from .ingest import insert_extracted_sources
from .simulate import Sky, observe, random_sky

dsn_option = click.option("--dsn", default=None, help="libpq DSN (default: $TKPDB_DSN, then dbname=tkpdb).")


@click.group()
def main() -> None:
    """tkpdb: in-database source association for radio transient surveys."""


@main.group()
def db() -> None:
    """Schema migrations."""


@db.command("upgrade")
@dsn_option
@click.option("--revision", default="head", show_default=True)
def db_upgrade(dsn: str | None, revision: str) -> None:
    """Migrate the database to REVISION (default: newest)."""
    migrations.upgrade(dsn, revision)
    click.echo(f"{resolve_dsn(dsn)}: at revision {revision}")


@db.command("downgrade")
@dsn_option
@click.option("--revision", default="base", show_default=True)
@click.confirmation_option(prompt="This drops tkpdb tables and their data. Continue?")
def db_downgrade(dsn: str | None, revision: str) -> None:
    """Migrate the database down to REVISION (default: base, an empty schema)."""
    migrations.downgrade(dsn, revision)
    click.echo(f"{resolve_dsn(dsn)}: at revision {revision}")


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


@main.command()
@dsn_option
@click.option("--images", default=20, show_default=True, help="Images per band.")
@click.option("--sources", default=2000, show_default=True, help="Sources in the field.")
@click.option("--seed", default=1, show_default=True)
def demo(dsn: str | None, images: int, sources: int, seed: int) -> None:
    """Associate a simulated survey (two bands, one field) and print what happened."""
    rng = np.random.default_rng(seed)
    sky = random_sky(sources, 123.4, 45.6, 2.0, rng)
    conn = connect(dsn)
    dataset = insert_dataset(conn, f"tkpdb demo (seed {seed})")
    start = dt.datetime(2026, 1, 1)
    totals: dict[str, int] = {}
    t0 = time.perf_counter()
    for k in range(images):
        for freq in (150e6, 160e6):  # within a timestep: frequency order
            image = insert_image(
                conn, dataset, taustart_ts=start + dt.timedelta(minutes=k), tau_time=60.0,
                freq_eff=freq, freq_bw=2e6, rb_smaj=0.01, rb_smin=0.008, rb_pa=0.0,
                centre_ra=123.4, centre_decl=45.6, xtr_radius=2.0, rms_min=0.001, rms_max=0.002,
                detection_thresh=8.0)
            visible = sky.flux * (freq / 150e6) ** -0.7 > 0.008
            seen = Sky(sky.ra[visible], sky.decl[visible], sky.flux[visible])
            insert_extracted_sources(conn, image, observe(seen, rng), commit=False)
            result = associate_extracted_sources(conn, image)
            for key, value in result.items():
                if isinstance(value, int):
                    totals[key] = totals.get(key, 0) + value
    elapsed = time.perf_counter() - t0
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM runningcatalog WHERE dataset = %s", (dataset,))
        (n_runcat,) = cur.fetchone()
    conn.close()
    click.echo(f"dataset {dataset}: {2 * images} images, {n_runcat} lightcurves, {elapsed:.1f} s")
    for key, value in totals.items():
        click.echo(f"  {key:26s} {value}")
