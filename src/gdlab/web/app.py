"""The playground's web application (Starlette): one page, a small JSON API, one WebSocket.

=========================  ========================================================
``GET /``                  the page (``static/index.html``)
``GET /static/…``          its script and style sheet, shipped inside the package
``GET /api/options``       the choices, bounds, defaults, data sets and lessons
``GET|POST /api/setup``    check settings (a query string or a JSON object) and
                           return what the page draws for them; 4xx with
                           ``{"error": "<one line>"}`` when something is wrong
``WS /api/ws``             the page's training job (see :mod:`gdlab.web.jobs`)
=========================  ========================================================

Requests are bounded (:mod:`gdlab.web.limits`): bodies, query strings and WebSocket
messages by size, open jobs by count. Responses carry a Content-Security-Policy that
allows nothing outside this server, so the page makes no external request. A WebSocket
from another site's page (a different ``Origin``) is refused.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..config import ACTIVATIONS, DTYPES, ENGINE_NAMES, LOSSES, MODELS, OPTIMIZERS, SCHEDULES
from ..errors import GdlabError
from . import limits
from .jobs import Job
from .lessons import lesson_menu
from .session import Session
from .settings import DATASETS, base_defaults, data_facts, parse_settings
from .views import Panels

STATIC_DIR = Path(__file__).parent / "static"
LOG = logging.getLogger("gdlab.web")

#: Nothing outside this server: no CDN, no fonts, no analytics, no framing.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


def jsonable(value):
    """Replace NaN and ±inf (not JSON) with None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def dumps(value) -> str:
    return json.dumps(jsonable(value), separators=(",", ":"), allow_nan=False)


class JSON(JSONResponse):
    def render(self, content) -> bytes:
        return dumps(content).encode("utf-8")


def error(status: int, message: str) -> JSON:
    return JSON({"error": message}, status_code=status)


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to every HTTP response (pure ASGI middleware)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostCheck:
    """Refuse requests whose Host header is not one of ``hosts`` (DNS-rebinding protection)."""

    def __init__(self, app, *, hosts: Sequence[str]):
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        header = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
        try:
            name = urlsplit(f"//{header}").hostname or ""
        except ValueError:
            name = ""
        if name.lower() in self.hosts:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await error(400, f"unknown Host {header!r}; open the playground at its printed URL")(
            scope, receive, send)


# --- the page ------------------------------------------------------------------------------
async def index(request: Request) -> Response:
    return HTMLResponse((STATIC_DIR / "index.html").read_text(encoding="utf-8"))


# --- the JSON API ----------------------------------------------------------------------------
async def options(request: Request) -> Response:
    lessons = await run_in_threadpool(lesson_menu)
    defaults = {k: (list(v) if isinstance(v, tuple) else v) for k, v in base_defaults().items()}
    return JSON({
        "datasets": [data_facts(name) for name in DATASETS],
        "models": list(MODELS), "activations": list(ACTIVATIONS), "losses": list(LOSSES),
        "optimizers": list(OPTIMIZERS), "engines": list(ENGINE_NAMES), "dtypes": list(DTYPES),
        "schedules": list(SCHEDULES), "defaults": defaults, "lessons": lessons,
        "limits": {name: getattr(limits, name) for name in dir(limits) if name.isupper()},
    })


def build_snapshot(raw) -> dict:
    """Parse settings, build the run and return what the page draws first."""
    settings = parse_settings(raw)
    with Session(settings) as session:
        return Panels(session).snapshot()


async def setup(request: Request) -> Response:
    if request.method == "GET":
        if len(request.scope.get("query_string", b"")) > limits.MAX_QUERY_BYTES:
            return error(414, f"query string over the limit of {limits.MAX_QUERY_BYTES} bytes")
        raw: dict = {}
        for key, value in request.query_params.multi_items():
            if key in raw:
                return error(400, f"setting {key!r} is given more than once")
            raw[key] = value
    else:
        raw = await read_json_body(request)
    try:
        return JSON(await run_in_threadpool(build_snapshot, raw))
    except GdlabError as e:
        return error(400, str(e))


async def read_json_body(request: Request):
    """The request's JSON body, refusing wrong types and sizes with HTTPException (4xx)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise HTTPException(415, f"send a JSON object (Content-Type: application/json), "
                                 f"not {ctype or 'no content type'!r}")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HTTPException(400, f"bad Content-Length {declared!r}")
        if int(declared) > limits.MAX_BODY_BYTES:
            raise HTTPException(413, f"request body of {declared} bytes is over the limit of "
                                     f"{limits.MAX_BODY_BYTES}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limits.MAX_BODY_BYTES:
            raise HTTPException(413, f"request body over the limit of {limits.MAX_BODY_BYTES} bytes")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise HTTPException(400, "request body is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise HTTPException(400, f"request body is not valid JSON ({e.msg} at column {e.colno})") from None


# --- the training job ----------------------------------------------------------------------
def same_origin(websocket: WebSocket) -> bool:
    """A browser names the page that opens a WebSocket; only this server's own pages may."""
    origin = websocket.headers.get("origin")
    if origin is None:  # not a browser (a script or a test): nothing to protect against
        return True
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


async def training_socket(websocket: WebSocket) -> None:
    state = websocket.app.state
    if not same_origin(websocket):
        await websocket.close(code=1008)  # before accept: the handshake is refused (403)
        return
    await websocket.accept()
    if state.jobs >= limits.MAX_JOBS:
        await websocket.send_text(dumps({
            "type": "error", "status": 503,
            "message": f"the playground already runs {limits.MAX_JOBS} pages; close one and reload",
        }))
        await websocket.close(code=1013)
        return
    state.jobs += 1
    job = Job(lambda message: websocket.send_text(dumps(message)))
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                await job.error("messages must be JSON text, not binary")
                continue
            try:
                await job.handle(text)
            except (WebSocketDisconnect, RuntimeError):
                raise
            except Exception as e:  # a bug must not end the page's job; say what happened
                LOG.exception("playground command failed")
                await job.error(f"internal error: {type(e).__name__}: {e}", status=500)
    except WebSocketDisconnect:
        pass
    finally:
        await job.close()
        state.jobs -= 1


# --- errors ------------------------------------------------------------------------------------
async def http_error(request: Request, exc: HTTPException) -> Response:
    return error(exc.status_code, str(exc.detail))


async def internal_error(request: Request, exc: Exception) -> Response:
    LOG.exception("playground request failed")
    return error(500, f"internal error: {type(exc).__name__}")


def create_app(*, allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The playground as an ASGI application.

    Parameters
    ----------
    allowed_hosts : sequence of str, optional
        Host names to accept in the Host header (DNS-rebinding protection when bound to
        a loopback address); None accepts any.
    """
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts:
        middleware.append(Middleware(HostCheck, hosts=allowed_hosts))
    app = Starlette(
        routes=[
            Route("/", index, methods=["GET", "HEAD"]),
            Route("/api/options", options, methods=["GET"]),
            Route("/api/setup", setup, methods=["GET", "POST"]),
            WebSocketRoute("/api/ws", training_socket),
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )
    app.state.jobs = 0
    return app
