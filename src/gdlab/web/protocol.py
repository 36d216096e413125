"""The HTTP connection with deadlines: a local process cannot stall the playground.

uvicorn's own h11 protocol gives a connection unlimited time to send its request head
(and body), and counts idle connections against ``limit_concurrency``: seventy sockets
that connect and say nothing, or one header line every few seconds, made every other
request answer 503. :class:`GuardedH11Protocol` is uvicorn's ``H11Protocol`` with three
deadlines and an eviction rule, all bounds in :mod:`gdlab.web.limits`:

==========================  ==========================================================
waiting for a request head  the whole head (request line and headers) must arrive within
                            ``HEADER_TIMEOUT`` seconds of the connection opening or of
                            the previous response — however it trickles in
receiving a body            the whole body within ``BODY_TIMEOUT`` seconds of its head
writing a response          a client that stops reading is dropped after
                            ``WRITE_TIMEOUT`` seconds with the send buffer full
too many connections        beyond ``MAX_CONNECTIONS`` open at once, the connections
                            that have waited longest for a request head are closed
                            first; only when none is idle is the new one refused (503)
==========================  ==========================================================

A request that is being answered is never interrupted by these rules, and a
connection upgraded to a WebSocket leaves them (the WebSocket protocol pings its peer).
"""

from __future__ import annotations

import json
import logging
import time

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from . import limits

LOG = logging.getLogger("gdlab.web")

_REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            b"connection: close\r\ncontent-length: %d\r\n\r\n%s")
_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
              b"connection: close\r\ncontent-length: %d\r\n\r\n%s")


def _reply(template: bytes, message: str) -> bytes:
    body = json.dumps({"error": message}).encode()
    return template % (len(body), body)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with per-connection deadlines (see the module docstring)."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._deadline = None  # the armed TimerHandle, if any
        self._phase = "head"
        self._idle_since = time.monotonic()
        self._arm(limits.HEADER_TIMEOUT, "head")
        if not self._make_room():
            LOG.warning("refused a connection: %d connections are open and none is idle",
                        len(self.connections) - 1)
            transport.write(_reply(_REFUSED, f"the playground has {limits.MAX_CONNECTIONS} "
                                             "connections open; try again shortly"))
            self._close()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_state()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # (may start a pipelined request at once)
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._idle_since = time.monotonic()
            self._arm(limits.HEADER_TIMEOUT, "head")  # the next head, from now
        else:
            self._follow_state()

    def pause_writing(self) -> None:
        super().pause_writing()
        self._arm(limits.WRITE_TIMEOUT, "write")

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._phase == "write":
            self._disarm()
            self._phase = "busy"

    # --- the deadlines -----------------------------------------------------------------------
    @property
    def idle(self) -> bool:
        """Waiting for a request head: nothing of this connection's is being answered."""
        return self._phase == "head"

    def _follow_state(self) -> None:
        """Re-arm or clear the deadline after the request's state moved."""
        if self.transport.get_protocol() is not self:  # upgraded to a WebSocket
            self._disarm()
            self._phase = "upgraded"
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY and self._phase != "body":
            self._arm(limits.BODY_TIMEOUT, "body")
        elif state not in (h11.IDLE, h11.SEND_BODY) and self._phase in ("head", "body"):
            self._disarm()  # the request is in: the application answers it
            self._phase = "busy"

    def _arm(self, seconds: float, phase: str) -> None:
        self._disarm()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._expired, phase)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, phase: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if phase == "head" and self.conn.trailing_data[0]:  # part of a head: say why
            LOG.info("dropped a connection whose request head took over %gs", limits.HEADER_TIMEOUT)
            self.transport.write(_reply(_TIMED_OUT, f"request head not complete within "
                                                    f"{limits.HEADER_TIMEOUT:g} s"))
        elif phase == "body":
            LOG.info("dropped a connection whose request body took over %gs", limits.BODY_TIMEOUT)
        elif phase == "write":
            LOG.info("dropped a connection that stopped reading its response for %gs",
                     limits.WRITE_TIMEOUT)
        self._close()

    def _close(self) -> None:
        self._disarm()
        self._phase = "closed"
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the application sees http.disconnect
            self.cycle.message_event.set()
        self.transport.close()

    # --- too many connections ----------------------------------------------------------------
    def _make_room(self) -> bool:
        """Close the longest-idle connections while more than MAX_CONNECTIONS are open;
        False when that is not enough (every other connection is busy)."""
        excess = len(self.connections) - limits.MAX_CONNECTIONS
        if excess <= 0:
            return True
        idle = sorted((c for c in self.connections
                       if c is not self and isinstance(c, GuardedH11Protocol) and c.idle),
                      key=lambda c: c._idle_since)
        for conn in idle[:excess]:
            conn._close()
            self.connections.discard(conn)  # (its connection_lost follows)
        return len(idle) >= excess
