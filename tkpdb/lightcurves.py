"""Lightcurves: every measurement of a running-catalogue source, in time order.

The SQL view ``lightcurve`` (``sql/93_lightcurves.sql``) gives DBAs the same rows:
``SELECT * FROM lightcurve WHERE runcat = 42 ORDER BY taustart_ts, freq_eff, xtrsrc``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import psycopg2.extensions

from ._db import read_rows

__all__ = ["LightcurvePoint", "get_lightcurve"]


class LightcurvePoint(NamedTuple):
    """One measurement of a lightcurve.

    Attributes
    ----------
    taustart_ts : datetime.datetime
        Start of the image (UTC, naive).
    band : int
        Frequency band id.
    freq_eff : float
        Effective frequency of the image (Hz).
    stokes : int
        Stokes parameter of the image (1 = I).
    f_peak, f_peak_err, f_int, f_int_err : float
        Peak and integrated flux and their errors (Jy) that this lightcurve holds: the
        measurement's times ``flux_fraction``.
    extract_type : int
        0 blind, 1 forced fit at a null detection, 2 forced fit at a monitored position.
    assoc_type : int
        Link type (2 fork base point, 3 one-to-one or many-to-one, 4 new source, 6 history
        copied to a fork, 7 null detection, 8/9 monitoring).
    r : float
        De Ruiter radius of the association (dimensionless; 0 for types 4, 7, 8, 9).
    distance_arcsec : float
        Separation from the runcat position before this measurement (arcsec).
    v_int, eta_int : float
        V and eta of f_int in this band after this measurement (dimensionless).
    xtrsrc : int
        Extraction (extractedsource) id.
    image : int
        Image id.
    flux_fraction : float
        The share of the measurement's fluxes this lightcurve holds: 1 unless flux division
        divided a blend or a forked history among lightcurves (the measured fluxes are the
        ones above divided by it).
    """

    taustart_ts: dt.datetime
    band: int
    freq_eff: float
    stokes: int
    f_peak: float | None
    f_peak_err: float | None
    f_int: float | None
    f_int_err: float | None
    extract_type: int
    assoc_type: int
    r: float | None
    distance_arcsec: float | None
    v_int: float | None
    eta_int: float | None
    xtrsrc: int
    image: int
    flux_fraction: float


#: The fluxes as the lightcurve holds them (the share of a divided measurement).
_SHARED = {"f_peak", "f_peak_err", "f_int", "f_int_err"}
_FIELDS = ", ".join(f"{name} * flux_fraction" if name in _SHARED else name
                    for name in LightcurvePoint._fields)


def get_lightcurve(conn: psycopg2.extensions.connection, runcat_id: int) -> list[LightcurvePoint]:
    """Every measurement of the lightcurve ``runcat_id``, ordered by time, then frequency.

    Returns a list of :class:`LightcurvePoint` (named tuples; ``point._asdict()`` gives a dict).
    Measurements at the same time and frequency are ordered by extraction id. Raises
    ``ValueError`` if the runcat does not exist (a forked runcat is replaced by its children).
    """
    rows = read_rows(conn, f"""
        SELECT {_FIELDS} FROM lightcurve WHERE runcat = %s
        ORDER BY taustart_ts, freq_eff, xtrsrc""", (runcat_id,))
    if not rows and not read_rows(conn, "SELECT 1 FROM runningcatalog WHERE id = %s", (runcat_id,)):
        raise ValueError(f"runcat {runcat_id} does not exist "
                         "(forked lightcurves are replaced by their children)")
    return [LightcurvePoint(*row) for row in rows]
