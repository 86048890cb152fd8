"""Manifest runs: metadata from FITS headers, clear errors before anything is written, the
survey end to end with forced fits from pixels, and resuming after a killed process without
counting anything twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psycopg2
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from click.testing import CliRunner

import tkpdb
from tkpdb.cli import main

SMALL = tkpdb.SurveySpec(seed=3, epochs=3, steady=30, variables=2, transients=1, pairs=1, npix=128)


def _fits(path: Path, **extra) -> Path:
    w = WCS(naxis=4)
    w.wcs.ctype = ["RA---SIN", "DEC--SIN", "FREQ", "STOKES"]
    w.wcs.crval = [359.9, -89.0, 1.4e9, 1]
    w.wcs.crpix = [50.5, 40.5, 1, 1]
    w.wcs.cdelt = [-3 / 3600, 3 / 3600, 2.88e8, 1]
    header = w.to_header()
    header.update({"BMAJ": 0.01, "BMIN": 0.008, "BPA": 12.0, "DATE-OBS": "2026-03-01T10:00:00.5",
                   "TIMESYS": "UTC", "DURATION": 720.0, "BUNIT": "JY/BEAM", **extra})
    fits.writeto(path, np.zeros((1, 1, 80, 100), np.float32), header, overwrite=True)
    return path


def test_metadata_comes_from_the_fits_header_and_the_noise_map(tmp_path):
    image = _fits(tmp_path / "img.fits")
    noise = tmp_path / "noise.fits"
    data = np.full((80, 100), 2e-3, np.float32)
    data[40, 50] = 1e-3
    data[0, 0] = 1.0                                  # a corner: outside the extraction circle
    fits.writeto(noise, data, fits.getheader(image))
    meta = tkpdb.header_metadata(image, noise)
    assert meta["taustart_ts"] == dt.datetime(2026, 3, 1, 10, 0, 0, 500000)
    assert meta["tau_time"] == 720.0
    assert meta["freq_eff"] == 1.4e9 and meta["freq_bw"] == 2.88e8
    assert (meta["rb_smaj"], meta["rb_smin"], meta["rb_pa"]) == (0.005, 0.004, 12.0)
    centre = WCS(fits.getheader(image)).celestial.pixel_to_world_values(49.5, 39.5)
    assert meta["centre_ra"] == pytest.approx(float(centre[0]) % 360)
    assert meta["centre_decl"] == pytest.approx(float(centre[1]))
    assert meta["xtr_radius"] == pytest.approx(40 * 3 / 3600)
    assert (meta["rms_min"], meta["rms_max"]) == pytest.approx((1e-3, 2e-3))


def test_a_missing_key_names_the_image_and_the_key_and_the_manifest_overrides(tmp_path):
    image = _fits(tmp_path / "img.fits")
    with fits.open(image, mode="update") as hdul:
        del hdul[0].header["BMAJ"]
    (tmp_path / "cat.csv").write_text((Path(__file__).parent / "data/finders/tkpdb.csv").read_text())
    manifest = tmp_path / "m.toml"
    manifest.write_text('[dataset]\ndescription = "x"\n[[image]]\ncatalogue = "cat.csv"\n'
                        'format = "tkpdb"\nfits = "img.fits"\n')
    with pytest.raises(tkpdb.ManifestError, match=r"\(cat.csv\): missing rb_smaj, rb_smin, rb_pa, "
                       r"rms_min, rms_max, detection_thresh \(the FITS header"):
        tkpdb.load_manifest(manifest)
    manifest.write_text(manifest.read_text() + "rb_smaj = 0.004\nrb_smin = 0.003\nrb_pa = 0.0\n"
                        "rms_min = 1e-3\nrms_max = 2e-3\ndetection_thresh = 5\nfreq_eff = 1.5e9\n")
    image_spec = tkpdb.load_manifest(manifest).images[0]
    assert image_spec.metadata["freq_eff"] == 1.5e9 and image_spec.metadata["rb_smaj"] == 0.004


def _survey(tmp_path: Path, description: str) -> tuple[Path, tkpdb.Survey]:
    survey = tkpdb.simulate_survey(SMALL)
    manifest = tkpdb.write_survey(survey, tmp_path, description=description,
                                  association={"beamwidths_limit": 3.0, "ew_sys_err": 3.0,
                                               "ns_sys_err": 3.0},
                                  monitor=[{"ra": float(survey.ra[0]), "decl": float(survey.decl[0]),
                                            "name": "target"}])
    return manifest, survey


def _rows(dsn: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg2.connect(dsn) as c, c.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_a_run_killed_mid_image_resumes_without_counting_twice(dsn, conn, tmp_path):
    manifest, survey = _survey(tmp_path, "killed run")
    total = len(survey.images)
    code = "import sys; from tkpdb.cli import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-c", code, "run", str(manifest), "--dsn", dsn, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    blocker = psycopg2.connect(dsn)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with blocker.cursor() as cur:
                cur.execute("SELECT to_regclass('image_input') IS NOT NULL AND "
                            "(SELECT count(*) FROM image_input) >= 2")
                ready = cur.fetchone()[0]
            blocker.rollback()
            if ready or proc.poll() is not None:
                break
            time.sleep(0.005)
        assert proc.poll() is None, proc.communicate()
        # hold the runner in the middle of its next image (loaded and associated, not committed)
        with blocker.cursor() as cur:
            cur.execute("LOCK TABLE image_input IN EXCLUSIVE MODE")
            for _ in range(2000):
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            "AND datname = current_database() AND pid <> pg_backend_pid()")
                if cur.fetchone()[0]:
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the runner never reached its next image")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        blocker.commit()
    finally:
        blocker.close()
    (done,) = _rows(dsn, "SELECT count(*) FROM image_input")[0]
    assert 2 <= done < total
    result = CliRunner().invoke(main, ["run", str(manifest), "--dsn", dsn, "--json"])
    assert result.exit_code == 0, result.output
    import json
    summary = json.loads(result.output)
    assert summary["images_skipped"] == done and summary["images_associated"] == total - done

    # nothing counted twice: every catalogue row is one blind extraction, every image once
    ids = tkpdb.catalogue_extractions(conn, summary["dataset"])
    assert {name: len(xs) for name, xs in ids.items()} == {
        f"{im.name}.selavy.components.txt": len(im.truth) for im in survey.images}
    assert _rows(dsn, "SELECT count(*) FROM image")[0][0] == total
    assert _rows(dsn, "SELECT count(*) FROM extractedsource x WHERE NOT EXISTS "
                      "(SELECT FROM assocxtrsource a WHERE a.xtrsrc = x.id)")[0][0] == 0

    # and the result is that of an uninterrupted run
    other = tmp_path / "again"
    clean, _ = _survey(other, "uninterrupted run")
    again = tkpdb.run_manifest(conn, clean)
    assert again.images_associated == total
    a, b = tkpdb.dataset_stats(conn, summary["dataset"]), tkpdb.dataset_stats(conn, again.dataset)
    assert a == b
    from tkpdb.survey import _separation
    covering = sum(_separation(im.centre[0], im.centre[1], survey.ra[0], survey.decl[0])
                   < survey.xtr_radius for im in survey.images)
    assert again.forced_fits_nd > 0 and again.forced_fits_ms == covering > 0

    # a re-run does nothing; a changed catalogue is an error, not a second association
    assert tkpdb.run_manifest(conn, clean).images_skipped == total
    first = clean.parent / f"{survey.images[0].name}.selavy.components.txt"
    first.write_text(first.read_text().replace("SB1000_island_1 ", "SB1000_island_9 "))
    with pytest.raises(tkpdb.RunError, match="changed since it was associated"):
        tkpdb.run_manifest(conn, clean)
    assert _rows(dsn, "SELECT count(*) FROM image")[0][0] == 2 * total


def test_a_bad_catalogue_writes_nothing_of_its_image(conn, tmp_path):
    manifest, survey = _survey(tmp_path, "bad file")
    bad = tmp_path / f"{survey.images[1].name}.selavy.components.txt"
    lines = bad.read_text().splitlines()
    lines[2] = lines[2].replace(".", ",", 7)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(tkpdb.RunError, match=rf"{survey.images[1].name}.selavy.components.txt: .*data row 1, column"):
        tkpdb.run_manifest(conn, manifest)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM image_input")
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(*) FROM image")
        assert cur.fetchone()[0] == 1
    conn.rollback()
