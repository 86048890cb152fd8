"""The command line says what went wrong in one line (a traceback only with --debug), never
shows a password, refuses negative counts, reports a lost connection plainly, and checks the
catalogue with ``tkpdb check``.
"""

from __future__ import annotations

import psycopg2
import pytest
from click.testing import CliRunner

import tkpdb
from tests.sky import image, observe, query, source
from tkpdb.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def one_line_error(result, *words: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tkpdb: error: "), result.output
    assert "Traceback" not in result.output
    assert all(word in lines[0] for word in words), lines[0]
    return lines[0]


@pytest.mark.parametrize("dsn, words", [
    ("host=127.0.0.1 port=1 dbname=tkpdb connect_timeout=5", ["cannot reach the database server"]),
    ("host=/nonexistent/socket/dir dbname=tkpdb", ["cannot reach the database server"]),
    ("dbname", ["invalid DSN"]),
])
def test_a_bad_dsn_or_an_unreachable_server_is_one_line(dsn, words, tmp_path):
    demo = ["demo", "--epochs", "1", "--out", str(tmp_path / "demo")]
    for command in (["db", "current"], ["db", "upgrade"], ["check"], demo):
        one_line_error(run(*command, "--dsn", dsn), *words)
    assert not (tmp_path / "demo").exists()     # nothing was written


def test_a_missing_or_unmigrated_database_is_one_line(dsn, empty_dsn, tmp_path):
    missing = dsn.replace("dbname=", "dbname=no_such_db_")
    one_line_error(run("check", "--dsn", missing), "does not exist", "scripts/setup.sh")
    one_line_error(run("check", "--dsn", empty_dsn), "tkpdb db upgrade")
    one_line_error(run("demo", "--dsn", empty_dsn, "--epochs", "1", "--out", str(tmp_path)),
                   "revision none")


def test_debug_shows_the_traceback():
    result = run("--debug", "check", "--dsn", "host=127.0.0.1 port=1 connect_timeout=5")
    assert result.exit_code != 0 and isinstance(result.exception, psycopg2.OperationalError)


def test_passwords_are_never_shown(dsn):
    secret = "s3cr3t-pw"
    result = run("db", "upgrade", "--dsn", f"{dsn} password={secret}")
    assert result.exit_code == 0, result.output
    assert secret not in result.output and "password=***" in result.output
    for bad in (f"host=127.0.0.1 port=1 connect_timeout=5 password={secret}",
                f"postgresql://someone:{secret}@127.0.0.1:1/db?connect_timeout=5",
                f"password={secret} dbname"):
        result = run("db", "upgrade", "--dsn", bad)
        assert result.exit_code == 1 and secret not in result.output, result.output
    assert tkpdb.mask_dsn(f"user=u password='a b' host=h") == "user=u password=*** host=h"


@pytest.mark.parametrize("value", ["-3", "0"])
def test_demo_refuses_negative_counts(dsn, value):
    result = run("demo", "--dsn", dsn, "--epochs", value)
    assert result.exit_code == 2 and "Invalid value" in result.output


def test_a_lost_connection_is_said_plainly(conn, dsn):
    """The defect: after a server restart an idle connection failed with a misleading message,
    then 'connection already closed'. Simulated by ending the session's backend."""
    victim = tkpdb.connect(dsn)
    (pid,) = query(victim, "SELECT pg_backend_pid()")[0]
    assert query(conn, "SELECT pg_terminate_backend(%s)", (pid,)) == [(True,)]
    for call in (lambda: tkpdb.insert_dataset(victim, "after the restart"),
                 lambda: tkpdb.get_lightcurve(victim, 1),
                 lambda: tkpdb.insert_dataset(victim, "and again")):
        with pytest.raises(tkpdb.ConnectionLostError, match="server restarted or the session was"):
            call()
    from tkpdb.cli._common import describe_error
    line = describe_error(tkpdb.ConnectionLostError("the connection ... was lost"), dsn)
    assert line.startswith("the connection")


def small_survey(conn) -> int:
    dataset = tkpdb.insert_dataset(conn, "check")
    for step in range(3):
        observe(conn, image(conn, dataset, step),
                [source(123.0, 10.0), source(123.003, 10.0), source(123.5, 10.5 + 0.1 * step)])
    return dataset


def test_check_reports_a_healthy_dataset_and_exits_0(conn, dsn):
    dataset = small_survey(conn)
    result = run("check", "--dsn", dsn, str(dataset))
    assert result.exit_code == 0, result.output
    assert f"dataset {dataset}:" in result.output and "problem" not in result.output
    assert run("check", "--dsn", dsn).exit_code == 0
    one_line_error(run("check", "--dsn", dsn, "999"), "dataset 999 does not exist")


CORRUPTIONS = [
    ("UPDATE runningcatalog SET wm_ra = wm_ra + 0.001 WHERE id = (SELECT min(id) FROM runningcatalog)",
     "runcat position or weights"),
    ("UPDATE runningcatalog SET datapoints = datapoints + 1 WHERE id = (SELECT min(id) FROM runningcatalog)",
     "runcat datapoints"),
    ("UPDATE runningcatalog_flux SET avg_f_int = avg_f_int * 1.01 WHERE id = (SELECT min(id) FROM runningcatalog_flux)",
     "flux statistics"),
    ("UPDATE runningcatalog_flux SET f_datapoints = 9 WHERE id = (SELECT min(id) FROM runningcatalog_flux)",
     "flux statistics"),
    ("DELETE FROM assocskyrgn WHERE id = (SELECT min(id) FROM assocskyrgn)", "not linked to a sky region"),
    ("INSERT INTO assocskyrgn (runcat, skyrgn) SELECT min(id), (SELECT max(id) FROM skyregion) + 1 FROM runningcatalog",
     "dangling assocskyrgn.skyrgn"),
    ("DELETE FROM assocxtrsource WHERE id = (SELECT max(id) FROM assocxtrsource WHERE type = 3)",
     "in no lightcurve"),
    ("INSERT INTO extractedsource (image, ra, decl, ra_fit_err, decl_fit_err, ew_sys_err, ns_sys_err, "
     "error_radius, det_sigma, f_peak, f_peak_err, f_int, f_int_err) SELECT image, ra, decl, 0, 0, 1, 1, 1, "
     "1, 1, 1, 1, 1 FROM extractedsource WHERE id = (SELECT min(id) FROM extractedsource)",
     "same position"),
]


def test_check_finds_each_kind_of_corruption_and_changes_nothing(conn, dsn):
    """Each corruption in a transaction of its own, checked inside it and rolled back; the last
    one committed and found by the command line too (exit status 1)."""
    dataset = small_survey(conn)
    state = "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM runningcatalog t"
    for corruption, check in CORRUPTIONS:
        with conn.cursor() as cur:
            cur.execute(corruption)
            before = cur.execute(state) or cur.fetchall()
            cur.execute("SELECT check_name FROM check_catalogue(%s) WHERE problems > 0", (dataset,))
            broken = [name for (name,) in cur.fetchall()]
            assert any(check in name for name in broken), (check, broken)
            cur.execute(state)
            assert cur.fetchall() == before
        conn.rollback()
    assert [r for r in tkpdb.check_catalogue(conn, dataset) if r.problems] == []
    corruption, check = CORRUPTIONS[0]
    with conn.cursor() as cur:
        cur.execute(corruption)
    conn.commit()
    result = run("check", "--dsn", dsn, str(dataset))
    assert result.exit_code == 1 and check in result.output, result.output
    with conn.cursor() as cur:    # leave a database the teardown's integrity check accepts
        cur.execute("SELECT delete_dataset(%s)", (dataset,))
    conn.commit()
