"""The viewer's JSON endpoints, cone search and safety, against a small associated survey.

Each JSON twin is checked against what the public API (or a brute-force evaluation in Python
of the same rows) says about the survey of tests/viewer_survey.py.
"""

from __future__ import annotations

import io
import logging
import math
import warnings

import numpy as np
import psycopg2
import pytest
from click.testing import CliRunner

import tkpdb
from tkpdb.cli import main as cli_main
from tkpdb.viewer import WritableRoleError, create_app, write_privileges
from tkpdb.viewer.queries import Settings

from .viewer_db import drop_login, make_login
from .viewer_survey import BANDS

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


def _client(dsn: str, **kwargs) -> TestClient:
    return TestClient(create_app(dsn, **kwargs))


@pytest.fixture(scope="module")
def client(reader_dsn):
    c = _client(reader_dsn)
    yield c
    c.app.state.pool.close()


@pytest.fixture(scope="module")
def survey(survey_db):
    return survey_db[1]


@pytest.fixture(scope="module")
def db(survey_db):
    conn = tkpdb.connect(survey_db[0])
    yield conn
    conn.close()


def _near(db, dataset: int, position: tuple[float, float], radius_arcsec: float = 10.0) -> list[int]:
    """Runcats of the dataset within ``radius_arcsec`` of ``position`` (by brute force)."""
    with db.cursor() as cur:
        cur.execute("SELECT id, wm_ra, wm_decl FROM runningcatalog WHERE dataset = %s", (dataset,))
        rows = cur.fetchall()
    db.rollback()
    return [r for r, ra, decl in rows if _sep(ra, decl, *position) * 3600 < radius_arcsec]


def _sep(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    """Angular separation (deg)."""
    a1, d1, a2, d2 = map(math.radians, (ra1, dec1, ra2, dec2))
    c = math.sin(d1) * math.sin(d2) + math.cos(d1) * math.cos(d2) * math.cos(a1 - a2)
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))


def _all_rows(client, dataset: int, **params) -> list[dict]:
    data = client.get(f"/api/datasets/{dataset}/candidates",
                      params={"per_page": 500, **params}).json()
    assert data["page"]["total"] == len(data["rows"])
    return data["rows"]


# --- datasets ---------------------------------------------------------------------------------

def test_dataset_list_and_page_match_the_api(client, survey, db):
    listed = client.get("/api/datasets").json()["datasets"]
    assert [(d["id"], d["images"]) for d in listed] == [(survey.dataset, len(survey.images))]
    data = client.get(f"/api/datasets/{survey.dataset}", params={"per_page": 5}).json()
    stats = client.get(data["statistics_url"]).json()
    assert stats == tkpdb.dataset_stats(db, survey.dataset)._asdict()
    assert [b["freq_central"] for b in data["bands"]] == list(BANDS)
    assert [b["images"] for b in data["bands"]] == [survey.steps, survey.steps]
    assert [r["images"] for r in data["skyregions"]] == [len(survey.images)]
    assert [i["id"] for i in data["images"]] == survey.images[:5]   # time, then frequency order
    assert data["images_page"] == {"page": 1, "per_page": 5, "total": 12, "pages": 3}
    third = client.get(f"/api/datasets/{survey.dataset}", params={"per_page": 5, "page": 3}).json()
    assert [i["id"] for i in third["images"]] == survey.images[10:]
    assert data["sky"]["mode"] == "points"
    assert data["sky"]["total"] == stats["lightcurves"]
    transient = _near(db, survey.dataset, survey.positions["transient"])
    assert [r["runcat"] for r in data["transient_candidates"]] == transient
    assert all(i["association"]["new_sources"] >= 0 for i in data["images"])


