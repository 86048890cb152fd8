"""Write the small finder catalogues of this directory, in each finder's real layout.

Three sources, the same physical values in every file (positions deg, errors arcsec, fluxes
mJy, axes arcsec FWHM, position angle deg); the second has errors the finder could not give
(Selavy's 0.00, Aegean's -1, PyBDSF's 0, PySE's 0). Run from the repository root:
``.venv/bin/python tests/data/finders/make_samples.py``.
"""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.table import Table

from tkpdb.selavy_writer import SELAVY_COLUMNS, selavy_rows, write_selavy_txt

HERE = Path(__file__).parent
SOURCES = dict(
    ra=np.array([150.0, 359.99, 0.01]), decl=np.array([-30.0, -29.5, -29.6]),
    ra_err=np.array([0.5, 0.0, 1.2]), decl_err=np.array([0.4, 0.0, 1.0]),
    f_peak=np.array([12.345, 250.0, 4.2]), f_peak_err=np.array([0.3, 0.0, 0.35]),
    f_int=np.array([13.0, 251.5, 5.1]), f_int_err=np.array([0.5, 0.0, 0.6]),
    maj=np.array([30.0, 31.0, 36.0]), min_=np.array([24.0, 25.0, 26.0]),
    pa=np.array([20.0, 21.0, 60.0]), rms=np.array([0.3, 0.31, 0.35]),
)
FREQ = 1.3675e9


def selavy() -> None:
    s = SOURCES
    rows = selavy_rows(sbid=25600, ra=s["ra"], decl=s["decl"], ra_err=s["ra_err"],
                       decl_err=s["decl_err"], freq_hz=FREQ, f_peak=s["f_peak"] / 1e3,
                       f_peak_err=s["f_peak_err"] / 1e3, f_int=s["f_int"] / 1e3,
                       f_int_err=s["f_int_err"] / 1e3, maj=s["maj"], min_=s["min_"], pa=s["pa"],
                       rms=s["rms"] / 1e3)
    write_selavy_txt(HERE / "selavy.components.txt", rows)
    # the CASDA CSV: lower-case names, catalogue bookkeeping columns first, no units
    casda = ["id", "catalogue_id", "first_sbid", "other_sbids", "project_id"]
    names = casda + [name.lower() for name, _, _ in SELAVY_COLUMNS] + ["quality_level", "released_date"]
    lines = [",".join(names)]
    for k in range(3):
        values = [str(20793260 + k), "3790", "25600", "", "18"]
        for name, _, decimals in SELAVY_COLUMNS:
            v = rows[name][k]
            values.append(str(v) if decimals is None else f"{float(v):.{decimals}f}")
        values += ["NOT_VALIDATED", "2021-04-22T03:48:37.856Z"]
        lines.append(",".join(values))
    (HERE / "selavy.components.csv").write_text("\n".join(lines) + "\n")
    # the VOTable: Selavy's FIELD names and units
    table = Table()
    for name, unit, decimals in SELAVY_COLUMNS:
        values = rows[name]
        if decimals is None:
            table[name] = np.asarray(values, dtype=str)
        else:
            table[name] = np.asarray(values, dtype=float)
            if unit.startswith("["):
                table[name].unit = u.Unit(unit.strip("[]"))
    table.meta["table_version"] = "casda.continuum_component_description_v1.9"
    table.write(HERE / "selavy.components.xml", format="votable", overwrite=True)


