"""The root command group, the options every command shares, and how errors are reported.

An error ends a command with one line on stderr (``tkpdb: error: ...``) and exit status 1:
a bad DSN, an unreachable server, a missing or unmigrated database, a lost connection, a
refused input or a refused call each say so in words, never with a traceback (``tkpdb --debug
COMMAND`` or ``TKPDB_DEBUG=1`` shows it). Passwords never appear: every DSN shown, and every
message that could quote one, is masked (:func:`tkpdb.config.mask_dsn`).
"""

from __future__ import annotations

import os
import re
from typing import Any

import click
import psycopg2

from ..config import mask_dsn, resolve_dsn

__all__ = ["main", "dsn_option", "describe_error"]

_DSN_KEY = "tkpdb.dsn"


def _remember_dsn(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    ctx.meta[_DSN_KEY] = resolve_dsn(value)   # ctx.meta is shared by the whole command chain
    return value


dsn_option = click.option(
    "--dsn", default=None, callback=_remember_dsn, expose_value=True,
    help="libpq DSN (default: $TKPDB_DSN, then dbname=tkpdb).")

_PASSWORDS = (re.compile(r"\bpassword\s*=\s*'((?:[^'\\]|\\.)*)'", re.I),
              re.compile(r"\bpassword\s*=\s*([^'\s&]\S*)", re.I),
              re.compile(r"://[^/?#@:\s]*:([^/?#@\s]+)@"))


def _hide(text: str, dsn: str) -> str:
    """``text`` with the DSN's password masked, also where a message quotes a fragment of it."""
    for pattern in _PASSWORDS:
        for secret in pattern.findall(dsn):
            if len(secret) >= 2:
                text = text.replace(secret, "***")
    return mask_dsn(text)


def describe_error(exc: BaseException, dsn: str) -> str:
    """One line saying what went wrong, without a password."""
    from ..connection import SchemaVersionError   # noqa: PLC0415 (import cycle at start-up)

    orig = getattr(exc, "orig", None)             # SQLAlchemy wraps the driver's error
    if isinstance(orig, psycopg2.Error):
        exc = orig
    shown = mask_dsn(dsn)
    if isinstance(exc, SchemaVersionError):
        text = f"{shown}: {exc}"
    elif isinstance(exc, psycopg2.ProgrammingError) and "invalid dsn" in str(exc):
        text = f"invalid DSN {shown!r}: {str(exc).strip().splitlines()[0]}"
    elif isinstance(exc, psycopg2.OperationalError) and exc.pgcode is None:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        lines = str(exc)
        if re.search(r'database ".*" does not exist', lines):
            text = (f"{shown}: {re.search(r'database .* does not exist', lines).group(0)} (create "
                    "it with scripts/setup.sh, or choose another with --dsn or TKPDB_DSN)")
        elif re.search(r"authentication failed|role .* does not exist|no pg_hba.conf", lines):
            text = f"{shown}: the server refused the login: {first}"
        elif re.search(r"could not connect|Connection refused|No such file or directory|could not "
                       r"translate host name|timeout expired|Network is unreachable", lines):
            text = f"cannot reach the database server of {shown!r}: {first}"
        else:
            text = first
    elif isinstance(exc, psycopg2.Error):
        diag = getattr(exc, "diag", None)
        text = (diag.message_primary if diag is not None and diag.message_primary
                else str(exc).strip().splitlines()[0])
    else:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = message if isinstance(exc, ValueError) and message else (
            f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
    return _hide(text, dsn)


class _Main(click.Group):
    """The root group: runs a command and turns any error into one line (see module doc)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 (every error ends as one line)
            if ctx.params.get("debug") or os.environ.get("TKPDB_DEBUG"):
                raise
            dsn = ctx.meta.get(_DSN_KEY) or resolve_dsn(None)
            click.echo(f"tkpdb: error: {describe_error(exc, dsn)}", err=True)
            ctx.exit(1)


@click.group(cls=_Main)
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
def main(debug: bool) -> None:
    """tkpdb: in-database source association for radio transient surveys."""