def test_statistics_are_recomputed_when_the_database_changes(survey_db, reader_dsn):
    """The cached statistics follow the database: one more measurement is counted at once."""
    c = _client(reader_dsn)
    try:
        first = c.get(f"/api/datasets/{survey_db[1].dataset}/statistics").json()
        assert c.get(f"/api/datasets/{survey_db[1].dataset}/statistics").json() == first
        writer = tkpdb.connect(survey_db[0])
        try:
            with writer.cursor() as cur:   # one more measurement and link, rolled back after
                cur.execute("""SELECT id, image FROM extractedsource WHERE extract_type = 0
                               ORDER BY id LIMIT 1""")
                xtrsrc, image = cur.fetchone()
                cur.execute("""INSERT INTO extractedsource (image, ra, decl, ra_fit_err,
                                   decl_fit_err, ew_sys_err, ns_sys_err, error_radius, det_sigma,
                                   f_peak, f_peak_err, f_int, f_int_err, extract_type)
                               SELECT image, ra, decl, ra_fit_err, decl_fit_err, ew_sys_err,
                                      ns_sys_err, error_radius, det_sigma, f_peak, f_peak_err,
                                      f_int, f_int_err, 0 FROM extractedsource WHERE id = %s""",
                            (xtrsrc,))
            writer.commit()
            second = c.get(f"/api/datasets/{survey_db[1].dataset}/statistics").json()
            assert second["measurements_made"] == first["measurements_made"] + 1
        finally:
            with writer.cursor() as cur:
                cur.execute("DELETE FROM extractedsource WHERE id = (SELECT max(id) FROM extractedsource)")
            writer.commit()
            writer.close()
    finally:
        c.app.state.pool.close()


def test_unknown_objects_are_404(client):
    assert client.get("/api/datasets/999/statistics").status_code == 404
    assert client.get("/api/datasets/999").status_code == 404
    assert client.get("/api/lightcurves/999999").status_code == 404
    assert client.get("/api/images/999999").status_code == 404
    page = client.get("/lightcurves/999999")
    assert page.status_code == 404 and "does not exist" in page.text


# --- candidates -------------------------------------------------------------------------------

def test_candidates_default_order_and_pagination(client, survey):
    rows = _all_rows(client, survey.dataset)
    etas = [r["eta_int"] for r in rows]
    assert etas == sorted(etas, reverse=True)
    pages = [client.get(f"/api/datasets/{survey.dataset}/candidates",
                        params={"per_page": 40, "page": k}).json() for k in (1, 2, 3, 4)]
    assert pages[0]["page"]["pages"] == math.ceil(len(rows) / 40)
    assert [r["runcat"] for p in pages for r in p["rows"]] == [r["runcat"] for r in rows]
    by_ra = _all_rows(client, survey.dataset, sort="wm_ra", order="asc")
    assert [r["wm_ra"] for r in by_ra] == sorted(r["wm_ra"] for r in rows)


def test_candidate_filters_select_what_python_selects(client, survey):
    rows = _all_rows(client, survey.dataset)
    checks = [
        ({"eta_min": 100}, lambda r: r["eta_int"] >= 100),
        ({"eta_min": 1, "eta_max": 50, "v_min": 0.01}, lambda r: 1 <= r["eta_int"] <= 50
         and r["v_int"] is not None and r["v_int"] >= 0.01),
        ({"v_max": 0.002}, lambda r: r["v_int"] is not None and r["v_int"] <= 0.002),
        ({"flux_min": 0.05, "flux_max": 0.2}, lambda r: 0.05 <= r["avg_f_int"] <= 0.2),
        ({"min_datapoints": 6}, lambda r: r["f_datapoints"] >= 6),
    ]
    for params, keep in checks:
        expected = sorted(r["runcat"] for r in rows if keep(r))
        got = sorted(r["runcat"] for r in _all_rows(client, survey.dataset, **params))
        assert got == expected and 0 < len(got) < len(rows), params


def test_candidate_filters_find_the_placed_sources(client, survey, db):
    ds, pos = survey.dataset, survey.positions
    [variable] = _near(db, ds, pos["variable"])
    children = _near(db, ds, pos["pair_blend"], 20.0)
    assert len(children) == 2   # the pair forked
    loud = {r["runcat"] for r in _all_rows(client, ds, eta_min=1000)}
    assert {variable, *children} <= loud
    transient = _near(db, ds, pos["transient"])
    assert [r["runcat"] for r in _all_rows(client, ds, newsource="any")] == transient
    assert [r["runcat"] for r in _all_rows(client, ds, newsource="1")] == transient
    assert _all_rows(client, ds, newsource="0") == []
    ra, decl = pos["variable"]
    assert [r["runcat"] for r in _all_rows(client, ds, ra=ra, decl=decl, radius=0.01)] == [variable]
    everything = _all_rows(client, ds)
    inside = sorted(r["runcat"] for r in everything if _sep(r["wm_ra"], r["wm_decl"], ra, decl) <= 0.5)
    cone = sorted(r["runcat"] for r in _all_rows(client, ds, ra=ra, decl=decl, radius=0.5))
    assert cone == inside and 1 < len(cone) < len(everything)