def aegean() -> None:
    s = SOURCES
    bad = np.array([False, True, False])
    t = Table()
    t["island"], t["source"] = np.arange(1, 4), np.zeros(3, int)
    t["background"] = np.zeros(3)
    t["local_rms"] = s["rms"] / 1e3
    t["ra_str"] = ["10:00:00.00", "23:59:57.60", "00:00:02.40"]
    t["dec_str"] = ["-30:00:00.00", "-29:30:00.00", "-29:36:00.00"]
    t["ra"], t["err_ra"] = s["ra"], np.where(bad, -1.0, s["ra_err"] / 3600.0)
    t["dec"], t["err_dec"] = s["decl"], np.where(bad, -1.0, s["decl_err"] / 3600.0)
    t["peak_flux"], t["err_peak_flux"] = s["f_peak"] / 1e3, np.where(bad, -1.0, s["f_peak_err"] / 1e3)
    t["int_flux"], t["err_int_flux"] = s["f_int"] / 1e3, np.where(bad, -1.0, s["f_int_err"] / 1e3)
    t["a"], t["err_a"] = s["maj"] / 2.0, np.full(3, 0.5)
    t["b"], t["err_b"] = s["min_"] / 2.0, np.full(3, 0.5)
    t["pa"], t["err_pa"] = s["pa"], np.full(3, 1.0)
    t["flags"] = np.zeros(3, int)
    t["residual_mean"], t["residual_std"] = np.zeros(3), np.zeros(3)
    t["uuid"] = ["c1", "c2", "c3"]
    t["psf_a"], t["psf_b"], t["psf_pa"] = np.full(3, 15.0), np.full(3, 12.0), np.full(3, 20.0)
    t.write(HERE / "aegean_comp.csv", format="ascii.csv", overwrite=True)
    t.write(HERE / "aegean_comp.vot", format="votable", overwrite=True)
    for name, unit in (("ra", "deg"), ("err_ra", "deg"), ("dec", "deg"), ("err_dec", "deg"),
                       ("peak_flux", "Jy/beam"), ("err_peak_flux", "Jy/beam"), ("int_flux", "Jy"),
                       ("err_int_flux", "Jy"), ("a", "arcsec"), ("b", "arcsec"), ("pa", "deg"),
                       ("local_rms", "Jy/beam")):
        t[name].unit = u.Unit(unit)
    t.write(HERE / "aegean_comp.fits", overwrite=True)


_PYBDSF = ["Source_id", "Isl_id", "RA", "E_RA", "DEC", "E_DEC", "Total_flux", "E_Total_flux",
           "Peak_flux", "E_Peak_flux", "RA_max", "E_RA_max", "DEC_max", "E_DEC_max", "Maj",
           "E_Maj", "Min", "E_Min", "PA", "E_PA", "Isl_Total_flux", "E_Isl_Total_flux",
           "Isl_rms", "Isl_mean", "Resid_Isl_rms", "Resid_Isl_mean", "S_Code"]


def pybdsf() -> None:
    s = SOURCES
    cols = {
        "Source_id": np.arange(3), "Isl_id": np.arange(3), "RA": s["ra"], "E_RA": s["ra_err"] / 3600,
        "DEC": s["decl"], "E_DEC": s["decl_err"] / 3600, "Total_flux": s["f_int"] / 1e3,
        "E_Total_flux": s["f_int_err"] / 1e3, "Peak_flux": s["f_peak"] / 1e3,
        "E_Peak_flux": s["f_peak_err"] / 1e3, "RA_max": s["ra"], "E_RA_max": s["ra_err"] / 3600,
        "DEC_max": s["decl"], "E_DEC_max": s["decl_err"] / 3600, "Maj": s["maj"] / 3600,
        "E_Maj": np.full(3, 1e-4), "Min": s["min_"] / 3600, "E_Min": np.full(3, 1e-4),
        "PA": s["pa"], "E_PA": np.full(3, 1.0), "Isl_Total_flux": s["f_int"] / 1e3,
        "E_Isl_Total_flux": s["f_int_err"] / 1e3, "Isl_rms": s["rms"] / 1e3,
        "Isl_mean": np.zeros(3), "Resid_Isl_rms": s["rms"] / 1e3, "Resid_Isl_mean": np.zeros(3),
        "S_Code": np.array(["S", "S", "C"]),
    }
    units = {"RA": "deg", "E_RA": "deg", "DEC": "deg", "E_DEC": "deg", "RA_max": "deg",
             "E_RA_max": "deg", "DEC_max": "deg", "E_DEC_max": "deg", "Total_flux": "Jy",
             "E_Total_flux": "Jy", "Peak_flux": "Jy/beam", "E_Peak_flux": "Jy/beam", "Maj": "deg",
             "E_Maj": "deg", "Min": "deg", "E_Min": "deg", "PA": "deg", "E_PA": "deg",
             "Isl_Total_flux": "Jy", "E_Isl_Total_flux": "Jy", "Isl_rms": "Jy/beam",
             "Isl_mean": "Jy/beam", "Resid_Isl_rms": "Jy/beam", "Resid_Isl_mean": "Jy/beam"}
    columns = [fits.Column(name=n, format="1J" if n in ("Source_id", "Isl_id") else
                           ("1A" if n == "S_Code" else "1D"), unit=units.get(n), array=cols[n])
               for n in _PYBDSF]
    hdu = fits.BinTableHDU.from_columns(columns)
    hdu.header.add_comment("Source list for image.fits")
    hdu.header["FREQ0"] = (FREQ, "Reference frequency")
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(HERE / "pybdsf.srl.fits", overwrite=True)
    head = ["# Source list for image.fits", "# Generated by PyBDSF version 1.11.1",
            f'# Reference frequency of the detection ("ch0") image: {FREQ:.5e} Hz',
            "# Equinox : 2000.0 ", ""]
    def fmt(n, k):
        v = cols[n][k]
        return str(v) if n in ("Source_id", "Isl_id", "S_Code") else f"{float(v):.10e}"
    for sep, name in ((" ", "pybdsf.srl"), (", ", "pybdsf.srl.csv")):
        lines = head + ["# " + sep.join(_PYBDSF)]
        lines += [sep.join(fmt(n, k) for n in _PYBDSF) for k in range(3)]
        (HERE / name).write_text("\n".join(lines) + "\n")


