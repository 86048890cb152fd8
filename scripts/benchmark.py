#!/usr/bin/env python
"""The tkpdb benchmark: W1 survey (alone and inside another large catalogue), W2 catalogue size,
W3 history, W4 100,000-source images, against the write floor, an in-memory (VAST-style)
baseline and the current TraP (``trap`` 1.4), measured in the same run on the same data.

    .venv/bin/python scripts/benchmark.py            # full run (about an hour), docs/benchmarks.md
    .venv/bin/python scripts/benchmark.py --quick    # a few minutes

Every image is one transaction: load (binary COPY) + associate + commit, timed end to end from
the driver. Databases (dropped and re-created at the start): ``<dbname>`` (default
``tkpdb_bench``: W2, then the crowded W1, W3 and W4), ``<dbname>_w1`` (tkpdb's W1 alone),
``<dbname>_ref`` (the write floor and the in-memory baseline) and ``<dbname>_trap`` (TraP's own
export, written by TraP). The TraP peer runs in its own virtual environment
(``scripts/setup-trap-peer.sh`` makes ``.venv-trap``; ``--trap-python`` points elsewhere);
without it the report says so. The W1 lightcurves are compared with the digests of the
TraP-compatible engine before the write-floor rework (``scripts/bench/lightcurves.py``).
Results: a Markdown report and PNG plots (``--out``, ``--plots``); a hand-written analysis
beside the report (``benchmarks-analysis.md`` for ``benchmarks.md``) and the association
quality report of ``scripts/quality.py`` (``quality.md`` beside it, as the section
"Association quality") are appended to it, and every missed target gets the stage profile of
its workload.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tkpdb  # noqa: E402
from bench import lightcurves  # noqa: E402
from bench.baseline import InMemory, WriteFloor  # noqa: E402
from tkpdb.migrations import create_database  # noqa: E402
from tkpdb.simulate import Sky, observe, random_sky  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIELD = (150.0, 30.0)
W4_FIELD = (30.0, -30.0)   # a field of its own, far from the others
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
    w1_window: int = 10    # W1 drift: last / first images
    w1c_images: int = 30   # crowded W1: images inside the W2 catalogue
    w4_sources: int = 100_000
    w4_images: int = 6
    trap_images: int = 4   # the TraP peer (about 40 s per 10,000-source image)


QUICK = Config(w1_sources=1_000, w1_images=10, w2_sizes=(20_000, 60_000), w2_images=3,
               w2_field=1_000, w3_sources=200, w3_images=60, w3_window=15, chunk=20_000,
               w1_window=3, w1c_images=6, w4_sources=10_000, w4_images=3, trap_images=2)


@dataclass
class Results:
    w1: dict[str, list[float]] = field(default_factory=dict)
    w1_stages: list[dict] = field(default_factory=list)
    w2: dict[int, list[float]] = field(default_factory=dict)
    w2_stages: dict[int, list[dict]] = field(default_factory=dict)
    w2_rss_mb: float = 0.0
    w3: list[float] = field(default_factory=list)
    w3_stages: list[dict] = field(default_factory=list)
    w1_sources_per_image: float = 0.0
    w1c: list[float] = field(default_factory=list)
    w1c_stages: list[dict] = field(default_factory=list)
    w4: list[float] = field(default_factory=list)
    w4_stages: list[dict] = field(default_factory=list)
    w1_digest: str = ""
    w1_reference: str | None = None
    trap: dict | None = None
    trap_note: str = ""
    trap_images: list[dict] = field(default_factory=list)   # W1 images given to the TraP peer
    rss_mb: float = 0.0


def sibling_dsn(dsn: str, suffix: str) -> str:
    """The DSN of the database named like the benchmark's plus ``suffix`` (same server)."""
    params = psycopg2.extensions.parse_dsn(dsn)
    params["dbname"] += suffix
    return psycopg2.extensions.make_dsn(**params)


def reference_dsn(dsn: str) -> str:
    """The database of the reference methods (write floor, in-memory): the benchmark's with ``_ref``.

    They get a database of their own on the same server, as tkpdb's own W1 does (``_w1``), so
    that each method's tables hold its own rows only."""
    return sibling_dsn(dsn, "_ref")


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


