"""One training job per page: the commands a page sends and the frames it gets back.

A page holds one WebSocket; the job lives exactly as long as it (closing the page stops
it). Messages are JSON objects with a ``type``:

=====================================  ===================================================
page → server                          what happens
=====================================  ===================================================
``{"type": "setup", "settings": {…}}``  a new run (settings as in a URL); a snapshot back
``{"type": "play"}`` / ``"pause"``      start / stop updating at ``speed`` updates per s
``{"type": "step"}``                    one update
``{"type": "epoch"}``                   updates until the current epoch ends
``{"type": "reset"}``                   the run again from its start
``{"type": "lr", "value": 0.05}``       the learning rate from the next update on
``{"type": "start", "w": 1, "b": 2}``   a new run starting at (w, b) (two-parameter models;
                                        ``w`` alone for a one-parameter model)
``{"type": "speed", "value": 200}``     updates per second while playing
``{"type": "lang", "value": "zh"}``     the page's language (the lesson's text comes back)
``{"type": "slice", "params": [3, 7]}`` the slice over parameters 3 and 7 (larger models)
=====================================  ===================================================

The server answers with ``snapshot`` (everything to draw a run), ``frame`` (what changed,
at most :data:`~gdlab.web.limits.FRAMES_PER_SECOND` times a second), ``settings`` (the
normalized settings after an lr, speed or language change; with the lesson's text in
the new language), ``surface`` (a new slice) and ``error`` (one line; the job keeps
running). However commands arrive, a job makes at most
:data:`~gdlab.web.limits.MAX_STEPS_PER_SECOND` updates a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from anyio import to_thread

from ..errors import GdlabError
from . import jsonin, limits
from .lessons import lesson_text
from .session import Session
from .settings import PARSERS, Settings, parse_settings
from .views import Panels

LOG = logging.getLogger("gdlab.web")
COMMANDS = {  # type → the keys it needs besides "type"
    "setup": {"settings"}, "play": set(), "pause": set(), "step": set(), "epoch": set(),
    "reset": set(), "lr": {"value"}, "start": {"w"}, "speed": {"value"}, "lang": {"value"},
    "slice": {"params"},
}
OPTIONAL = {"start": {"b"}}  # type → the keys it may have too


def parse_command(text: str | bytes | None) -> dict:
    """Check one message from the page; raises GdlabError naming what is wrong."""
    if not isinstance(text, str):
        raise GdlabError("messages must be JSON text, not binary")
    if len(text.encode("utf-8")) > limits.MAX_BODY_BYTES:
        raise GdlabError(f"message of {len(text.encode('utf-8'))} bytes is over the limit of "
                         f"{limits.MAX_BODY_BYTES}")
    message = jsonin.loads(text, what="message")
    if not isinstance(message, dict):
        raise GdlabError(f"message must be a JSON object, got {type(message).__name__}")
    kind = message.get("type")
    if kind not in COMMANDS:
        raise GdlabError(f"message type must be one of {', '.join(COMMANDS)}, got {kind!r}")
    extra = sorted(set(message) - COMMANDS[kind] - OPTIONAL.get(kind, set()) - {"type"})
    missing = sorted(COMMANDS[kind] - set(message))
    if extra or missing:
        raise GdlabError(f"{kind} message: " + (f"unknown key {extra[0]!r}" if extra
                                                 else f"missing key {missing[0]!r}"))
    return message


class TokenBucket:
    """At most ``rate`` updates per second, with bursts of at most ``rate`` (one second's worth)."""

    def __init__(self, rate: float, *, clock: Callable[[], float],
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.rate, self.clock, self.sleep = rate, clock, sleep
        self.tokens, self.last = rate, clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
        self.last = now

    async def take(self, n: int) -> None:
        """Wait until ``n`` updates are allowed, then spend them."""
        self._refill()
        while self.tokens < n - 1e-6:  # (a tolerance: rounding must not leave it waiting forever)
            await self.sleep(max((n - self.tokens) / self.rate, 1e-3))
            self._refill()
        self.tokens -= n


class Job:
    """The run of one page and the task that plays it.

    ``send`` delivers one JSON-able message to the page.
    """

    def __init__(self, send: Callable[[dict], Awaitable[None]]):
        self._send = send
        self._send_lock = asyncio.Lock()
        self._lock = asyncio.Lock()  # one command or one chunk of updates at a time
        self.session: Session | None = None
        self.panels: Panels | None = None
        self.speed = 20
        self.playing = False
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()  # set to cut a playing job's wait short
        self.bucket = TokenBucket(limits.MAX_STEPS_PER_SECOND,
                                  clock=asyncio.get_running_loop().time)

    async def send(self, message: dict) -> None:
        async with self._send_lock:
            await self._send(message)

    async def error(self, message: str, *, status: int = 400) -> None:
        await self.send({"type": "error", "status": status, "message": message})

    async def handle(self, text) -> None:
        """Carry out one message from the page; bad ones are answered with an error."""
        try:
            message = parse_command(text)
            await getattr(self, f"_cmd_{message['type']}")(message)
        except GdlabError as e:
            await self.error(str(e))

    async def close(self) -> None:
        """Stop playing and end the run (the page went away)."""
        self.playing = False
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # the page is gone
                pass
            self._task = None
        if self.session is not None:
            await to_thread.run_sync(self.session.close)
            self.session = None

    # --- commands --------------------------------------------------------------------------
    def _need_session(self) -> Session:
        if self.session is None:
            raise GdlabError("no run yet: send a setup message first")
        return self.session

    async def _new_run(self, settings: Settings, *, view: dict | None = None) -> None:
        await self._pause()
        session = await to_thread.run_sync(lambda: Session(settings, view=view))
        try:
            panels = Panels(session)
            snapshot = await to_thread.run_sync(panels.snapshot)
        except BaseException:  # (the page may have gone meanwhile) end the new run too
            session.close()
            raise
        async with self._lock:
            old, self.session, self.panels = self.session, session, panels
            self.speed = settings.speed
        if old is not None:
            await to_thread.run_sync(old.close)
        await self.send(snapshot)

    async def _cmd_setup(self, message: dict) -> None:
        settings = await to_thread.run_sync(parse_settings, message["settings"])
        await self._new_run(settings)

    async def _cmd_reset(self, message: dict) -> None:
        s = self._need_session()
        await self._new_run(s.settings)  # (the surface's window starts afresh too)

    async def _cmd_start(self, message: dict) -> None:
        s = self._need_session()
        given = [message["w"]] + ([message["b"]] if "b" in message else [])
        if s.n_params not in (1, 2) or len(given) != s.n_params:
            raise GdlabError("a start point sets (w, b) of a two-parameter model or w of a "
                             f"one-parameter one; this model has {s.n_params} parameters")
        start = PARSERS["start"]("start", given)
        await self._new_run(s.settings.with_values(start=start), view=s.view)

    async def _cmd_lr(self, message: dict) -> None:
        s = self._need_session()
        lr = PARSERS["lr"]("lr", message["value"])
        async with self._lock:
            s.set_lr(lr)
        await self._send_settings(s)

    async def _cmd_speed(self, message: dict) -> None:
        s = self._need_session()
        speed = PARSERS["speed"]("speed", message["value"])
        self.speed = speed
        async with self._lock:
            s.settings = s.settings.with_values(speed=speed)
        await self._send_settings(s)

    async def _cmd_lang(self, message: dict) -> None:
        s = self._need_session()
        lang = PARSERS["lang"]("lang", message["value"])
        async with self._lock:
            s.settings = s.settings.with_values(lang=lang)
        await self._send_settings(s)

    async def _cmd_slice(self, message: dict) -> None:
        s = self._need_session()
        pair = PARSERS["slice"]("slice", message["params"])
        async with self._lock:
            await to_thread.run_sync(s.show_pair, pair)
            s.settings = s.settings.with_values(slice=pair)
            surface = await to_thread.run_sync(self.panels.surface)
        await self._send_settings(s)
        await self.send({"type": "surface", "surface": surface})

    async def _send_settings(self, s: Session) -> None:
        lesson = s.settings.lesson
        await self.send({"type": "settings", "settings": s.settings.to_json(),
                         "query": s.settings.to_query(), "lr": s.lr, "next_lr": s.next_epoch_lr,
                         "lesson": None if lesson is None else
                         {"name": lesson, **lesson_text(lesson, s.settings.lang)}})

    async def _cmd_pause(self, message: dict) -> None:
        self._need_session()
        await self._pause()
        await self._send_frame()

    async def _cmd_step(self, message: dict) -> None:
        self._need_session()
        await self._pause()
        await self._advance(1)
        await self._send_frame()

    async def _cmd_play(self, message: dict) -> None:
        self._start_task(until_epoch_end=False)

    async def _cmd_epoch(self, message: dict) -> None:
        await self._pause()
        self._start_task(until_epoch_end=True)

    # --- playing ------------------------------------------------------------------------------
    def _start_task(self, *, until_epoch_end: bool) -> None:
        s = self._need_session()
        if self.playing or s.done:
            return
        self.playing = True
        self._task = asyncio.create_task(self._play(until_epoch_end=until_epoch_end))

    async def _pause(self) -> None:
        """Stop playing and wait for the update under way to finish."""
        self.playing = False
        self._wake.set()
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            await task

    async def _advance(self, n: int, *, until_epoch_end: bool = False) -> int:
        await self.bucket.take(n)
        async with self._lock:
            session = self.session
            return await to_thread.run_sync(
                lambda: session.run(n, until_epoch_end=until_epoch_end))

    async def _send_frame(self) -> None:
        fresh = not self.playing  # (a paused page gets an up-to-date slice at once)
        async with self._lock:
            frame = await to_thread.run_sync(lambda: self.panels.frame(fresh=fresh))
        await self.send({"type": "frame", **frame, "playing": self.playing})

    async def _play(self, *, until_epoch_end: bool) -> None:
        """Update at ``speed`` per second (an epoch: as fast as allowed), one frame per tick."""
        loop = asyncio.get_running_loop()
        tick = 1.0 / limits.FRAMES_PER_SECOND
        credit, last = 1.0, loop.time()  # updates owed; the first one is made at once
        try:
            while self.playing and not self.session.done:
                speed = limits.MAX_STEPS_PER_SECOND if until_epoch_end else self.speed
                now = loop.time()
                credit = min(credit + (now - last) * speed, max(1.0, speed * tick))
                last = now
                if credit >= 1:
                    n = int(credit)
                    credit -= n
                    epoch = self.session.state.epoch
                    await self._advance(n, until_epoch_end=until_epoch_end)
                    if self.session.done or (until_epoch_end and self.session.state.epoch > epoch):
                        self.playing = False
                    await self._send_frame()
                wait = tick if speed >= limits.FRAMES_PER_SECOND else (1.0 - credit) / speed
                self._wake.clear()
                if self.playing:
                    try:
                        await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.001))
                    except asyncio.TimeoutError:
                        pass
        except GdlabError as e:
            await self.error(str(e))
        except Exception as e:  # a bug must not pass silently: the page shows it
            LOG.exception("playground job failed")
            await self.error(f"internal error: {type(e).__name__}: {e}", status=500)
        finally:
            self.playing = False
