"""``tkpdb run MANIFEST.toml``: associate a dataset of finder catalogues and FITS images."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from collections.abc import Iterator

import click

from .. import ManifestError, RunError, RunSummary, connect, load_manifest, run_manifest
from ._common import dsn_option, main

__all__ = ["run", "format_summary", "progress_bar"]


@contextmanager
def progress_bar(enabled: bool) -> Iterator:
    """A rich progress bar on stderr (images done, sources per second, time left) when it is a
    terminal and ``enabled``; yields the callback for :func:`tkpdb.run_manifest` (or None)."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeRemainingColumn)

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield None
        return
    with Progress(TextColumn("[bold]associating"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("images"), TextColumn("{task.fields[rate]}"),
                  TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("images", total=None, rate="")
        sources = [0]

        def update(done: int, total: int, name: str, n: int, skipped: bool) -> None:
            sources[0] += n
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{sources[0] / elapsed:,.0f} sources/s" if elapsed > 0 else ""
            bar.update(task, completed=done, total=total, rate=rate)

        yield update


def format_summary(s: RunSummary) -> str:
    """The run summary as a few lines of text."""
    a = s.association
    over = "-" if s.overcounting_fraction is None else f"{s.overcounting_fraction:.3f}"
    lines = [
        f"dataset {s.dataset} ({s.description!r}): {s.images} images, {s.images_associated} "
        f"associated now, {s.images_skipped} already associated; {s.seconds:.1f} s",
        f"  measurements          {s.measurements} blind, {s.forced_fits_nd} forced fits at null "
        f"detections, {s.forced_fits_ms} at monitored positions (dataset: {s.measurements_total})",
        f"  associations          one-to-one {a.get('one_to_one', 0)}, one-to-many "
        f"{a.get('one_to_many', 0)}, many-to-one {a.get('many_to_one', 0)}, many-to-many pruned "
        f"{a.get('many_to_many_pruned', 0)}, new sources {a.get('new_sources', 0)}",
        f"  lightcurves           {s.lightcurves} (over-counting fraction {over})",
        f"  transient candidates  {s.transient_candidates}",
        f"  forced fits           {s.forced_fits}",
    ]
    if s.errors_replaced:
        lines.append("  finder errors replaced (zero or missing): "
                     + ", ".join(f"{k} {v}" for k, v in sorted(s.errors_replaced.items())))
    return "\n".join(lines)


@main.command("run")
@click.argument("manifest", type=click.Path(dir_okay=False))
@dsn_option
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary, nothing else.")
def run(manifest: str, dsn: str | None, quiet: bool, as_json: bool) -> None:
    """Associate the images of MANIFEST (TOML) in time order; a re-run resumes."""
    try:
        parsed = load_manifest(manifest)
    except ManifestError as exc:
        raise click.ClickException(str(exc)) from None
    conn = connect(dsn)
    try:
        with progress_bar(not (quiet or as_json)) as update:
            summary = run_manifest(conn, parsed, progress=update)
    except (ManifestError, RunError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    elif not quiet:
        click.echo(format_summary(summary))
    sys.stdout.flush()
