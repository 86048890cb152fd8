"""Where tkpdb finds its database and its SQL files.

The DSN is decided here and nowhere else: an explicit ``dsn`` argument (``--dsn`` on the
command line) wins, then the environment variable ``TKPDB_DSN``, then the local database
``tkpdb`` over the local socket (``dbname=tkpdb``). Any libpq connection string or URI works.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["DEFAULT_DSN", "DSN_ENV", "resolve_dsn", "mask_dsn", "sql_dir", "alembic_dir"]

DSN_ENV = "TKPDB_DSN"
DEFAULT_DSN = "dbname=tkpdb"

_PACKAGE = Path(__file__).resolve().parent


def resolve_dsn(dsn: str | None = None) -> str:
    """Return the DSN to use: ``dsn`` if given, else ``$TKPDB_DSN``, else ``dbname=tkpdb``."""
    if dsn:
        return dsn
    return os.environ.get(DSN_ENV) or DEFAULT_DSN


_KEYWORD_PASSWORD = re.compile(r"((?<![?&])\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URI_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/?#@:\s]*:)[^/?#@\s]*@", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#\s]*", re.IGNORECASE)


def mask_dsn(text: str) -> str:
    """``text`` (a DSN, or a message that may quote one) with every password replaced by ``***``.

    Masks ``password=...`` in keyword/value strings (quoted or not), the password of a URI
    (``postgresql://user:secret@host/db``) and ``?password=`` in a URI's query.
    """
    text = _KEYWORD_PASSWORD.sub(r"\1***", text)
    text = _URI_PASSWORD.sub(r"\1***@", text)
    return _QUERY_PASSWORD.sub(r"\1***", text)


def _resource(installed: str, source: str) -> Path:
    """A data directory: inside the installed wheel, or beside the package in a checkout."""
    for candidate in (_PACKAGE / installed, _PACKAGE.parent / source):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"tkpdb cannot find its {source}/ directory near {_PACKAGE}")


def sql_dir() -> Path:
    """Directory holding the SQL files (``sql/`` in a checkout)."""
    return _resource("_sql", "sql")


def alembic_dir() -> Path:
    """Directory holding the Alembic environment (``alembic/`` in a checkout)."""
    return _resource("_alembic", "alembic")
