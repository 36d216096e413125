"""``gdlab serve``: the browser playground (see ``gdlab.web``)."""

from __future__ import annotations

import click


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback makes the playground reachable "
                   "from other machines (a warning is printed).")
@click.option("--port", type=int, default=8000, show_default=True, help="TCP port (0: any free port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the playground in the default browser.")
def command(host: str, port: int, open_browser: bool) -> None:
    """Start the playground: train linear, logistic, softmax and small MLP models live in the
    browser, with the loss surface, the optimizer's path and the lessons.

    Everything runs on this machine with the gdlab library (no internet needed); the page's
    URL holds every setting, so a copied link reproduces the run. Stop with Ctrl+C.
    """
    from ..web.server import serve

    serve(host, port, open_browser=open_browser, log=click.echo,
          warn=lambda msg: click.echo(msg, err=True))
