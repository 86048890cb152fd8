#!/usr/bin/env python
"""Show how each association stage reaches its rows on a large running catalogue.

Builds (once) a dataset whose running catalogue holds ``--catalogue`` sources spread over a
wide sky area and has seen ``--history`` images of the field, then associates one more image
of ``--image-sources`` sources inside a transaction that is rolled back, calling the stage
functions one by one with auto_explain (ANALYZE, BUFFERS, nested statements). No ANALYZE is
run after the catalogue is built: the plans are those of stale statistics. Writes a summary (per statement: time, index scans, sequential
scans) and the plans to a Markdown file.

    .venv/bin/python scripts/explain_stages.py                 # 1,000,000 sources, docs/explain-stages.md
    .venv/bin/python scripts/explain_stages.py --catalogue 100000 --out /tmp/explain.md

The database (default ``dbname=tkpdb_explain``) is created and migrated when missing.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import re
import time
from pathlib import Path

import numpy as np
import psycopg2

import tkpdb
from tkpdb.migrations import create_database
from tkpdb.simulate import Sky, observe, random_sky

STAGES = [
    ("assoc_candidates", "SELECT assoc_candidates(%(image)s, 5.68, 1.0)"),
    ("assoc_prune_many_to_many", "SELECT assoc_prune_many_to_many(%(image)s)"),
    ("assoc_one_to_many", "SELECT assoc_one_to_many(%(image)s)"),
    ("assoc_one_to_one", "SELECT * FROM assoc_one_to_one(%(image)s)"),
    ("assoc_new_sources", "SELECT assoc_new_sources(%(image)s)"),
    ("assoc_transient_candidates", "SELECT assoc_transient_candidates(%(image)s, 3.0)"),
    ("assoc_record_events", "SELECT assoc_record_events(%(image)s, 0, 0, 0, 0, 0, 0, 0)"),
]
FIELD = (150.0, 30.0)  # centre of the catalogue and of the image (deg)


def ensure_database(dsn: str) -> None:
    """Create the database named in ``dsn`` if it does not exist, then migrate it."""
    create_database(dsn)   # from tkpdb_template when the server has it
    tkpdb.upgrade(dsn)


def image_kwargs(step: int, radius: float) -> dict:
    return dict(taustart_ts=dt.datetime(2026, 1, 1) + dt.timedelta(hours=step), tau_time=60.0,
                freq_eff=150e6, freq_bw=2e6, rb_smaj=0.01, rb_smin=0.008, rb_pa=0.0,
                centre_ra=FIELD[0], centre_decl=FIELD[1], xtr_radius=radius, rms_min=1e-3,
                rms_max=2e-3, detection_thresh=8.0)


def build_catalogue(conn, n: int, rng: np.random.Generator) -> tuple[int, Sky]:
    """A dataset whose running catalogue holds ``n`` sources (one associated image)."""
    description = f"explain-stages catalogue of {n}"
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM dataset WHERE description = %s", (description,))
        row = cur.fetchone()
    conn.rollback()
    radius = float(np.degrees(np.arccos(1 - n / 1e6 * 0.12)))  # ~1e6 sources on a 40 deg cap
    sky = random_sky(n, *FIELD, radius, np.random.default_rng(7))
    if row:
        return row[0], sky
    dataset = tkpdb.insert_dataset(conn, description)
    image = tkpdb.insert_image(conn, dataset, **image_kwargs(0, radius))
    t0 = time.perf_counter()
    tkpdb.insert_extracted_sources(conn, image, observe(sky, rng), commit=False)
    tkpdb.associate_extracted_sources(conn, image)
    print(f"catalogue of {n} sources built in {time.perf_counter() - t0:.0f} s")
    return dataset, sky


def summarise(plan: str) -> tuple[list[str], list[str]]:
    """Index names scanned and tables read sequentially, from a text plan."""
    indexes = sorted(set(re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", plan)
                         + re.findall(r"Bitmap Index Scan on (\w+)", plan)))
    seqscans = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))
    return indexes, seqscans


def explain(dsn: str, catalogue: int, image_sources: int, history: int, out: Path) -> None:
    ensure_database(dsn)
    conn = tkpdb.connect(dsn)
    rng = np.random.default_rng(11)
    dataset, sky = build_catalogue(conn, catalogue, rng)
    near = np.hypot((sky.ra - FIELD[0]) * np.cos(np.radians(FIELD[1])), sky.decl - FIELD[1])
    chosen = np.argsort(near)[:image_sources]
    field = Sky(sky.ra[chosen], sky.decl[chosen], sky.flux[chosen])

    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM image WHERE dataset = %s", (dataset,))
        (seen,) = cur.fetchone()
    conn.rollback()
    for step in range(seen, history + 1):      # the field's history (committed, kept)
        image = tkpdb.insert_image(conn, dataset, **image_kwargs(step, float(near[chosen].max())))
        tkpdb.insert_extracted_sources(conn, image, observe(field, rng), commit=False)
        tkpdb.associate_extracted_sources(conn, image)
    image = tkpdb.insert_image(conn, dataset, **image_kwargs(history + 1, float(near[chosen].max())))
    tkpdb.insert_extracted_sources(conn, image, observe(field, rng), commit=False)
    rows: list[tuple[str, str, float, list[str], list[str], int]] = []
    seen: dict[tuple[str, str], int] = {}
    plans: list[tuple[str, str]] = []
    with conn.cursor() as cur:
        for setting in ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                        "SET auto_explain.log_analyze = on", "SET auto_explain.log_buffers = on",
                        "SELECT assoc_scratch()",
                        "SET auto_explain.log_nested_statements = on",
                        "SET auto_explain.log_level = notice", "SET client_min_messages = notice"):
            cur.execute(setting)
        cur.execute("SELECT dataset_lock(%s)", (dataset,))   # the stages' contract (07_stage_guards.sql)
        for stage, statement in STAGES:
            conn.notices = collections.deque()   # a list would keep the last 50 only
            cur.execute(statement, {"image": image})
            for notice in conn.notices:
                match = re.search(r"duration: ([\d.]+) ms\s+plan:\s*Query Text: (.*?)\n(.*)", notice, re.S)
                if not match:
                    continue
                ms, text, plan = float(match[1]), match[2].strip(), match[3]
                if not text:
                    continue  # a SQL-language helper's own body
                first = " ".join(text.split())[:90]
                if first.startswith("SELECT") and stage in first:
                    continue  # the stage call itself: its statements are listed one by one
                indexes, seqscans = summarise(plan)
                key = (stage, first)
                if key in seen:  # a statement run once per row (a foreign-key action)
                    row = rows[seen[key]]
                    rows[seen[key]] = (stage, first, row[2] + ms, row[3], row[4], row[5] + 1)
                    continue
                seen[key] = len(rows)
                rows.append((stage, first, ms, indexes, seqscans, 1))
                plans.append((f"{stage}: {first}", plan.rstrip()))
    conn.rollback()
    conn.close()

    lines = [
        "# Association stages on a large running catalogue: access paths",
        "",
        f"Running catalogue: {catalogue:,} sources over a wide sky area (one dataset), whose field",
        f"has been observed {history} more times; the associated image has {image_sources:,} sources.",
        "Statistics are stale (no ANALYZE after the catalogue was built). Generated by",
        f"`scripts/explain_stages.py --catalogue {catalogue} --history {history}` (auto_explain with",
        "ANALYZE and BUFFERS; the image's association is rolled back).",
        "",
        "| stage | statement | runs | ms | index scans | sequential scans |",
        "|---|---|---:|---:|---|---|",
    ]
    for stage, first, ms, indexes, seqscans, runs in rows:
        lines.append(f"| {stage} | `{first}` | {runs} | {ms:.1f} | {', '.join(indexes) or '-'} | "
                     f"{', '.join(seqscans) or '-'} |")
    lines += ["", "Times include auto_explain's own instrumentation (about twice the plain run time).",
              "Statements with several runs are foreign-key actions, run once per affected row.",
              "", "## Plans", ""]
    for title, plan in plans:
        lines += [f"### {title}", "", "```", plan, "```", ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", default="dbname=tkpdb_explain")
    parser.add_argument("--catalogue", type=int, default=1_000_000)
    parser.add_argument("--image-sources", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=10, help="earlier images of the field")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "explain-stages.md")
    args = parser.parse_args()
    explain(args.dsn, args.catalogue, args.image_sources, args.history, args.out)


if __name__ == "__main__":
    main()
