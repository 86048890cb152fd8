"""``tkpdb demo``: a simulated survey with ground truth, run through ``tkpdb run``.

The simulator (:mod:`tkpdb.survey`) writes Selavy catalogues, FITS images with the sky in
them and noise maps, and a manifest; the manifest is run like any other; the truth scoring
(:func:`tkpdb.score_truth`) says what was recovered; the best transient candidate gets a
lightcurve plot and a heritage graph, and the dataset is exported.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from .. import (SurveySpec, connect, export_dataset, get_lightcurve, lightcurve_heritage,
                load_manifest, load_truth, plot_lightcurve, render_heritage, run_manifest,
                score_truth, simulate_survey, survey_truth, transient_candidates, write_survey)
from ..associate import MODES
from ._common import dsn_option, main
from .run import format_summary, progress_bar

#: Association settings of the demo manifest: TraP's job-template search radius (3 beams)
#: and systematic errors that let the resolved components of a close pair match their blend.
DEMO_ASSOCIATION = {"beamwidths_limit": 3.0, "ew_sys_err": 3.0, "ns_sys_err": 3.0}


@main.command()
@dsn_option
@click.option("--out", "out", default="tkpdb-demo", show_default=True,
              type=click.Path(file_okay=False), help="Directory for the survey and the results.")
@click.option("--seed", default=1, show_default=True, help="Seed of the simulated sky.")
@click.option("--epochs", default=8, show_default=True, type=click.IntRange(min=1),
              help="Epochs (each: 2 fields x 2 bands).")
@click.option("--mode", type=click.Choice(MODES), default="trap", show_default=True,
              help="Association mode (resolved: optimal assignment, forks and blends on beam "
                   "evidence, flux division).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def demo(dsn: str | None, out: str, seed: int, epochs: int, mode: str, quiet: bool) -> None:
    """Simulate a two-field, two-band survey with ground truth, run it, and report."""
    t0 = time.perf_counter()
    conn = connect(dsn)   # first: a bad DSN or an unmigrated database fails before any work
    spec = SurveySpec(seed=seed, epochs=epochs)
    survey = simulate_survey(spec)
    directory = Path(out)
    kinds = {k: int((survey.kind == k).sum()) for k in ("steady", "variable", "transient", "pair")}
    low, high = min(spec.freqs), max(spec.freqs)
    truth_sources = [
        {"ra": float(survey.ra[k]), "decl": float(survey.decl[k])}
        for k in range(len(survey.ra)) if survey.kind[k] == "transient"][:1]
    monitor = [dict(truth_sources[0], name="GRB (simulated)")] if truth_sources else []
    manifest = write_survey(survey, directory,
                            description=f"tkpdb demo survey (seed {seed}, {mode} mode)",
                            association=dict(DEMO_ASSOCIATION, mode=mode), monitor=monitor)
    click.echo(f"simulated sky (seed {seed}): {len(survey.ra)} sources in 2 overlapping fields: "
               f"{kinds['steady']} steady, {kinds['variable']} variable, {kinds['transient']} "
               f"transients, {kinds['pair'] // 2} close pairs ({spec.pair_separation_arcsec:g}\" "
               f"apart: resolved at {high / 1e6:g} MHz, blended at {low / 1e6:g} MHz)")
    click.echo(f"wrote {len(survey.images)} Selavy catalogues with their FITS images and noise "
               f"maps, and the manifest {manifest}")
    click.echo(f"running: tkpdb run {manifest}")
    try:
        with progress_bar(not quiet) as update:
            summary = run_manifest(conn, load_manifest(manifest), progress=update)
        click.echo(format_summary(summary))
        truth = load_truth(directory)
        true_source_of, blends = survey_truth(conn, summary.dataset, truth)
        score = score_truth(conn, summary.dataset, true_source_of, truth.transients, blends)
        candidates = transient_candidates(conn, summary.dataset)
        false_types = [c.newsource_type for c in candidates if c.runcat in set(score.false_candidates)]
        click.echo("against the truth:")
        click.echo(f"  transient candidates  {len(candidates)}: {len(score.transients_recovered)} of "
                   f"{len(truth.transients)} injected transients recovered, "
                   f"{len(score.transients_missed)} missed, {score.candidates_false} false "
                   f"({false_types.count(1)} of type 1 'likely', {false_types.count(0)} of type 0 "
                   "'possibly': faint sources where the noise is higher than the image's best)")
        click.echo(f"  true sources detected {score.true_sources}; whole (every detection in one "
                   f"lightcurve) {100 * score.whole_fraction:.1f} %; lightcurves per true source "
                   f"{score.lightcurves_per_source:.2f}; pure lightcurves {100 * score.purity:.1f} %")
        over = score.overcounting_fraction or 0.0
        click.echo(f"  detections in more lightcurves than they measured sources "
                   f"{score.shared_detections} (many-to-one); over-counting fraction {over:.3f}")
        files = []
        best = next((c for c in candidates if c.runcat not in set(score.false_candidates)),
                    candidates[0] if candidates else None)
        if best is not None:
            click.echo(f"best transient candidate: lightcurve {best.runcat} (type "
                       f"{best.newsource_type}, first seen {best.taustart_ts:%Y-%m-%d %H:%M} UTC at "
                       f"{best.freq_eff / 1e6:g} MHz, {best.f_peak * 1e3:.1f} mJy, "
                       f"{best.sigma_rms_max:.1f} sigma above the earlier limits)")
            png = plot_lightcurve(get_lightcurve(conn, best.runcat),
                                  directory / f"lightcurve_{best.runcat}.png",
                                  title=f"transient candidate {best.runcat} (simulated)")
            svg = render_heritage(lightcurve_heritage(conn, best.runcat),
                                  directory / f"heritage_{best.runcat}.svg")
            files += [("lightcurve", png), ("heritage", svg)]
        for path in export_dataset(conn, summary.dataset, directory / "export", "parquet"):
            files.append(("export", path))
    finally:
        conn.close()
    click.echo("files:")
    for label, path in files:
        click.echo(f"  {label:11s} {path}")
    click.echo(f"next: tkpdb transients {summary.dataset}; tkpdb stats {summary.dataset}; "
               f"tkpdb lightcurve RUNCAT --png FILE   ({time.perf_counter() - t0:.1f} s in all)")