def pyse() -> None:
    s = SOURCES
    names = ["ra", "ra_err", "dec", "dec_err", "smaj_asec", "smaj_asec_err", "smin_asec",
             "smin_asec_err", "theta_celes", "theta_celes_err", "flux", "flux_err", "peak",
             "peak_err", "x", "y", "sig", "reduced_chisq"]
    values = {"ra": s["ra"], "ra_err": s["ra_err"] / 3600, "dec": s["decl"],
              "dec_err": s["decl_err"] / 3600, "smaj_asec": s["maj"] / 2,
              "smaj_asec_err": np.full(3, 0.5), "smin_asec": s["min_"] / 2,
              "smin_asec_err": np.full(3, 0.5), "theta_celes": s["pa"],
              "theta_celes_err": np.full(3, 1.0), "flux": s["f_int"] / 1e3,
              "flux_err": s["f_int_err"] / 1e3, "peak": s["f_peak"] / 1e3,
              "peak_err": s["f_peak_err"] / 1e3, "x": np.array([10.0, 20.0, 30.0]),
              "y": np.array([11.0, 21.0, 31.0]), "sig": s["f_peak"] / s["rms"],
              "reduced_chisq": np.array([1.1, 0.9, 1.3])}
    lines = [", ".join(names)]
    lines += [", ".join(f"{float(values[n][k]):.6f}" for n in names) for k in range(3)]
    (HERE / "pyse.csv").write_text("\n".join(lines) + "\n")


def generic() -> None:
    s = SOURCES
    t = Table()
    t["ra"], t["decl"] = s["ra"], s["decl"]
    t["ra_fit_err"], t["decl_fit_err"] = s["ra_err"] / 3600, s["decl_err"] / 3600
    t["f_peak"], t["f_peak_err"] = s["f_peak"] / 1e3, s["f_peak_err"] / 1e3
    t["f_int"], t["f_int_err"] = s["f_int"] / 1e3, s["f_int_err"] / 1e3
    t["det_sigma"] = s["f_peak"] / s["rms"]
    t["semimajor"], t["semiminor"], t["pa"] = s["maj"] / 2, s["min_"] / 2, s["pa"]
    t.write(HERE / "tkpdb.csv", format="ascii.csv", overwrite=True)


if __name__ == "__main__":
    selavy(), aegean(), pybdsf(), pyse(), generic()
