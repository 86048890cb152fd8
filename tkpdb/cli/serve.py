"""``tkpdb serve``: the read-only web viewer and cone search (needs the ``viewer`` extra)."""

from __future__ import annotations

import click

from ._common import dsn_option, main


@main.command()
@dsn_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8750, show_default=True, type=int)
@click.option("--root-path", default="", help="URL prefix when served behind a reverse proxy "
                                              "under a sub-path (e.g. /tkpdb).")
@click.option("--dev-allow-writer", is_flag=True,
              help="Development mode: start even if the database role can write (a loud "
                   "warning is logged; sessions stay read-only). Never for a shared server.")
def serve(dsn: str | None, host: str, port: int, root_path: str, dev_allow_writer: bool) -> None:
    """Serve the web viewer of a tkpdb database, with a read-only role."""
    try:
        import uvicorn

        from ..viewer import WritableRoleError, create_app
    except ImportError as exc:  # the viewer's dependencies are an extra
        raise click.ClickException(
            f"the viewer needs its extra: pip install 'tkpdb[viewer]' ({exc})") from None
    try:
        app = create_app(dsn, allow_writer=dev_allow_writer)
    except WritableRoleError as exc:
        raise click.ClickException(
            f"{exc}. Connect with a read-only role (--dsn 'dbname=tkpdb user=...'), or pass "
            "--dev-allow-writer on your own machine.") from None
    click.echo(f"tkpdb viewer on http://{host}:{port}{root_path}/")
    uvicorn.run(app, host=host, port=port, root_path=root_path, proxy_headers=True,
                log_level="info")