def w1_images(cfg: Config):
    """The W1 images: (step, band index, observation), the same for every method and run."""
    rng = np.random.default_rng(1)
    sky = random_sky(cfg.w1_sources, *FIELD, 3.0, rng)
    for step in range(cfg.w1_images):
        b = step % 2
        yield step, b, sky, observe(sky, rng, flux_scale=(1.0, 0.8)[b])


def run_w1(conn, ref, cfg: Config, res: Results) -> None:
    """W1 with tkpdb on ``conn`` (a database of its own) and the reference methods on ``ref``
    (same server), taking turns on each image; then the digest of tkpdb's lightcurves."""
    conns = {"tkpdb": conn, "floor": ref, "in-memory": ref}
    datasets = {name: tkpdb.insert_dataset(c, f"W1 {name}") for name, c in conns.items()}
    floor = memory = None
    res.w1 = {name: [] for name in datasets}
    for step, b, sky, obs in w1_images(cfg):
        if floor is None:
            floor = WriteFloor(ref, datasets["floor"], len(BANDS), len(sky))
            memory = InMemory(ref, datasets["in-memory"], len(BANDS), BEAM)
            res.w1_sources_per_image = len(sky)
        if step < cfg.trap_images:
            res.trap_images.append(dict(obs, meta=np.array([10 * (step // 2), BANDS[b], b, *FIELD, 4.0, BEAM])))
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
    res.w1_digest = lightcurves.digest(conn, datasets["tkpdb"])
    res.w1_reference = lightcurves.reference_digest(lightcurves.w1_key(cfg.w1_sources, cfg.w1_images))


def run_w1_crowded(conn, cfg: Config, res: Results) -> None:
    """W1's first ``w1c_images`` images again, in the benchmark database: the field lies inside
    the W2 catalogue (another dataset, up to 5,000,000 sources) and the W3 field."""
    dataset = tkpdb.insert_dataset(conn, "W1 crowded")
    for step, b, _, obs in w1_images(cfg):
        if step >= cfg.w1c_images:
            break
        image, _ = new_image(conn, dataset, step // 2, BANDS[b])
        elapsed, stages = timed_tkpdb(conn, image, obs)
        if step > 0:
            res.w1c.append(elapsed)
            res.w1c_stages.append(stages)
        if (step + 1) % VACUUM_EVERY == 0:
            maintenance(conn.dsn)
    print(f"W1 crowded: median {statistics.median(res.w1c) * 1000:.0f} ms", flush=True)


def run_w4(conn, cfg: Config, res: Results) -> None:
    """W4: images of ``w4_sources`` sources (SKA-scale fields), one field of its own."""
    rng = np.random.default_rng(4)
    dataset = tkpdb.insert_dataset(conn, "W4")
    sky = random_sky(cfg.w4_sources, *W4_FIELD, 10.0, rng)
    for step in range(cfg.w4_images):
        image, _ = new_image(conn, dataset, step, BANDS[0], centre=W4_FIELD, radius=11.0)
        elapsed, stages = timed_tkpdb(conn, image, observe(sky, rng))
        if step > 0:
            res.w4.append(elapsed)
            res.w4_stages.append(stages)
        print(f"W4 image {step + 1}/{cfg.w4_images}: {elapsed * 1000:.0f} ms", flush=True)
    res.rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_trap(dsn: str, trap_python: Path, res: Results) -> None:
    """The current TraP on the first W1 images, in its own virtual environment and database."""
    if not res.trap_images:
        res.trap_note = "no images"
        return
    if not trap_python.exists():
        res.trap_note = (f"not run: {trap_python} does not exist (make it with "
                         "`scripts/setup-trap-peer.sh`)")
        print(f"TraP peer {res.trap_note}", flush=True)
        return
    params = psycopg2.extensions.parse_dsn(sibling_dsn(dsn, "_trap"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "images.npz"
        arrays = {f"{k}/{name}": values for k, image in enumerate(res.trap_images)
                  for name, values in image.items()}
        np.savez(path, n_images=np.array(len(res.trap_images)), **arrays)
        run = subprocess.run(
            [str(trap_python), str(ROOT / "scripts" / "bench" / "trap_peer.py"), str(path),
             "--dbname", params["dbname"], "--host", params.get("host", "127.0.0.1"),
             "--port", str(params.get("port", "5432")), "--user", params.get("user", getpass_user())],
            capture_output=True, text=True)
    if run.returncode != 0:
        res.trap_note = "failed: " + (run.stderr.strip().splitlines() or ["?"])[-1]
        print(f"TraP peer {res.trap_note}", flush=True)
        return
    res.trap = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"TraP peer: {[round(t, 1) for t in res.trap['steps']['total']]} s per image", flush=True)


def getpass_user() -> str:
    import getpass
    return os.environ.get("PGUSER", getpass.getuser())


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
        elapsed, stages = timed_tkpdb(conn, image, observe(sky, rng))
        res.w3.append(elapsed)
        res.w3_stages.append(stages)
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


def plots(res: Results, cfg: Config, directory: Path) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, values in [*res.w1.items(), ("tkpdb, crowded", res.w1c)]:
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
    fig, ax = plt.subplots(figsize=(6, 3.5))
    per_source = {"W3 (first)": statistics.median(res.w3[1:cfg.w3_window + 1]) / cfg.w3_sources,
                  "W1": statistics.median(res.w1["tkpdb"]) / res.w1_sources_per_image,
                  "W1 crowded": statistics.median(res.w1c) / res.w1_sources_per_image,
                  "W4": statistics.median(res.w4) / cfg.w4_sources}
    ax.bar(list(per_source), [v * 1e6 for v in per_source.values()])
    ax.set(ylabel="us per source (end to end)", title="tkpdb cost per source by image size")
    fig.tight_layout()
    fig.savefig(directory / "per_source.png", dpi=100)
    names.append("per_source.png")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    peers = {n: statistics.median(v) for n, v in res.w1.items()}
    if res.trap:
        peers["TraP 1.4"] = statistics.median(res.trap["steps"]["total"][1:] or res.trap["steps"]["total"])
    ax.bar(list(peers), [v * 1000 for v in peers.values()])
    ax.set(yscale="log", ylabel="median ms per W1 image", title="W1: tkpdb and its peers")
    fig.tight_layout()
    fig.savefig(directory / "peers.png", dpi=100)
    names.append("peers.png")
    plt.close("all")
    return names


def ratio(values: list[float], window: int) -> float:
    """Median of the last ``window`` values over the median of the first ``window``."""
    return statistics.median(values[-window:]) / statistics.median(values[:window])


def demoted(markdown: str) -> str:
    """``markdown`` with every heading one level deeper (its title becomes a section)."""
    return "\n".join("#" + line if line.startswith("#") else line for line in markdown.splitlines())


def report(conn, cfg: Config, res: Results, out: Path, plot_dir: Path, quick: bool, seconds: float,
           argv: list[str]) -> None:
    med = {n: statistics.median(v) for n, v in res.w1.items()}
    w1_rate = res.w1_sources_per_image / med["tkpdb"]
    sizes = sorted(res.w2)
    w2_ratio = statistics.median(res.w2[sizes[-1]]) / statistics.median(res.w2[sizes[0]])
    win = cfg.w3_window
    w3_ratio = statistics.median(res.w3[-win:]) / statistics.median(res.w3[1:win + 1])
    w1_drift = ratio(res.w1["tkpdb"], cfg.w1_window)
    crowded = statistics.median(res.w1c) / statistics.median(res.w1["tkpdb"][:len(res.w1c)])
    per_w1 = med["tkpdb"] / res.w1_sources_per_image
    per_w4 = statistics.median(res.w4) / cfg.w4_sources
    per_w3 = statistics.median(res.w3[1:win + 1]) / cfg.w3_sources
    identical = (None if res.w1_reference is None else res.w1_digest == res.w1_reference)
    rows = [
        ("W1 throughput (sources/s, end to end)", f"{w1_rate:,.0f}", ">= 20,000", w1_rate >= 20_000, "w1"),
        ("W1: tkpdb / write floor (medians)", f"{med['tkpdb'] / med['floor']:.2f}", "<= 1.5",
         med["tkpdb"] / med["floor"] <= 1.5, "w1"),
        ("W1: tkpdb / in-memory baseline (medians)", f"{med['tkpdb'] / med['in-memory']:.2f}", "<= 0.8",
         med["tkpdb"] / med["in-memory"] <= 0.8, "w1"),
        (f"W1 crowded / W1 (first {len(res.w1c)} images, medians)", f"{crowded:.2f}", "<= 1.2",
         crowded <= 1.2, "w1c"),
        (f"W1 after {cfg.w1_images} images: last {cfg.w1_window} / first {cfg.w1_window}",
         f"{w1_drift:.2f}", "<= 1.1", w1_drift <= 1.1, "w1"),
        (f"W2 latency at {sizes[-1]:,} / at {sizes[0]:,}", f"{w2_ratio:.2f}", "<= 1.3", w2_ratio <= 1.3, "w2"),
        (f"W3: last {win} / first {win} of {cfg.w3_images} images", f"{w3_ratio:.2f}", "<= 1.1",
         w3_ratio <= 1.1, "w3"),
        (f"W4 per-source cost / W1 per-source cost ({cfg.w4_sources:,} vs {cfg.w1_sources:,})",
         f"{per_w4 / per_w1:.2f}", "<= 1.2", per_w4 / per_w1 <= 1.2, "w4"),
        (f"per-source cost, {cfg.w4_sources:,} vs {cfg.w3_sources:,} sources per image (W4 / W3 first)",
         f"{per_w4 / per_w3:.2f}", "<= 1.2", per_w4 / per_w3 <= 1.2, "w4"),
        (f"driver peak RSS, W2 and W4 ({cfg.w4_sources:,}-source images; MB)", f"{res.rss_mb:.0f}", "< 300",
         res.rss_mb < 300, "memory"),
        ("W1 lightcurves identical to the TraP-compatible engine before the rework",
         {None: "no reference for this configuration", True: "identical", False: "DIFFERENT"}[identical],
         "identical", bool(identical), "lightcurves"),
    ]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    trap_lines = ["TraP peer " + (res.trap_note or "not run") + "."]
    if res.trap:
        steps = res.trap["steps"]
        later = {k: v[1:] or v for k, v in steps.items()}   # the first image only starts the catalogue
        trap_med = statistics.median(later["total"])
        trap_lines = [
            f"The current TraP (`trap` 1.4, its own virtual environment) on the first "
            f"{len(steps['total'])} W1 images, through its own functions "
            "(`trap.run.update_source_list`, `trap.post_processing.update_varmetrics_iterative`, "
            "`trap.io.export_to_database` into a PostgreSQL database of its own; no source "
            "extraction and no forced fits: the images have no pixels). Medians after the first image:", "",
            "| step | median s per image |", "|---|---:|",
            *[f"| {k} | {statistics.median(v):.2f} |" for k, v in later.items()], "",
            f"tkpdb / TraP (W1 medians): {med['tkpdb'] / trap_med:.3f} "
            f"({trap_med / med['tkpdb']:.0f} times faster); TraP's driver peak memory "
            f"{res.trap['peak_rss_mb']:.0f} MB. TraP's association differs (its known-source "
            "list keeps each source's latest detection, no many-to-many step, duplicates "
            "instead of forks): the comparison is of cost, not of lightcurves."]
    profiles = {
        "w1": ("W1, tkpdb alone", res.w1_stages), "w1c": ("W1 inside the W2 catalogue", res.w1c_stages),
        "w2": (f"W2 at {sizes[-1]:,}", res.w2_stages[sizes[-1]]),
        "w3": (f"W3, last {win} images", res.w3_stages[-win:]), "w4": ("W4", res.w4_stages),
    }
    missed = []
    for name, value, target, met, workload in rows:
        if met or workload not in profiles:
            continue
        title, stages = profiles[workload]
        missed += [f"### {name}: {value} (target {target})", "",
                   f"Median time per stage (ms) of {title}; the rest of the end-to-end time is the "
                   "binary COPY of the extractions, the ingest checks and the commit:", "",
                   stage_medians(stages)]
        if workload == "w3":
            missed += [f"First {win} images of W3:", "", stage_medians(res.w3_stages[1:win + 1])]
    lines = [
        "# Benchmark results", "",
        f"Run of {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}, "
        f"{'quick' if quick else 'full'} mode, {seconds / 60:.0f} minutes. "
        "Command: `.venv/bin/python scripts/benchmark.py" + "".join(" " + a for a in argv) + "`.", "",
        "## Machine", "", *machine(conn), "",
        "## Targets", "", "| measure | result | target | met |", "|---|---:|---:|---|",
        *[f"| {a} | {b} | {c} | {'yes' if d else 'no'} |" for a, b, c, d, _ in rows], "",
        f"## W1 survey: {cfg.w1_images} images of {cfg.w1_sources:,} sources, one field, two bands", "",
        "Per image, end to end (load + associate + commit), after the first image; the three methods",
        "take turns on the same images on the same server, each in a database of its own (tkpdb in",
        "`<dbname>_w1`, the floor and the in-memory baseline in `<dbname>_ref`).", "",
        "| method | median ms | p95 ms | sources/s |", "|---|---:|---:|---:|",
        *[f"| {n} | {med[n] * 1000:.0f} | {p95(v) * 1000:.0f} | {res.w1_sources_per_image / med[n]:,.0f} |"
          for n, v in res.w1.items()],
        f"| tkpdb, crowded (first {len(res.w1c)} images) | {statistics.median(res.w1c) * 1000:.0f} | "
        f"{p95(res.w1c) * 1000:.0f} | {res.w1_sources_per_image / statistics.median(res.w1c):,.0f} |", "",
        "Median time per association stage (ms, from `stage_ms` of `associate_image`; the load by",
        "binary COPY and the commit are the rest of the end-to-end time):", "", stage_medians(res.w1_stages),
        f"Lightcurve digest of tkpdb's W1 dataset: `{res.w1_digest[:16]}`; reference (before the "
        f"rework): `{(res.w1_reference or 'none')[:16]}`.", "",
        f"## W1 crowded: the W1 images inside a large catalogue of another dataset", "",
        f"The first {cfg.w1c_images} W1 images associated in the benchmark database after W2: the field",
        f"lies inside the {sizes[-1]:,}-source W2 catalogue (another dataset) and beside the W3 field.", "",
        stage_medians(res.w1c_stages),
        "## Peers: the current TraP", "", *trap_lines, "",
        f"## W2 catalogue size: images of {cfg.w2_field:,} sources in a field of a larger catalogue", "",
        "| running catalogue | median ms | p95 ms |", "|---:|---:|---:|",
        *[f"| {s:,} | {statistics.median(res.w2[s]) * 1000:.0f} | {p95(res.w2[s]) * 1000:.0f} |" for s in sizes],
        "", *[f"Stages at {s:,} (ms):\n\n{stage_medians(res.w2_stages[s])}" for s in sizes],
        f"Driver peak resident memory up to the end of W2: {res.w2_rss_mb:.0f} MB; up to the end of "
        f"W4: {res.rss_mb:.0f} MB (before W1, whose in-memory baseline holds its catalogue in the "
        "same process).", "",
        f"## W3 history: {cfg.w3_images} images of {cfg.w3_sources:,} sources of one field", "",
        f"Median of the first {win} images (after the first): {statistics.median(res.w3[1:win + 1]) * 1000:.1f} ms; "
        f"of the last {win}: {statistics.median(res.w3[-win:]) * 1000:.1f} ms.", "",
        f"## W4: {cfg.w4_images} images of {cfg.w4_sources:,} sources", "",
        f"In the benchmark database after W2, in a field of its own. "
        f"Median {statistics.median(res.w4) * 1000:.0f} ms per image after the first "
        f"({cfg.w4_sources / statistics.median(res.w4):,.0f} sources/s; {per_w4 * 1e6:.1f} us per source, "
        f"W1 {per_w1 * 1e6:.1f} us, W3 {per_w3 * 1e6:.1f} us).", "", stage_medians(res.w4_stages),
        "## Plots", "", *[f"![{p}](plots/{p})" for p in plots(res, cfg, plot_dir)], "",
        "## Where the time goes in each missed target", "",
        *(missed or ["Every target was met."]), "",
        "## Methods", "",
        "- **tkpdb**: `insert_extracted_sources(..., commit=False)` then `associate_extracted_sources`"
        " (every stage, the variability state included), one transaction per image.",
        f"- Autovacuum is off on this machine (its CI configuration); the benchmark runs `VACUUM"
        f" (ANALYZE)` every {VACUUM_EVERY} images and before each W2 measurement, outside the timed"
        " sections, as autovacuum would in a default configuration (`tests/test_plans.py` checks"
        " that no stage reads a whole table without any ANALYZE).",
        "- **write floor**: no matching; the simulator's truth says which source each extraction is;"
        " the same extractions are stored by the same binary COPY, then new runcats, runcat and flux"
        " updates (with the same variability state: sums, maxima, exact median keys, latest"
        " measurement) and link rows are written set-based from temporary tables (`scripts/bench/writer.py`).",
        "- **in-memory baseline** (what the VAST pipeline does): catalogue in numpy arrays, astropy"
        " `search_around_sky` + pandas De Ruiter filter with the same many-to-many, one-to-many and"
        " many-to-one rules, weighted sums and the sorted flux keys in memory, then the floor's writes"
        " (`scripts/bench/baseline.py`). It computes less than tkpdb (no eta, no transient candidates,"
        " no sky regions).",
        "- **TraP 1.4**: `scripts/bench/trap_peer.py` in TraP's own virtual environment, on the same"
        " simulated images (see above).",
        "- **Lightcurves**: `scripts/bench/lightcurves.py` hashes every W1 lightcurve (links with r,"
        " distance, V, eta; positions; flux means per band) without ids; the reference digests in"
        " `scripts/bench/reference_lightcurves.json` come from the engine before the rework.",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    analysis = out.with_name(out.stem + "-analysis.md")
    if analysis.exists():
        lines += ["", analysis.read_text()]
    quality = out.with_name("quality.md")   # written by scripts/quality.py
    if quality.exists():
        lines += ["", demoted(quality.read_text())]
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
    parser.add_argument("--w1-images", type=int, default=None)
    parser.add_argument("--w4-images", type=int, default=None)
    parser.add_argument("--trap-python", type=Path, default=ROOT / ".venv-trap" / "bin" / "python",
                        help="the Python of TraP's virtual environment (default .venv-trap)")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else Config()
    for name in ("w2_sizes", "w3_images", "w1_images", "w4_images"):
        if getattr(args, name):
            setattr(cfg, name, getattr(args, name))
    t0 = time.perf_counter()
    w1_dsn = sibling_dsn(args.dsn, "_w1")
    for dsn in (args.dsn, w1_dsn, reference_dsn(args.dsn)):
        recreate(dsn)
    conn = tkpdb.connect(args.dsn)
    w1 = tkpdb.connect(w1_dsn)
    ref = tkpdb.connect(reference_dsn(args.dsn))
    res = Results()
    # W2 and W4 first: the driver's peak memory (it never holds a catalogue) is measured before
    # the in-memory baseline of W1 keeps its catalogue and sorted fluxes in this process
    run_w2(conn, cfg, res)
    run_w4(conn, cfg, res)
    run_w1(w1, ref, cfg, res)
    run_w1_crowded(conn, cfg, res)
    run_w3(conn, cfg, res)
    run_trap(args.dsn, args.trap_python, res)
    report(conn, cfg, res, args.out, args.plots or args.out.parent / "plots", args.quick,
           time.perf_counter() - t0, sys.argv[1:] if argv is None else argv)
    for c in (conn, w1, ref):
        c.close()


if __name__ == "__main__":
    main()
