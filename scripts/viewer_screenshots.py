"""Screenshots of the viewer for the README: the candidates page and a lightcurve page.

    .venv/bin/python scripts/viewer_screenshots.py --dsn DSN --dataset ID [--runcat RUNCAT]

Serves the viewer on DSN (development mode allowed: it only reads), opens the pages in
headless Chromium (tests/browser.py) and writes docs/viewer-candidates.png and
docs/viewer-lightcurve.png. Without --runcat the lightcurve shown is the dataset's most
significant transient candidate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import chromium, live_server  # noqa: E402
from tkpdb.viewer import create_app  # noqa: E402


def _wait(driver, css: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not driver.find_elements("css selector", css):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{css} did not appear")
        time.sleep(0.1)
    time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--dataset", type=int, required=True)
    parser.add_argument("--runcat", type=int)
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    app = create_app(args.dsn, allow_writer=True)
    out = Path(args.out)
    with live_server(app) as base, chromium(1280, 1250) as driver:
        driver.get(f"{base}/datasets/{args.dataset}/candidates?per_page=20")
        _wait(driver, "#eta-v-plot .main-svg")
        driver.save_screenshot(str(out / "viewer-candidates.png"))
        runcat = args.runcat
        if runcat is None:
            with app.state.pool.reader() as r:
                runcat = r.value("""
                    SELECT runcat FROM viewer_lightcurves(%s, p_newsource => 'any')
                    ORDER BY sigma_rms_max DESC NULLS LAST LIMIT 1""", (args.dataset,))
        driver.get(f"{base}/lightcurves/{runcat}")
        _wait(driver, "#heritage svg")
        driver.save_screenshot(str(out / "viewer-lightcurve.png"))
    app.state.pool.close()
    print(f"wrote {out}/viewer-candidates.png and {out}/viewer-lightcurve.png (lightcurve {runcat})")


if __name__ == "__main__":
    main()
