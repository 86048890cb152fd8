"""The benchmark script runs end to end in a tiny configuration (no timing is asserted)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import psycopg2

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "benchmark.py"


def load_benchmark():
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_benchmark_writes_its_report(postgresql_noproc, tmp_path, monkeypatch):
    bench = load_benchmark()
    tiny = bench.Config(w1_sources=60, w1_images=4, w2_sizes=(200, 400), w2_images=2, w2_field=50,
                        w3_sources=30, w3_images=8, w3_window=3, chunk=150, w1_window=2,
                        w1c_images=3, w4_sources=300, w4_images=2, trap_images=0)
    monkeypatch.setattr(bench, "QUICK", tiny)
    p = postgresql_noproc
    name = f"tkpdb_test_{os.getpid()}_bench"  # tests/conftest.py drops it if this run dies
    dsn = f"host={p.host} port={p.port} user={p.user} dbname={name}"
    out = tmp_path / "benchmarks.md"
    try:
        bench.main(["--quick", "--dsn", dsn, "--out", str(out)])
    finally:
        admin = psycopg2.connect(f"host={p.host} port={p.port} user={p.user} dbname=postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            for db in (name, f"{name}_w1", f"{name}_ref", f"{name}_trap"):   # every database it makes
                cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()
    text = out.read_text()
    for section in ("## Machine", "## Targets", "## W1 survey", "## W1 crowded", "## Peers",
                    "## W2 catalogue size", "## W3 history", "## W4", "## Plots",
                    "## Where the time goes in each missed target", "## Methods"):
        assert section in text
    for plot in ("w1_latency.png", "w2_catalogue_size.png", "w3_history.png", "per_source.png",
                 "peers.png"):
        assert (tmp_path / "plots" / plot).stat().st_size > 0
    for method in ("| tkpdb |", "| floor |", "| in-memory |", "| tkpdb, crowded"):
        assert method in text
    for target in ("write floor", "in-memory", "W1 crowded / W1", "W4 per-source", "W3: last",
                   "lightcurves identical"):
        assert target in text
