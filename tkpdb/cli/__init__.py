"""The ``tkpdb`` command line: a thin shell over the public API.

Each command group lives in a module of its own and registers itself on :data:`main`:

* :mod:`tkpdb.cli.db`   -- ``tkpdb db upgrade | downgrade | current`` (schema migrations)
* :mod:`tkpdb.cli.demo` -- ``tkpdb demo`` (a simulated survey with ground truth, end to end)
* :mod:`tkpdb.cli.check` -- ``tkpdb check [DATASET]`` (the consistency checker)
* :mod:`tkpdb.cli.run` -- ``tkpdb run MANIFEST`` (finder catalogues and FITS images)
* :mod:`tkpdb.cli.results` -- ``tkpdb lightcurve | transients | heritage | stats | export``
* :mod:`tkpdb.cli.serve` -- ``tkpdb serve`` (the read-only web viewer and cone search)

A command module imports :data:`main` and :data:`dsn_option` from here and nothing else of the
command line; everything it does goes through ``tkpdb``'s public API.
"""

from __future__ import annotations

from ._common import dsn_option, main

# Command modules register themselves on `main` when imported.
from . import check, db, demo, results, run, serve  # noqa: E402,F401

__all__ = ["main", "dsn_option"]
