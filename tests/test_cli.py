"""The command line: migrations and the demonstration run."""

from __future__ import annotations

from click.testing import CliRunner

from tkpdb.cli import main
from tkpdb.migrations import head_revision


def test_db_current_reports_the_newest_revision(dsn):
    result = CliRunner().invoke(main, ["db", "current", "--dsn", dsn])
    assert result.exit_code == 0, result.output
    assert f"database: {head_revision()}" in result.output


def test_demo_runs_the_simulated_survey_and_reports_against_the_truth(dsn, conn, tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--dsn", dsn, "--epochs", "3", "--out", str(out),
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM image")
        assert cur.fetchone()[0] == 12  # 3 epochs x 2 fields x 2 bands
        cur.execute("SELECT count(DISTINCT xtrsrc) FROM assocxtrsource")
        n_linked = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM extractedsource")
        assert n_linked == cur.fetchone()[0]  # every measurement is in a lightcurve
        cur.execute("SELECT id FROM dataset")
        (dataset,) = cur.fetchone()
    conn.rollback()
    assert "12 images, 12 associated now" in result.output
    assert "injected transients recovered" in result.output
    files = [line.split()[-1] for line in result.output.splitlines() if line.startswith("  ")
             and line.split()[0] in ("lightcurve", "heritage", "export")]
    assert len(files) == 4 and all((tmp_path / f).exists() or __import__("os").path.exists(f) for f in files)

    # the result commands on the demo's dataset
    runner = CliRunner()
    for args in (["transients", str(dataset)], ["stats", str(dataset)],
                 ["transients", str(dataset), "--json"]):
        got = runner.invoke(main, [*args, "--dsn", dsn])
        assert got.exit_code == 0, got.output
    assert "overcounting fraction" in runner.invoke(main, ["stats", str(dataset), "--dsn", dsn]).output
    import json
    candidates = json.loads(runner.invoke(main, ["transients", str(dataset), "--dsn", dsn, "--json"]).output)
    runcat = candidates["transient_candidates"][0]["runcat"]
    for args, made in ((["lightcurve", str(runcat), "--png", str(tmp_path / "lc.png")], "lc.png"),
                       (["lightcurve", str(runcat), "--csv", str(tmp_path / "lc.csv")], "lc.csv"),
                       (["heritage", str(runcat), "-o", str(tmp_path / "h.svg")], "h.svg"),
                       (["export", str(dataset), "--format", "votable", "-o", str(tmp_path / "x")], "x")):
        got = runner.invoke(main, [*args, "--dsn", dsn])
        assert got.exit_code == 0, got.output
        assert (tmp_path / made).exists()
    table = runner.invoke(main, ["lightcurve", str(runcat), "--dsn", dsn]).output
    assert "f_int mJy" in table and "blind" in table
    from astropy.table import Table
    votable = Table.read(tmp_path / "x" / f"dataset{dataset}_runcat.xml")
    assert str(votable["avg_f_int"].unit) == "Jy" and str(votable["wm_ra"].unit) == "deg"


def test_run_reports_a_bad_manifest_in_one_line(tmp_path):
    manifest = tmp_path / "m.toml"
    manifest.write_text('[dataset]\ndescription = "x"\n')
    result = CliRunner().invoke(main, ["run", str(manifest)])
    assert result.exit_code != 0
    assert "no [[image]]" in result.output
