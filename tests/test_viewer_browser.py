"""The viewer in a real headless browser (Debian's Chromium through Selenium).

Loads every page from a live server on the survey of tests/viewer_survey.py, follows clicks
from the eta-V plot and from the table to a lightcurve, checks that each plot was drawn with
as many points as the page's JSON twin says, and writes a screenshot of every page to
build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tkpdb.viewer import create_app

from .browser import browser_available, chromium, live_server

pytestmark = pytest.mark.skipif(not browser_available(),
                                reason="Chromium, chromedriver or Selenium missing "
                                       "(scripts/setup.sh installs them)")

SHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


@pytest.fixture(scope="module")
def site(reader_dsn):
    app = create_app(reader_dsn)
    with live_server(app) as base, chromium() as driver:
        yield base, driver
    app.state.pool.close()


def _open(driver, url: str, plot: str | None = None, timeout: float = 30.0) -> None:
    """Load ``url`` and wait until the plot ``plot`` (an element id) has been drawn."""
    driver.get(url)
    if plot is None:
        return
    deadline = time.monotonic() + timeout
    while not driver.find_elements("css selector", f"#{plot} .main-svg"):
        assert time.monotonic() < deadline, f"{plot} was not drawn on {url}"
        time.sleep(0.1)


def _points(driver, plot: str, trace: int | None = None) -> int:
    """Markers drawn by Plotly in the plot (of one scatter trace, or of all)."""
    if trace is None:
        return len(driver.find_elements("css selector", f"#{plot} .scatterlayer path.point"))
    traces = driver.find_elements("css selector", f"#{plot} .scatterlayer .trace")
    return len(traces[trace].find_elements("css selector", "path.point"))


def _shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def _json(driver, base: str, path: str) -> dict:
    """The JSON twin, fetched by the browser itself (same origin)."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.json()).then(done);", base + path)


def test_pages_plots_and_clicks(site, survey_db):
    from selenium.webdriver.common.action_chains import ActionChains

    base, driver = site
    survey = survey_db[1]
    driver.set_script_timeout(30)

    _open(driver, base + "/")
    _shot(driver, "datasets")
    driver.find_element("link text", str(survey.dataset)).click()
    assert driver.current_url.endswith(f"/datasets/{survey.dataset}")
    dataset = _json(driver, base, f"/api/datasets/{survey.dataset}")
    _open(driver, driver.current_url, "sky-plot")
    assert _points(driver, "sky-plot", 0) == dataset["sky"]["total"] == len(dataset["sky"]["points"])
    stats = _json(driver, base, dataset["statistics_url"])
    deadline = time.monotonic() + 20
    while not driver.find_elements("css selector", "[data-stat='lightcurves'].loaded"):
        assert time.monotonic() < deadline, "statistics not filled in"
        time.sleep(0.1)
    cell = driver.find_element("css selector", "td[data-stat='measurements_made']")
    assert cell.text == str(stats["measurements_made"])
    _shot(driver, "dataset")

    # candidates: the eta-V plane has one marker per plotted lightcurve; click the loudest one
    url = f"/datasets/{survey.dataset}/candidates"
    _open(driver, base + url, "eta-v-plot")
    plot = _json(driver, base, "/api" + url)["plot"]
    assert plot["mode"] == "points"
    markers = driver.find_elements("css selector", "#eta-v-plot .scatterlayer .trace path.point")
    assert len(markers) == plot["total"] == len(plot["points"]) > 100
    _shot(driver, "candidates")
    loudest = max(range(len(plot["points"])), key=lambda k: plot["points"][k]["eta_int"])
    ActionChains(driver).move_to_element(markers[loudest]).pause(0.3).click().perform()
    runcat = plot["points"][loudest]["runcat"]
    deadline = time.monotonic() + 20
    while not driver.current_url.endswith(f"/lightcurves/{runcat}"):
        assert time.monotonic() < deadline, f"click did not open lightcurve {runcat}"
        time.sleep(0.1)

    # lightcurve: a marker per measurement with a flux and per upper limit; heritage drawn
    _open(driver, driver.current_url, "lightcurve-plot")
    lc = _json(driver, base, f"/api/lightcurves/{runcat}")
    expected = (sum(p["f_int"] is not None for p in lc["measurements"]) +
                sum(u["limit"] is not None for u in lc["upper_limits"]))
    assert _points(driver, "lightcurve-plot") == expected > 0
    deadline = time.monotonic() + 20
    while not driver.find_elements("css selector", "#heritage svg"):
        assert time.monotonic() < deadline, "heritage graph not drawn"
        time.sleep(0.1)
    boxes = driver.find_elements("css selector", "#heritage svg a[*|href*='/lightcurves/']")
    assert len(boxes) == len(lc["heritage"]["lightcurves"])
    _shot(driver, "lightcurve")

    # the table: follow a transient candidate's link to its lightcurve, with its upper limits
    _open(driver, base + url + "?newsource=any", "eta-v-plot")
    link = driver.find_element("css selector", "table.lightcurves a.lightcurve-link")
    target = link.text
    link.click()
    assert driver.current_url.endswith(f"/lightcurves/{target}")
    _open(driver, driver.current_url, "lightcurve-plot")
    transient = _json(driver, base, f"/api/lightcurves/{target}")
    assert transient["upper_limits"]
    assert _points(driver, "lightcurve-plot") == (len(transient["measurements"]) +
                                                  len(transient["upper_limits"]))
    _shot(driver, "transient")

    # an image page: its detections on the sky
    image = transient["measurements"][0]["image"]
    driver.find_element("link text", str(image)).click()
    _open(driver, driver.current_url, "sky-plot")
    detections = _json(driver, base, f"/api/images/{image}")
    assert _points(driver, "sky-plot", 0) == detections["sky"]["total"] > 100
    _shot(driver, "image")

    _open(driver, base + "/api")
    assert "CandidatesPage" in driver.page_source
    _shot(driver, "api")
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
