"""Source-finder catalogues, read as the finders write them.

One reader per finder, each naming the document of the finder it follows:

===========  ==============================================  ==============================
format       files                                           module
===========  ==============================================  ==============================
``selavy``   ``.txt`` (fixed width), ``.csv`` (CASDA), ``.xml``  :mod:`tkpdb.formats.selavy`
``aegean``   ``.csv``, ``.vot``/``.xml``, ``.fits``              :mod:`tkpdb.formats.aegean`
``pybdsf``   ``srl``/``gaul`` as ``.fits``, ASCII or CSV         :mod:`tkpdb.formats.pybdsf`
``pyse``     ``.csv`` (``pyse --csv``)                           :mod:`tkpdb.formats.pyse`
``tkpdb``    tkpdb's (TraP's) column names, any astropy table    :mod:`tkpdb.formats.generic`
===========  ==============================================  ==============================

Every reader reads with astropy.table, converts each column with astropy.units from the unit
the file states (or, where the file states none, from the unit the finder documents) into the
units of :func:`tkpdb.insert_extracted_sources`, and returns a :class:`Catalogue`. A bad file
raises :class:`CatalogueError` naming the file, the data row (1 = the first source) and the
column; nothing of it is returned.

**Zero or missing finder errors: one rule.** A finder may print an uncertainty as zero
(Selavy writes ``0.00`` below its printed precision), flag it as negative (Aegean's ``-1``) or
leave it blank. Such an error is replaced by the uncertainty of a point source measured at the
same peak flux in the same noise, the leading terms of Condon (1997, PASP 109, 166): flux
errors (peak and integrated) by the local rms ``sigma`` (Jy), position errors (RA and Dec) by
``theta / (2 SNR)`` with ``theta`` the restoring-beam FWHM major axis and
``SNR = f_peak / sigma`` clipped to at least 1 (so never more than half a beam, never a
division by zero). ``sigma`` is the row's own local-rms column where the finder writes one and
it is positive (Selavy ``rms_image``, Aegean ``local_rms``, PyBDSF ``Isl_rms``), else the
image's noise (``ImageContext.rms``, from the noise map or the manifest); the same ``sigma``
gives the detection significance ``f_peak / sigma`` where the finder writes none. A row that
needs the rule when neither is known is an error. :attr:`Catalogue.replaced` counts the values
replaced per column.

Error radius: the finder's own when it writes one (PySE), else TraP's: the largest on-sky
offset of the four corners (RA -/+ its error, Dec -/+ its error).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ._common import Catalogue, CatalogueError, ImageContext
from .aegean import read_aegean
from .generic import read_generic
from .pybdsf import read_pybdsf
from .pyse import read_pyse
from .selavy import read_selavy

__all__ = ["FORMATS", "Catalogue", "CatalogueError", "ImageContext", "read_catalogue"]

#: Catalogue format name -> reader(path, context).
FORMATS: dict[str, Callable[[Path, ImageContext | None], Catalogue]] = {
    "selavy": read_selavy,
    "aegean": read_aegean,
    "pybdsf": read_pybdsf,
    "pyse": read_pyse,
    "tkpdb": read_generic,
}


def read_catalogue(path: str | Path, format: str, context: ImageContext | None = None
                   ) -> Catalogue:
    """Read one catalogue file written by the finder ``format`` (a key of :data:`FORMATS`)."""
    reader = FORMATS.get(format)
    if reader is None:
        raise CatalogueError(f"{path}: unknown catalogue format {format!r} "
                             f"(one of {', '.join(FORMATS)})")
    return reader(Path(path), context)
