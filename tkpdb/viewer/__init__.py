"""tkpdb's read-only web viewer and Virtual Observatory cone search.

``tkpdb serve`` runs :func:`create_app` with uvicorn. Pages: datasets, candidates and
variables (filtered lightcurves and the eta-V plane), lightcurves (measurements, forced fits,
upper limits, V and eta per band, heritage graph), images; each with a JSON twin under
``/api``; ``/scs/<dataset>`` answers IVOA Simple Cone Search queries with a VOTable. The
viewer reads through tkpdb's public API and the SQL functions of ``sql/98_viewer.sql`` only,
with a role that cannot write (:mod:`tkpdb.viewer.db`).
"""

from .app import create_app
from .db import WritableRoleError, write_privileges

__all__ = ["create_app", "WritableRoleError", "write_privileges"]
