"""``tkpdb demo``: associate a simulated survey and print what happened."""

from __future__ import annotations

import datetime as dt
import time

import click
import numpy as np

from ..associate import associate_extracted_sources
from ..connection import connect
from ..images import insert_dataset, insert_image
from ..ingest import insert_extracted_sources
from ..simulate import Sky, observe, random_sky
from ._common import dsn_option, main


@main.command()
@dsn_option
@click.option("--images", default=20, show_default=True, type=click.IntRange(min=1),
              help="Images per band.")
@click.option("--sources", default=2000, show_default=True, type=click.IntRange(min=1),
              help="Sources in the field.")
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
