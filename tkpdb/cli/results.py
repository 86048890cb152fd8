"""Looking at the results: ``tkpdb lightcurve``, ``transients``, ``heritage``, ``stats``,
``export``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import (EXPORT_FORMATS, connect, dataset_stats, export_dataset, get_lightcurve,
                lightcurve_heritage, plot_lightcurve, render_heritage, transient_candidates,
                variability)
from ._common import dsn_option, main

_EXTRACT = {0: "blind", 1: "forced (null detection)", 2: "forced (monitoring)"}


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@main.command()
@click.argument("runcat", type=int)
@dsn_option
@click.option("--png", type=click.Path(dir_okay=False), help="Plot to this PNG file.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write a CSV file.")
def lightcurve(runcat: int, dsn: str | None, png: str | None, csv_path: str | None) -> None:
    """The lightcurve of RUNCAT: a table (time UTC, MHz, mJy), or a PNG or CSV file."""
    conn = connect(dsn)
    try:
        points = get_lightcurve(conn, runcat)
    except ValueError as exc:
        raise _fail(exc) from None
    finally:
        conn.close()
    if png:
        plot_lightcurve(points, png, title=f"lightcurve {runcat}")
        click.echo(f"wrote {png}")
    if csv_path:
        import csv
        with open(csv_path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["taustart_ts", "freq_eff_hz", "f_int_jy", "f_int_err_jy",
                             "f_peak_jy", "f_peak_err_jy", "extract_type", "assoc_type", "xtrsrc",
                             "flux_fraction"])
            for p in points:
                writer.writerow([p.taustart_ts.isoformat(), p.freq_eff, p.f_int, p.f_int_err,
                                 p.f_peak, p.f_peak_err, p.extract_type, p.assoc_type, p.xtrsrc,
                                 p.flux_fraction])
        click.echo(f"wrote {csv_path}")
    if png or csv_path:
        return
    click.echo(f"{'time (UTC)':19s} {'MHz':>8s} {'f_int mJy':>10s} {'err':>7s}  measurement")
    for p in points:
        flux = "-" if p.f_int is None else f"{p.f_int * 1e3:10.3f}"
        err = "-" if p.f_int_err is None else f"{p.f_int_err * 1e3:7.3f}"
        click.echo(f"{p.taustart_ts:%Y-%m-%d %H:%M:%S} {p.freq_eff / 1e6:8.1f} {flux:>10s} "
                   f"{err:>7s}  {_EXTRACT.get(p.extract_type, p.extract_type)}, link {p.assoc_type}")


@main.command()
@click.argument("dataset", type=int)
@dsn_option
@click.option("--top", default=10, show_default=True, help="Most variable lightcurves to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def transients(dataset: int, dsn: str | None, top: int, as_json: bool) -> None:
    """Transient candidates of DATASET (significance above the earlier limits) and its most
    variable lightcurves (eta, V)."""
    conn = connect(dsn)
    try:
        candidates = transient_candidates(conn, dataset)
        variable = variability(conn, dataset, top)
    except ValueError as exc:
        raise _fail(exc) from None
    finally:
        conn.close()
    if as_json:
        def plain(row):
            return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._asdict().items()}
        click.echo(json.dumps({"transient_candidates": [plain(c) for c in candidates],
                               "most_variable": [plain(v) for v in variable]}))
        return
    click.echo(f"transient candidates of dataset {dataset}: {len(candidates)} "
               "(type 1 likely, 0 possibly; sigma = trigger f_peak / rms of the limiting image)")
    click.echo(f"{'runcat':>7s} {'type':>4s} {'RA':>10s} {'Dec':>10s} {'first seen (UTC)':19s} "
               f"{'MHz':>7s} {'mJy':>8s} {'sigma_min':>9s} {'sigma_max':>9s} {'eta':>8s}")
    for c in candidates:
        click.echo(f"{c.runcat:7d} {c.newsource_type:4d} {c.wm_ra:10.5f} {c.wm_decl:10.5f} "
                   f"{c.taustart_ts:%Y-%m-%d %H:%M:%S} {c.freq_eff / 1e6:7.1f} {c.f_peak * 1e3:8.2f} "
                   f"{c.sigma_rms_min or 0:9.1f} {c.sigma_rms_max or 0:9.1f} {c.eta_int or 0:8.1f}")
    click.echo(f"\nmost variable lightcurves (top {top} by eta):")
    click.echo(f"{'runcat':>7s} {'RA':>10s} {'Dec':>10s} {'points':>6s} {'MHz':>7s} {'V':>6s} "
               f"{'eta':>8s} {'max mJy':>8s} {'median':>8s}")
    for v in variable:
        click.echo(f"{v.runcat:7d} {v.wm_ra:10.5f} {v.wm_decl:10.5f} {v.datapoints:6d} "
                   f"{(v.freq_central or 0) / 1e6:7.1f} {v.v_int or 0:6.3f} {v.eta_int or 0:8.1f} "
                   f"{(v.lightcurve_max or 0) * 1e3:8.2f} {(v.lightcurve_median or 0) * 1e3:8.2f}")


@main.command()
@click.argument("runcat", type=int)
@dsn_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Output file; the suffix gives the format (svg, png, pdf, dot).")
def heritage(runcat: int, dsn: str | None, output: str) -> None:
    """The heritage graph of RUNCAT (measurements and the lightcurves sharing them)."""
    conn = connect(dsn)
    try:
        dot = lightcurve_heritage(conn, runcat)
    except ValueError as exc:
        raise _fail(exc) from None
    finally:
        conn.close()
    suffix = Path(output).suffix.lstrip(".").lower() or "svg"
    if suffix == "dot":
        Path(output).write_text(dot)
    else:
        render_heritage(dot, output, format=suffix)
    click.echo(f"wrote {output}")


@main.command()
@click.argument("dataset", type=int)
@dsn_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(dataset: int, dsn: str | None, as_json: bool) -> None:
    """Statistics of DATASET: measurements, lightcurves, association events, over-counting."""
    conn = connect(dsn)
    try:
        s = dataset_stats(conn, dataset)
    except ValueError as exc:
        raise _fail(exc) from None
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(s._asdict()))
        return
    for key, value in s._asdict().items():
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        click.echo(f"{key.replace('_', ' '):24s} {text}")


@main.command()
@click.argument("dataset", type=int)
@dsn_option
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default="parquet",
              show_default=True)
@click.option("-o", "--output", "directory", required=True, type=click.Path(file_okay=False))
def export(dataset: int, dsn: str | None, fmt: str, directory: str) -> None:
    """Export DATASET: the running catalogue (per-band flux statistics, variability) and every
    lightcurve measurement, with units (VOTable, Parquet metadata)."""
    conn = connect(dsn)
    try:
        paths = export_dataset(conn, dataset, directory, fmt)
    except ValueError as exc:
        raise _fail(exc) from None
    finally:
        conn.close()
    for path in paths:
        click.echo(f"wrote {path}")