def test_band_filter_gives_that_bands_v_and_eta(client, survey, db):
    ds = survey.dataset
    bands = client.get(f"/api/datasets/{ds}").json()["bands"]
    [variable] = _near(db, ds, survey.positions["variable"])
    lc = client.get(f"/api/lightcurves/{variable}").json()
    for band in bands:
        [row] = [r for r in _all_rows(client, ds, band=band["id"]) if r["runcat"] == variable]
        [metric] = [m for m in lc["metrics"] if m["band"] == band["id"]]
        assert row["band"] == band["id"] and row["f_datapoints"] == metric["measurements"]
        assert row["v_int"] == pytest.approx(metric["v_int"], rel=1e-9)
        assert row["eta_int"] == pytest.approx(metric["eta_int"], rel=1e-9)


def test_eta_v_plane_points_and_server_side_bins(client, survey, reader_dsn):
    ds = survey.dataset
    data = client.get(f"/api/datasets/{ds}/candidates", params={"per_page": 5}).json()
    rows = _all_rows(client, ds)
    positive = {r["runcat"] for r in rows if (r["eta_int"] or 0) > 0 and (r["v_int"] or 0) > 0}
    assert data["plot"]["mode"] == "points"
    assert {p["runcat"] for p in data["plot"]["points"]} == positive
    assert data["plot"]["not_plotted"] == len(rows) - len(positive)
    small = _client(reader_dsn, settings=Settings(point_limit=20, bins=10))
    try:
        binned = small.get(f"/api/datasets/{ds}/candidates").json()["plot"]
        sky = small.get(f"/api/datasets/{ds}").json()["sky"]
    finally:
        small.app.state.pool.close()
    assert binned["mode"] == "bins" and binned["points"] == []
    assert sum(b["n"] for b in binned["bins"]) == len(positive) == binned["total"]
    logs = [(math.log10(r["eta_int"]), math.log10(r["v_int"])) for r in rows
            if r["runcat"] in positive]
    assert min(b["x_lo"] for b in binned["bins"]) == pytest.approx(min(x for x, _ in logs))
    assert max(b["y_hi"] for b in binned["bins"]) == pytest.approx(max(y for _, y in logs))
    assert len(binned["bins"]) <= 100
    assert sky["mode"] == "bins" and sum(b["n"] for b in sky["bins"]) == len(rows)


def test_bad_parameters_never_reach_sql(client, survey):
    ds = survey.dataset
    url = f"/api/datasets/{ds}/candidates"
    assert client.get(url, params={"sort": "eta_int; DROP TABLE image"}).status_code == 422
    assert client.get(url, params={"band": "1 OR 1=1"}).status_code == 422
    assert client.get(url, params={"radius": 20, "ra": 1, "decl": 1}).status_code == 422
    assert client.get(url, params={"per_page": 100000}).status_code == 422
    assert client.get(url, params={"ra": 10}).status_code == 400   # a cone needs all three
    page = client.get(f"/datasets/{ds}/candidates", params={"newsource": "2"})
    assert page.status_code == 422 and "newsource" in page.text
    assert client.get(f"/datasets/{ds}/candidates",
                      params={"band": "", "eta_min": "", "newsource": ""}).status_code == 200


# --- lightcurve and image ---------------------------------------------------------------------

