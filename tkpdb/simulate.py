"""A seeded synthetic sky and its observations, for the demo, the tests and the benchmarks.

Positions in degrees, fluxes in Jy, systematic errors and error radii in arcsec.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Sky", "random_sky", "observe", "field_offsets"]


@dataclass(frozen=True)
class Sky:
    """True positions (deg) and fluxes (Jy) of point sources."""

    ra: np.ndarray
    decl: np.ndarray
    flux: np.ndarray

    def __len__(self) -> int:
        return len(self.ra)


def field_offsets(centre_ra: float, centre_decl: float, rho: np.ndarray, phi: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Positions (deg) at angular distance ``rho`` (deg) and position angle ``phi`` (deg, east
    of north) from a centre; exact on the sphere, RA folded into [0, 360).

    The offset is a rotation of unit vectors, ``cos(rho) c + sin(rho) (cos(phi) n + sin(phi) e)``
    with ``c`` the centre and ``n``, ``e`` its north and east directions (those of the centre's
    meridian at a pole), so it holds everywhere, the poles and RA 0 included.
    """
    a0, d0 = np.radians(centre_ra), np.radians(centre_decl)
    r, p = np.radians(rho), np.radians(phi)
    cr, sr, cp, sp = np.cos(r), np.sin(r), np.cos(p), np.sin(p)
    ca, sa, cd, sd = np.cos(a0), np.sin(a0), np.cos(d0), np.sin(d0)
    # centre (cd ca, cd sa, sd), north (-sd ca, -sd sa, cd), east (-sa, ca, 0)
    v = (cr * cd * ca + sr * (cp * -sd * ca - sp * sa),
         cr * cd * sa + sr * (cp * -sd * sa + sp * ca),
         cr * sd + sr * cp * cd)
    decl = np.degrees(np.arcsin(np.clip(v[2], -1.0, 1.0)))
    ra = np.mod(np.degrees(np.arctan2(v[1], v[0])), 360.0)
    return np.where(ra >= 360.0, 0.0, ra), decl


def random_sky(n: int, centre_ra: float, centre_decl: float, radius: float,
               rng: np.random.Generator, flux_min: float = 0.01, flux_max: float = 1.0) -> Sky:
    """``n`` sources uniform on the cap of ``radius`` (deg) around the centre; fluxes (Jy)
    log-uniform between ``flux_min`` and ``flux_max``."""
    rho = np.degrees(np.arccos(1.0 - rng.random(n) * (1.0 - np.cos(np.radians(radius)))))
    ra, decl = field_offsets(centre_ra, centre_decl, rho, rng.random(n) * 360.0)
    flux = np.exp(rng.uniform(np.log(flux_min), np.log(flux_max), n))
    return Sky(ra, decl, flux)


def observe(sky: Sky, rng: np.random.Generator, *, pos_error: float = 1.0,
            sys_error: float = 10.0, rms: float = 0.001, flux_scale: np.ndarray | float = 1.0
            ) -> dict[str, np.ndarray]:
    """One image's source-finder output for ``sky``: positions scattered by ``pos_error``
    (arcsec, 1 sigma on the sky), fluxes times ``flux_scale`` plus Gaussian noise ``rms`` (Jy).

    The result has the columns :func:`tkpdb.insert_extracted_sources` expects.
    """
    n = len(sky)
    rho = np.abs(rng.normal(0.0, pos_error, n)) * np.sqrt(2.0) / 3600.0
    ra, decl = field_offsets(sky.ra, sky.decl, rho, rng.random(n) * 360.0) if n else (sky.ra, sky.decl)
    flux = sky.flux * flux_scale
    err = np.full(n, rms)
    fit_err = pos_error / 3600.0
    return {
        "ra": ra, "decl": decl,
        "ra_fit_err": np.full(n, fit_err / max(np.cos(np.radians(np.mean(decl))) if n else 1.0, 1e-3)),
        "decl_fit_err": np.full(n, fit_err),
        "f_peak": flux + rng.normal(0.0, rms, n), "f_peak_err": err,
        "f_int": flux + rng.normal(0.0, rms, n), "f_int_err": err,
        "det_sigma": flux / rms,
        "semimajor": np.full(n, 20.0), "semiminor": np.full(n, 15.0), "pa": np.full(n, 30.0),
        "ew_sys_err": np.full(n, sys_error), "ns_sys_err": np.full(n, sys_error),
        "error_radius": np.full(n, pos_error),
    }
