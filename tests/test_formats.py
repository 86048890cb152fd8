"""Finder catalogues read as the finders write them: every format gives the same sources, in
the API's units, with zero or missing errors replaced by the one rule; bad files are refused
with the file, the row and the column."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

import tkpdb
from tkpdb.formats import CatalogueError, ImageContext, read_catalogue

DATA = Path(__file__).parent / "data" / "finders"
CONTEXT = ImageContext(rms=0.4e-3, beam_fwhm=30.0, ew_sys_err=1.0, ns_sys_err=2.0)

# the three sources of make_samples.py, in API units
RA = [150.0, 359.99, 0.01]
DECL = [-30.0, -29.5, -29.6]
F_PEAK = [0.012345, 0.250, 0.0042]
F_INT = [0.013, 0.2515, 0.0051]
SEMIMAJOR = [15.0, 15.5, 18.0]

FILES = [("selavy", "selavy.components.txt"), ("selavy", "selavy.components.csv"),
         ("selavy", "selavy.components.xml"), ("aegean", "aegean_comp.csv"),
         ("aegean", "aegean_comp.vot"), ("aegean", "aegean_comp.fits"),
         ("pybdsf", "pybdsf.srl"), ("pybdsf", "pybdsf.srl.csv"), ("pybdsf", "pybdsf.srl.fits"),
         ("pyse", "pyse.csv"), ("tkpdb", "tkpdb.csv")]
HAS_RMS = {"selavy", "aegean", "pybdsf"}


@pytest.mark.parametrize("fmt, name", FILES)
def test_every_layout_gives_the_same_sources_in_api_units(fmt, name):
    cat = read_catalogue(DATA / name, fmt, CONTEXT)
    s = cat.sources
    assert len(cat) == 3
    np.testing.assert_allclose(s["ra"], RA, rtol=0, atol=1e-6)
    np.testing.assert_allclose(s["decl"], DECL, rtol=0, atol=1e-6)
    np.testing.assert_allclose(s["f_peak"], F_PEAK, rtol=1e-6)
    np.testing.assert_allclose(s["f_int"], F_INT, rtol=1e-6)
    np.testing.assert_allclose(s["semimajor"], SEMIMAJOR, rtol=1e-6)
    # row 1 (0.5", 0.4" errors; 0.3 mJy) as written, converted to deg and Jy
    assert s["decl_fit_err"][0] == pytest.approx(0.4 / 3600, rel=3e-3)
    assert s["ra_fit_err"][0] == pytest.approx(0.5 / 3600, rel=3e-3)
    assert s["f_peak_err"][0] == pytest.approx(0.3e-3, rel=1e-6)
    assert s["ew_sys_err"].tolist() == [1.0] * 3 and s["ns_sys_err"].tolist() == [2.0] * 3
    # row 2 has no errors (0.00, -1 or 0): the point-source rule, with the row's own rms
    # where the finder writes one, else the image's
    sigma = 0.31e-3 if fmt in HAS_RMS else CONTEXT.rms
    assert s["f_peak_err"][1] == pytest.approx(sigma, rel=1e-6)
    assert s["f_int_err"][1] == pytest.approx(sigma, rel=1e-6)
    snr = 0.250 / sigma
    assert s["decl_fit_err"][1] == pytest.approx(30.0 / (2 * snr) / 3600, rel=1e-6)
    assert s["ra_fit_err"][1] == pytest.approx(30.0 / (2 * snr) / 3600 / math.cos(math.radians(29.5)), rel=1e-6)
    assert cat.replaced.get({"selavy": "flux_peak_err", "aegean": "err_peak_flux",
                             "pybdsf": "E_Peak_flux", "pyse": "peak_err",
                             "tkpdb": "f_peak_err"}[fmt]) == 1
    # TraP's corner error radius, arcsec
    assert s["error_radius"][0] == pytest.approx(math.hypot(0.5 * math.cos(math.radians(30)), 0.4), rel=2e-2)
    if fmt in HAS_RMS:
        np.testing.assert_allclose(s["det_sigma"], np.array(F_PEAK) / np.array([0.3e-3, 0.31e-3, 0.35e-3]), rtol=1e-4)


def test_the_sources_load_through_the_api(conn):
    from tests.sky import image
    dataset = tkpdb.insert_dataset(conn, "formats")
    img = image(conn, dataset, centre_ra=0.0, centre_decl=-29.6, xtr_radius=1.0)
    ids = tkpdb.insert_extracted_sources(conn, img, read_catalogue(DATA / "selavy.components.txt", "selavy", CONTEXT).sources)
    assert len(ids) == 3


def _copy(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copy(DATA / name, tmp_path / name))


def test_a_value_that_is_not_a_number_names_file_row_and_column(tmp_path):
    path = _copy(tmp_path, "selavy.components.txt")
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace("250.000", "2x0.000")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CatalogueError, match=r"selavy.components.txt, data row 2, column 'flux_peak': '2x0.000' is not a number"):
        read_catalogue(path, "selavy", CONTEXT)


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "aegean_comp.csv"
    text = (DATA / "aegean_comp.csv").read_text().replace("int_flux", "total", 1)
    path.write_text(text)
    with pytest.raises(CatalogueError, match=r"aegean_comp.csv: missing column\(s\) 'int_flux'"):
        read_catalogue(path, "aegean", CONTEXT)


def test_a_unit_that_does_not_convert_is_refused(tmp_path):
    from astropy.table import Table
    t = Table.read(DATA / "selavy.components.xml")
    t["flux_int"].unit = "deg"
    t.write(tmp_path / "bad.xml", format="votable")
    with pytest.raises(CatalogueError, match=r"column 'flux_int': unit deg cannot be converted to Jy"):
        read_catalogue(tmp_path / "bad.xml", "selavy", CONTEXT)


def test_a_missing_error_without_any_noise_level_is_an_error():
    with pytest.raises(CatalogueError, match=r"tkpdb.csv, data row 2, column '\(local rms\)'"):
        read_catalogue(DATA / "tkpdb.csv", "tkpdb", ImageContext(rms=None, beam_fwhm=30.0))


def test_selavy_writes_zero_for_an_rms_it_lacks_and_the_image_rms_is_used(tmp_path):
    path = _copy(tmp_path, "selavy.components.csv")
    lines = path.read_text().splitlines()
    fields = lines[1].split(",")
    header = lines[0].split(",")
    fields[header.index("rms_image")] = "0.000"
    lines[1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    cat = read_catalogue(path, "selavy", CONTEXT)
    assert cat.sources["det_sigma"][0] == pytest.approx(0.012345 / CONTEXT.rms)
    assert cat.replaced["rms_image"] == 1


def test_an_unknown_format_is_refused():
    with pytest.raises(CatalogueError, match="unknown catalogue format 'sextractor'"):
        read_catalogue(DATA / "pyse.csv", "sextractor")
