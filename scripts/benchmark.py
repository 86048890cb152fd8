#!/usr/bin/env python
"""The tkpdb benchmark: W1 survey, W2 catalogue size, W3 history, against the write floor
and an in-memory (VAST-style) baseline measured in the same run on the same data.

    .venv/bin/python scripts/benchmark.py            # full run (about 35 minutes), docs/benchmarks.md
    .venv/bin/python scripts/benchmark.py --quick    # a couple of minutes

Every image is one transaction: load (binary COPY) + associate + commit, timed end to end from
the driver. The benchmark database (default ``dbname=tkpdb_bench``) is dropped and re-created
at the start, and so is ``<dbname>_ref``, where the write floor and the in-memory baseline
run. Results: a Markdown report and PNG plots (``--out``, ``--plots``); a hand-written
analysis beside the report (``benchmarks-analysis.md`` for ``benchmarks.md``) is appended to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tkpdb  # noqa: E402
from bench.baseline import InMemory, WriteFloor  # noqa: E402
from tkpdb.migrations import create_database  # noqa: E402
from tkpdb.simulate import Sky, observe, random_sky  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIELD = (150.0, 30.0)
BANDS = (150e6, 160e6)
BEAM = 0.01  # restoring-beam semi-major axis (deg): the search radius with beamwidths_limit 1


@dataclass
class Config:
    w1_sources: int = 10_000
    w1_images: int = 100
    w2_sizes: tuple[int, ...] = (100_000, 1_000_000, 5_000_000)
    w2_images: int = 10
    w2_field: int = 10_000
    w3_sources: int = 1_000
    w3_images: int = 2_000
    w3_window: int = 100
    chunk: int = 100_000   # sources per W2 filler image (the driver's peak memory follows it)


QUICK = Config(w1_sources=1_000, w1_images=10, w2_sizes=(20_000, 60_000), w2_images=3,
               w2_field=1_000, w3_sources=200, w3_images=60, w3_window=15, chunk=20_000)


@dataclass
class Results:
    w1: dict[str, list[float]] = field(default_factory=dict)
    w1_stages: list[dict] = field(default_factory=list)
    w2: dict[int, list[float]] = field(default_factory=dict)
    w2_stages: dict[int, list[dict]] = field(default_factory=dict)
    w2_rss_mb: float = 0.0
    w3: list[float] = field(default_factory=list)
    w1_sources_per_image: float = 0.0


def reference_dsn(dsn: str) -> str:
    """The database of the reference methods (write floor, in-memory): the benchmark's with ``_ref``.

    They get a database of their own on the same server so that their runcats, which sit on
    exactly the W1 positions, do not crowd tkpdb's spatial index (they never search it)."""
    params = psycopg2.extensions.parse_dsn(dsn)
    params["dbname"] += "_ref"
    return psycopg2.extensions.make_dsn(**params)


def recreate(dsn: str) -> None:
    """Drop and create the benchmark database, then migrate it."""
    create_database(dsn, drop=True)   # from tkpdb_template: no superuser needed
    tkpdb.upgrade(dsn)


def new_image(conn, dataset: int, step: int, freq: float, centre=FIELD, radius: float = 4.0) -> tuple[int, int]:
    image = tkpdb.insert_image(
        conn, dataset, taustart_ts=dt.datetime(2026, 1, 1) + dt.timedelta(seconds=10 * step),
        tau_time=10.0, freq_eff=freq, freq_bw=2e6, rb_smaj=BEAM, rb_smin=0.8 * BEAM, rb_pa=0.0,
        centre_ra=centre[0], centre_decl=centre[1], xtr_radius=radius, rms_min=1e-3, rms_max=2e-3,
        detection_thresh=8.0)
    with conn.cursor() as cur:
        cur.execute("SELECT band FROM image WHERE id = %s", (image,))
        (band,) = cur.fetchone()
    conn.commit()
    return image, band


VACUUM_EVERY = 50  # images between two VACUUM ANALYZE runs (not timed)