def test_lightcurve_of_a_transient_has_its_upper_limits(client, survey, db):
    [transient] = _near(db, survey.dataset, survey.positions["transient"])
    data = client.get(f"/api/lightcurves/{transient}").json()
    points = tkpdb.get_lightcurve(db, transient)
    assert [p["xtrsrc"] for p in data["measurements"]] == [p.xtrsrc for p in points]
    assert data["runcat"]["newsource_type"] == 1
    before = survey.images[: survey.steps // 2 * 2]     # both bands of the first half
    assert [u["image"] for u in data["upper_limits"]] == before
    assert all(u["limit"] == pytest.approx(u["detection_thresh"] * u["rms_max"])
               for u in data["upper_limits"])
    assert {m["band"] for m in data["metrics"]} == {p.band for p in points}


def test_lightcurve_marks_forced_and_monitoring_fits(client, survey, db):
    [fading] = _near(db, survey.dataset, survey.positions["fading"])
    data = client.get(f"/api/lightcurves/{fading}").json()
    kinds = [p["extract_type"] for p in data["measurements"]]
    assert kinds.count(0) == 6 and kinds.count(1) == 3     # three forced fits, then expired
    measured = {p["image"] for p in data["measurements"]}
    assert [u["image"] for u in data["upper_limits"]] == [i for i in survey.images if i not in measured]
    [monitored] = [r for r in _near(db, survey.dataset, survey.positions["monitored"], 1.0)]
    mon = client.get(f"/api/lightcurves/{monitored}").json()
    assert mon["runcat"]["mon_src"] is True
    assert [p["assoc_type"] for p in mon["measurements"]] == [8] + [9] * (len(survey.images) - 1)
    assert mon["upper_limits"] == []


def test_heritage_links_the_forked_pair(client, survey, db):
    a, b = _near(db, survey.dataset, survey.positions["pair_blend"], 20.0)
    data = client.get(f"/api/lightcurves/{a}").json()
    assert data["heritage"]["lightcurves"] == sorted([a, b])
    assert data["heritage"]["rendered"]
    svg = client.get(data["heritage"]["svg_url"])
    assert svg.headers["content-type"] == "image/svg+xml" and "<svg" in svg.text
    assert f'href="/lightcurves/{b}"' in svg.text
    assert f"L_{b}" in data["heritage"]["dot"]


def test_image_page_counts_what_association_did(client, survey, db):
    image = survey.images[4]    # third timestep: the pair forks
    data = client.get(f"/api/images/{image}", params={"per_page": 10}).json()
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM extractedsource WHERE image = %s", (image,))
        (n,) = cur.fetchone()
        cur.execute("SELECT one_to_many, new_sources FROM association_log WHERE image = %s", (image,))
        forks, new = cur.fetchone()
    db.rollback()
    assert data["association"]["one_to_many"] == forks == 1
    assert data["association"]["new_sources"] == new
    assert data["detections_page"]["total"] == n == data["sky"]["total"]
    fluxes = [d["f_int"] for d in data["detections"]]
    assert len(fluxes) == 10 and fluxes == sorted(fluxes, reverse=True)
    outcome = {(o["extract_type"], o["assoc_type"]): o["n"] for o in data["outcome"]}
    assert outcome[(0, 2)] == 2 and outcome[(0, 3)] > 0 and (2, 9) in outcome
    assert all(d["runcats"] for d in data["detections"])


def test_every_page_renders_html(client, survey, db):
    [variable] = _near(db, survey.dataset, survey.positions["variable"])
    for url in ("/", f"/datasets/{survey.dataset}", f"/datasets/{survey.dataset}/candidates",
                f"/lightcurves/{variable}", f"/images/{survey.images[0]}", "/api"):
        page = client.get(url)
        assert page.status_code == 200 and 'id="page-data"' in page.text or url == "/api", url
        assert "/static/vendor/plotly.min.js" in page.text or url in ("/", "/api")
        assert "https://" not in page.text.replace("https://www.", ""), url   # nothing remote
    js = client.get("/static/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    docs = client.get("/api").text
    assert "CandidatesPage" in docs and "/api/datasets/{dataset}/candidates" in docs
    spec = client.get("/openapi.json").json()
    assert "LightcurvePage" in spec["components"]["schemas"]


# --- cone search ------------------------------------------------------------------------------

def _votable(client, dataset, **params):
    from astropy.io.votable import parse

    response = client.get(f"/scs/{dataset}", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    return parse(io.BytesIO(response.content))


def _error(votable) -> str | None:
    errors = [i.value for i in votable.infos if i.name == "Error"]
    assert len(errors) <= 1
    return errors[0] if errors else None


def test_cone_search_votable(client, survey, db):
    ra, dec = survey.positions["variable"]
    votable = _votable(client, survey.dataset, RA=ra, DEC=dec, SR=0.3)
    assert _error(votable) is None
    [resource] = votable.resources
    assert resource.type == "results"
    assert [i.value for i in resource.infos if i.name == "QUERY_STATUS"] == ["OK"]
    table = resource.tables[0]
    ucds = [f.ucd for f in table.fields]
    for ucd in ("meta.id;meta.main", "pos.eq.ra;meta.main", "pos.eq.dec;meta.main"):
        assert ucds.count(ucd) == 1
    fields = {f.name: f for f in table.fields}
    assert fields["runcat"].datatype == "char"
    assert str(fields["ra"].unit) == "deg" and fields["ra"].datatype == "double"
    flux_columns = [f for f in table.fields if f.name.startswith("f_int_")]
    assert len(flux_columns) == 2 and all(str(f.unit) == "Jy" for f in flux_columns)
    t = table.to_table()
    expected = {r for r in _near(db, survey.dataset, (ra, dec), 0.3 * 3600)}
    assert {int(x) for x in t["runcat"]} == expected
    assert list(t["distance"]) == sorted(t["distance"])
    [variable] = _near(db, survey.dataset, (ra, dec))
    row = t[[int(x) == variable for x in t["runcat"]]][0]
    rows = {r["runcat"]: r for r in _all_rows(client, survey.dataset, band=int(_band_of(flux_columns[0])))}
    assert row[flux_columns[0].name] == pytest.approx(rows[variable]["avg_f_int"])
    assert row["datapoints"] == rows[variable]["datapoints"]


def _band_of(field) -> str:
    return field.description.split("(band ")[1].split(")")[0]


def test_cone_search_metadata_overflow_and_case(client, survey):
    ra, dec = survey.positions["variable"]
    empty = _votable(client, survey.dataset, RA=ra, DEC=dec, SR=0)
    assert _error(empty) is None and len(empty.resources[0].tables[0].array) == 0
    assert len(empty.resources[0].tables[0].fields) > 9
    capped = _votable(client, survey.dataset, ra=ra, dec=dec, sr=1.0, maxrec=3)
    assert _error(capped) is None
    assert len(capped.resources[0].tables[0].array) == 3
    assert [i.value for i in capped.resources[0].infos if i.name == "QUERY_STATUS"] == ["OVERFLOW"]


@pytest.mark.parametrize("params, message", [
    ({"DEC": 45, "SR": 0.1}, "RA is required"),
    ({"RA": "abc", "DEC": 45, "SR": 0.1}, "not a number"),
    ({"RA": 10, "DEC": 91, "SR": 0.1}, "outside"),
    ({"RA": 10, "DEC": 45, "SR": 30}, "outside"),
    ({"RA": 10, "DEC": 45, "SR": "nan"}, "outside"),
    ({"RA": 10, "DEC": 45, "SR": 0.1, "MAXREC": "-1"}, "MAXREC"),
])
def test_cone_search_errors(client, survey, params, message):
    votable = _votable(client, survey.dataset, **params)
    assert message in _error(votable)
    assert [i.value for i in votable.resources[0].infos if i.name == "QUERY_STATUS"] == ["ERROR"]


def test_cone_search_unknown_dataset(client):
    assert "does not exist" in _error(_votable(client, 999, RA=1, DEC=1, SR=0.1))
    assert "not a dataset id" in _error(_votable(client, "x'; --", RA=1, DEC=1, SR=0.1))


# --- safety -----------------------------------------------------------------------------------

def test_the_reader_role_is_accepted_and_cannot_write(reader_dsn):
    conn = psycopg2.connect(reader_dsn)
    assert write_privileges(conn) == []
    conn.close()
    app = create_app(reader_dsn)
    try:
        with app.state.pool.reader() as r, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            r.value("SELECT dataset_lock(1)")
        with app.state.pool.reader() as r, pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            r.value("INSERT INTO dataset (description) VALUES ('no') RETURNING id")
    finally:
        app.state.pool.close()


def test_a_superuser_is_refused_or_warned_about(survey_db, caplog):
    with pytest.raises(WritableRoleError, match="SUPERUSER"):
        create_app(survey_db[0])
    with caplog.at_level(logging.WARNING, logger="tkpdb.viewer"):
        app = create_app(survey_db[0], allow_writer=True)
    try:
        assert "DEVELOPMENT MODE" in caplog.text
        with app.state.pool.reader() as r, pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            r.value("INSERT INTO dataset (description) VALUES ('no') RETURNING id")
    finally:
        app.state.pool.close()
    result = CliRunner().invoke(cli_main, ["serve", "--dsn", survey_db[0]])
    assert result.exit_code != 0 and "read-only role" in result.output


def test_write_privileges_are_found_by_privilege_not_name(postgresql_noproc, dsn):
    """A role granted tkpdb_reader that may also INSERT into one table, or EXECUTE an
    association function, can write: the viewer refuses it, whatever its name."""
    p = postgresql_noproc
    dbname = dsn.split("dbname=")[1].split()[0]
    inserter = make_login(p, dbname, "reader_insert", [
        "GRANT tkpdb_reader TO {role}", "GRANT INSERT ON image TO {role}"])
    executor = make_login(p, dbname, "reader_exec", [
        "GRANT tkpdb_reader TO {role}",
        "GRANT EXECUTE ON FUNCTION associate_image(integer, double precision, double precision,"
        " double precision, text, text) TO {role}"])
    try:
        with pytest.raises(WritableRoleError, match="INSERT on table image"):
            create_app(inserter)
        with pytest.raises(WritableRoleError, match=r"EXECUTE on function associate_image"):
            create_app(executor)
        conn = psycopg2.connect(executor)
        objects = {obj for _, priv, obj in write_privileges(conn) if priv == "EXECUTE"}
        conn.close()
        assert any(o.startswith("function associate_image(") for o in objects)
        assert not any(o.startswith(("function viewer_", "function get_lightcurve",
                                     "function lightcurve_")) for o in objects)
    finally:
        drop_login(p, inserter, [dbname])
        drop_login(p, executor, [dbname])


def test_survey_positions_are_distinct(survey):
    """Guard of the fixture: the placed sources are far apart (the tests find them by cone)."""
    names = [n for n in survey.positions if not n.startswith("pair_")]
    pts = np.array([survey.positions[n] for n in names])
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            assert _sep(*pts[i], *pts[j]) > 0.1


# --- access paths -----------------------------------------------------------------------------

LARGE = ("extractedsource", "assocxtrsource", "runningcatalog", "runningcatalog_flux", "varmetric")


def _whole_table_reads(db, query: str, params: tuple) -> set[str]:
    """Large tables the plan reads sequentially other than once per outer row.

    A sequential scan on the inner side of a nested loop runs per outer row with the outer
    row's key as its filter (the planner's choice for a tiny table, as cheap as an index
    probe there); anywhere else (under a hash, or as the outer side) it reads the table.
    """
    with db.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + query, params)
        plan = cur.fetchone()[0][0]["Plan"]
    db.rollback()
    found = set()

    def walk(node: dict, per_row: bool) -> None:
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in LARGE and not per_row:
            found.add(node["Relation Name"])
        for child in node.get("Plans", []):
            inner = node["Node Type"] == "Nested Loop" and child.get("Parent Relationship") == "Inner"
            walk(child, per_row or inner)

    walk(plan, False)
    return found


def test_per_object_queries_probe_by_index(survey, db):
    """However small the tables (the planner would happily scan them), the queries of one
    lightcurve or image reach the large tables by key only; so does a cone."""
    a, _ = _near(db, survey.dataset, survey.positions["pair_blend"], 20.0)
    ra, decl = survey.positions["variable"]
    image = survey.images[0]
    for query, params in [
        ("SELECT * FROM lightcurve_heritage_points(%s)", (a,)),
        ("SELECT * FROM lightcurve WHERE runcat = %s", (a,)),
        ("SELECT * FROM viewer_upper_limits(%s)", (a,)),
        ("SELECT * FROM viewer_image_outcome(%s)", (image,)),
        ("SELECT * FROM viewer_image_detections(%s, 50, 0)", (image,)),
        ("SELECT * FROM viewer_scs(%s, %s, %s, 0.5, 1000)", (survey.dataset, ra, decl)),
        ("SELECT * FROM viewer_lightcurves(%s, p_ra => %s, p_decl => %s, p_radius => 0.5)",
         (survey.dataset, ra, decl)),
        ("SELECT * FROM viewer_lightcurves(%s) ORDER BY eta_int DESC LIMIT 50", (survey.dataset,)),
        ("SELECT * FROM viewer_candidates(%s, NULL, 1::smallint, NULL, NULL, NULL, NULL, NULL, "
         "NULL, NULL, NULL, NULL, NULL, NULL, 'v_int', false, 50, 0, 10, 5)", (survey.dataset,)),
        ("SELECT * FROM viewer_sky(%s, 10, 5)", (survey.dataset,)),
    ]:
        assert _whole_table_reads(db, query, params) == set(), query
