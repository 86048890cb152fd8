"""The quality report runs end to end in its quick configuration and scores sanely.

One run of ``scripts/quality.py --quick`` (both modes) is shared by the tests.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import psycopg2
import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load_script(name: str):
    """Import ``scripts/<name>.py`` as the module ``name``."""
    sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


quality = load_script("quality")


@pytest.fixture(scope="module")
def run(postgresql_noproc, tmp_path_factory):
    """(the Report, the Markdown text) of one quick run on the test server."""
    p = postgresql_noproc
    name = f"tkpdb_test_{os.getpid()}_q"  # tests/conftest.py drops its databases if this run dies
    dsn = f"host={p.host} port={p.port} user={p.user} dbname={name}"
    out = tmp_path_factory.mktemp("quality") / "quality.md"
    try:
        report = quality.main(["--quick", "--dsn", dsn, "--out", str(out)])
    finally:
        admin = psycopg2.connect(f"host={p.host} port={p.port} user={p.user} dbname=postgres")
        admin.autocommit = True
        with admin.cursor() as cur:
            for mode in quality.MODES:   # every database it makes
                cur.execute(f'DROP DATABASE IF EXISTS "{name}_quality_{mode}" WITH (FORCE)')
        admin.close()
    return report, out.read_text()


def assert_sane(q, true_sources: int | None = None) -> None:
    """Fractions in [0, 1], counts non-negative and consistent with each other."""
    s = q.score
    assert s.true_sources > 0 and s.lightcurves > 0
    if true_sources is not None:
        assert s.true_sources == true_sources
    for fraction in (s.whole_fraction, s.purity):
        assert 0.0 <= fraction <= 1.0
    assert (s.overcounting_fraction or 0.0) >= 0.0   # counted / made - 1: not bounded by 1
    assert s.lightcurves_per_source >= 1.0
    assert len(s.broken) == round((1 - s.whole_fraction) * s.true_sources)
    assert sum(q.broken_profile.values()) == len(s.broken)
    for count in (s.shared_detections, s.candidates_true, s.candidates_false, q.suspects,
                  q.suspect_candidates):
        assert count >= 0
    assert q.suspect_candidates <= q.suspects
    assert 0 <= q.flux_counted_twice <= q.stats.measurements_made
    assert 0 <= q.shown_whole_twice <= q.stats.measurements_made
    assert q.lost >= 0 and all(c.problems > 0 for c in q.problems)
    assert sum(len(lines) for lines in q.examples.values()) <= 3 * quality.EXAMPLES
    assert q.stats.measurements_counted >= q.stats.measurements_made > 0


def assert_mode(report, text: str, mode: str) -> None:
    setup = report.setup
    w1 = report.w1[mode]
    assert_sane(w1, setup.sources + setup.transients)   # every W1 source is seen in every image
    assert len(w1.score.transients_recovered) + len(w1.score.transients_missed) == setup.transients
    assert len(w1.seconds) == setup.images - 1 and all(t > 0 for t in w1.seconds)
    demo = report.demo[mode]
    assert demo.quality is not None
    assert_sane(demo.quality)
    spec = report.spec
    assert len(demo.quality.score.transients_recovered) + len(
        demo.quality.score.transients_missed) == spec.transients
    assert len(demo.pairs) == spec.pairs
    for pair in demo.pairs:
        assert pair.separation_arcsec == pytest.approx(spec.pair_separation_arcsec, rel=1e-6)
        assert min(pair.resolved) > 0 and pair.blends > 0   # resolved at one band, blended at the other
        assert 0 <= pair.blends_shared <= pair.shared <= sum(pair.resolved) + pair.blends
        assert 0 <= pair.flux_counted_twice <= pair.shared
    column = 3 if mode == "trap" else 5          # | workload | measure | target | trap | met | resolved | met |
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| W1 | true sources whole")]
    assert rows and rows[0][column].endswith("%")


def test_the_report_has_its_sections(run):
    _, text = run
    for section in ("# Association quality", "## Machine", "## Targets", "## W1:",
                    "## Demo survey", "### Two resolutions: the close pairs", "## Methods"):
        assert section in text
    assert "`.venv/bin/python scripts/quality.py --quick" in text


def test_trap_mode_scores(run):
    report, text = run
    assert_mode(report, text, "trap")
    # the W1 sky is sparse in the quick run and the transients bright: TraP finds them all,
    # and keeps every detection in a lightcurve
    trap = report.w1["trap"]
    assert trap.score.transients_missed == () and trap.lost == 0 and trap.problems == []


def test_resolved_mode_scores(run):
    report, text = run
    assert_mode(report, text, "resolved")
    ratio = quality.cost_ratio(report.w1)
    assert ratio is not None and ratio > 0


def test_the_benchmark_report_takes_the_quality_report_as_a_section():
    bench = load_script("benchmark")
    assert bench.demoted("# Association quality\n\n## Targets\ntext #1") == (
        "## Association quality\n\n### Targets\ntext #1")
