"""The command line: migrations and the demonstration run."""

from __future__ import annotations

from click.testing import CliRunner

from tkpdb.cli import main
from tkpdb.migrations import head_revision


def test_db_current_reports_the_newest_revision(dsn):
    result = CliRunner().invoke(main, ["db", "current", "--dsn", dsn])
    assert result.exit_code == 0, result.output
    assert f"database: {head_revision()}" in result.output


def test_demo_associates_a_small_survey(dsn, conn):
    result = CliRunner().invoke(main, ["demo", "--dsn", dsn, "--images", "3", "--sources", "40"])
    assert result.exit_code == 0, result.output
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM image")
        assert cur.fetchone()[0] == 6  # 3 timesteps x 2 bands
        cur.execute("SELECT count(DISTINCT xtrsrc) FROM assocxtrsource")
        n_linked = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM extractedsource")
        assert n_linked == cur.fetchone()[0]  # every measurement is in a lightcurve
    conn.rollback()
    assert "6 images" in result.output