def maintenance(dsn: str) -> None:
    """What autovacuum does in a default configuration (it is off on the benchmark machine):
    VACUUM ANALYZE the database, outside the timed sections."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM (ANALYZE)")
    conn.close()


def timed_tkpdb(conn, image: int, sources) -> tuple[float, dict]:
    t0 = time.perf_counter()
    tkpdb.insert_extracted_sources(conn, image, sources, commit=False)
    result = tkpdb.associate_extracted_sources(conn, image)
    return time.perf_counter() - t0, result["stage_ms"]


def run_w1(conn, ref, cfg: Config, res: Results) -> None:
    """W1 with tkpdb on ``conn`` and the reference methods on ``ref`` (same server)."""
    rng = np.random.default_rng(1)
    sky = random_sky(cfg.w1_sources, *FIELD, 3.0, rng)
    conns = {"tkpdb": conn, "floor": ref, "in-memory": ref}
    datasets = {name: tkpdb.insert_dataset(c, f"W1 {name}") for name, c in conns.items()}
    floor = WriteFloor(ref, datasets["floor"], len(BANDS), len(sky))
    memory = InMemory(ref, datasets["in-memory"], len(BANDS), BEAM)
    res.w1 = {name: [] for name in datasets}
    res.w1_sources_per_image = len(sky)
    for step in range(cfg.w1_images):
        b = step % 2
        obs = observe(sky, rng, flux_scale=(1.0, 0.8)[b])
        index = np.arange(len(sky))
        order = [("tkpdb", 0), ("floor", 1), ("in-memory", 2)]
        for name, _ in order[step % 3:] + order[:step % 3]:   # rotate who goes first
            image, band_id = new_image(conns[name], datasets[name], step // 2, BANDS[b])
            t0 = time.perf_counter()
            if name == "tkpdb":
                elapsed, stages = timed_tkpdb(conn, image, obs)
                if step > 0:
                    res.w1_stages.append(stages)
            elif name == "floor":
                floor.image(image, b, band_id, obs, index)
                elapsed = time.perf_counter() - t0
            else:
                memory.image(image, b, band_id, obs)
                elapsed = time.perf_counter() - t0
            if step > 0:  # the first image only creates the catalogue
                res.w1[name].append(elapsed)
        if (step + 1) % VACUUM_EVERY == 0:
            maintenance(conn.dsn)
            maintenance(ref.dsn)
        print(f"W1 image {step + 1}/{cfg.w1_images}: " + ", ".join(
            f"{n} {res.w1[n][-1] * 1000:.0f} ms" for n in res.w1 if res.w1[n] and step > 0), flush=True)


def run_w2(conn, cfg: Config, res: Results) -> None:
    rng = np.random.default_rng(2)
    dataset = tkpdb.insert_dataset(conn, "W2")
    field_sky = random_sky(cfg.w2_field, *FIELD, 1.5, rng)
    image, _ = new_image(conn, dataset, 0, BANDS[0])
    timed_tkpdb(conn, image, observe(field_sky, rng))
    size, step = cfg.w2_field, 1
    for target in cfg.w2_sizes:
        while size < target:
            n = min(cfg.chunk, target - size)
            filler = random_sky(n, *FIELD, 60.0, rng)      # a 60-degree cap around the field
            far = np.hypot((filler.ra - FIELD[0]) * np.cos(np.radians(FIELD[1])), filler.decl - FIELD[1]) > 3
            filler = Sky(filler.ra[far], filler.decl[far], filler.flux[far])
            image, _ = new_image(conn, dataset, step, BANDS[0], radius=60.0)
            timed_tkpdb(conn, image, observe(filler, rng))
            size += len(filler)
            step += 1
            print(f"W2 catalogue {size:,}", flush=True)
        maintenance(conn.dsn)
        res.w2[target], res.w2_stages[target] = [], []
        for _ in range(cfg.w2_images):
            image, _ = new_image(conn, dataset, step, BANDS[0])
            elapsed, stages = timed_tkpdb(conn, image, observe(field_sky, rng))
            res.w2[target].append(elapsed)
            res.w2_stages[target].append(stages)
            step += 1
        print(f"W2 at {target:,}: median {statistics.median(res.w2[target]) * 1000:.0f} ms", flush=True)
    res.w2_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_w3(conn, cfg: Config, res: Results) -> None:
    rng = np.random.default_rng(3)
    dataset = tkpdb.insert_dataset(conn, "W3")
    sky = random_sky(cfg.w3_sources, *FIELD, 1.0, rng)
    for step in range(cfg.w3_images):
        image, _ = new_image(conn, dataset, step, BANDS[0])
        elapsed, _ = timed_tkpdb(conn, image, observe(sky, rng))
        res.w3.append(elapsed)
        if (step + 1) % VACUUM_EVERY == 0:
            maintenance(conn.dsn)
        if (step + 1) % 100 == 0:
            print(f"W3 image {step + 1}: {elapsed * 1000:.0f} ms", flush=True)


# --- report ---------------------------------------------------------------------------------

def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def machine(conn) -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))) / 1024 ** 2
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        (version,) = cur.fetchone()
        cur.execute("""SELECT name, setting, unit FROM pg_settings WHERE source NOT IN ('default', 'override')
                       AND name NOT LIKE 'lc_%%' AND name NOT IN ('application_name', 'client_encoding',
                       'DateStyle', 'TimeZone', 'log_timezone', 'default_text_search_config',
                       'cluster_name', 'config_file', 'data_directory', 'hba_file', 'ident_file',
                       'external_pid_file', 'unix_socket_directories', 'ssl_cert_file', 'ssl_key_file',
                       'log_line_prefix', 'dynamic_shared_memory_type', 'transaction_isolation',
                       'transaction_read_only', 'transaction_deferrable', 'default_transaction_isolation')
                       ORDER BY name""")
        settings = [f"{n}={s}{u or ''}" for n, s, u in cur.fetchall()]
    conn.rollback()
    return [f"- CPU: {cpu}, {len(__import__('os').sched_getaffinity(0))} cores; RAM {mem:.0f} GiB",
            f"- PostgreSQL {version}; settings changed from the defaults: {', '.join(settings) or 'none'}",
            f"- Python {platform.python_version()}, numpy {np.__version__}; durable commits "
            "(synchronous_commit on, fsync on)"]


def stage_medians(stages: list[dict]) -> str:
    if not stages:
        return ""
    names = [k for k in stages[0] if k != "total"]
    cells = [f"{statistics.median(s[k] for s in stages):.0f}" for k in names]
    return ("| " + " | ".join(names) + " |\n|" + "---:|" * len(names) + "\n| " + " | ".join(cells) + " |\n")


def plots(res: Results, directory: Path) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, values in res.w1.items():
        ax.plot(np.arange(2, len(values) + 2), np.array(values) * 1000, label=name)
    ax.set(xlabel="image", ylabel="ms per image (end to end)", title="W1 survey")
    ax.legend()
    fig.tight_layout()
    fig.savefig(directory / "w1_latency.png", dpi=100)
    names.append("w1_latency.png")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    sizes = sorted(res.w2)
    ax.bar([f"{s:,}" for s in sizes], [statistics.median(res.w2[s]) * 1000 for s in sizes])
    ax.set(xlabel="running catalogue (sources)", ylabel="median ms per image", title="W2 catalogue size")
    fig.tight_layout()
    fig.savefig(directory / "w2_catalogue_size.png", dpi=100)
    names.append("w2_catalogue_size.png")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(np.arange(1, len(res.w3) + 1), np.array(res.w3) * 1000, lw=0.5)
    ax.set(xlabel="image", ylabel="ms per image", title="W3 history")
    fig.tight_layout()
    fig.savefig(directory / "w3_history.png", dpi=100)
    names.append("w3_history.png")
    plt.close("all")
    return names


def report(conn, cfg: Config, res: Results, out: Path, plot_dir: Path, quick: bool, seconds: float,
           argv: list[str]) -> None:
    med = {n: statistics.median(v) for n, v in res.w1.items()}
    w1_rate = res.w1_sources_per_image / med["tkpdb"]
    sizes = sorted(res.w2)
    w2_ratio = statistics.median(res.w2[sizes[-1]]) / statistics.median(res.w2[sizes[0]])
    win = cfg.w3_window
    w3_ratio = statistics.median(res.w3[-win:]) / statistics.median(res.w3[1:win + 1])
    rows = [
        ("W1 throughput (sources/s, end to end)", f"{w1_rate:,.0f}", ">= 20,000", w1_rate >= 20_000),
        ("tkpdb / write floor (W1 medians)", f"{med['tkpdb'] / med['floor']:.2f}", "<= 2.0",
         med["tkpdb"] / med["floor"] <= 2.0),
        ("tkpdb / in-memory baseline (W1 medians)", f"{med['tkpdb'] / med['in-memory']:.2f}", "<= 1.0",
         med["tkpdb"] / med["in-memory"] <= 1.0),
        (f"W2 latency at {sizes[-1]:,} / at {sizes[0]:,}", f"{w2_ratio:.2f}", "<= 1.3", w2_ratio <= 1.3),
        (f"W3 last {win} / first {win} images", f"{w3_ratio:.2f}", "<= 1.2", w3_ratio <= 1.2),
        ("driver peak RSS during W2 (MB)", f"{res.w2_rss_mb:.0f}", "<= 300", res.w2_rss_mb <= 300),
    ]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    lines = [
        "# Benchmark results", "",
        f"Run of {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}, "
        f"{'quick' if quick else 'full'} mode, {seconds / 60:.0f} minutes. "
        "Command: `.venv/bin/python scripts/benchmark.py" + "".join(" " + a for a in argv) + "`.", "",
        "## Machine", "", *machine(conn), "",
        "## Targets", "", "| measure | result | target | met |", "|---|---:|---:|---|",
        *[f"| {a} | {b} | {c} | {'yes' if d else 'no'} |" for a, b, c, d in rows], "",
        f"## W1 survey: {cfg.w1_images} images of {cfg.w1_sources:,} sources, one field, two bands", "",
        "Per image, end to end (load + associate + commit), after the first image; the three methods",
        "take turns on the same images on the same server: tkpdb in the benchmark database, beside",
        "the W2 and W3 datasets; the floor and the in-memory baseline in a database of their own",
        "(`<dbname>_ref`), where their runcats, on exactly the W1 positions, stay out of tkpdb's index.", "",
        "| method | median ms | p95 ms | sources/s |", "|---|---:|---:|---:|",
        *[f"| {n} | {med[n] * 1000:.0f} | {p95(v) * 1000:.0f} | {res.w1_sources_per_image / med[n]:,.0f} |"
          for n, v in res.w1.items()], "",
        "Median time per association stage (ms, from `stage_ms` of `associate_image`; the load by",
        "binary COPY is the rest of the end-to-end time):", "", stage_medians(res.w1_stages),
        f"## W2 catalogue size: images of {cfg.w2_field:,} sources in a field of a larger catalogue", "",
        "| running catalogue | median ms | p95 ms |", "|---:|---:|---:|",
        *[f"| {s:,} | {statistics.median(res.w2[s]) * 1000:.0f} | {p95(res.w2[s]) * 1000:.0f} |" for s in sizes],
        "", *[f"Stages at {s:,} (ms):\n\n{stage_medians(res.w2_stages[s])}" for s in sizes],
        f"Driver peak resident memory (whole process, up to the end of W2): {res.w2_rss_mb:.0f} MB.", "",
        f"## W3 history: {cfg.w3_images} images of {cfg.w3_sources:,} sources of one field", "",
        f"Median of the first {win} images (after the first): {statistics.median(res.w3[1:win + 1]) * 1000:.1f} ms; "
        f"of the last {win}: {statistics.median(res.w3[-win:]) * 1000:.1f} ms.", "",
        "## Plots", "", *[f"![{p}](plots/{p})" for p in plots(res, plot_dir)], "",
        "## Methods", "",
        "- **tkpdb**: `insert_extracted_sources(..., commit=False)` then `associate_extracted_sources`"
        " (every stage, including varmetric), one transaction per image.",
        f"- Autovacuum is off on this machine (its CI configuration); the benchmark runs `VACUUM"
        f" (ANALYZE)` every {VACUUM_EVERY} images and before each W2 measurement, outside the timed"
        " sections, as autovacuum would in a default configuration.",
        "- **write floor**: no matching; the simulator's truth says which source each extraction is;"
        " the same extractions are stored by the same binary COPY, then new runcats, runcat and flux"
        " updates and link rows are written set-based from temporary tables (`scripts/bench/writer.py`).",
        "- **in-memory baseline** (what the VAST pipeline does): catalogue in numpy arrays, astropy"
        " `search_around_sky` + pandas De Ruiter filter with the same many-to-many, one-to-many and"
        " many-to-one rules, weighted sums in memory, then the floor's writes (`scripts/bench/baseline.py`)."
        " It computes less than tkpdb (no eta, no varmetric, no transient candidates, no sky regions).",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    analysis = out.with_name(out.stem + "-analysis.md")
    if analysis.exists():
        lines += ["", analysis.read_text()]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", default="dbname=tkpdb_bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--plots", type=Path, default=None, help="default: plots/ beside --out")
    parser.add_argument("--w2-sizes", type=lambda s: tuple(int(x) for x in s.split(",")), default=None)
    parser.add_argument("--w3-images", type=int, default=None)
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else Config()
    if args.w2_sizes:
        cfg.w2_sizes = args.w2_sizes
    if args.w3_images:
        cfg.w3_images = args.w3_images
    t0 = time.perf_counter()
    recreate(args.dsn)
    recreate(reference_dsn(args.dsn))
    conn = tkpdb.connect(args.dsn)
    ref = tkpdb.connect(reference_dsn(args.dsn))
    res = Results()
    run_w2(conn, cfg, res)      # first: its peak memory is the driver's
    run_w1(conn, ref, cfg, res)
    run_w3(conn, cfg, res)
    report(conn, cfg, res, args.out, args.plots or args.out.parent / "plots", args.quick,
           time.perf_counter() - t0, sys.argv[1:] if argv is None else argv)
    conn.close()
    ref.close()


if __name__ == "__main__":
    main()
