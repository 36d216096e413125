"""Run the playground: bind a socket, print the URL, optionally open a browser, serve.

Binding happens before anything is printed, so the URL shown is one that answers (and
``--port 0`` shows the port the system picked). Only loopback addresses are the default;
any other host makes the playground reachable from other machines, without
authentication, and :func:`serve` says so.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import webbrowser
from collections.abc import Callable

import torch
import uvicorn

from ..errors import GdlabError
from . import limits
from .app import create_app
from .protocol import GuardedH11Protocol

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); GdlabError when that is impossible."""
    if not 0 <= port <= 65535:
        raise GdlabError(f"--port must be in [0, 65535], got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise GdlabError(f"--host {host}: not an address this machine can bind ({e.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        hint = f"; try --port {port + 1}" if port else ""
        raise GdlabError(f"cannot listen on {host}:{port}: {e.strerror}{hint}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("localhost" if host == "localhost" else host)
    if host == "::":
        shown = "[::1]"
    elif ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def make_server(sock: socket.socket, host: str, *, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for the playground on the bound socket ``sock``."""
    # on loopback, a page reached through another name (DNS rebinding) is refused
    allowed = (*LOOPBACK_NAMES, host.strip("[]")) if is_loopback(host) else None
    config = uvicorn.Config(
        create_app(allowed_hosts=allowed),
        # deadlines per connection and eviction of idle ones (gdlab.web.protocol) instead
        # of uvicorn's limit_concurrency, which counted idle sockets and answered 503
        http=GuardedH11Protocol,
        log_level=log_level,
        access_log=False,
        ws_max_size=limits.MAX_BODY_BYTES,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        limit_concurrency=None,
        h11_max_incomplete_event_size=limits.MAX_HEADER_BYTES,
        timeout_keep_alive=limits.KEEP_ALIVE_TIMEOUT,
        lifespan="off",
        server_header=False,
    )
    return uvicorn.Server(config)


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    open_browser: bool = False,
    log: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
) -> None:
    """Serve the playground until interrupted (Ctrl+C).

    Parameters
    ----------
    host : str, default="127.0.0.1"
        Address to listen on. Anything but a loopback address prints a warning.
    port : int, default=8000
        TCP port; 0 picks a free one.
    open_browser : bool, default=False
        Open the page in the default browser once the server listens.
    """
    if not is_loopback(host):
        warn(f"warning: --host {host} makes the playground reachable from other machines; it has "
             "no authentication and trains on this machine's CPU for anyone who opens it")
    sock = bind(host, port)
    # The playground's models are tiny: one thread per update is fastest, and several
    # pages training at once do not fight over cores.
    torch.set_num_threads(1)
    url = url_of(host, sock)
    log(f"gdlab playground: {url}  (Ctrl+C to stop)")
    server = make_server(sock, host)
    if open_browser:  # the socket already listens: the browser's request waits in its backlog
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
