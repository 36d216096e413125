"""The playground's web application (Starlette): one page, a small JSON API, one WebSocket.

=========================  ========================================================
``GET /``                  the page (``static/index.html``)
``GET /static/…``          its script and style sheet, shipped inside the package
``GET /api/options``       the choices, bounds, defaults, data sets and lessons
                           (``?lang=zh``: the lessons' texts in Chinese)
``GET|POST /api/setup``    check settings (a query string or a JSON object) and
                           return what the page draws for them; 4xx with
                           ``{"error": "<one line>"}`` when something is wrong
``POST /api/upload``       a small CSV table (``?name=file.csv&target=column``), read
                           as ``gdlab train`` reads files; its facts back, and its
                           name for the ``data`` setting
``WS /api/ws``             the page's training job (see :mod:`gdlab.web.jobs`)
=========================  ========================================================

Requests are bounded (:mod:`gdlab.web.limits`): bodies, query strings and WebSocket
messages by size, JSON by nesting depth and number length (:mod:`gdlab.web.jsonin`),
open jobs by count; connections by time (:mod:`gdlab.web.protocol`). A client that goes
away in the middle of its request leaves one log line. Responses carry a
Content-Security-Policy that allows nothing outside this server, so the page makes no
external request. A WebSocket from another site's page (a different ``Origin``) is
refused.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..config import ACTIVATIONS, DTYPES, ENGINE_NAMES, LOSSES, MODELS, OPTIMIZERS, SCHEDULES
from ..errors import GdlabError
from . import datasets, jsonin, limits
from .jobs import Job
from .lessons import lesson_menu
from .session import Session
from .settings import DATASETS, LANGUAGES, base_defaults, data_facts, parse_settings
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
    lang = request.query_params.get("lang") or None
    if lang is not None and lang not in LANGUAGES:
        return error(400, f"lang must be one of {', '.join(LANGUAGES)}, got {lang[:20]!r}")
    lessons = await run_in_threadpool(lesson_menu, lang)
    defaults = {k: (list(v) if isinstance(v, tuple) else v) for k, v in base_defaults().items()}
    return JSON({
        "datasets": [data_facts(name) for name in DATASETS],
        "models": list(MODELS), "activations": list(ACTIVATIONS), "losses": list(LOSSES),
        "optimizers": list(OPTIMIZERS), "engines": list(ENGINE_NAMES), "dtypes": list(DTYPES),
        "schedules": list(SCHEDULES), "defaults": defaults, "lessons": lessons,
        "languages": list(LANGUAGES),
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
        try:
            raw = jsonin.loads(await read_body(request, content_type="application/json"))
        except GdlabError as e:
            return error(400, str(e))
    try:
        return JSON(await run_in_threadpool(build_snapshot, raw))
    except GdlabError as e:
        return error(400, str(e))


async def upload(request: Request) -> Response:
    """A CSV table from the page: read with gdlab's loader and kept (see gdlab.web.datasets)."""
    name = request.query_params.get("name") or "upload.csv"
    target = request.query_params.get("target") or None
    if len(name) > 200 or (target is not None and len(target) > 200):
        return error(400, "name and target must be at most 200 characters")
    if os.path.splitext(name)[1].lower() not in (".csv", ".txt", ""):
        return error(415, f"{os.path.basename(name)}: the playground takes CSV tables (.csv); "
                          "train other files with gdlab train")
    content = await read_body(request, content_type=("text/csv", "text/plain", "application/octet-stream"),
                              limit=limits.MAX_UPLOAD_BYTES)
    try:
        facts = await run_in_threadpool(lambda: datasets.add_upload(content, filename=name, target=target))
    except GdlabError as e:
        return error(400, str(e))
    return JSON(facts)


class Aborted(Exception):
    """The client went away in the middle of its request (logged in one line)."""


async def read_body(request: Request, *, content_type, limit: int = limits.MAX_BODY_BYTES):
    """The request's body, refusing wrong types and sizes with HTTPException (4xx);
    :class:`Aborted` when the client disconnects before sending all of it."""
    allowed = (content_type,) if isinstance(content_type, str) else tuple(content_type)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in allowed:
        what = "a JSON object" if allowed == ("application/json",) else "a CSV table"
        raise HTTPException(415, f"send {what} (Content-Type: {allowed[0]}), "
                                 f"not {ctype or 'no content type'!r}")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit() or len(declared) > 20:
            raise HTTPException(400, f"bad Content-Length {declared[:30]!r}")
        if int(declared) > limit:
            raise HTTPException(413, f"request body of {int(declared):,} bytes is over the limit of "
                                     f"{limit:,}")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise HTTPException(413, f"request body over the limit of {limit:,} bytes")
    except ClientDisconnect:
        raise Aborted(f"{request.method} {request.url.path}: the client went away after "
                      f"{len(body):,} of {declared or 'an unknown number of'} bytes") from None
    if ctype != "application/json":
        return bytes(body)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "request body is not UTF-8 text") from None


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


async def aborted(request: Request, exc: Aborted) -> Response:
    LOG.warning("request aborted: %s", exc)
    return Response(status_code=400)  # (nobody reads it: the connection is gone)


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
            Route("/api/upload", upload, methods=["POST"]),
            WebSocketRoute("/api/ws", training_socket),
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: http_error, Aborted: aborted, Exception: internal_error},
    )
    app.state.jobs = 0
    return app
